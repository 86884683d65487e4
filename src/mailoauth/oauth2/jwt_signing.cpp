// JWS signing with OpenSSL 3 EVP. Every OpenSSL handle is owned by a
// unique_ptr whose deleter is OpenSSL's free function; the error queue is
// drained into the message (OpenSSL's reason text names no key material) and
// cleared, so one failure never leaks into the next call's diagnosis. ES256
// signatures come out of EVP as DER; JOSE wants r || s, 32 bytes each
// (RFC 7518 section 3.4), which is converted here.
#include "mailoauth/oauth2/jwt_signing.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "mailoauth/core/base64.hpp"

namespace mailoauth::oauth2 {

namespace {

template <typename T, void (*Free)(T*)>
struct OpenSslDeleter {
  void operator()(T* handle) const noexcept { Free(handle); }
};
void free_bio(BIO* bio) {
  BIO_free(bio);
}
using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO, free_bio>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY, EVP_PKEY_free>>;
using MdContextPtr = std::unique_ptr<EVP_MD_CTX, OpenSslDeleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using EcdsaSignaturePtr = std::unique_ptr<ECDSA_SIG, OpenSslDeleter<ECDSA_SIG, ECDSA_SIG_free>>;

// The reasons OpenSSL queued, oldest first, and the queue emptied.
std::string openssl_errors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    std::array<char, 256> buffer{};
    ERR_error_string_n(code, buffer.data(), buffer.size());
    if (!text.empty()) text += "; ";
    text += buffer.data();
  }
  return text.empty() ? std::string("no detail from OpenSSL") : text;
}

// Passphrase callback: never supplies one, only notes that one was wanted.
int refuse_passphrase(char*, int, int, void* asked) {
  *static_cast<bool*>(asked) = true;
  return 0;
}

constexpr int kMinimumRsaBits = 2048;  // Entra and Google refuse smaller keys

}  // namespace

struct SigningKey::Impl {
  PkeyPtr key;
};

std::string_view to_string(JwtAlgorithm algorithm) {
  switch (algorithm) {
    case JwtAlgorithm::RS256:
      return "RS256";
    case JwtAlgorithm::ES256:
      return "ES256";
  }
  return "?";
}

std::string base64url(std::string_view bytes) {
  return core::base64::encode(bytes, core::base64::Alphabet::UrlSafe,
                              core::base64::Padding::Omitted);
}

core::Result<core::Secret> read_credential_file(const std::filesystem::path& path) {
  constexpr std::size_t kLimit = std::size_t{1} << 20;
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    return core::fail(core::ErrorClass::Config, "jwt.unreadable_file",
                      fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)),
                      "check the path and that this user may read the file");
  }
  std::string text;
  std::array<char, 4096> buffer{};
  while (stream.read(buffer.data(), buffer.size()) || stream.gcount() > 0) {
    text.append(buffer.data(), static_cast<std::size_t>(stream.gcount()));
    if (text.size() > kLimit) {
      core::secure_wipe(text.data(), text.size());
      return core::fail(core::ErrorClass::Config, "jwt.file_too_large",
                        fmt::format("{} is larger than 1 MiB, which no key file is", path.string()),
                        "give the PEM or JSON key file itself");
    }
  }
  core::secure_wipe(buffer.data(), buffer.size());
  return core::Secret::take(std::move(text));
}

std::string random_uuid() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // The CSPRNG failing is a broken system, not something to work around
    // with a weaker generator: a Bug, thrown to the edge.
    throw std::runtime_error("OpenSSL RAND_bytes failed: " + openssl_errors());
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string text;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text += '-';
    text += fmt::format("{:02x}", bytes[i]);
  }
  return text;
}

SigningKey::SigningKey(std::unique_ptr<Impl> impl, JwtAlgorithm algorithm)
    : impl_(std::move(impl)), algorithm_(algorithm) {}
SigningKey::SigningKey(SigningKey&&) noexcept = default;
SigningKey& SigningKey::operator=(SigningKey&&) noexcept = default;
SigningKey::~SigningKey() = default;

void* SigningKey::native_handle() const {
  return impl_->key.get();
}

