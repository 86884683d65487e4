// The IMAP client's transport: the session state's methods (deadlines, the
// redacted wire trace, capability and mailbox bookkeeping, the per-command
// caps), sending chunks, reading responses through the parser, and
// run_command(), the loop every command but AUTHENTICATE goes through: it
// sends the command in chunks, reads until the tagged answer, hands untagged
// data to the command's handler after the session-wide bookkeeping
// (CAPABILITY, BYE, EXISTS/EXPUNGE), and turns a NO/BAD into an Error
// through command_error().
//
// Per-command caps (issue 11): a server that never stops sending untagged
// responses used to make a command collect them until its deadline (413 MB
// in a 10-second plugin run). Each command may now receive at most
// settings.max_untagged_responses untagged responses and
// settings.max_command_bytes bytes before its tagged answer; past either the
// connection is dropped with imap.too_many_responses / imap.answer_too_large.
#include "mailoauth/imap/client_session.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "mailoauth/core/log.hpp"
#include "mailoauth/core/redact.hpp"
#include "mailoauth/imap/command_error.hpp"

namespace mailoauth::imap {

namespace {

using core::ErrorClass;
using detail::Chunk;
using detail::Deadline;
using detail::TraceAs;
using std::chrono::milliseconds;

constexpr std::size_t kReadSize = 64 * 1024;
// A received line longer than this is traced in pieces.
constexpr std::size_t kMaxTracedLine = 4096;

core::Error too_many_responses(const ClientSettings& settings, std::string_view command) {
  return core::Error(
      ErrorClass::Permanent, "imap.too_many_responses",
      fmt::format("{}:{} sent more than {} untagged responses to {} without finishing it; "
                  "gave up (limit max_untagged_responses)",
                  settings.host, settings.port, settings.max_untagged_responses, command),
      "the server is misbehaving, or the answer is larger than any mailbox should need; "
      "if it is legitimate, raise ClientSettings::max_untagged_responses");
}

core::Error answer_too_large(const ClientSettings& settings, std::string_view command) {
  return core::Error(
      ErrorClass::Permanent, "imap.answer_too_large",
      fmt::format("{}:{} sent more than {} MiB in answer to {} without finishing it; gave up "
                  "(limit max_command_bytes)",
                  settings.host, settings.port, settings.max_command_bytes / (1024 * 1024),
                  command),
      "the server is misbehaving, or the answer is larger than any mailbox should need; "
      "if it is legitimate, raise ClientSettings::max_command_bytes");
}

}  // namespace

void Client::Impl::drop() {
  if (stream) stream->close();
  stream.reset();
  authenticated = false;
  selected.reset();
}

Deadline Client::Impl::deadline_after(milliseconds timeout) const {
  Deadline deadline = std::chrono::steady_clock::now() + timeout;
  if (session_deadline && *session_deadline < deadline) deadline = *session_deadline;
  return deadline;
}

core::Error Client::Impl::timeout_error(std::string_view what) const {
  if (session_deadline && std::chrono::steady_clock::now() >= *session_deadline) {
    return core::Error(
        ErrorClass::Temporary, "imap.session_timeout",
        fmt::format("the IMAP session with {}:{} did not finish within {} ms (while {})",
                    settings.host, settings.port, settings.session_timeout.count(), what),
        "the server or the network is slow or stuck; try again, or raise the timeout");
  }
  return core::Error(
      ErrorClass::Temporary, "imap.timeout",
      fmt::format("{}:{} did not answer in time (while {})", settings.host, settings.port, what),
      "the server or the network is slow or stuck; try again, or raise the "
      "timeout");
}

core::Result<std::chrono::milliseconds> Client::Impl::time_left(Deadline deadline,
                                                                std::string_view what) const {
  // Rounded up: a timer that fires a fraction of a millisecond before the
  // session deadline would be reported as the operation's own timeout.
  const auto left = std::chrono::ceil<milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left <= milliseconds(0)) return core::fail(timeout_error(what));
  return left;
}

core::Error Client::Impl::transport_error(core::Error error, std::string_view what) {
  drop();
  if (error.code() == "net.timeout") return timeout_error(what);
  return error;
}

