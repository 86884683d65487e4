// The SMTP client's message content, streamed from a MessageSource one chunk
// at a time: after DATA's 354 through the dot-stuffer (its state carried
// across chunks), or as BDAT chunks (RFC 3030) with line endings made CRLF
// and nothing stuffed. Memory is one source chunk and its framed copy, so a
// 50 MB message costs about 130 KiB here. The whole transfer has one deadline
// (a minimum plus a second per 16 KiB, ClientSettings::timeouts). A source
// that fails to read half-way closes the connection without the terminator,
// so the server discards the partial message instead of delivering it.
// A source that reads ahead on a thread pool (the relay's spool) is waited
// for as a coroutine before each chunk: the event loop never reads a disk.
#include <memory>

#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "mailoauth/smtp/client_state.hpp"
#include "mailoauth/smtp/dot_stuffing.hpp"

namespace mailoauth::smtp {

using core::Result;

namespace {

// BDAT replies the client lets wait when the server pipelines: enough to keep
// the line busy, few enough that the replies never fill a socket buffer.
constexpr std::size_t kBdatWindow = 8;

Deadline content_deadline(const Session::State& state, std::uint64_t size) {
  const Timeouts& timeouts = state.settings.timeouts;
  const std::uint64_t per_second = std::max<std::size_t>(timeouts.data_bytes_per_second, 1);
  return Deadline::after(timeouts.data_minimum +
                         milliseconds(1000 * static_cast<std::int64_t>(size / per_second)));
}

// Until the source's next chunk can be read without blocking (at once for a
// source that does not read ahead). The call-back may come from any thread;
// the coroutine resumes on its own executor.
asio::awaitable<void> chunk_ready(MessageSource& source) {
  if (!source.reads_ahead()) co_return;
  auto executor = co_await asio::this_coro::executor;
  co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(
      [&source, executor](auto handler) {
        auto waiting = std::make_shared<decltype(handler)>(std::move(handler));
        auto work = asio::prefer(executor, asio::execution::outstanding_work.tracked);
        source.prepare_chunk(
            [waiting, work]() { asio::post(work, [waiting]() { std::move (*waiting)(); }); });
      },
      asio::use_awaitable);
}

core::Error source_failed(Session::State& state, core::Error error) {
  error.context(
      "the message could not be read while sending it; the connection was closed "
      "before its end so the server drops the partial message");
  return broke(state, std::move(error));
}

}  // namespace

asio::awaitable<Result<ContentOutcome>> send_data_content(Session::State& state,
                                                          MessageSource& source, MessageFacts facts,
                                                          std::span<const CommandLine> tail) {
  const Deadline deadline = content_deadline(state, facts.wire_size);
  if (auto rewound = source.rewind(); !rewound) {
    co_return core::fail(source_failed(state, rewound.error()));
  }
  DotStuffer stuffer;
  std::string out;
  ContentOutcome outcome;
  for (;;) {
    co_await chunk_ready(source);
    auto chunk = source.next_chunk();
    if (!chunk) co_return core::fail(source_failed(state, chunk.error()));
    const bool last = chunk->empty();
    if (last) {
      stuffer.finish(out);
      trace(state, TraceDirection::Sent,
            fmt::format("<{} bytes of message data, longest line {}>", facts.wire_size,
                        stuffer.longest_line()));
      trace(state, TraceDirection::Sent, ".");
      out += command_bytes(state, tail);
      outcome.tail_sent = !tail.empty();
    } else {
      stuffer.feed(*chunk, out);
      if (out.size() < kMessageChunkSize) continue;  // a small chunk waits for company
    }
    auto written = co_await write_bytes(state, out, deadline, "sending the message");
    if (!written) co_return core::fail(written.error());
    out.clear();
    if (last) break;
  }
  auto final_reply =
      co_await read_reply(state, state.settings.timeouts.final_reply, "the reply to the message");
  if (!final_reply) co_return core::fail(final_reply.error());
  outcome.final_reply = std::move(*final_reply);
  outcome.completed = true;
  co_return outcome;
}

// Each BDAT's reply; up to kBdatWindow wait with PIPELINING, one without.
// After a refusal nothing more is sent (RFC 3030 4.2): the replies already
// due are read and dropped, and the transaction is left for a RSET.
asio::awaitable<Result<ContentOutcome>> send_bdat_content(Session::State& state,
                                                          MessageSource& source, MessageFacts facts,
                                                          std::span<const CommandLine> tail) {
  const Deadline deadline = content_deadline(state, facts.wire_size);
  const std::size_t window = state.capabilities.has("PIPELINING") ? kBdatWindow : 1;
  if (auto rewound = source.rewind(); !rewound) {
    co_return core::fail(source_failed(state, rewound.error()));
  }
  DotStuffer normaliser(Framing::Bdat);
  std::string out;
  std::size_t outstanding = 0;
  std::optional<Reply> refusal;
  ContentOutcome outcome;
  bool last = false;
  while (!last && !refusal) {
    co_await chunk_ready(source);
    auto chunk = source.next_chunk();
    if (!chunk) co_return core::fail(source_failed(state, chunk.error()));
    last = chunk->empty();
    if (last) {
      normaliser.finish(out);
    } else {
      normaliser.feed(*chunk, out);
      if (out.size() < kMessageChunkSize) continue;
    }
    while (outstanding >= window && !refusal) {
      auto reply = co_await read_reply(state, state.settings.timeouts.command, "the reply to BDAT");
      if (!reply) co_return core::fail(reply.error());
      --outstanding;
      if (reply->code / 100 != 2) refusal = std::move(*reply);
    }
    if (refusal) break;
    const CommandLine line = bdat_command(out.size(), last);
    std::string bytes = command_bytes(state, std::span<const CommandLine>(&line, 1));
    trace(state, TraceDirection::Sent, fmt::format("<{} bytes of message data>", out.size()));
    bytes += out;
    if (last) {
      bytes += command_bytes(state, tail);
      outcome.tail_sent = !tail.empty();
    }
    auto written = co_await write_bytes(state, bytes, deadline, "sending the message");
    if (!written) co_return core::fail(written.error());
    ++outstanding;
    out.clear();
  }
  while (outstanding > 0) {
    auto reply =
        co_await read_reply(state, state.settings.timeouts.final_reply, "the reply to BDAT");
    if (!reply) co_return core::fail(reply.error());
    --outstanding;
    if (refusal) continue;
    if (outstanding == 0 && last) {
      outcome.final_reply = std::move(*reply);
      outcome.completed = true;
    } else if (reply->code / 100 != 2) {
      refusal = std::move(*reply);
    }
  }
  if (refusal) outcome.final_reply = std::move(*refusal);
  co_return outcome;
}

}  // namespace mailoauth::smtp
