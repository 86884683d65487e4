// How the IMAP client connects and how long it may take, as plain data (no
// Asio), shared by the coroutine Client and the synchronous SyncClient:
// the server, implicit TLS (993) or STARTTLS (143), the network settings of
// net/ (and optionally a TLS context shared per server), three deadlines,
// the parser's and the per-command limits, and an optional wire trace.
//
// Deadlines: `connect_timeout` bounds DNS + TCP + TLS handshake + greeting;
// `command_timeout` bounds each command from sending it to its tagged answer
// (for UID FETCH: the wait for each next message, so a long stream of data
// is not cut while a silent server still is); `session_timeout`, counted from
// connect(), bounds everything, so a plugin's -t is kept whatever the server
// does. Zero means "no session deadline", never "no deadline" for the others.
//
// The trace sees every line sent and received after core::redact_wire_line:
// LOGIN passwords, AUTHENTICATE initial responses and SASL continuation
// answers arrive as `<redacted N bytes>`, never as their bytes.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "mailoauth/imap/response_parser.hpp"
#include "mailoauth/net/connection_settings.hpp"
#include "mailoauth/net/tls_context.hpp"

namespace mailoauth::imap {

enum class TlsMode {
  Implicit,  // TLS from the first byte (port 993)
  StartTls,  // plain TCP, then STARTTLS, refused if the server does not offer it (port 143)
};

enum class WireDirection { Sent, Received };

// One redacted line (without CRLF) per call.
using WireTrace = std::function<void(WireDirection direction, std::string_view line)>;

// Longest command line (tag to CRLF) the client sends with an inline SASL
// initial response (SASL-IR); a longer AUTHENTICATE goes in the continuation
// form. RFC 7162 asks servers to accept 8192-octet lines; Dovecot takes 64 KiB,
// but the uncertain lower limits seen elsewhere are near 8 KB (FACTS.md 1).
inline constexpr std::size_t kMaxInlineCommandLine = 8192;

struct ClientSettings {
  std::string host;
  std::uint16_t port = 993;
  TlsMode tls_mode = TlsMode::Implicit;
  net::NetType net_type = net::NetType::Auto;
  net::TlsSettings tls;  // minimum version, CA file, verification (on), server name
  // Optional: one context for every connection to this server (made with
  // net::TlsContext::client, which reads the CA file once); when empty, the
  // client makes one from `tls` at its first connect() and keeps it.
  std::shared_ptr<const net::TlsContext> tls_context;

  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds command_timeout{30'000};
  std::chrono::milliseconds session_timeout{0};  // 0: none beyond the other two

  ParserLimits limits;
  // What one command may receive before its tagged answer: untagged
  // responses and bytes (a server that never stops sending would otherwise
  // fill memory until the deadline). Past either the connection is dropped
  // with imap.too_many_responses / imap.answer_too_large (Permanent). The
  // defaults are far above any honest answer: a LIST of 100,000 folders, a
  // FETCH batch, or a UID FETCH of one 64 MiB message body (the parser's own
  // per-response limit is 96 MiB, so one such response always fits); and
  // they bound what a command can collect (a million LIST entries: 148 MiB
  // peak for the whole test process, tests/integration/imap/client_limits_test.cpp).
  std::uint64_t max_untagged_responses = 1'000'000;
  std::uint64_t max_command_bytes = 256ull * 1024 * 1024;
  // Without ESEARCH, UID SEARCH runs over windows of this many UIDs, so the
  // answer stays under the parser's line limit (5000 UIDs of up to 10 digits
  // is at most 55 KB, under 64 KiB) whatever the folder's size.
  std::uint64_t search_window = 5000;
  // Tests turn these off to exercise the plain forms against a server that
  // has the extensions: ESEARCH, LITERAL+/LITERAL- and SASL-IR.
  bool use_esearch = true;
  bool use_literal_plus = true;
  bool use_sasl_ir = true;

  WireTrace trace;  // empty: no trace
};

}  // namespace mailoauth::imap
