// Inside the SMTP client (not for other parts): the State one Session keeps
// and the wire primitives every client_*.cpp file shares — reading a reply
// under one deadline, writing checked command lines, tracing. Split out so
// that connection (client_connection.cpp), AUTH (client_auth.cpp), the
// envelope (client_transaction.cpp) and the content (client_content.cpp)
// each live in a file of their own. Coroutine rules for g++ 12
// (docs/ARCHITECTURE.md, net): free coroutine functions take the State by
// reference and everything else by value, and name every co_await result
// before returning it.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/redact.hpp"
#include "mailoauth/smtp/client.hpp"
#include "mailoauth/smtp/command_line.hpp"

namespace mailoauth::smtp {

using Clock = std::chrono::steady_clock;

// Recipients per pipelined group: the server's replies to one group must fit
// in the socket buffers while we are still writing it, or both sides wait for
// each other. 100 replies of ~50 bytes are far below any buffer.
inline constexpr std::size_t kPipelineBatch = 100;
inline constexpr std::size_t kReadChunk = 64 * 1024;

struct Session::State {
  explicit State(net::Stream s, ClientSettings c) : stream(std::move(s)), settings(std::move(c)) {}
  net::Stream stream;
  ClientSettings settings;
  ReplyParser parser{settings.limits};
  EhloCapabilities capabilities;
  Reply greeting;
  bool broken = false;
  bool in_transaction = false;  // MAIL sent, no final reply or RSET yet
};

// A deadline over several reads or writes, and the time the user gave for
// it: a timeout says "within 5 s" (what was set), not what was left.
struct Deadline {
  Clock::time_point at;
  std::chrono::milliseconds total;
  static Deadline after(std::chrono::milliseconds total) { return {Clock::now() + total, total}; }
  std::chrono::milliseconds remaining() const;
};

void trace(Session::State& state, TraceDirection direction, std::string_view line,
           core::WireContent content = core::WireContent::Normal);
// Each CRLF-separated line of `bytes` to the trace.
void trace_sent(Session::State& state, std::string_view bytes,
                core::WireContent content = core::WireContent::Normal);

// Marks the session broken and closes the connection.
core::Error broke(Session::State& state, core::Error error);
core::Error session_broken_error();

// The next reply, reading as needed until `deadline` (a server that trickles
// one byte at a time does not get a new deadline per byte). `what` names the
// reply in a timeout ("the reply to EHLO").
asio::awaitable<core::Result<Reply>> read_reply(Session::State& state, Deadline deadline,
                                                std::string what);
asio::awaitable<core::Result<Reply>> read_reply(Session::State& state,
                                                std::chrono::milliseconds timeout,
                                                std::string what);
asio::awaitable<core::Result<void>> write_bytes(Session::State& state, std::string_view bytes,
                                                Deadline deadline, std::string what);

// The bytes of pipelined command lines, each traced.
std::string command_bytes(Session::State& state, std::span<const CommandLine> lines);
// One command and its reply, under the command timeout.
asio::awaitable<core::Result<Reply>> command(Session::State& state, CommandLine line);

// Connection (client_connection.cpp).
asio::awaitable<core::Result<std::unique_ptr<Session::State>>> open_state(ClientSettings settings);
asio::awaitable<core::Result<void>> reset_state(Session::State& state);
asio::awaitable<void> quit_state(Session::State& state);
// AUTH (client_auth.cpp).
asio::awaitable<core::Result<sasl::Mechanism>> run_auth(Session::State& state,
                                                        sasl::ClientCredentials credentials,
                                                        std::vector<sasl::Mechanism> allowed);
// Transactions (client_transaction.cpp).
// MAIL and the RCPTs without DATA, then RSET (client_transaction.cpp).
asio::awaitable<core::Result<SendReport>> run_envelope_probe(Session::State& state,
                                                             Envelope envelope);
asio::awaitable<std::vector<core::Result<SendReport>>> run_batch(
    Session::State& state, std::vector<Transaction> transactions);

// Content (client_content.cpp): the message after DATA's 354 (dot-stuffed,
// streamed) or as BDAT chunks, ending with `tail` — the next message's first
// pipelined commands (RFC 2920 3.1) — in its last write.
struct ContentOutcome {
  Reply final_reply;       // the reply to the end of the message, or the first refusal
  bool completed = false;  // the reply ends the transaction (false: a BDAT chunk was refused)
  bool tail_sent = false;
};
asio::awaitable<core::Result<ContentOutcome>> send_data_content(Session::State& state,
                                                                MessageSource& source,
                                                                MessageFacts facts,
                                                                std::span<const CommandLine> tail);
asio::awaitable<core::Result<ContentOutcome>> send_bdat_content(Session::State& state,
                                                                MessageSource& source,
                                                                MessageFacts facts,
                                                                std::span<const CommandLine> tail);

}  // namespace mailoauth::smtp
