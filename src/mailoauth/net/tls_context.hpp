// The TLS settings of one destination or one listener, made once and shared
// by all of its connections: an OpenSSL SSL_CTX built from TlsSettings (a
// client: verification, CA file, minimum version) or from
// ServerTlsSettings (a server: certificate chain and key files, minimum
// version). Building it reads and checks the files, so a bad CA file, a
// certificate that does not match its key or an unreadable key is a Config
// error at start-up, not at the first connection. Each connection takes its
// own reference (OpenSSL counts them), so a context can be replaced while
// connections made with it go on.
//
// ReloadableTlsContext is a listener's context that can be read again from
// its files (on SIGHUP, when certificates are renewed): new connections get
// the new context, open ones keep the one they started with; a reload that
// fails keeps the old context and says why.
//
// TLS 1.0 and 1.1 (old printers and ERPs): OpenSSL 3 refuses them at its
// default security level 1 even when the minimum version allows them (their
// handshake signs with MD5+SHA-1: "no suitable signature algorithm"). A
// minimum of tls10 or tls11 therefore also sets security level 0 (as the
// cipher string "DEFAULT:@SECLEVEL=0" would), only for that context. Debian
// 12's OpenSSL 3.0 then negotiates TLS 1.0 (measured with s_client -tls1).
//
// No Asio and no OpenSSL headers here: the SSL_CTX is opaque.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "mailoauth/core/error.hpp"
#include "mailoauth/net/connection_settings.hpp"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace mailoauth::net {

struct ServerTlsSettings {
  std::string certificate_file;  // PEM: the certificate first, then its chain
  std::string key_file;          // PEM private key, not encrypted
  TlsVersion minimum = TlsVersion::Tls12;
};

enum class TlsRole { Client, Server };

class TlsContext {
 public:
  // A client context for one destination: verification on unless
  // settings.verify is false, the CA file or the system's trust store.
  // settings.server_name (or, when empty, the host connected to) is checked
  // per connection.
  static core::Result<std::shared_ptr<const TlsContext>> client(TlsSettings settings);
  // A server context: the certificate chain and key are read and checked
  // against each other now.
  static core::Result<std::shared_ptr<const TlsContext>> server(ServerTlsSettings settings);

  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  ~TlsContext();

  TlsRole role() const { return role_; }
  // Client contexts: the settings they were made from.
  const TlsSettings& client_settings() const { return client_settings_; }
  TlsVersion minimum() const { return minimum_; }
  // The certificate's subject (server contexts; for logs and tests).
  const std::string& certificate_subject() const { return certificate_subject_; }
  // For net::Stream: each connection makes its SSL from this.
  ssl_ctx_st* native_handle() const { return context_; }

 private:
  TlsContext(TlsRole role, ssl_ctx_st* context);
  // A new SSL_CTX for the role with the minimum version (and its security level).
  static core::Result<std::shared_ptr<TlsContext>> make(TlsRole role, TlsVersion minimum);
  TlsRole role_;
  ssl_ctx_st* context_;
  TlsSettings client_settings_;
  TlsVersion minimum_ = TlsVersion::Tls12;
  std::string certificate_subject_;
};

class ReloadableTlsContext {
 public:
  static core::Result<ReloadableTlsContext> load(ServerTlsSettings settings);

  ReloadableTlsContext(ReloadableTlsContext&&) noexcept;
  ReloadableTlsContext& operator=(ReloadableTlsContext&&) noexcept;
  ~ReloadableTlsContext();

  // The context for the next connection (thread-safe).
  std::shared_ptr<const TlsContext> current() const;
  // Reads the files again; on success the next current() is the new context,
  // on failure the old one stays and the error says what is wrong.
  core::Result<void> reload();

 private:
  struct State;
  explicit ReloadableTlsContext(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace mailoauth::net
