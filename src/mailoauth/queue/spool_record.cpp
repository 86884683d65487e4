// Encoding and strict parsing of the spool's envelope and state records; see
// spool_record.hpp for the format's reasons.
#include "mailoauth/queue/spool_record.hpp"

#include <charconv>

#include <fmt/format.h>

namespace mailoauth::queue {

namespace {

constexpr std::string_view kEnvelopeMagic = "mailoauth-spool 1";
constexpr std::string_view kStateMagic = "mailoauth-state 1";
constexpr std::size_t kMaxLine = 16 * 1024;
static_assert(3 * kMaxStoredReply + 64 < kMaxLine, "an encoded reply line must fit a line");
static_assert(4 * 3 * kMaxHistoryText + 64 < kMaxLine, "an encoded attempt line must fit a line");

core::Error corrupt(std::string_view what) {
  return core::Error(core::ErrorClass::Bug, "queue.corrupt", fmt::format("spool record: {}", what),
                     "the file was damaged outside mailoauth; it is kept in the spool's corrupt/ "
                     "directory for inspection");
}

std::string encode_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f || c == '%') {
      out += fmt::format("%{:02X}", byte);
    } else {
      out += c;
    }
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> decode_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '%') {
      if (i + 2 >= value.size()) return std::nullopt;
      const int high = hex_digit(value[i + 1]);
      const int low = hex_digit(value[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return std::nullopt;
    } else {
      out += c;
    }
  }
  return out;
}

