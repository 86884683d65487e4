// The delivery log line's fields; see delivery_log.hpp.
#include "mailoauth/relay/delivery_log.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace mailoauth::relay {

namespace {

using queue::RecipientStatus;

std::string_view status_word(RecipientStatus status) {
  switch (status) {
    case RecipientStatus::Sent:
      return "sent";
    case RecipientStatus::Failed:
      return "bounced";
    default:
      return "deferred";
  }
}

std::string_view default_dsn(RecipientStatus status) {
  switch (status) {
    case RecipientStatus::Sent:
      return "2.0.0";
    case RecipientStatus::Failed:
      return "5.0.0";
    default:
      return "4.0.0";
  }
}

// 1 to `most` digits at `text[at]`; the position after them, or npos.
std::size_t digits(std::string_view text, std::size_t at, std::size_t most) {
  std::size_t end = at;
  while (end < text.size() && end - at < most &&
         std::isdigit(static_cast<unsigned char>(text[end])))
    ++end;
  return end == at ? std::string_view::npos : end;
}

double seconds(std::chrono::nanoseconds duration) {
  return std::chrono::duration<double>(std::max(duration, std::chrono::nanoseconds::zero()))
      .count();
}

}  // namespace

std::string enhanced_status_code(std::string_view reply) {
  // "NNN x.y.z ..." (a space or '-' after the code)
  if (reply.size() < 4 || digits(reply, 0, 3) != 3 || (reply[3] != ' ' && reply[3] != '-'))
    return {};
  const std::size_t start = 4;
  if (start >= reply.size() || (reply[start] < '2' || reply[start] > '5')) return {};
  if (start + 1 >= reply.size() || reply[start + 1] != '.') return {};
  const std::size_t subject = digits(reply, start + 2, 3);
  if (subject == std::string_view::npos || subject >= reply.size() || reply[subject] != '.')
    return {};
  const std::size_t detail = digits(reply, subject + 1, 3);
  if (detail == std::string_view::npos) return {};
  if (detail < reply.size() && reply[detail] != ' ') return {};
  return std::string(reply.substr(start, detail - start));
}

std::vector<DeliveryLogGroup> delivery_log_groups(const queue::DeliveryState& state,
                                                  const std::vector<std::string>& recipients,
                                                  const std::vector<std::size_t>& tried,
                                                  std::string_view fallback_reply) {
  std::vector<DeliveryLogGroup> groups;
  for (const std::size_t index : tried) {
    if (index >= state.recipients.size() || index >= recipients.size()) continue;
    const queue::RecipientState& recipient = state.recipients[index];
    const std::string_view status = status_word(recipient.status);
    const std::string reply =
        recipient.last_reply.empty() ? std::string(fallback_reply) : recipient.last_reply;
    auto found = std::find_if(groups.begin(), groups.end(), [&](const DeliveryLogGroup& group) {
      return group.status == status && group.reply == reply;
    });
    if (found != groups.end()) {
      found->to += "," + recipients[index];
      continue;
    }
    std::string dsn = enhanced_status_code(reply);
    // A code whose class contradicts the outcome (a 2.x.x reply to a
    // recipient deferred by a later failure) does not describe it.
    if (dsn.empty() || dsn.front() != default_dsn(recipient.status).front()) {
      dsn = std::string(default_dsn(recipient.status));
    }
    groups.push_back({recipients[index], std::string(status), std::move(dsn), reply});
  }
  return groups;
}

std::string format_delays(std::chrono::system_clock::duration in_queue,
                          const AttemptTimings& timings) {
  return fmt::format("{:.2f}/{:.2f}/{:.2f}/{:.2f}", seconds(in_queue), seconds(timings.connect),
                     seconds(timings.auth), seconds(timings.transfer));
}

std::string format_delay(std::chrono::system_clock::duration delay) {
  return fmt::format("{:.1f}", seconds(delay));
}

std::string format_relay(std::string_view host, std::string_view peer) {
  if (peer.empty()) return "none";
  const std::size_t colon = peer.rfind(':');
  if (colon == std::string_view::npos) return fmt::format("{}[{}]", host, peer);
  std::string_view address = peer.substr(0, colon);
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']') {
    address = address.substr(1, address.size() - 2);
  }
  return fmt::format("{}[{}]:{}", host, address, peer.substr(colon + 1));
}

}  // namespace mailoauth::relay