void Client::Impl::trace_sent(const Chunk& chunk) {
  if (!settings.trace) return;
  const std::string_view bytes = chunk.bytes.reveal();
  if (chunk.trace == TraceAs::Summary) {
    settings.trace(WireDirection::Sent, fmt::format("<literal {} bytes>", bytes.size()));
    return;
  }
  std::size_t begin = 0;
  while (begin < bytes.size()) {
    std::size_t end = bytes.find('\n', begin);
    if (end == std::string_view::npos) end = bytes.size();
    std::string_view line = bytes.substr(begin, end - begin);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    settings.trace(WireDirection::Sent,
                   core::redact_wire_line(line, chunk.trace == TraceAs::Credentials
                                                    ? core::WireContent::Credentials
                                                    : core::WireContent::Normal));
    begin = end + 1;
  }
}

void Client::Impl::trace_received(std::string_view bytes) {
  if (!settings.trace) return;
  received_partial.append(bytes);
  std::size_t begin = 0;
  for (;;) {
    const std::size_t end = received_partial.find('\n', begin);
    if (end == std::string::npos) break;
    std::string_view line(received_partial.data() + begin, end - begin);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    settings.trace(WireDirection::Received, core::redact_wire_line(line));
    begin = end + 1;
  }
  received_partial.erase(0, begin);
  if (received_partial.size() > kMaxTracedLine) {
    settings.trace(WireDirection::Received, core::redact_wire_line(received_partial));
    received_partial.clear();
  }
}

void Client::Impl::take_capabilities(const Response& response) {
  const bool carries =
      response.is_data("CAPABILITY") || (response.code && response.code->name == "CAPABILITY");
  if (!carries) return;
  auto parsed = capabilities_from(response);
  if (parsed) {
    capabilities = std::move(*parsed);
    have_capabilities = true;
  }
}

void Client::Impl::begin_command(std::string name) {
  command_name = std::move(name);
  command_untagged = 0;
  command_bytes = 0;
}

core::Result<void> Client::Impl::on_untagged(const Response& response, std::string_view command) {
  if (response.status == Status::Bye && !logging_out) {
    const core::Error error = command_error(command, response);
    drop();
    return core::fail(error);
  }
  take_capabilities(response);
  if (selected) apply_to_selected(*selected, response);
  if (++command_untagged > settings.max_untagged_responses) {
    drop();
    return core::fail(too_many_responses(settings, command));
  }
  return {};
}

