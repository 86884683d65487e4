// The queue tool's table and JSON; see queue_report.hpp for the promises.
// Both are appended into one string with fmt::format_to (no string per line):
// the table of 100,000 messages is 300,000 lines, and building it cost a third
// of the listing's time when each line was a string of its own. The JSON is
// written by hand for the same reason and for one more: a spooled address or
// reply may hold bytes that are not UTF-8 (an 8-bit client, a broken
// upstream), on which nlohmann::json's dump() throws; here such a byte becomes
// U+FFFD and the listing goes on.
#include "mailoauth/queue/queue_report.hpp"

#include <chrono>
#include <iterator>

#include <fmt/format.h>

#include "mailoauth/core/clock.hpp"
#include "mailoauth/core/log.hpp"

namespace mailoauth::queue {

namespace {

// Recipient lines start under the header's "Sender/Recipient" (column 63).
constexpr std::string_view kIndent =
    "                                                               ";
static_assert(kIndent.size() == 63);

std::string rfc3339(WallTime time) {
  return core::format_rfc3339_utc(time, false);
}

// Text for the table: control characters escaped (\r, \n, \x00), so a value
// cannot add a line; the common case (none) is appended as it is.
void append_text(std::string& out, std::string_view text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      out += core::escape_control_characters(text);
      return;
    }
  }
  out += text;
}

void append_sender(std::string& out, const ListedMessage& message) {
  if (message.envelope.from.empty()) {
    out += "<>";
    // A delivery status notification the relay made, and about which message.
    if (!message.envelope.bounce_of.empty()) {
      out += " (bounce of ";
      append_text(out, message.envelope.bounce_of);
      out += ')';
    }
  } else {
    append_text(out, message.envelope.from);
  }
}

const RecipientState& recipient_state(const ListedMessage& message, std::size_t index) {
  static const RecipientState fresh{};
  return index < message.delivery.recipients.size() ? message.delivery.recipients[index] : fresh;
}

void append_recipient_line(std::string& out, std::string_view address,
                           const RecipientState& state) {
  out += kIndent;
  append_text(out, address);
  out += ' ';
  out += to_string(state.status);
  if (state.attempts > 0) {
    fmt::format_to(std::back_inserter(out), " ({} attempt{})", state.attempts,
                   state.attempts == 1 ? "" : "s");
  }
  if (!state.last_reply.empty()) {
    out += ": ";
    append_text(out, state.last_reply);
  }
  out += '\n';
}

// The length of the valid UTF-8 sequence starting at text[i], 0 if none.
std::size_t utf8_sequence(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t at) { return static_cast<unsigned char>(text[at]); };
  const unsigned char first = byte(i);
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xbf;  // the second byte's range
  if (first >= 0xc2 && first <= 0xdf) {
    length = 2;
  } else if (first >= 0xe0 && first <= 0xef) {
    length = 3;
    if (first == 0xe0) low = 0xa0;   // no overlong forms
    if (first == 0xed) high = 0x9f;  // no surrogates
  } else if (first >= 0xf0 && first <= 0xf4) {
    length = 4;
    if (first == 0xf0) low = 0x90;
    if (first == 0xf4) high = 0x8f;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
  }
  return length;
}

