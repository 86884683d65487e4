// How the scheduler hands a spooled message's content to the SMTP client
// without reading the disk on its event loop. Three layers, each a
// smtp::MessageReader:
//
//   SpoolMessageReader     the spool file's content (queue::ContentReader,
//                          64 KiB pread at a time): blocking, local disk
//   SenderRewritingReader  the route's sender rewrite (header only; the body
//                          passes through), when the route asks for one
//   ReadAheadReader        runs the layers below on the scheduler's thread
//                          pool: the client awaits each chunk (prepare,
//                          then read), so a slow disk stalls one delivery,
//                          never the loop and the other sessions
//
// Memory per delivery: the ContentReader's one 64 KiB buffer (the chunk the
// client gets is a view into it, valid until it asks for the next) and, when
// rewriting, the header section. prepare_delivery_source builds the stack
// and learns the message's facts (size on the wire, 8-bit) on the pool, so
// the client never scans the file on the loop either. Asio-facing: part of
// mailoauth_net.
#pragma once

#include <cstdint>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "mailoauth/core/error.hpp"
#include "mailoauth/queue/spool.hpp"
#include "mailoauth/relay/sender_rewriting_reader.hpp"
#include "mailoauth/smtp/message_source.hpp"

namespace mailoauth::relay {

// A spooled message's content as the SMTP client reads it: a 64 KiB read at a
// time from the spool file (local disk, blocking), so a 35 MB message costs a buffer.
class SpoolMessageReader final : public smtp::MessageReader {
 public:
  explicit SpoolMessageReader(queue::ContentReader reader) : reader_(std::move(reader)) {}
  core::Result<std::string_view> read(std::size_t max) override { return reader_.read(max); }
  core::Result<void> rewind() override {
    reader_.rewind();
    return {};
  }
  std::uint64_t stored_size() const override { return reader_.size(); }

 private:
  queue::ContentReader reader_;
};

// Reads the reader below on a thread pool. On the event loop: prepare(max,
// ready), wait for `ready` (called on `loop`), then read(max) answers with
// the bytes read. Off the loop (on the pool itself, the facts scan) read()
// without prepare reads in place. rewind() does no I/O (the readers below
// only reset a position); while a read is in flight it takes effect when
// the read is back. The reader below is shared with the pool's work, so
// dropping this reader with a read in flight is safe.
class ReadAheadReader final : public smtp::MessageReader {
 public:
  ReadAheadReader(std::unique_ptr<smtp::MessageReader> inner, boost::asio::thread_pool& pool,
                  boost::asio::any_io_executor loop);
  ~ReadAheadReader() override;

  core::Result<std::string_view> read(std::size_t max) override;
  core::Result<void> rewind() override;
  std::uint64_t stored_size() const override;
  bool reads_ahead() const override { return true; }
  void prepare(std::size_t max, std::function<void()> ready) override;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

// The content of a delivery, ready for smtp::Session::send: the spool's
// content, rewritten when `rewrite.from` is set, read on `pool`, with its
// facts scanned on `pool`. `content` is moved from. Errors: the content
// cannot be read (Temporary).
struct DeliverySource {
  smtp::MessageSource source;
  RewriteOutcome rewrite;
};
boost::asio::awaitable<core::Result<DeliverySource>> prepare_delivery_source(
    queue::ContentReader* content, const HeaderRewrite* rewrite, boost::asio::thread_pool* pool);

}  // namespace mailoauth::relay
