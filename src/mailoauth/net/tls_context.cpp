// TlsContext and ReloadableTlsContext on OpenSSL 3 directly (no Asio: a
// context is only settings; net::Stream makes each connection's SSL from
// it). Every failure to read a file is a Config error naming the file and
// OpenSSL's reason, since an admin must fix the file.
#include "mailoauth/net/tls_context.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "mailoauth/core/log.hpp"

namespace mailoauth::net {

namespace {

using core::ErrorClass;

int openssl_version(TlsVersion version) {
  switch (version) {
    case TlsVersion::Tls10:
      return TLS1_VERSION;
    case TlsVersion::Tls11:
      return TLS1_1_VERSION;
    case TlsVersion::Tls12:
      return TLS1_2_VERSION;
    case TlsVersion::Tls13:
      return TLS1_3_VERSION;
  }
  return TLS1_2_VERSION;
}

// OpenSSL's last queued reason ("no such file", "key values mismatch"), and
// the queue emptied so it does not leak into a later error.
std::string openssl_reason() {
  const unsigned long code = ERR_peek_last_error();
  const char* text = code != 0 ? ERR_reason_error_string(code) : nullptr;
  std::string reason = text != nullptr ? text
                       : code != 0     ? fmt::format("OpenSSL error {:x}", code)
                                       : "unknown reason";
  ERR_clear_error();
  return reason;
}

// Minimum version; below TLS 1.2 also security level 0 (see the header).
void set_minimum(SSL_CTX* context, TlsVersion minimum) {
  SSL_CTX_set_min_proto_version(context, openssl_version(minimum));
  if (minimum == TlsVersion::Tls10 || minimum == TlsVersion::Tls11) {
    SSL_CTX_set_security_level(context, 0);
  }
}

std::string subject_of(SSL_CTX* context) {
  X509* certificate = SSL_CTX_get0_certificate(context);
  if (certificate == nullptr) return {};
  char buffer[512];
  X509_NAME_oneline(X509_get_subject_name(certificate), buffer, sizeof buffer);
  return core::escape_control_characters(buffer);
}

}  // namespace

TlsContext::TlsContext(TlsRole role, ssl_ctx_st* context) : role_(role), context_(context) {}

TlsContext::~TlsContext() {
  SSL_CTX_free(context_);  // connections made from it hold references of their own
}

core::Result<std::shared_ptr<TlsContext>> TlsContext::make(TlsRole role, TlsVersion minimum) {
  SSL_CTX* native =
      SSL_CTX_new(role == TlsRole::Client ? TLS_client_method() : TLS_server_method());
  if (native == nullptr) {
    return core::fail(ErrorClass::Bug, "net.tls_context",
                      fmt::format("cannot make a TLS context: {}", openssl_reason()));
  }
  std::shared_ptr<TlsContext> context(new TlsContext(role, native));
  set_minimum(native, minimum);
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  context->minimum_ = minimum;
  return context;
}

core::Result<std::shared_ptr<const TlsContext>> TlsContext::client(TlsSettings settings) {
  auto made = make(TlsRole::Client, settings.minimum);
  if (!made) return core::fail(made.error());
  std::shared_ptr<TlsContext> context = std::move(*made);
  SSL_CTX* native = context->context_;
  if (settings.verify) {
    SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
    if (!settings.ca_file.empty()) {
      if (SSL_CTX_load_verify_locations(native, settings.ca_file.c_str(), nullptr) != 1) {
        return core::fail(
            ErrorClass::Config, "net.ca_file",
            fmt::format("cannot load the CA file {}: {}", settings.ca_file, openssl_reason()),
            "give a PEM file with the CA certificate(s)");
      }
    } else if (SSL_CTX_set_default_verify_paths(native) != 1) {
      return core::fail(ErrorClass::Config, "net.ca_file",
                        fmt::format("cannot load the system's trust store: {}", openssl_reason()),
                        "install ca-certificates, or name a CA file");
    }
  } else {
    SSL_CTX_set_verify(native, SSL_VERIFY_NONE, nullptr);
  }
  context->client_settings_ = std::move(settings);
  return std::shared_ptr<const TlsContext>(std::move(context));
}

core::Result<std::shared_ptr<const TlsContext>> TlsContext::server(ServerTlsSettings settings) {
  auto made = make(TlsRole::Server, settings.minimum);
  if (!made) return core::fail(made.error());
  std::shared_ptr<TlsContext> context = std::move(*made);
  SSL_CTX* native = context->context_;
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_verify(native, SSL_VERIFY_NONE, nullptr);  // clients authenticate with SASL
  if (SSL_CTX_use_certificate_chain_file(native, settings.certificate_file.c_str()) != 1) {
    return core::fail(ErrorClass::Config, "net.certificate_file",
                      fmt::format("cannot load the certificate chain {}: {}",
                                  settings.certificate_file, openssl_reason()),
                      "give a PEM file with the server's certificate first, then its chain");
  }
  if (SSL_CTX_use_PrivateKey_file(native, settings.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
      ERR_clear_error();
      return core::fail(ErrorClass::Config, "net.key_mismatch",
                        fmt::format("the key {} does not belong to the certificate {}",
                                    settings.key_file, settings.certificate_file),
                        "give the key the certificate was issued for");
    }
    return core::fail(
        ErrorClass::Config, "net.key_file",
        fmt::format("cannot load the private key {}: {}", settings.key_file, openssl_reason()),
        "give the certificate's private key as an unencrypted PEM file readable by this user "
        "(`openssl pkey -in KEY -out KEY.plain` removes a passphrase)");
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return core::fail(ErrorClass::Config, "net.key_mismatch",
                      fmt::format("the key {} does not belong to the certificate {}: {}",
                                  settings.key_file, settings.certificate_file, openssl_reason()),
                      "give the key the certificate was issued for");
  }
  context->certificate_subject_ = subject_of(native);
  return std::shared_ptr<const TlsContext>(std::move(context));
}

struct ReloadableTlsContext::State {
  ServerTlsSettings settings;
  mutable std::mutex mutex;
  std::shared_ptr<const TlsContext> current;
};

ReloadableTlsContext::ReloadableTlsContext(std::unique_ptr<State> state)
    : state_(std::move(state)) {}
ReloadableTlsContext::ReloadableTlsContext(ReloadableTlsContext&&) noexcept = default;
ReloadableTlsContext& ReloadableTlsContext::operator=(ReloadableTlsContext&&) noexcept = default;
ReloadableTlsContext::~ReloadableTlsContext() = default;

core::Result<ReloadableTlsContext> ReloadableTlsContext::load(ServerTlsSettings settings) {
  auto context = TlsContext::server(settings);
  if (!context) return core::fail(context.error());
  auto state = std::make_unique<State>();
  state->settings = std::move(settings);
  state->current = std::move(*context);
  return ReloadableTlsContext(std::move(state));
}

std::shared_ptr<const TlsContext> ReloadableTlsContext::current() const {
  std::lock_guard lock(state_->mutex);
  return state_->current;
}

core::Result<void> ReloadableTlsContext::reload() {
  auto context = TlsContext::server(state_->settings);
  if (!context) {
    core::Error error = context.error();
    error.context("reloading the TLS certificate (the previous one stays in use)");
    return core::fail(error);
  }
  std::lock_guard lock(state_->mutex);
  state_->current = std::move(*context);
  return {};
}

}  // namespace mailoauth::net
