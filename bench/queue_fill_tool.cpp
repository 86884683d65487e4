// Fills a relay spool with COUNT messages through the spool's own writer
// (queue::Spool::begin/append/commit, write_state, move), for
// bench/queue_list.sh: the files are exactly what the relay writes. Every
// 10th message gets a deferred state with a reply, every 100th is held, every
// 1000th failed, so the listing reads state files and every directory. The
// fsyncs are skipped (a SystemCalls whose fsync does nothing): durability is
// not what is measured, and 100,000 fsyncs would take minutes on a shared disk.
//   queue_fill_tool SPOOL_DIR COUNT
#include <charconv>
#include <chrono>
#include <cstdio>
#include <string>

#include <fmt/format.h>

#include "mailoauth/queue/spool.hpp"

namespace {

class NoSyncCalls : public mailoauth::core::SystemCalls {
 public:
  int fsync(int) override { return 0; }
};

}  // namespace

int main(int argc, char** argv) {
  using namespace mailoauth;
  std::size_t count = 0;
  if (argc != 3 || std::from_chars(argv[2], argv[2] + std::string_view(argv[2]).size(), count).ec !=
                       std::errc()) {
    std::fprintf(stderr, "usage: queue_fill_tool SPOOL_DIR COUNT\n");
    return 64;
  }
  NoSyncCalls calls;
  auto spool = queue::Spool::open(argv[1], calls);
  if (!spool) {
    std::fprintf(stderr, "%s\n", spool.error().describe().c_str());
    return 1;
  }
  const std::string body = fmt::format(
      "From: <printer@contoso.test>\r\nTo: <someone@example.test>\r\nSubject: scan\r\n\r\n{}",
      std::string(2000, 'x') + "\r\n");
  for (std::size_t i = 0; i < count; ++i) {
    queue::SpooledEnvelope envelope;
    envelope.client = "192.0.2.7:51234";
    envelope.helo = "printer.lan";
    envelope.listener = "lan";
    envelope.route = i % 2 == 0 ? "contoso" : "fabrikam";
    envelope.from = fmt::format("printer{}@contoso.test", i % 50);
    envelope.recipients = {"someone@example.test", fmt::format("team{}@example.test", i % 7)};
    auto message = (*spool)->begin(std::move(envelope));
    if (!message) return std::fprintf(stderr, "%s\n", message.error().describe().c_str()), 1;
    const std::string id = message->id();
    if (auto appended = message->append(body); !appended) return 1;
    if (auto committed = message->commit(); !committed) {
      std::fprintf(stderr, "%s\n", committed.error().describe().c_str());
      return 1;
    }
    if (i % 10 != 0) continue;
    queue::DeliveryState state = queue::DeliveryState::fresh(2);
    state.attempts = 3;
    state.next_attempt = std::chrono::system_clock::now() + std::chrono::minutes(20);
    for (auto& recipient : state.recipients) {
      recipient.status = queue::RecipientStatus::Deferred;
      recipient.attempts = 3;
      recipient.last_reply = "451 4.7.500 Server busy. Please try again later.";
    }
    queue::Place place = queue::Place::Queue;
    if (i % 1000 == 0) {
      state.recipients[0].status = queue::RecipientStatus::Failed;
      state.recipients[1].status = queue::RecipientStatus::Sent;
      place = queue::Place::Failed;
    } else if (i % 100 == 0) {
      state.hold = true;
      place = queue::Place::Hold;
    }
    if (auto written = (*spool)->write_state(queue::Place::Queue, id, state); !written) return 1;
    if (place != queue::Place::Queue) {
      if (auto moved = (*spool)->move(id, queue::Place::Queue, place); !moved) return 1;
    }
  }
  return 0;
}