// A JSON string: quotes, backslashes and control characters escaped; bytes
// that are not UTF-8 replaced by U+FFFD.
void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const std::size_t length = utf8_sequence(text, i);
      if (length == 0) {
        out += "\xEF\xBF\xBD";
        ++i;
      } else {
        out.append(text.substr(i, length));
        i += length;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

// `"key":` then the value.
void key(std::string& out, std::string_view name) {
  out += '"';
  out += name;
  out += "\":";
}

// The message object of docs/queue.md; `details` adds show's fields.
void append_message_json(std::string& out, const ListedMessage& message, bool details) {
  out += '{';
  key(out, "id");
  append_json_string(out, message.id);
  out += ',';
  key(out, "state");
  append_json_string(out, to_string(message.state));
  fmt::format_to(std::back_inserter(out), ",\"size\":{}", message.size);
  if (message.envelope.id.empty()) {  // corrupt: nothing more is known
    out += ',';
    key(out, "problem");
    append_json_string(out, message.problem);
    out += '}';
    return;
  }
  const SpooledEnvelope& envelope = message.envelope;
  fmt::format_to(std::back_inserter(out), ",\"received\":\"{}\",", rfc3339(envelope.received));
  key(out, "route");
  append_json_string(out, envelope.route);
  out += ',';
  key(out, "sender");
  append_json_string(out, envelope.from);
  if (!envelope.bounce_of.empty()) {  // a notification the relay made (an added field)
    out += ',';
    key(out, "bounce_of");
    append_json_string(out, envelope.bounce_of);
  }
  fmt::format_to(std::back_inserter(out),
                 ",\"attempts\":{},\"next_attempt\":", message.delivery.attempts);
  if (message.delivery.next_attempt) {
    fmt::format_to(std::back_inserter(out), "\"{}\"", rfc3339(*message.delivery.next_attempt));
  } else {
    out += "null";
  }
  out += ",\"recipients\":[";
  for (std::size_t i = 0; i < envelope.recipients.size(); ++i) {
    const RecipientState& state = recipient_state(message, i);
    out += i == 0 ? "{" : ",{";
    key(out, "address");
    append_json_string(out, envelope.recipients[i]);
    fmt::format_to(std::back_inserter(out), ",\"status\":\"{}\",\"attempts\":{},",
                   to_string(state.status), state.attempts);
    key(out, "last_reply");
    append_json_string(out, state.last_reply);
    out += '}';
  }
  out += ']';
  if (!message.problem.empty()) {
    out += ',';
    key(out, "problem");
    append_json_string(out, message.problem);
  }
  if (details) {
    for (const auto& [name, value] :
         {std::pair<std::string_view, std::string_view>{"client", envelope.client},
          {"helo", envelope.helo},
          {"listener", envelope.listener},
          {"user", envelope.user},
          {"body", to_string(envelope.body)}}) {
      out += ',';
      key(out, name);
      append_json_string(out, value);
    }
    out += envelope.smtputf8 ? ",\"smtputf8\":true" : ",\"smtputf8\":false";
    out += ",\"history\":[";
    for (std::size_t i = 0; i < message.delivery.history.size(); ++i) {
      const AttemptRecord& record = message.delivery.history[i];
      fmt::format_to(std::back_inserter(out), "{}{{\"time\":\"{}\",", i == 0 ? "" : ",",
                     rfc3339(record.when));
      for (const auto& [name, value] :
           {std::pair<std::string_view, std::string_view>{"status", record.status},
            {"relay", record.relay},
            {"to", record.to},
            {"reply", record.reply}}) {
        if (name != "status") out += ',';
        key(out, name);
        append_json_string(out, value);
      }
      out += '}';
    }
    out += ']';
  }
  out += '}';
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
  std::string out;
  out.reserve(messages.size() * 250);
  auto to = std::back_inserter(out);
  fmt::format_to(to, "{:<22} {:>10} {:<19} {:<8} {}\n", "Queue ID", "Size", "Arrival (UTC)",
                 "State", "Sender/Recipient");
  std::uint64_t bytes = 0;
  for (const ListedMessage& message : messages) {
    bytes += message.size;
    if (message.envelope.id.empty()) {  // corrupt: no envelope to show
      fmt::format_to(to, "{:<22} {:>10} {:<19} {:<8} (", message.id, message.size, "-",
                     to_string(message.state));
      append_text(out, message.problem);
      out += ")\n";
      continue;
    }
    fmt::format_to(to, "{:<22} {:>10} {:<19} {:<8} ", message.id, message.size,
                   format_table_time(message.envelope.received), to_string(message.state));
    append_sender(out, message);
    out += '\n';
    for (std::size_t i = 0; i < message.envelope.recipients.size(); ++i) {
      append_recipient_line(out, message.envelope.recipients[i], recipient_state(message, i));
    }
    if (message.delivery.next_attempt && message.state == MessageState::Deferred) {
      fmt::format_to(to, "{}(next attempt {})\n", kIndent,
                     format_table_time(*message.delivery.next_attempt));
    }
  }
  fmt::format_to(to, "-- {} message{}, {} bytes\n", messages.size(),
                 messages.size() == 1 ? "" : "s", bytes);
  return out;
}

std::string format_queue_json(const std::vector<ListedMessage>& messages) {
  std::string out;
  out.reserve(messages.size() * 400 + 32);
  fmt::format_to(std::back_inserter(out), "{{\"version\":{},\"messages\":[", kQueueJsonVersion);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (i > 0) out += ',';
    append_message_json(out, messages[i], false);
  }
  out += "]}\n";
  return out;
}

