// The scheduler's content path (relay/spool_message_reader): the reader
// below ReadAheadReader runs on the thread pool, never on the event loop —
// shown by a read that cannot finish until the loop has run something else
// (it would wait forever on the loop; the wait is bounded) — and
// prepare_delivery_source over a real spool file gives the facts, the
// rewritten header and the body byte for byte, every read off the loop.
#include "mailoauth/relay/spool_message_reader.hpp"

#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "piece_reader.hpp"

namespace mailoauth::relay {
namespace {

namespace asio = boost::asio;

// A reader that notes the thread of every read. With `loop`, its first read
// asks the loop to open a gate and waits for it (10 s at most): on the
// loop's own thread the gate would never open.
std::unique_ptr<PieceReader> watched_reader(std::string text, std::vector<std::thread::id>* threads,
                                            asio::io_context* loop) {
  auto reader = std::make_unique<PieceReader>(std::move(text));
  auto gated = std::make_shared<bool>(false);
  reader->before_read = [threads, loop, gated]() -> core::Result<void> {
    threads->push_back(std::this_thread::get_id());
    if (loop == nullptr || *gated) return {};
    *gated = true;
    auto gate = std::make_shared<std::promise<void>>();
    auto opened = gate->get_future();
    asio::post(*loop, [gate]() { gate->set_value(); });
    if (opened.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      return core::fail(core::ErrorClass::Temporary, "test.gate",
                        "the event loop did not run while the read waited");
    }
    return {};
  };
  return reader;
}

// Reads `source` to its end the way the SMTP client does: prepare, await, read.
asio::awaitable<std::string> read_like_the_client(smtp::MessageSource* source) {
  auto executor = co_await asio::this_coro::executor;
  std::string out;
  for (;;) {
    std::promise<void> ready;
    auto future = ready.get_future();
    auto waiting = std::make_shared<asio::steady_timer>(executor, std::chrono::hours(1));
    source->prepare_chunk(
        [waiting, executor]() { asio::post(executor, [waiting]() { waiting->cancel(); }); });
    boost::system::error_code ignored;
    co_await waiting->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    auto chunk = source->next_chunk();
    if (!chunk || chunk->empty()) break;
    out.append(*chunk);
  }
  co_return out;
}

TEST(ReadAheadReaderTest, TheReaderBelowRunsOnThePoolWhileTheLoopGoesOn) {
  asio::io_context io;
  asio::thread_pool pool(1);
  std::vector<std::thread::id> threads;
  auto inner = watched_reader(std::string(200 * 1024, 'x'), &threads, &io);
  smtp::MessageSource source = smtp::MessageSource::from_reader(
      std::make_unique<ReadAheadReader>(std::move(inner), pool, io.get_executor()));
  ASSERT_TRUE(source.reads_ahead());
  auto result = asio::co_spawn(io, read_like_the_client(&source), asio::use_future);
  const std::thread::id loop = std::this_thread::get_id();
  io.run();
  pool.join();
  ASSERT_EQ(result.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  EXPECT_EQ(result.get().size(), 200u * 1024) << "every byte, once (a failed read ends early)";
  ASSERT_FALSE(threads.empty());
  for (const std::thread::id thread : threads) {
    EXPECT_NE(thread, loop) << "a read ran on the event loop";
  }
}

TEST(ReadAheadReaderTest, ARewindWhileAReadIsInFlightStartsOver) {
  asio::io_context io;
  asio::thread_pool pool(1);
  auto inner = std::make_unique<PieceReader>("0123456789");
  ReadAheadReader reader(std::move(inner), pool, io.get_executor());
  bool woke = false;
  reader.prepare(4, [&woke]() { woke = true; });
  ASSERT_TRUE(reader.rewind());  // the read in flight is from before the rewind
  io.run();
  pool.join();
  EXPECT_TRUE(woke);
  auto chunk = reader.read(4);
  ASSERT_TRUE(chunk.has_value());
  EXPECT_EQ(*chunk, "0123") << "the bytes after the rewind, not a stale read";
}

// What the client would send of a spooled message: the facts and the bytes.
asio::awaitable<std::pair<std::string, std::string>> deliver_content(queue::ContentReader* reader,
                                                                     const HeaderRewrite* rewrite,
                                                                     asio::thread_pool* pool) {
  auto delivery = co_await prepare_delivery_source(reader, rewrite, pool);
  if (!delivery) co_return std::pair{std::string("error"), delivery.error().describe()};
  auto facts = delivery->source.facts();
  std::string summary = fmt::format("{} {}", facts->wire_size, facts->eight_bit);
  std::string text = co_await read_like_the_client(&delivery->source);
  co_return std::pair{summary, text};
}

TEST(PrepareDeliverySourceTest, ASpooledMessageRewrittenWithItsFactsAndBodyKept) {
  const auto root = std::filesystem::temp_directory_path() /
                    ("mailoauth-spool-reader-" + std::to_string(::getpid()));
  std::filesystem::remove_all(root);
  auto spool = queue::Spool::open(root);
  ASSERT_TRUE(spool.has_value()) << spool.error().describe();
  queue::SpooledEnvelope envelope;
  envelope.from = "scanner@contoso.com";
  envelope.recipients = {"alice@example.com"};
  auto incoming = (*spool)->begin(envelope);
  ASSERT_TRUE(incoming.has_value());
  std::string body;
  for (int i = 0; i < 20000; ++i) body += "line " + std::to_string(i) + "\r\n";
  const std::string header = "From: Scanner <scanner@contoso.com>\r\nSubject: s\r\n\r\n";
  ASSERT_TRUE(incoming->append(header + body));
  ASSERT_TRUE(incoming->commit());
  auto content = (*spool)->open_content(queue::Place::Queue, incoming->id());
  ASSERT_TRUE(content.has_value());

  asio::io_context io;
  asio::thread_pool pool(2);
  const HeaderRewrite rewrite{"relay@contoso.com", true};
  auto prepared = asio::co_spawn(io, deliver_content(&*content, &rewrite, &pool), asio::use_future);
  io.run();
  pool.join();
  const auto [facts, text] = prepared.get();
  const std::string expected =
      "From: Scanner <relay@contoso.com>\r\n"
      "Reply-To: Scanner <scanner@contoso.com>\r\nSubject: s\r\n\r\n" +
      body;
  EXPECT_EQ(text, expected);
  EXPECT_EQ(facts, fmt::format("{} false", expected.size())) << "the facts of what is sent";
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace mailoauth::relay
