// OpenSSL's libcrypto, loaded with dlopen() the first time a key or a
// certificate is read, not linked: mapping and relocating libcrypto costs
// about 1.5 ms at every process start (measured: an empty program 1.0 ms,
// the same linked with -lcrypto 2.5 ms), which every cached `token get` and
// every Nagios check would pay although only certificate credentials and
// service accounts sign anything. The same pattern as libcurl in
// http_client.cpp: one table of the functions used, each typed by decltype of
// the real declaration so it cannot drift from the header. Only the two files
// that sign (jwt_signing, client_assertion) include this header.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "mailoauth/core/error.hpp"

namespace mailoauth::oauth2 {

// Every libcrypto function mailoauth calls (clang-format does not settle on
// one layout for this list, so it is kept by hand).
// clang-format off
#define MAILOAUTH_LIBCRYPTO_FUNCTIONS(X) \
  X(ASN1_TIME_to_tm) \
  X(BIO_free) \
  X(BIO_new_mem_buf) \
  X(BN_bn2binpad) \
  X(CRYPTO_free) \
  X(d2i_ECDSA_SIG) \
  X(ECDSA_SIG_free) \
  X(ECDSA_SIG_get0_r) \
  X(ECDSA_SIG_get0_s) \
  X(ERR_clear_error) \
  X(ERR_error_string_n) \
  X(ERR_get_error) \
  X(EVP_Digest) \
  X(EVP_DigestSign) \
  X(EVP_DigestSignInit) \
  X(EVP_MD_CTX_free) \
  X(EVP_MD_CTX_new) \
  X(EVP_PKEY_free) \
  X(EVP_PKEY_get_bits) \
  X(EVP_PKEY_get_utf8_string_param) \
  X(EVP_PKEY_is_a) \
  X(EVP_sha1) \
  X(EVP_sha256) \
  X(i2d_X509) \
  X(PEM_read_bio_PrivateKey) \
  X(PEM_read_bio_X509) \
  X(X509_check_private_key) \
  X(X509_free) \
  X(X509_get0_notAfter)
// clang-format on

struct LibCrypto {
#define MAILOAUTH_LIBCRYPTO_SLOT(name) decltype(&::name) name##_ = nullptr;
  MAILOAUTH_LIBCRYPTO_FUNCTIONS(MAILOAUTH_LIBCRYPTO_SLOT)
#undef MAILOAUTH_LIBCRYPTO_SLOT
};

// Loads libcrypto.so.3 once; a Config error names the package when it is missing.
core::Result<const LibCrypto*> load_libcrypto();

// The table, once load_libcrypto() has succeeded (every OpenSSL handle in
// mailoauth was made after it did); a Bug otherwise, ending the process.
const LibCrypto& libcrypto();

}  // namespace mailoauth::oauth2
