// The SMTP client's wire primitives (client_state.hpp): replies read under
// one deadline for the whole reply, bytes written under a deadline, checked
// command lines traced and sent. A timeout names what was awaited and the
// deadline the user set, not the time that happened to be left.
#include <algorithm>

#include <fmt/format.h>

#include "mailoauth/smtp/client_state.hpp"

namespace mailoauth::smtp {

using core::ErrorClass;
using core::Result;

namespace {

std::string duration_text(milliseconds duration) {
  if (duration.count() % 1000 == 0) return fmt::format("{} s", duration.count() / 1000);
  return fmt::format("{} ms", duration.count());
}

// net::Stream reports the time it was given for one read; over a reply of
// several reads that is only what was left, so the error is told again.
core::Error with_deadline(const Session::State& state, core::Error error, const Deadline& deadline,
                          std::string_view what, std::string_view direction) {
  if (error.code() != "net.timeout") return error;
  return core::Error(
      ErrorClass::Temporary, "net.timeout",
      fmt::format("{} {} {} did not complete within {}", what, direction, state.stream.peer(),
                  duration_text(deadline.total)),
      "the server or the network is slow or blocking; try again, or raise the timeout");
}

void trace_reply(Session::State& state, const Reply& reply) {
  if (!state.settings.trace) return;
  for (std::size_t i = 0; i < reply.lines.size(); ++i) {
    const char separator = i + 1 < reply.lines.size() ? '-' : ' ';
    trace(state, TraceDirection::Received,
          fmt::format("{}{}{}", reply.code, separator, reply.lines[i]));
  }
}

}  // namespace

milliseconds Deadline::remaining() const {
  auto left = std::chrono::duration_cast<milliseconds>(at - Clock::now());
  return std::max(left, milliseconds(1));
}

void trace(Session::State& state, TraceDirection direction, std::string_view line,
           core::WireContent content) {
  if (!state.settings.trace) return;
  state.settings.trace(direction, core::redact_wire_line(line, content));
}

void trace_sent(Session::State& state, std::string_view bytes, core::WireContent content) {
  if (!state.settings.trace) return;
  while (!bytes.empty()) {
    std::size_t end = bytes.find("\r\n");
    std::string_view line = bytes.substr(0, end);
    trace(state, TraceDirection::Sent, line, content);
    if (end == std::string_view::npos) break;
    bytes.remove_prefix(end + 2);
  }
}

core::Error broke(Session::State& state, core::Error error) {
  state.broken = true;
  state.stream.close();
  return error;
}

core::Error session_broken_error() {
  return core::Error(ErrorClass::Bug, "smtp.session_broken",
                     "the SMTP session is broken; open a new one");
}

asio::awaitable<Result<Reply>> read_reply(Session::State& state, Deadline deadline,
                                          std::string what) {
  auto ready = state.parser.next();
  while (ready && !*ready) {
    auto chunk = co_await state.stream.read_some(kReadChunk, deadline.remaining());
    if (!chunk) {
      co_return core::fail(
          broke(state, with_deadline(state, std::move(chunk.error()), deadline, what, "from")));
    }
    ready = state.parser.feed(*chunk);
  }
  if (!ready) {
    core::Error error = ready.error();
    error.context(fmt::format("reading the reply of {}", state.stream.peer()));
    co_return core::fail(broke(state, std::move(error)));
  }
  Reply reply = std::move(**ready);
  trace_reply(state, reply);
  co_return reply;
}

asio::awaitable<Result<Reply>> read_reply(Session::State& state, milliseconds timeout,
                                          std::string what) {
  auto reply = co_await read_reply(state, Deadline::after(timeout), std::move(what));
  co_return reply;
}

asio::awaitable<Result<void>> write_bytes(Session::State& state, std::string_view bytes,
                                          Deadline deadline, std::string what) {
  auto written = co_await state.stream.write(bytes, deadline.remaining());
  if (!written) {
    co_return core::fail(
        broke(state, with_deadline(state, std::move(written.error()), deadline, what, "to")));
  }
  co_return Result<void>();
}

std::string command_bytes(Session::State& state, std::span<const CommandLine> lines) {
  std::string bytes;
  for (const CommandLine& line : lines) {
    trace(state, TraceDirection::Sent, line.text());
    bytes += line.text();
    bytes += "\r\n";
  }
  return bytes;
}

asio::awaitable<Result<Reply>> command(Session::State& state, CommandLine line) {
  const std::string bytes = command_bytes(state, std::span<const CommandLine>(&line, 1));
  const std::string verb = line.text().substr(0, line.text().find(' '));
  auto written = co_await write_bytes(
      state, bytes, Deadline::after(state.settings.timeouts.command), "sending " + verb);
  if (!written) co_return core::fail(written.error());
  auto reply = co_await read_reply(state, state.settings.timeouts.command, "the reply to " + verb);
  co_return reply;
}

}  // namespace mailoauth::smtp
