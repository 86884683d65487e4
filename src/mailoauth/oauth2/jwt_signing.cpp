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
#include <sodium.h>

#include "mailoauth/core/base64.hpp"
#include "mailoauth/oauth2/libcrypto.hpp"

namespace mailoauth::oauth2 {

namespace {

struct OpenSslDeleter {
  void operator()(BIO* bio) const noexcept { libcrypto().BIO_free_(bio); }
  void operator()(EVP_PKEY* key) const noexcept { libcrypto().EVP_PKEY_free_(key); }
  void operator()(EVP_MD_CTX* context) const noexcept { libcrypto().EVP_MD_CTX_free_(context); }
  void operator()(ECDSA_SIG* signature) const noexcept { libcrypto().ECDSA_SIG_free_(signature); }
};
using BioPtr = std::unique_ptr<BIO, OpenSslDeleter>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter>;
using MdContextPtr = std::unique_ptr<EVP_MD_CTX, OpenSslDeleter>;
using EcdsaSignaturePtr = std::unique_ptr<ECDSA_SIG, OpenSslDeleter>;

// The reasons OpenSSL queued, oldest first, and the queue emptied.
std::string openssl_errors() {
  std::string text;
  while (const unsigned long code = libcrypto().ERR_get_error_()) {
    std::array<char, 256> buffer{};
    libcrypto().ERR_error_string_n_(code, buffer.data(), buffer.size());
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
  if (sodium_init() < 0) {
    // The CSPRNG failing is a broken system, not something to work around
    // with a weaker generator: a Bug, thrown to the edge.
    throw std::runtime_error("libsodium could not initialise its random generator");
  }
  randombytes_buf(bytes.data(), bytes.size());
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
  if (auto loaded = load_libcrypto(); !loaded) return core::fail(loaded.error());
  libcrypto().ERR_clear_error_();
  const std::string_view text = pem.reveal();
  BioPtr bio(libcrypto().BIO_new_mem_buf_(text.data(), static_cast<int>(text.size())));
  if (!bio) return core::fail(core::ErrorClass::Bug, "jwt.openssl", openssl_errors());
  bool passphrase_asked = false;
  PkeyPtr key(libcrypto().PEM_read_bio_PrivateKey_(bio.get(), nullptr, refuse_passphrase,
                                                   &passphrase_asked));
  const bool encrypted_marker = text.find("ENCRYPTED") != std::string_view::npos;
  if (!key && (passphrase_asked || encrypted_marker)) {
    libcrypto().ERR_clear_error_();
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
  if (libcrypto().EVP_PKEY_is_a_(key.get(), "RSA")) {
    if (libcrypto().EVP_PKEY_get_bits_(key.get()) < kMinimumRsaBits) {
      return core::fail(
          core::ErrorClass::Config, "jwt.weak_key",
          fmt::format("the RSA key in {} has {} bits; identity servers require at "
                      "least {}",
                      origin, libcrypto().EVP_PKEY_get_bits_(key.get()), kMinimumRsaBits),
          "make a new key and certificate: openssl req -x509 -newkey rsa:2048 "
          "-nodes -keyout key.pem -out cert.pem -days 730 -subj /CN=mailoauth");
    }
    algorithm = JwtAlgorithm::RS256;
  } else if (libcrypto().EVP_PKEY_is_a_(key.get(), "EC")) {
    std::array<char, 64> group{};
    std::size_t group_length = 0;
    if (libcrypto().EVP_PKEY_get_utf8_string_param_(key.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                                    group.data(), group.size(),
                                                    &group_length) != 1 ||
        std::string_view(group.data(), group_length) != "prime256v1") {
      libcrypto().ERR_clear_error_();
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
  libcrypto().ERR_clear_error_();
  std::string signing_input = base64url(header_json) + "." + base64url(payload_json);
  MdContextPtr context(libcrypto().EVP_MD_CTX_new_());
  std::size_t length = 0;
  const auto* input = reinterpret_cast<const unsigned char*>(signing_input.data());
  if (!context ||
      libcrypto().EVP_DigestSignInit_(context.get(), nullptr, libcrypto().EVP_sha256_(), nullptr,
                                      impl_->key.get()) != 1 ||
      libcrypto().EVP_DigestSign_(context.get(), nullptr, &length, input, signing_input.size()) !=
          1) {
    return core::fail(core::ErrorClass::Bug, "jwt.sign",
                      "OpenSSL could not start a signature: " + openssl_errors());
  }
  std::string signature(length, '\0');
  if (libcrypto().EVP_DigestSign_(context.get(), reinterpret_cast<unsigned char*>(signature.data()),
                                  &length, input, signing_input.size()) != 1) {
    return core::fail(core::ErrorClass::Bug, "jwt.sign",
                      "OpenSSL could not sign: " + openssl_errors());
  }
  signature.resize(length);
  if (algorithm_ == JwtAlgorithm::ES256) {
    const auto* der = reinterpret_cast<const unsigned char*>(signature.data());
    EcdsaSignaturePtr parsed(
        libcrypto().d2i_ECDSA_SIG_(nullptr, &der, static_cast<long>(signature.size())));
    std::string raw(64, '\0');
    auto* out = reinterpret_cast<unsigned char*>(raw.data());
    if (!parsed ||
        libcrypto().BN_bn2binpad_(libcrypto().ECDSA_SIG_get0_r_(parsed.get()), out, 32) != 32 ||
        libcrypto().BN_bn2binpad_(libcrypto().ECDSA_SIG_get0_s_(parsed.get()), out + 32, 32) !=
            32) {
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