core::Result<SigningKey> SigningKey::from_pem(const core::Secret& pem, std::string_view origin) {
  ERR_clear_error();
  const std::string_view text = pem.reveal();
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) return core::fail(core::ErrorClass::Bug, "jwt.openssl", openssl_errors());
  bool passphrase_asked = false;
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, &passphrase_asked));
  const bool encrypted_marker = text.find("ENCRYPTED") != std::string_view::npos;
  if (!key && (passphrase_asked || encrypted_marker)) {
    ERR_clear_error();
    return core::fail(
        core::ErrorClass::Config, "jwt.encrypted_key",
        fmt::format("the private key in {} is encrypted with a passphrase, which an unattended "
                    "service cannot type",
                    origin),
        fmt::format("decrypt it once into a file only this service can read: openssl pkey -in "
                    "{} -out {}.decrypted (then chmod 600 it and use that file)",
                    origin, origin));
  }
  if (!key) {
    return core::fail(
        core::ErrorClass::Config, "jwt.no_private_key",
        fmt::format("no private key could be read from {}: {}", origin, openssl_errors()),
        "give a PEM file with a \"BEGIN PRIVATE KEY\" (or \"BEGIN RSA PRIVATE "
        "KEY\" / \"BEGIN EC PRIVATE KEY\") block");
  }
  JwtAlgorithm algorithm;
  if (EVP_PKEY_is_a(key.get(), "RSA")) {
    if (EVP_PKEY_get_bits(key.get()) < kMinimumRsaBits) {
      return core::fail(core::ErrorClass::Config, "jwt.weak_key",
                        fmt::format("the RSA key in {} has {} bits; identity servers require at "
                                    "least {}",
                                    origin, EVP_PKEY_get_bits(key.get()), kMinimumRsaBits),
                        "make a new key and certificate: openssl req -x509 -newkey rsa:2048 "
                        "-nodes -keyout key.pem -out cert.pem -days 730 -subj /CN=mailoauth");
    }
    algorithm = JwtAlgorithm::RS256;
  } else if (EVP_PKEY_is_a(key.get(), "EC")) {
    std::array<char, 64> group{};
    std::size_t group_length = 0;
    if (EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group.data(),
                                       group.size(), &group_length) != 1 ||
        std::string_view(group.data(), group_length) != "prime256v1") {
      ERR_clear_error();
      return core::fail(core::ErrorClass::Config, "jwt.unsupported_key",
                        fmt::format("the EC key in {} is not on curve P-256, the only one "
                                    "mailoauth signs with (ES256)",
                                    origin),
                        "use an RSA 2048 key (RS256, what Entra expects) or a P-256 key");
    }
    algorithm = JwtAlgorithm::ES256;
  } else {
    return core::fail(core::ErrorClass::Config, "jwt.unsupported_key",
                      fmt::format("the key in {} is neither RSA nor EC", origin),
                      "use an RSA 2048 key (RS256, what Entra expects)");
  }
  auto impl = std::make_unique<Impl>();
  impl->key = std::move(key);
  return SigningKey(std::move(impl), algorithm);
}

core::Result<core::Secret> SigningKey::sign(std::string_view header_json,
                                            std::string_view payload_json) const {
  ERR_clear_error();
  std::string signing_input = base64url(header_json) + "." + base64url(payload_json);
  MdContextPtr context(EVP_MD_CTX_new());
  std::size_t length = 0;
  const auto* input = reinterpret_cast<const unsigned char*>(signing_input.data());
  if (!context ||
      EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, impl_->key.get()) != 1 ||
      EVP_DigestSign(context.get(), nullptr, &length, input, signing_input.size()) != 1) {
    return core::fail(core::ErrorClass::Bug, "jwt.sign",
                      "OpenSSL could not start a signature: " + openssl_errors());
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     input, signing_input.size()) != 1) {
    return core::fail(core::ErrorClass::Bug, "jwt.sign",
                      "OpenSSL could not sign: " + openssl_errors());
  }
  signature.resize(length);
  if (algorithm_ == JwtAlgorithm::ES256) {
    const auto* der = reinterpret_cast<const unsigned char*>(signature.data());
    EcdsaSignaturePtr parsed(d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(signature.size())));
    std::string raw(64, '\0');
    auto* out = reinterpret_cast<unsigned char*>(raw.data());
    if (!parsed || BN_bn2binpad(ECDSA_SIG_get0_r(parsed.get()), out, 32) != 32 ||
        BN_bn2binpad(ECDSA_SIG_get0_s(parsed.get()), out + 32, 32) != 32) {
      return core::fail(core::ErrorClass::Bug, "jwt.sign",
                        "OpenSSL's ECDSA signature could not be converted: " + openssl_errors());
    }
    signature = std::move(raw);
  }
  signing_input += '.';
  signing_input += base64url(signature);
  return core::Secret::take(std::move(signing_input));
}

}  // namespace mailoauth::oauth2
