// The queue tool's table and JSON; see queue_report.hpp for the promises.
#include "mailoauth/queue/queue_report.hpp"

#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mailoauth/core/clock.hpp"
#include "mailoauth/core/log.hpp"

namespace mailoauth::queue {

namespace {

using json = nlohmann::ordered_json;

// Recipient lines start under the header's "Sender/Recipient" (column 63).
const std::string kIndent(63, ' ');

std::string sender_text(const ListedMessage& message) {
  if (message.envelope.from.empty()) return "<>";
  return core::escape_control_characters(message.envelope.from);
}

std::string rfc3339(WallTime time) {
  return core::format_rfc3339_utc(time, false);
}

std::string recipient_line(const std::string& address, const RecipientState& state) {
  std::string line = fmt::format("{}{} {}", kIndent, core::escape_control_characters(address),
                                 to_string(state.status));
  if (state.attempts > 0) {
    line += fmt::format(" ({} attempt{})", state.attempts, state.attempts == 1 ? "" : "s");
  }
  if (!state.last_reply.empty()) {
    line += ": " + core::escape_control_characters(state.last_reply);
  }
  line += '\n';
  return line;
}

json message_object(const ListedMessage& message) {
  json object;
  object["id"] = message.id;
  object["state"] = to_string(message.state);
  object["size"] = message.size;
  if (message.state == MessageState::Corrupt && message.envelope.id.empty()) {
    object["problem"] = message.problem;
    return object;
  }
  object["received"] = rfc3339(message.envelope.received);
  object["route"] = message.envelope.route;
  object["sender"] = message.envelope.from;
  object["attempts"] = message.delivery.attempts;
  object["next_attempt"] =
      message.delivery.next_attempt ? json(rfc3339(*message.delivery.next_attempt)) : json(nullptr);
  json recipients = json::array();
  for (std::size_t i = 0; i < message.envelope.recipients.size(); ++i) {
    const RecipientState fresh{};
    const RecipientState& state =
        i < message.delivery.recipients.size() ? message.delivery.recipients[i] : fresh;
    recipients.push_back({{"address", message.envelope.recipients[i]},
                          {"status", to_string(state.status)},
                          {"attempts", state.attempts},
                          {"last_reply", state.last_reply}});
  }
  object["recipients"] = std::move(recipients);
  if (!message.problem.empty()) object["problem"] = message.problem;
  return object;
}

std::string in_words(std::chrono::seconds left) {
  const auto seconds = left.count();
  if (seconds < 60) return fmt::format("{}s", seconds);
  if (seconds < 3600) return fmt::format("{}m{:02}s", seconds / 60, seconds % 60);
  return fmt::format("{}h{:02}m", seconds / 3600, (seconds % 3600) / 60);
}

}  // namespace

std::string format_table_time(WallTime time) {
  std::string text = rfc3339(time);  // 2026-12-05T01:02:03Z
  if (text.size() == 20) {
    text[10] = ' ';
    text.pop_back();
  }
  return text;
}

std::string format_queue_table(const std::vector<ListedMessage>& messages) {
  if (messages.empty()) return "queue is empty\n";
  std::string out = fmt::format("{:<22} {:>10} {:<19} {:<8} {}\n", "Queue ID", "Size",
                                "Arrival (UTC)", "State", "Sender/Recipient");
  std::uint64_t bytes = 0;
  for (const ListedMessage& message : messages) {
    bytes += message.size;
    if (message.envelope.id.empty()) {  // corrupt: no envelope to show
      out +=
          fmt::format("{:<22} {:>10} {:<19} {:<8} ({})\n", message.id, message.size, "-",
                      to_string(message.state), core::escape_control_characters(message.problem));
      continue;
    }
    out += fmt::format("{:<22} {:>10} {:<19} {:<8} {}\n", message.id, message.size,
                       format_table_time(message.envelope.received), to_string(message.state),
                       sender_text(message));
    for (std::size_t i = 0; i < message.envelope.recipients.size(); ++i) {
      const RecipientState fresh{};
      out += recipient_line(message.envelope.recipients[i], i < message.delivery.recipients.size()
                                                                ? message.delivery.recipients[i]
                                                                : fresh);
    }
    if (message.delivery.next_attempt && message.state == MessageState::Deferred) {
      out += fmt::format("{}(next attempt {})\n", kIndent,
                         format_table_time(*message.delivery.next_attempt));
    }
  }
  out += fmt::format("-- {} message{}, {} bytes\n", messages.size(),
                     messages.size() == 1 ? "" : "s", bytes);
  return out;
}

std::string format_queue_json(const std::vector<ListedMessage>& messages) {
  json list = json::array();
  for (const ListedMessage& message : messages) list.push_back(message_object(message));
  json document;
  document["version"] = kQueueJsonVersion;
  document["messages"] = std::move(list);
  return document.dump() + "\n";
}

std::string format_message_json(const ListedMessage& message) {
  json object = message_object(message);
  if (!message.envelope.id.empty()) {
    object["client"] = message.envelope.client;
    object["helo"] = message.envelope.helo;
    object["listener"] = message.envelope.listener;
    object["user"] = message.envelope.user;
    object["body"] = to_string(message.envelope.body);
    object["smtputf8"] = message.envelope.smtputf8;
  }
  json document;
  document["version"] = kQueueJsonVersion;
  document["message"] = std::move(object);
  return document.dump(2) + "\n";
}

std::string format_message_details(const ListedMessage& message, WallTime now) {
  const auto text = [](std::string_view value) {
    return value.empty() ? std::string("-") : core::escape_control_characters(value);
  };
  std::string out;
  out += fmt::format("id:           {}\n", message.id);
  out += fmt::format("state:        {}\n", to_string(message.state));
  out += fmt::format("size:         {} bytes\n", message.size);
  if (message.envelope.id.empty()) {
    out += fmt::format("problem:      {}\n", text(message.problem));
    return out;
  }
  const SpooledEnvelope& envelope = message.envelope;
  out += fmt::format("received:     {}\n", rfc3339(envelope.received));
  out += fmt::format("client:       {}\n", text(envelope.client));
  out += fmt::format("helo:         {}\n", text(envelope.helo));
  out += fmt::format("listener:     {}\n", text(envelope.listener));
  out += fmt::format("user:         {}\n", text(envelope.user));
  out += fmt::format("route:        {}\n", text(envelope.route));
  out += fmt::format("sender:       {}\n", sender_text(message));
  out += fmt::format("body:         {}{}\n", to_string(envelope.body),
                     envelope.smtputf8 ? ", smtputf8" : "");
  out += fmt::format("attempts:     {}\n", message.delivery.attempts);
  std::string next = "-";
  if (message.state == MessageState::Queued || message.state == MessageState::Deferred) {
    next = "as soon as possible";
    if (message.delivery.next_attempt && *message.delivery.next_attempt > now) {
      next = fmt::format("{} (in {})", rfc3339(*message.delivery.next_attempt),
                         in_words(std::chrono::duration_cast<std::chrono::seconds>(
                             *message.delivery.next_attempt - now)));
    }
  }
  out += fmt::format("next attempt: {}\n", next);
  for (std::size_t i = 0; i < envelope.recipients.size(); ++i) {
    const RecipientState fresh{};
    const RecipientState& state =
        i < message.delivery.recipients.size() ? message.delivery.recipients[i] : fresh;
    out +=
        fmt::format("recipient:    {}\n", core::escape_control_characters(envelope.recipients[i]));
    out += fmt::format("  status:     {}\n", to_string(state.status));
    out += fmt::format("  attempts:   {}\n", state.attempts);
    out += fmt::format("  last reply: {}\n", text(state.last_reply));
  }
  if (!message.problem.empty()) out += fmt::format("problem:      {}\n", text(message.problem));
  return out;
}

}  // namespace mailoauth::queue