std::string format_message_json(const ListedMessage& message) {
  std::string out = fmt::format("{{\"version\":{},\"message\":", kQueueJsonVersion);
  append_message_json(out, message, true);
  out += "}\n";
  return out;
}

std::string format_message_details(const ListedMessage& message, WallTime now) {
  const auto text = [](std::string_view value) {
    return value.empty() ? std::string("-") : core::escape_control_characters(value);
  };
  std::string out;
  auto to = std::back_inserter(out);
  fmt::format_to(to, "id:           {}\n", message.id);
  fmt::format_to(to, "state:        {}\n", to_string(message.state));
  fmt::format_to(to, "size:         {} bytes\n", message.size);
  if (message.envelope.id.empty()) {
    fmt::format_to(to, "problem:      {}\n", text(message.problem));
    return out;
  }
  const SpooledEnvelope& envelope = message.envelope;
  fmt::format_to(to, "received:     {}\n", rfc3339(envelope.received));
  fmt::format_to(to, "client:       {}\n", text(envelope.client));
  fmt::format_to(to, "helo:         {}\n", text(envelope.helo));
  fmt::format_to(to, "listener:     {}\n", text(envelope.listener));
  fmt::format_to(to, "user:         {}\n", text(envelope.user));
  fmt::format_to(to, "route:        {}\n", text(envelope.route));
  out += "sender:       ";
  append_sender(out, message);
  out += '\n';
  fmt::format_to(to, "body:         {}{}\n", to_string(envelope.body),
                 envelope.smtputf8 ? ", smtputf8" : "");
  fmt::format_to(to, "attempts:     {}\n", message.delivery.attempts);
  std::string next = "-";
  if (message.state == MessageState::Queued || message.state == MessageState::Deferred) {
    next = "as soon as possible";
    if (message.delivery.next_attempt && *message.delivery.next_attempt > now) {
      next = fmt::format("{} (in {})", rfc3339(*message.delivery.next_attempt),
                         in_words(std::chrono::duration_cast<std::chrono::seconds>(
                             *message.delivery.next_attempt - now)));
    }
  }
  fmt::format_to(to, "next attempt: {}\n", next);
  for (std::size_t i = 0; i < envelope.recipients.size(); ++i) {
    const RecipientState& state = recipient_state(message, i);
    fmt::format_to(to, "recipient:    {}\n",
                   core::escape_control_characters(envelope.recipients[i]));
    fmt::format_to(to, "  status:     {}\n", to_string(state.status));
    fmt::format_to(to, "  attempts:   {}\n", state.attempts);
    fmt::format_to(to, "  last reply: {}\n", text(state.last_reply));
  }
  // The latest attempts, oldest first (the spool keeps kMaxAttemptHistory).
  for (const AttemptRecord& record : message.delivery.history) {
    fmt::format_to(to, "attempt:      {} {} relay={} to={}\n", rfc3339(record.when),
                   text(record.status), text(record.relay), text(record.to));
    fmt::format_to(to, "  reply:      {}\n", text(record.reply));
  }
  if (!message.problem.empty()) fmt::format_to(to, "problem:      {}\n", text(message.problem));
  return out;
}

}  // namespace mailoauth::queue
