// Loading certificate credentials and making client assertions. The
// certificate is parsed with OpenSSL only to get its DER bytes (for the
// thumbprints), its public key (to check the private key matches) and its
// notAfter (for the expiry checks); nothing else of it is trusted or needed. Handles are owned by
// unique_ptrs with OpenSSL's free functions.
#include "mailoauth/oauth2/client_assertion.hpp"

#include <array>
#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <openssl/x509.h>

#include "mailoauth/oauth2/libcrypto.hpp"

namespace mailoauth::oauth2 {

namespace {

struct BioDeleter {
  void operator()(BIO* bio) const noexcept { libcrypto().BIO_free_(bio); }
};
struct X509Deleter {
  void operator()(X509* certificate) const noexcept { libcrypto().X509_free_(certificate); }
};
struct OpenSslBytesDeleter {
  void operator()(unsigned char* bytes) const noexcept {
    libcrypto().CRYPTO_free_(bytes, OPENSSL_FILE, OPENSSL_LINE);
  }
};

std::string digest(const EVP_MD* algorithm, std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int length = 0;
  if (libcrypto().EVP_Digest_(bytes.data(), bytes.size(), out.data(), &length, algorithm,
                              nullptr) != 1) {
    return {};
  }
  return std::string(reinterpret_cast<const char*>(out.data()), length);
}

std::int64_t epoch_seconds(std::chrono::system_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

}  // namespace

core::Result<AssertionCredentials> AssertionCredentials::from_pem(
    std::string_view certificate_pem, const core::Secret& private_key_pem,
    std::string_view origin) {
  if (auto loaded = load_libcrypto(); !loaded) return core::fail(loaded.error());
  libcrypto().ERR_clear_error_();
  std::unique_ptr<BIO, BioDeleter> bio(libcrypto().BIO_new_mem_buf_(
      certificate_pem.data(), static_cast<int>(certificate_pem.size())));
  std::unique_ptr<X509, X509Deleter> certificate(
      bio ? libcrypto().PEM_read_bio_X509_(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  libcrypto().ERR_clear_error_();
  if (!certificate) {
    return core::fail(core::ErrorClass::Config, "assertion.no_certificate",
                      "no PEM certificate (\"BEGIN CERTIFICATE\") could be read",
                      "give the certificate uploaded to the app registration, in PEM form "
                      "(convert a .cer/.der with: openssl x509 -inform DER -in c.cer -out c.pem)");
  }
  auto key = SigningKey::from_pem(private_key_pem, origin);
  if (!key) return core::fail(std::move(key.error()));
  if (libcrypto().X509_check_private_key_(certificate.get(),
                                          static_cast<EVP_PKEY*>(key->native_handle())) != 1) {
    libcrypto().ERR_clear_error_();
    return core::fail(
        core::ErrorClass::Config, "assertion.key_mismatch",
        fmt::format("the private key in {} does not belong to the certificate", origin),
        "give the key the certificate was made with (compare: openssl x509 -noout "
        "-pubkey -in cert.pem and openssl pkey -pubout -in key.pem)");
  }
  unsigned char* der_bytes = nullptr;
  const int der_length = libcrypto().i2d_X509_(certificate.get(), &der_bytes);
  std::unique_ptr<unsigned char, OpenSslBytesDeleter> der_owner(der_bytes);
  if (der_length <= 0) {
    libcrypto().ERR_clear_error_();
    return core::fail(core::ErrorClass::Bug, "assertion.der",
                      "OpenSSL could not encode the "
                      "certificate as DER");
  }
  const std::string_view der(reinterpret_cast<const char*>(der_bytes),
                             static_cast<std::size_t>(der_length));
  const std::string sha256 = digest(libcrypto().EVP_sha256_(), der);
  const std::string sha1 = digest(libcrypto().EVP_sha1_(), der);
  if (sha256.empty() || sha1.empty()) {
    libcrypto().ERR_clear_error_();
    return core::fail(core::ErrorClass::Bug, "assertion.digest",
                      "OpenSSL could not hash the certificate");
  }
  std::string hex;
  for (unsigned char byte : sha1) hex += fmt::format("{:02X}", byte);
  AssertionCredentials credentials(std::move(*key), base64url(sha256), base64url(sha1),
                                   std::move(hex));
  std::tm expiry{};
  if (const ASN1_TIME* not_after = libcrypto().X509_get0_notAfter_(certificate.get());
      not_after != nullptr && libcrypto().ASN1_TIME_to_tm_(not_after, &expiry) == 1) {
    credentials.not_after_ = std::chrono::system_clock::from_time_t(timegm(&expiry));
  }
  libcrypto().ERR_clear_error_();
  return credentials;
}

core::Result<AssertionCredentials> AssertionCredentials::load(
    const std::filesystem::path& certificate_file, const std::filesystem::path& private_key_file) {
  auto certificate = read_credential_file(certificate_file);
  if (!certificate) return core::fail(std::move(certificate.error()));
  auto key = certificate_file == private_key_file ? certificate->clone()
                                                  : read_credential_file(private_key_file);
  if (!key) return core::fail(std::move(key.error()));
  auto credentials = from_pem(certificate->reveal(), *key, private_key_file.string());
  if (!credentials && credentials.error().code() == "assertion.no_certificate") {
    credentials.error().context(certificate_file.string());
  }
  return credentials;
}

core::Result<core::Secret> make_client_assertion(const AssertionCredentials& credentials,
                                                 std::string_view client_id,
                                                 std::string_view audience,
                                                 std::chrono::system_clock::time_point now) {
  const nlohmann::json header = {
      {"alg", to_string(credentials.key().algorithm())},
      {"typ", "JWT"},
      {"x5t#S256", credentials.thumbprint_sha256()},
      {"x5t", credentials.thumbprint_sha1()},
  };
  const std::int64_t issued_at = epoch_seconds(now);
  const nlohmann::json claims = {
      {"aud", audience},
      {"iss", client_id},
      {"sub", client_id},
      {"jti", random_uuid()},
      {"nbf", issued_at},
      {"iat", issued_at},
      {"exp", issued_at + kClientAssertionLifetime.count()},
  };
  return credentials.key().sign(header.dump(), claims.dump());
}

}  // namespace mailoauth::oauth2