template <typename Number>
std::optional<Number> number(std::string_view text) {
  Number value{};
  if (text.empty()) return std::nullopt;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::int64_t to_micros(WallTime time) {
  return std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
}

std::optional<WallTime> from_micros(std::string_view text) {
  const auto micros = number<std::int64_t>(text);
  // Years 1970 to ~2262 fit system_clock's nanoseconds; refuse the rest.
  if (!micros || *micros < 0 || *micros > 9'000'000'000'000'000) return std::nullopt;
  return WallTime(
      std::chrono::duration_cast<WallTime::duration>(std::chrono::microseconds(*micros)));
}

// Splits "key value" (value may be absent: empty).
std::pair<std::string_view, std::string_view> split_line(std::string_view line) {
  const std::size_t space = line.find(' ');
  if (space == std::string_view::npos) return {line, {}};
  return {line.substr(0, space), line.substr(space + 1)};
}

// Line-by-line reader over a record; stops at an empty line or the end.
class Lines {
 public:
  explicit Lines(std::string_view text) : text_(text) {}
  // The next line, or nullopt at the end of the text or at an empty line
  // (which `ended_by_blank` then reports).
  core::Result<std::optional<std::string_view>> next() {
    if (position_ >= text_.size()) return std::nullopt;
    const std::size_t end = text_.find('\n', position_);
    if (end == std::string_view::npos) return std::unexpected(corrupt("a line without its end"));
    if (end - position_ > kMaxLine) return std::unexpected(corrupt("a line too long"));
    const std::string_view line = text_.substr(position_, end - position_);
    position_ = end + 1;
    if (line.empty()) {
      ended_by_blank_ = true;
      return std::nullopt;
    }
    return line;
  }
  bool ended_by_blank() const { return ended_by_blank_; }
  std::size_t position() const { return position_; }

 private:
  std::string_view text_;
  std::size_t position_ = 0;
  bool ended_by_blank_ = false;
};

core::Result<void> apply_envelope_field(std::string_view key, const std::string& value,
                                        SpooledEnvelope& envelope, std::string& seen) {
  const auto once = [&](char tag) -> bool {
    if (seen.find(tag) != std::string::npos) return false;
    seen += tag;
    return true;
  };
  bool fresh = true;
  if (key == "id") {
    fresh = once('i');
    envelope.id = value;
  } else if (key == "received") {
    fresh = once('r');
    const auto time = from_micros(value);
    if (!time) return std::unexpected(corrupt("a bad received time"));
    envelope.received = *time;
  } else if (key == "client") {
    fresh = once('c');
    envelope.client = value;
  } else if (key == "helo") {
    fresh = once('h');
    envelope.helo = value;
  } else if (key == "listener") {
    fresh = once('l');
    envelope.listener = value;
  } else if (key == "user") {
    fresh = once('u');
    envelope.user = value;
  } else if (key == "route") {
    fresh = once('o');
    envelope.route = value;
  } else if (key == "from") {
    fresh = once('f');
    envelope.from = value;
  } else if (key == "rcpt") {
    if (value.empty()) return std::unexpected(corrupt("an empty recipient"));
    envelope.recipients.push_back(value);
  } else if (key == "body") {
    fresh = once('b');
    if (value == "7bit") {
      envelope.body = Body::SevenBit;
    } else if (value == "8bitmime") {
      envelope.body = Body::EightBitMime;
    } else if (value == "binarymime") {
      envelope.body = Body::BinaryMime;
    } else {
      return std::unexpected(corrupt("an unknown body type"));
    }
  } else if (key == "smtputf8") {
    fresh = once('s');
    if (value != "0" && value != "1") return std::unexpected(corrupt("a bad smtputf8 flag"));
    envelope.smtputf8 = value == "1";
  } else if (key == "bounce_of") {
    fresh = once('n');
    if (value.empty()) return std::unexpected(corrupt("an empty bounce_of"));
    envelope.bounce_of = value;
  } else {
    return std::unexpected(corrupt(fmt::format("an unknown key \"{}\"", encode_value(key))));
  }
  if (!fresh) return std::unexpected(corrupt(fmt::format("key {} given twice", key)));
  return {};
}

}  // namespace

std::string_view to_string(Body body) {
  switch (body) {
    case Body::SevenBit:
      return "7bit";
    case Body::EightBitMime:
      return "8bitmime";
    case Body::BinaryMime:
      return "binarymime";
  }
  return "7bit";
}

std::string_view to_string(RecipientStatus status) {
  switch (status) {
    case RecipientStatus::Pending:
      return "pending";
    case RecipientStatus::Sent:
      return "sent";
    case RecipientStatus::Failed:
      return "failed";
    case RecipientStatus::Deferred:
      return "deferred";
  }
  return "pending";
}

DeliveryState DeliveryState::fresh(std::size_t recipient_count) {
  DeliveryState state;
  state.recipients.resize(recipient_count);
  return state;
}

bool DeliveryState::finished() const {
  for (const RecipientState& recipient : recipients) {
    if (recipient.status == RecipientStatus::Pending ||
        recipient.status == RecipientStatus::Deferred) {
      return false;
    }
  }
  return true;
}

bool DeliveryState::any_failed() const {
  for (const RecipientState& recipient : recipients) {
    if (recipient.status == RecipientStatus::Failed) return true;
  }
  return false;
}

void DeliveryState::add_attempt(AttemptRecord record) {
  const auto cut = [](std::string& text) {
    if (text.size() > kMaxHistoryText) text.resize(kMaxHistoryText);
  };
  cut(record.status);
  cut(record.relay);
  cut(record.to);
  cut(record.reply);
  history.push_back(std::move(record));
  if (history.size() > kMaxAttemptHistory) {
    history.erase(history.begin(), history.begin() + static_cast<std::ptrdiff_t>(
                                                         history.size() - kMaxAttemptHistory));
  }
}

std::string encode_envelope(const SpooledEnvelope& envelope) {
  std::string out;
  out += kEnvelopeMagic;
  out += '\n';
  const auto field = [&](std::string_view key, std::string_view value) {
    out += key;
    if (!value.empty()) {
      out += ' ';
      out += encode_value(value);
    }
    out += '\n';
  };
  field("id", envelope.id);
  field("received", std::to_string(to_micros(envelope.received)));
  field("client", envelope.client);
  field("helo", envelope.helo);
  field("listener", envelope.listener);
  field("user", envelope.user);
  field("route", envelope.route);
  field("from", envelope.from);
  for (const std::string& recipient : envelope.recipients) field("rcpt", recipient);
  field("body", to_string(envelope.body));
  field("smtputf8", envelope.smtputf8 ? "1" : "0");
  if (!envelope.bounce_of.empty()) field("bounce_of", envelope.bounce_of);
  out += '\n';
  return out;
}

core::Result<SpooledEnvelope> parse_envelope(std::string_view text, std::size_t& header_size) {
  if (text.size() > kMaxRecordSize) text = text.substr(0, kMaxRecordSize);
  Lines lines(text);
  auto first = lines.next();
  if (!first) return std::unexpected(first.error());
  if (!*first || **first != kEnvelopeMagic) return std::unexpected(corrupt("not a spool file"));
  SpooledEnvelope envelope;
  std::string seen;
  for (;;) {
    auto line = lines.next();
    if (!line) return std::unexpected(line.error());
    if (!*line) break;
    const auto [key, encoded] = split_line(**line);
    const auto value = decode_value(encoded);
    if (!value) return std::unexpected(corrupt("a badly encoded value"));
    if (auto applied = apply_envelope_field(key, *value, envelope, seen); !applied) {
      return std::unexpected(applied.error());
    }
  }
  if (!lines.ended_by_blank()) return std::unexpected(corrupt("the header has no end"));
  if (seen.find('i') == std::string::npos || seen.find('r') == std::string::npos ||
      seen.find('f') == std::string::npos || envelope.recipients.empty()) {
    return std::unexpected(corrupt("id, received, from or the recipients are missing"));
  }
  header_size = lines.position();
  return envelope;
}

std::string encode_state(const DeliveryState& state) {
  std::string out;
  out += kStateMagic;
  out += '\n';
  out += fmt::format("hold {}\n", state.hold ? 1 : 0);
  out += fmt::format("attempts {}\n", state.attempts);
  if (state.next_attempt) {
    out += fmt::format("next {}\n", to_micros(*state.next_attempt));
  }
  if (state.delay_warned) out += "warned 1\n";
  for (std::size_t i = 0; i < state.recipients.size(); ++i) {
    const RecipientState& recipient = state.recipients[i];
    out += fmt::format("rcpt {} {} {}", i, to_string(recipient.status), recipient.attempts);
    if (!recipient.last_reply.empty()) {
      // Bounded, so the encoded line (3 bytes a byte at worst) stays under kMaxLine.
      const std::string_view reply =
          std::string_view(recipient.last_reply).substr(0, kMaxStoredReply);
      out += " " + encode_value(reply);
    }
    out += '\n';
  }
  // try MICROS STATUS RELAY TO [REPLY]; the last kMaxAttemptHistory, texts bounded.
  const std::size_t skip =
      state.history.size() > kMaxAttemptHistory ? state.history.size() - kMaxAttemptHistory : 0;
  for (std::size_t i = skip; i < state.history.size(); ++i) {
    const AttemptRecord& record = state.history[i];
    const auto text = [](std::string_view value, std::string_view empty) {
      value = value.substr(0, kMaxHistoryText);
      return value.empty() ? std::string(empty) : encode_value(value);
    };
    out += fmt::format("try {} {} {} {}", to_micros(record.when), text(record.status, "unknown"),
                       text(record.relay, "none"), text(record.to, "none"));
    if (!record.reply.empty()) out += " " + text(record.reply, "");
    out += '\n';
  }
  out += "end\n";
  return out;
}

core::Result<DeliveryState> parse_state(std::string_view text, std::size_t recipient_count) {
  if (text.size() > kMaxRecordSize) return std::unexpected(corrupt("a state record too large"));
  Lines lines(text);
  auto first = lines.next();
  if (!first) return std::unexpected(first.error());
  if (!*first || **first != kStateMagic) return std::unexpected(corrupt("not a state file"));
  DeliveryState state = DeliveryState::fresh(recipient_count);
  std::vector<bool> given(recipient_count, false);
  bool ended = false;
  for (;;) {
    auto line = lines.next();
    if (!line) return std::unexpected(line.error());
    if (!*line) break;
    if (ended) return std::unexpected(corrupt("lines after the end"));
    const auto [key, rest] = split_line(**line);
    if (key == "end") {
      ended = true;
    } else if (key == "hold") {
      if (rest != "0" && rest != "1") return std::unexpected(corrupt("a bad hold flag"));
      state.hold = rest == "1";
    } else if (key == "attempts") {
      const auto attempts = number<std::uint32_t>(rest);
      if (!attempts) return std::unexpected(corrupt("a bad attempt count"));
      state.attempts = *attempts;
    } else if (key == "warned") {
      if (rest != "0" && rest != "1") return std::unexpected(corrupt("a bad warned flag"));
      state.delay_warned = rest == "1";
    } else if (key == "next") {
      state.next_attempt = from_micros(rest);
      if (!state.next_attempt) return std::unexpected(corrupt("a bad next attempt time"));
    } else if (key == "rcpt") {
      // rcpt INDEX STATUS ATTEMPTS [REPLY]
      const auto [index_text, after_index] = split_line(rest);
      const auto [status_text, after_status] = split_line(after_index);
      const auto [attempts_text, reply_text] = split_line(after_status);
      const auto index = number<std::size_t>(index_text);
      const auto attempts = number<std::uint32_t>(attempts_text);
      const auto reply = decode_value(reply_text);
      if (!index || *index >= recipient_count || given[*index] || !attempts || !reply) {
        return std::unexpected(corrupt("a bad recipient line"));
      }
      given[*index] = true;
      RecipientState& recipient = state.recipients[*index];
      if (status_text == "pending") {
        recipient.status = RecipientStatus::Pending;
      } else if (status_text == "sent") {
        recipient.status = RecipientStatus::Sent;
      } else if (status_text == "failed") {
        recipient.status = RecipientStatus::Failed;
      } else if (status_text == "deferred") {
        recipient.status = RecipientStatus::Deferred;
      } else {
        return std::unexpected(corrupt("an unknown recipient status"));
      }
      recipient.attempts = *attempts;
      recipient.last_reply = reply->substr(0, kMaxStoredReply);  // as encode_state keeps it
    } else if (key == "try") {
      // try MICROS STATUS RELAY TO [REPLY]
      const auto [when_text, after_when] = split_line(rest);
      const auto [status_text, after_status] = split_line(after_when);
      const auto [relay_text, after_relay] = split_line(after_status);
      const auto [to_text, reply_text] = split_line(after_relay);
      const auto when = from_micros(when_text);
      auto status = decode_value(status_text);
      auto relay = decode_value(relay_text);
      auto to = decode_value(to_text);
      auto reply = decode_value(reply_text);
      if (!when || !status || !relay || !to || !reply || status->empty() || relay->empty() ||
          to->empty() || status->size() > kMaxHistoryText || relay->size() > kMaxHistoryText ||
          to->size() > kMaxHistoryText || reply->size() > kMaxHistoryText) {
        return std::unexpected(corrupt("a bad attempt line"));
      }
      if (state.history.size() == kMaxAttemptHistory) {
        return std::unexpected(corrupt("more attempt lines than a state record keeps"));
      }
      state.history.push_back(AttemptRecord{*when, std::move(*status), std::move(*relay),
                                            std::move(*to), std::move(*reply)});
    } else {
      return std::unexpected(corrupt("an unknown key in a state record"));
    }
  }
  if (!ended) return std::unexpected(corrupt("a state record without its end"));
  return state;
}

}  // namespace mailoauth::queue
