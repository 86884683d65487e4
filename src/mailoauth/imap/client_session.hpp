// Internal to the IMAP client (client_*.cpp): the session's state behind
// Client (a Stream, a ResponseParser, the tag counter, the capabilities, the
// examined mailbox, the deadlines and the per-command counters) and the one
// loop every command goes through, run_command(). The commands themselves
// live by concern: client_connection.cpp (connect, CAPABILITY, ID, LOGOUT),
// client_authentication.cpp (LOGIN, AUTHENTICATE), client_mailbox.cpp (LIST,
// STATUS, CREATE, DELETE, EXAMINE, SELECT), client_messages.cpp (UID SEARCH,
// UID FETCH, APPEND, UID STORE, UID EXPUNGE, NOOP); client_session.cpp has the transport (send,
// read, the loop, the trace).
//
// The coroutines are free functions taking the session by reference and
// everything else by value; results are named before co_return (g++ 12
// double-frees otherwise, see docs/ARCHITECTURE.md, net).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/imap/client.hpp"
#include "mailoauth/imap/client_command.hpp"
#include "mailoauth/imap/response_parser.hpp"

namespace mailoauth::imap {

namespace detail {

using Deadline = std::chrono::steady_clock::time_point;

// Dispatch of untagged data to the running command; an error stops it.
using UntaggedHandler = std::function<core::Result<void>(const Response&)>;

}  // namespace detail

struct Client::Impl {
  using Deadline = detail::Deadline;
  using milliseconds = std::chrono::milliseconds;

  explicit Impl(ClientSettings s) : settings(std::move(s)), parser(settings.limits) {}

  ClientSettings settings;
  std::optional<net::Stream> stream;
  ResponseParser parser;
  Capabilities capabilities;
  Capabilities capabilities_before_tls;  // what the plain connection said (STARTTLS only)
  bool have_capabilities = false;
  bool authenticated = false;
  bool logging_out = false;
  std::optional<SelectedMailbox> selected;
  std::string greeting;
  std::uint64_t next_tag = 1;
  std::optional<Deadline> session_deadline;
  std::string received_partial;  // traced bytes not yet ending in LF

  // What the running command has received so far (untagged responses and
  // bytes), against settings.max_untagged_responses / max_command_bytes.
  std::string command_name;
  std::uint64_t command_untagged = 0;
  std::uint64_t command_bytes = 0;

  detail::CommandBuilder builder() const {
    const bool plus = settings.use_literal_plus && capabilities.has("LITERAL+");
    const bool minus = settings.use_literal_plus && capabilities.has("LITERAL-");
    return detail::CommandBuilder(plus, minus);
  }

  void drop();
  Deadline deadline_after(milliseconds timeout) const;
  core::Error timeout_error(std::string_view what) const;
  // What is left until `deadline`, or the timeout error.
  core::Result<milliseconds> time_left(Deadline deadline, std::string_view what) const;
  // A stream error, with net.timeout restated as the session's when that ran out.
  core::Error transport_error(core::Error error, std::string_view what);
  void trace_sent(const detail::Chunk& chunk);
  void trace_received(std::string_view bytes);
  void take_capabilities(const Response& response);
  // Starts counting for a new command.
  void begin_command(std::string name);
  // Session bookkeeping for any untagged response (BYE ends the session) and
  // the command's count of them, which ends it past the limit.
  core::Result<void> on_untagged(const Response& response, std::string_view command);
  std::string tag() { return fmt::format("M{}", next_tag++); }
};

namespace detail {

core::Error not_connected();
core::Error protocol_error(std::string_view what);

// --- transport (client_session.cpp) ---
asio::awaitable<core::Result<void>> send_chunk(Client::Impl& impl, const Chunk& chunk,
                                               Deadline deadline, std::string what);
// The next complete response, reading as needed until `deadline`.
asio::awaitable<core::Result<Response>> read_response(Client::Impl& impl, Deadline deadline,
                                                      std::string what);
// Sends `chunks` (the tag is put in front) and reads up to the tagged answer.
// `name` says what the command is in errors, `mailbox` what it was about.
// With `idle_deadline` the command deadline restarts at every untagged
// response (long FETCH streams).
asio::awaitable<core::Result<Response>> run_command(Client::Impl& impl, std::string name,
                                                    std::vector<Chunk> chunks,
                                                    UntaggedHandler handler, std::string mailbox,
                                                    bool idle_deadline);
asio::awaitable<core::Result<Capabilities>> request_capabilities(Client::Impl& impl);

// --- connection (client_connection.cpp) ---
asio::awaitable<core::Result<void>> connect_session(Client::Impl& impl);
asio::awaitable<core::Result<IdFields>> id_session(Client::Impl& impl, IdFields ours);
asio::awaitable<core::Result<void>> logout_session(Client::Impl& impl);

// --- authentication (client_authentication.cpp) ---
asio::awaitable<core::Result<void>> login_session(Client::Impl& impl, std::string user,
                                                  core::Secret password);
asio::awaitable<core::Result<void>> authenticate_session(Client::Impl& impl,
                                                         sasl::Mechanism mechanism,
                                                         sasl::ClientCredentials credentials);

// --- mailboxes (client_mailbox.cpp) ---
asio::awaitable<core::Result<std::vector<ListEntry>>> list_session(Client::Impl& impl,
                                                                   std::string reference,
                                                                   std::string pattern);
asio::awaitable<core::Result<MailboxStatus>> status_session(Client::Impl& impl,
                                                            std::string mailbox);
// CREATE or DELETE of one mailbox.
asio::awaitable<core::Result<void>> mailbox_session(Client::Impl& impl, std::string verb,
                                                    std::string mailbox);
asio::awaitable<core::Result<SelectedMailbox>> examine_session(Client::Impl& impl,
                                                               std::string mailbox);
// SELECT: read-write, for the commands that change flags or expunge.
asio::awaitable<core::Result<SelectedMailbox>> select_session(Client::Impl& impl,
                                                              std::string mailbox);

// --- messages (client_messages.cpp) ---
asio::awaitable<core::Result<SearchResult>> search_session(Client::Impl& impl, std::string criteria,
                                                           bool want_uids);
asio::awaitable<core::Result<std::uint64_t>> fetch_session(Client::Impl& impl, std::string uid_set,
                                                           FetchRequest request,
                                                           FetchCallback callback);
asio::awaitable<core::Result<AppendResult>> append_session(Client::Impl& impl, std::string mailbox,
                                                           std::string message,
                                                           AppendOptions options);
// UID STORE set +FLAGS.SILENT (flags), UID EXPUNGE set (EXPUNGE without
// UIDPLUS), NOOP (lets the server report new messages).
asio::awaitable<core::Result<void>> add_flags_session(Client::Impl& impl, std::string uid_set,
                                                      std::vector<std::string> flags);
asio::awaitable<core::Result<void>> expunge_session(Client::Impl& impl, std::string uid_set);
asio::awaitable<core::Result<void>> noop_session(Client::Impl& impl);

}  // namespace detail

}  // namespace mailoauth::imap
