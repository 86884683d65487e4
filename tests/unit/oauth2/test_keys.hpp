// Test helper: keys and self-signed certificates made per test with the
// `openssl` command in a temporary directory (removed at the end), and the
// independent checks the signing tests compare against: thumbprints computed
// by the openssl command line, signatures verified with OpenSSL's EVP verify
// against the certificate's public key, JWT parts and form bodies decoded here
// rather than with the code under test.
#pragma once

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>

#include "mailoauth/core/base64.hpp"

namespace mailoauth::testing {

namespace fs = std::filesystem;

class TemporaryDirectory {
 public:
  TemporaryDirectory() {
    std::string pattern = (fs::temp_directory_path() / "mailoauth-keys-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
  ~TemporaryDirectory() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Runs a shell command; its stdout, or "" with `ok` false when it failed.
inline std::string run_command(const std::string& command, bool* ok = nullptr) {
  struct PipeCloser {
    void operator()(FILE* pipe) const noexcept { ::pclose(pipe); }
  };
  std::string output;
  FILE* raw = ::popen((command + " 2>/dev/null").c_str(), "r");
  if (raw == nullptr) {
    if (ok) *ok = false;
    return output;
  }
  std::array<char, 4096> buffer{};
  std::size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), raw)) > 0)
    output.append(buffer.data(), n);
  const int status = ::pclose(raw);
  if (ok) *ok = status == 0;
  return output;
}

inline std::string read_file(const fs::path& path) {
  std::ifstream stream(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << stream.rdbuf();
  return buffer.str();
}

// key.pem + cert.pem in `directory`: "rsa" (2048 bits) or "ec" (P-256).
inline bool make_key_and_certificate(const fs::path& directory, const std::string& type = "rsa",
                                     const std::string& name = "") {
  const std::string key = (directory / (name + "key.pem")).string();
  const std::string cert = (directory / (name + "cert.pem")).string();
  const std::string algorithm =
      type == "ec" ? "-newkey ec -pkeyopt ec_paramgen_curve:P-256" : "-newkey rsa:2048";
  bool ok = false;
  run_command("openssl req -x509 " + algorithm +
                  " -nodes -days 2 -subj /CN=mailoauth-test -keyout '" + key + "' -out '" + cert +
                  "'",
              &ok);
  return ok;
}

// x5t#S256 as the openssl command line computes it.
inline std::string openssl_thumbprint_sha256(const fs::path& certificate) {
  return run_command("openssl x509 -in '" + certificate.string() +
                     "' -outform DER | openssl dgst -sha256 -binary | base64 -w0 | tr '+/' '-_' | "
                     "tr -d '='");
}

inline std::string base64url_decode(std::string_view text) {
  auto bytes =
      core::base64::decode(text, core::base64::Alphabet::UrlSafe, core::base64::Padding::Omitted);
  return bytes ? *bytes : std::string();
}

struct JwtParts {
  nlohmann::json header;
  nlohmann::json payload;
  std::string signing_input;  // header.payload as sent
  std::string signature;      // raw bytes
};

inline JwtParts split_jwt(std::string_view jwt) {
  JwtParts parts;
  const auto first = jwt.find('.');
  const auto second = jwt.find('.', first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos) return parts;
  parts.header = nlohmann::json::parse(base64url_decode(jwt.substr(0, first)), nullptr, false);
  parts.payload = nlohmann::json::parse(base64url_decode(jwt.substr(first + 1, second - first - 1)),
                                        nullptr, false);
  parts.signing_input = std::string(jwt.substr(0, second));
  parts.signature = base64url_decode(jwt.substr(second + 1));
  return parts;
}

// Verifies a JWS signature (RS256, or ES256 as r||s) with the certificate's public key.
inline bool verify_with_certificate(const JwtParts& parts, const fs::path& certificate) {
  struct Free {
    void operator()(BIO* bio) const noexcept { BIO_free(bio); }
    void operator()(X509* x509) const noexcept { X509_free(x509); }
    void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
    void operator()(EVP_MD_CTX* context) const noexcept { EVP_MD_CTX_free(context); }
    void operator()(ECDSA_SIG* signature) const noexcept { ECDSA_SIG_free(signature); }
  };
  const std::string pem = read_file(certificate);
  std::unique_ptr<BIO, Free> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::unique_ptr<X509, Free> x509(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!x509) return false;
  std::unique_ptr<EVP_PKEY, Free> key(X509_get_pubkey(x509.get()));
  std::string signature = parts.signature;
  if (EVP_PKEY_is_a(key.get(), "EC")) {
    if (signature.size() != 64) return false;
    std::unique_ptr<ECDSA_SIG, Free> ecdsa(ECDSA_SIG_new());
    const auto* raw = reinterpret_cast<const unsigned char*>(signature.data());
    ECDSA_SIG_set0(ecdsa.get(), BN_bin2bn(raw, 32, nullptr), BN_bin2bn(raw + 32, 32, nullptr));
    unsigned char* der = nullptr;
    const int length = i2d_ECDSA_SIG(ecdsa.get(), &der);
    signature.assign(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
    OPENSSL_free(der);
  }
  std::unique_ptr<EVP_MD_CTX, Free> context(EVP_MD_CTX_new());
  return EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha256(), nullptr, key.get()) == 1 &&
         EVP_DigestVerify(context.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(),
                          reinterpret_cast<const unsigned char*>(parts.signing_input.data()),
                          parts.signing_input.size()) == 1;
}

// The fields of an application/x-www-form-urlencoded body, decoded, in order.
inline std::vector<std::pair<std::string, std::string>> parse_form(std::string_view body) {
  const auto decode = [](std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '+') {
        out += ' ';
      } else if (text[i] == '%' && i + 2 < text.size()) {
        out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        out += text[i];
      }
    }
    return out;
  };
  std::vector<std::pair<std::string, std::string>> fields;
  std::size_t start = 0;
  while (start <= body.size()) {
    const auto end = std::min(body.find('&', start), body.size());
    const auto field = body.substr(start, end - start);
    const auto equals = field.find('=');
    fields.emplace_back(decode(field.substr(0, equals)),
                        equals == std::string_view::npos ? "" : decode(field.substr(equals + 1)));
    start = end + 1;
  }
  return fields;
}

inline std::string form_value(const std::vector<std::pair<std::string, std::string>>& fields,
                              const std::string& name) {
  for (const auto& [key, value] : fields) {
    if (key == name) return value;
  }
  return "\x01missing";
}

// The body of the HTTP request a LocalHttpPeer received.
inline std::string http_body(const std::string& received) {
  const auto end = received.find("\r\n\r\n");
  return end == std::string::npos ? std::string() : received.substr(end + 4);
}

inline std::string http_answer(const std::string& status_line, const std::string& body) {
  return "HTTP/1.1 " + status_line +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

}  // namespace mailoauth::testing