namespace detail {

core::Error not_connected() {
  return core::Error(ErrorClass::Temporary, "imap.not_connected",
                     "the IMAP connection is closed (an earlier error ended it)", "connect again");
}

core::Error protocol_error(std::string_view what) {
  return core::Error(ErrorClass::Permanent, "imap.bad_response",
                     fmt::format("the server broke the IMAP protocol: {}", what));
}

asio::awaitable<core::Result<void>> send_chunk(Client::Impl& impl, const Chunk& chunk,
                                               Deadline deadline, std::string what) {
  if (!impl.stream) co_return core::fail(not_connected());
  auto left = impl.time_left(deadline, what);
  if (!left) {
    impl.drop();
    co_return core::fail(left.error());
  }
  impl.trace_sent(chunk);
  auto written = co_await impl.stream->write(chunk.bytes.reveal(), *left);
  if (!written) co_return core::fail(impl.transport_error(written.error(), what));
  co_return core::Result<void>();
}

// The next complete response, reading as needed until `deadline`.
asio::awaitable<core::Result<Response>> read_response(Client::Impl& impl, Deadline deadline,
                                                      std::string what) {
  for (;;) {
    if (!impl.stream) co_return core::fail(not_connected());
    auto next = impl.parser.next();
    if (!next) {
      impl.drop();
      co_return core::fail(next.error());
    }
    if (*next) {
      Response response = std::move(**next);
      co_return response;
    }
    auto left = impl.time_left(deadline, what);
    if (!left) {
      impl.drop();
      co_return core::fail(left.error());
    }
    auto chunk = co_await impl.stream->read_some(kReadSize, *left);
    if (!chunk) co_return core::fail(impl.transport_error(chunk.error(), what));
    impl.trace_received(*chunk);
    impl.command_bytes += chunk->size();
    if (impl.command_bytes > impl.settings.max_command_bytes) {
      impl.drop();
      co_return core::fail(answer_too_large(impl.settings, impl.command_name));
    }
    auto fed = impl.parser.feed(*chunk);
    if (!fed) {
      impl.drop();
      co_return core::fail(fed.error());
    }
    if (*fed) {
      Response response = std::move(**fed);
      co_return response;
    }
  }
}

// Sends `chunks` (the tag is put in front) and reads up to the tagged answer.
// `name` says what the command is in errors, `mailbox` what it was about.
// With `idle_deadline` the command deadline restarts at every untagged
// response (long FETCH streams).
asio::awaitable<core::Result<Response>> run_command(Client::Impl& impl, std::string name,
                                                    std::vector<Chunk> chunks,
                                                    UntaggedHandler handler, std::string mailbox,
                                                    bool idle_deadline) {
  if (!impl.stream) co_return core::fail(not_connected());
  impl.begin_command(name);
  const std::string tag = impl.tag();
  {
    std::string first = tag + " ";
    first.append(chunks.front().bytes.reveal());
    chunks.front().bytes = core::Secret::take(std::move(first));
  }
  Deadline deadline = impl.deadline_after(impl.settings.command_timeout);
  const std::string what = fmt::format("waiting for the answer to {}", name);
  std::optional<core::Error> handler_error;
  for (std::size_t i = 0; i <= chunks.size(); ++i) {
    const bool sending = i < chunks.size();
    if (sending) {
      auto sent = co_await send_chunk(impl, chunks[i], deadline, fmt::format("sending {}", name));
      if (!sent) co_return core::fail(sent.error());
      if (!chunks[i].await_continuation) continue;
    }
    // Read until "+" (a synchronising literal may follow) or the tagged answer.
    for (;;) {
      auto response = co_await read_response(impl, deadline, what);
      if (!response) co_return core::fail(response.error());
      if (response->kind == ResponseKind::Continuation) {
        if (sending) break;
        impl.drop();
        co_return core::fail(protocol_error(fmt::format("an unexpected \"+\" during {}", name)));
      }
      if (response->kind == ResponseKind::Untagged) {
        auto noted = impl.on_untagged(*response, name);
        if (!noted) co_return core::fail(noted.error());
        if (handler && !handler_error) {
          auto handled = handler(*response);
          if (!handled) handler_error = handled.error();
        }
        if (idle_deadline) deadline = impl.deadline_after(impl.settings.command_timeout);
        continue;
      }
      if (response->tag != tag) {
        impl.drop();
        co_return core::fail(
            protocol_error(fmt::format("a tagged answer for \"{}\" while waiting for {}",
                                       core::escape_control_characters(response->tag), tag)));
      }
      impl.take_capabilities(*response);
      if (response->status != Status::Ok) {
        co_return core::fail(command_error(name, *response, mailbox));
      }
      if (sending) {
        impl.drop();
        co_return core::fail(protocol_error(fmt::format("OK before the literal of {}", name)));
      }
      if (handler_error) co_return core::fail(*handler_error);
      co_return std::move(*response);
    }
  }
  co_return core::fail(
      core::Error(ErrorClass::Bug, "imap.unreachable", "run_command fell through"));
}

asio::awaitable<core::Result<Capabilities>> request_capabilities(Client::Impl& impl) {
  impl.have_capabilities = false;
  auto answer = co_await run_command(impl, "CAPABILITY", one_line("CAPABILITY"), {}, {}, false);
  if (!answer) co_return core::fail(answer.error());
  if (!impl.have_capabilities) {
    co_return core::fail(protocol_error("no CAPABILITY data in the answer to CAPABILITY"));
  }
  Capabilities capabilities = impl.capabilities;
  co_return capabilities;
}

}  // namespace detail

}  // namespace mailoauth::imap
