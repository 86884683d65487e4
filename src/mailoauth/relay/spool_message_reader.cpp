// The read-ahead over the thread pool and the assembly of a delivery's
// content (spool_message_reader.hpp). State changes happen on the loop only:
// the pool's work touches the reader below and the chunk it read, then posts
// its completion to the loop, which marks the chunk ready and wakes the
// client.
#include "mailoauth/relay/spool_message_reader.hpp"

#include <optional>
#include <utility>

#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "mailoauth/relay/on_pool.hpp"

namespace mailoauth::relay {

namespace asio = boost::asio;

struct ReadAheadReader::State : std::enable_shared_from_this<State> {
  std::unique_ptr<smtp::MessageReader> inner;
  asio::thread_pool* pool = nullptr;
  asio::any_io_executor loop;
  std::optional<core::Result<std::string_view>> chunk;  // read, not yet handed out
  bool in_flight = false;
  bool rewind_pending = false;
  std::size_t pending_max = 0;
  std::function<void()> waiting;

  void start(std::size_t max) {
    in_flight = true;
    pending_max = max;
    // The work holds the state (this reader may be dropped before it ends)
    // and keeps the loop running until its completion is back.
    auto loop_working = asio::prefer(loop, asio::execution::outstanding_work.tracked);
    asio::post(*pool, [self = shared_from_this(), max, loop_working]() {
      core::Result<std::string_view> read = self->inner->read(max);
      asio::post(loop_working,
                 [self, read = std::move(read)]() mutable { self->finished(std::move(read)); });
    });
  }

  void finished(core::Result<std::string_view> read) {
    in_flight = false;
    if (rewind_pending) {  // the bytes read are from before the rewind
      rewind_pending = false;
      (void)inner->rewind();
      if (waiting) start(pending_max);
      return;
    }
    chunk = std::move(read);
    if (waiting) std::exchange(waiting, nullptr)();
  }
};

ReadAheadReader::ReadAheadReader(std::unique_ptr<smtp::MessageReader> inner,
                                 asio::thread_pool& pool, asio::any_io_executor loop)
    : state_(std::make_shared<State>()) {
  state_->inner = std::move(inner);
  state_->pool = &pool;
  state_->loop = std::move(loop);
}

ReadAheadReader::~ReadAheadReader() {
  state_->waiting = nullptr;  // nobody to wake any more
}

void ReadAheadReader::prepare(std::size_t max, std::function<void()> ready) {
  if (state_->chunk) {
    ready();
    return;
  }
  state_->waiting = std::move(ready);
  if (!state_->in_flight) state_->start(max);
}

core::Result<std::string_view> ReadAheadReader::read(std::size_t max) {
  if (state_->chunk) {
    core::Result<std::string_view> chunk = std::move(*state_->chunk);
    state_->chunk.reset();
    return chunk;
  }
  if (state_->in_flight) {
    return core::fail(core::ErrorClass::Bug, "relay.read_ahead",
                      "the message was read while a read of it was still in flight");
  }
  return state_->inner->read(max);  // off the loop (the facts scan on the pool)
}

core::Result<void> ReadAheadReader::rewind() {
  state_->chunk.reset();
  if (state_->in_flight) {
    state_->rewind_pending = true;
    return {};
  }
  return state_->inner->rewind();
}

std::uint64_t ReadAheadReader::stored_size() const {
  return state_->inner->stored_size();
}

asio::awaitable<core::Result<DeliverySource>> prepare_delivery_source(queue::ContentReader* content,
                                                                      const HeaderRewrite* rewrite,
                                                                      asio::thread_pool* pool) {
  auto loop = co_await asio::this_coro::executor;
  std::unique_ptr<smtp::MessageReader> reader =
      std::make_unique<SpoolMessageReader>(std::move(*content));
  const SenderRewritingReader* rewriting = nullptr;
  if (!rewrite->from.empty()) {
    auto rewriter = std::make_unique<SenderRewritingReader>(std::move(reader), *rewrite);
    rewriting = rewriter.get();
    reader = std::move(rewriter);
  }
  DeliverySource delivery{smtp::MessageSource::from_reader(
                              std::make_unique<ReadAheadReader>(std::move(reader), *pool, loop)),
                          {}};
  // The facts (SIZE=, BODY=8BITMIME) scan the whole content: on the pool,
  // where read() reads in place. The source keeps them.
  smtp::MessageSource* source = &delivery.source;
  auto facts = co_await on_pool(*pool, [source]() { return source->facts(); });
  if (!facts) co_return core::fail(std::move(facts.error()));
  if (rewriting != nullptr) delivery.rewrite = rewriting->outcome();
  co_return delivery;
}

}  // namespace mailoauth::relay
