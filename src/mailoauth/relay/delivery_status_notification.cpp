// The RFC 3464 notification writer; see delivery_status_notification.hpp for
// why every value is made safe here and how long lines are kept short.
#include "mailoauth/relay/delivery_status_notification.hpp"

#include <cstdint>

#include <fmt/format.h>

#include "mailoauth/mime/message_fields.hpp"

namespace mailoauth::relay {

namespace {

constexpr std::string_view kCrlf = "\r\n";
// Fold header fields here when a space allows; never let a line pass kHardLine.
constexpr std::size_t kFoldAt = 78;
constexpr std::size_t kHardLine = 998;
// A 7bit part's lines stay under this; longer ones make the part quoted-printable.
constexpr std::size_t kLongLine = 900;

bool is_control(unsigned char byte) {
  return byte < 0x20 || byte == 0x7f;
}

// The length of the valid UTF-8 sequence at text[i] (2-4), or 0 if none.
std::size_t utf8_sequence(std::string_view text, std::size_t i) {
  const auto byte = static_cast<unsigned char>(text[i]);
  std::size_t length = 0;
  std::uint32_t minimum = 0;
  std::uint32_t code = 0;
  if ((byte & 0xe0) == 0xc0) {
    length = 2, minimum = 0x80, code = byte & 0x1f;
  } else if ((byte & 0xf0) == 0xe0) {
    length = 3, minimum = 0x800, code = byte & 0x0f;
  } else if ((byte & 0xf8) == 0xf0) {
    length = 4, minimum = 0x10000, code = byte & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(text[i + k]);
    if ((next & 0xc0) != 0x80) return 0;
    code = (code << 6) | (next & 0x3f);
  }
  if (code < minimum || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  return length;
}

std::uint32_t utf8_code_point(std::string_view sequence) {
  std::uint32_t code = static_cast<unsigned char>(sequence[0]) & (0x7f >> sequence.size());
  for (std::size_t k = 1; k < sequence.size(); ++k) {
    code = (code << 6) | (static_cast<unsigned char>(sequence[k]) & 0x3f);
  }
  return code;
}

// Text for the human-readable part: valid UTF-8 kept, controls (but the line
// breaks) as spaces, invalid bytes as \xNN.
std::string text_safe(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      out += is_control(byte) ? ' ' : text[i];
    } else if (const std::size_t length = utf8_sequence(text, i); length > 0) {
      out += text.substr(i, length);
      i += length - 1;
    } else {
      out += fmt::format("\\x{:02X}", byte);
    }
  }
  return out;
}

// An address for From:/To:: nothing that could end the angle brackets or the
// line (the SMTP grammar refused those already; this is the second fence).
std::string address_safe(std::string_view address) {
  std::string out;
  for (const char c : address) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f || c == '<' || c == '>') continue;
    out += c;
  }
  return out;
}

bool is_ascii(std::string_view text) {
  for (const char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// Final-Recipient's value: "rfc822; addr" for an ASCII address, else RFC
// 6533's "utf-8; " with utf-8-addr-xtext (\x{HEX} for non-ASCII characters,
// '\', '+', '=', spaces and controls), so the field stays US-ASCII.
std::string recipient_field(std::string_view address) {
  if (is_ascii(address)) return "rfc822; " + header_safe(address);
  std::string out = "utf-8; ";
  for (std::size_t i = 0; i < address.size(); ++i) {
    const auto byte = static_cast<unsigned char>(address[i]);
    if (byte >= 0x80) {
      const std::size_t length = utf8_sequence(address, i);
      if (length == 0) {
        out += fmt::format("\\x{{{:X}}}", byte);
      } else {
        out += fmt::format("\\x{{{:X}}}", utf8_code_point(address.substr(i, length)));
        i += length - 1;
      }
    } else if (byte <= 0x20 || byte == 0x7f || byte == '\\' || byte == '+' || byte == '=') {
      out += fmt::format("\\x{{{:X}}}", byte);
    } else {
      out += address[i];
    }
  }
  return out;
}

// "Name: value" folded before a space when the line would pass kFoldAt, and
// cut (a fold inserted) where a word alone would pass kHardLine.
std::string field(std::string_view name, std::string_view value) {
  std::string out(name);
  out += ':';
  std::size_t line = out.size();
  std::size_t position = 0;
  while (position < value.size()) {
    std::size_t end = value.find(' ', position);
    if (end == std::string_view::npos) end = value.size();
    std::string_view word = value.substr(position, end - position);
    position = end + 1;
    if (word.empty()) continue;
    if (line + 1 + word.size() > kFoldAt && line > name.size() + 1) {
      out += kCrlf;
      line = 0;
    }
    out += ' ';
    ++line;
    while (line + word.size() > kHardLine) {
      const std::size_t room = kHardLine - line;
      out += word.substr(0, room);
      out += kCrlf;
      out += ' ';
      line = 1;
      word.remove_prefix(room);
    }
    out += word;
    line += word.size();
  }
  out += kCrlf;
  return out;
}

// Lines of `text` (LF or CRLF), without their ends.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (line.ends_with('\r')) line.remove_suffix(1);
    lines.push_back(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

// Whether `text` can go as 7bit with CRLF line ends and no risk to the
// boundary (which starts with "=_", never produced by quoted-printable).
bool fits_seven_bit(std::string_view text) {
  for (const std::string_view line : split_lines(text)) {
    if (line.size() > kLongLine || line.find("=_") != std::string_view::npos) return false;
    for (const char c : line) {
      const auto byte = static_cast<unsigned char>(c);
      if (byte >= 0x80 || (is_control(byte) && c != '\t')) return false;
    }
  }
  return true;
}

std::string crlf_lines(std::string_view text) {
  std::string out;
  for (const std::string_view line : split_lines(text)) {
    out += line;
    out += kCrlf;
  }
  return out;
}

// RFC 2045 6.7 quoted-printable of text, line by line (line breaks become
// CRLF), soft breaks keeping every line at most 76 characters.
std::string quoted_printable(std::string_view text) {
  std::string out;
  for (const std::string_view line : split_lines(text)) {
    std::size_t column = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const auto byte = static_cast<unsigned char>(line[i]);
      const bool last = i + 1 == line.size();
      std::string piece;
      if ((byte >= 33 && byte <= 126 && byte != '=') || ((byte == ' ' || byte == '\t') && !last)) {
        piece = std::string(1, line[i]);
      } else {
        piece = fmt::format("={:02X}", byte);
      }
      if (column + piece.size() > 75) {
        out += "=\r\n";
        column = 0;
      }
      out += piece;
      column += piece.size();
    }
    out += kCrlf;
  }
  return out;
}

// A part's body and its Content-Transfer-Encoding.
std::pair<std::string, std::string_view> encode_text(std::string_view text) {
  if (fits_seven_bit(text)) return {crlf_lines(text), "7bit"};
  return {quoted_printable(text), "quoted-printable"};
}

// `text` wrapped at spaces to `width` columns, each line after `indent`.
std::string wrapped(std::string_view text, std::string_view indent, std::size_t width = 72) {
  std::string out;
  std::size_t line = 0;
  std::size_t position = 0;
  while (position < text.size()) {
    std::size_t end = text.find(' ', position);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view word = text.substr(position, end - position);
    position = end + 1;
    if (word.empty()) continue;
    if (line > 0 && line + 1 + word.size() > width) {
      out += '\n';
      line = 0;
    }
    if (line == 0) {
      out += indent;
      line = indent.size();
    } else {
      out += ' ';
      ++line;
    }
    out += word;
    line += word.size();
  }
  out += '\n';
  return out;
}

// "5 days", "4 hours", "90 minutes".
std::string duration_words(std::chrono::seconds duration) {
  const auto count = duration.count();
  const auto plural = [](long long n, std::string_view unit) {
    return fmt::format("{} {}{}", n, unit, n == 1 ? "" : "s");
  };
  if (count % 86400 == 0 && count > 0) return plural(count / 86400, "day");
  if (count % 3600 == 0 && count > 0) return plural(count / 3600, "hour");
  if (count % 60 == 0 && count > 0) return plural(count / 60, "minute");
  return plural(count, "second");
}

// "NNN " or "NNN-" at the start: an SMTP reply (else the relay's own words or Graph's).
bool is_smtp_reply(std::string_view reply) {
  return reply.size() >= 4 && reply[0] >= '2' && reply[0] <= '5' && reply[1] >= '0' &&
         reply[1] <= '9' && reply[2] >= '0' && reply[2] <= '9' &&
         (reply[3] == ' ' || reply[3] == '-');
}

// The enhanced code right after an SMTP reply code, "C.S.D" (RFC 3463: class
// 2, 4 or 5; subject up to 3 digits; detail up to 3 digits), or empty.
std::string enhanced_code(std::string_view reply) {
  std::size_t i = 0;
  while (i < reply.size() && (reply[i] == ' ' || reply[i] == '-')) ++i;
  const std::string_view rest = reply.substr(i);
  if (rest.size() < 5) return {};
  if (rest[0] != '2' && rest[0] != '4' && rest[0] != '5') return {};
  if (rest[1] != '.') return {};
  std::size_t position = 2;
  for (int part = 0; part < 2; ++part) {
    const std::size_t start = position;
    while (position < rest.size() && position - start < 4 && rest[position] >= '0' &&
           rest[position] <= '9') {
      ++position;
    }
    const std::size_t digits = position - start;
    if (digits == 0 || digits > 3) return {};
    if (part == 0) {
      if (position >= rest.size() || rest[position] != '.') return {};
      ++position;
    }
  }
  if (position < rest.size() && rest[position] != ' ' && rest[position] != '\t') return {};
  return std::string(rest.substr(0, position));
}

std::string diagnostic(const DsnRecipient& recipient) {
  std::string_view reply = recipient.reply;
  const std::string type = is_smtp_reply(reply) ? "smtp" : "X-mailoauth";
  return type + "; " + header_safe(reply);
}

std::string human_part(const DsnInput& input, bool failed) {
  std::string text;
  text += fmt::format("This is the mail relay at {}.\n\n", text_safe(input.reporting_mta));
  if (failed) {
    text += wrapped(
        "Your message could not be delivered to the recipients below. The relay has given up on "
        "them and will not try again.",
        "");
  } else {
    text += wrapped(fmt::format("Your message has not yet been delivered to the recipients below. "
                                "The relay keeps trying until {} ({} after it was received); you "
                                "do not need to send it again. You will get another notice only if "
                                "it fails for good.",
                                mime::rfc5322_date(input.arrival + input.queue_lifetime),
                                duration_words(input.queue_lifetime)),
                    "");
  }
  text +=
      wrapped(fmt::format("It was received on {} (relay queue id {}).",
                          mime::rfc5322_date(input.arrival), text_safe(input.original_queue_id)),
              "");
  bool any_expired = false;
  bool any_address = false;
  bool any_policy = false;
  for (const DsnRecipient& recipient : input.recipients) {
    text += '\n';
    text += fmt::format("<{}>\n", text_safe(address_safe(recipient.address)));
    if (recipient.expired) {
      any_expired = true;
      text += wrapped(fmt::format("was not delivered within the queue lifetime ({}).",
                                  duration_words(input.queue_lifetime)),
                      "    ");
    }
    const std::string status = dsn_status(recipient.reply, recipient.action, recipient.expired);
    any_address = any_address || status.starts_with("5.1.");
    any_policy = any_policy || status.starts_with("5.7.");
    const std::string who = recipient.from_upstream && !input.remote_mta.empty()
                                ? fmt::format("The mail server {} replied:", input.remote_mta)
                                : std::string("Reason:");
    text += wrapped(text_safe(who), "    ");
    text += wrapped(text_safe(recipient.reply), "        ");
  }
  text += '\n';
  if (failed) {
    text += "What to do:\n";
    if (any_address) {
      text += wrapped(
          "- A status 5.1.x means the address does not exist or is mistyped: check it, "
          "correct it and send the message again.",
          "", 72);
    }
    if (any_policy) {
      text += wrapped(
          "- A status 5.7.x means the mail server refused the message by policy (the "
          "sender, the content, a permission): ask your mail administrator, quoting the reply "
          "above.",
          "", 72);
    }
    if (any_expired) {
      text += wrapped(
          "- The relay kept trying and the last reason is quoted above: the recipient's server "
          "or the relay's upstream was unavailable for the whole time. Send the message again "
          "later, or ask your mail administrator.",
          "", 72);
    }
    text += wrapped(
        "- Otherwise, or if you are unsure, forward this notice to your mail administrator.", "",
        72);
  }
  text += '\n';
  text += input.header_truncated
              ? wrapped(fmt::format("The original message's header is attached, cut after {} KB; "
                                    "the message itself is not returned.",
                                    kMaxReturnedHeader / 1024),
                        "")
              : wrapped(
                    "The original message's header is attached; the message itself is "
                    "not returned.",
                    "");
  return text;
}

std::string status_part(const DsnInput& input) {
  std::string out;
  out += field("Reporting-MTA", "dns; " + header_safe(input.reporting_mta));
  out += field("X-Mailoauth-Queue-ID", header_safe(input.original_queue_id));
  out += field("Arrival-Date", mime::rfc5322_date(input.arrival));
  for (const DsnRecipient& recipient : input.recipients) {
    out += kCrlf;
    out += field("Final-Recipient", recipient_field(recipient.address));
    out += field("Action", to_string(recipient.action));
    out += field("Status", dsn_status(recipient.reply, recipient.action, recipient.expired));
    if (recipient.from_upstream && !input.remote_mta.empty()) {
      out += field("Remote-MTA", "dns; " + header_safe(input.remote_mta));
    }
    if (!recipient.reply.empty()) out += field("Diagnostic-Code", diagnostic(recipient));
    if (recipient.last_attempt) {
      out += field("Last-Attempt-Date", mime::rfc5322_date(*recipient.last_attempt));
    }
    if (recipient.action == DsnAction::Delayed) {
      out += field("Will-Retry-Until", mime::rfc5322_date(input.arrival + input.queue_lifetime));
    }
  }
  return out;
}

}  // namespace

std::string_view to_string(DsnAction action) {
  return action == DsnAction::Failed ? "failed" : "delayed";
}

std::string header_safe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (is_control(byte) || byte == ' ') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else if (byte >= 0x80) {
      out += fmt::format("\\x{:02X}", byte);
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string dsn_status(std::string_view reply, DsnAction action, bool expired) {
  const std::string_view words = reply;
  if (is_smtp_reply(words)) {
    std::string code = enhanced_code(words.substr(3));
    if (!code.empty() && code[0] == words[0]) {
      // A failed recipient reports a permanent class, a delayed one a transient class
      // (RFC 3464 2.3.4 with 2.3.3); an expired one keeps the transient code it last got.
      if (action == DsnAction::Failed && code[0] == '5') return code;
      if (action == DsnAction::Delayed && code[0] == '4') return code;
      if (expired && code[0] == '4') return code;
    }
  }
  if (expired) return "4.4.7";
  return action == DsnAction::Failed ? "5.0.0" : "4.0.0";
}

std::string compose_delivery_status_notification(const DsnInput& input) {
  bool failed = false;
  for (const DsnRecipient& recipient : input.recipients) {
    failed = failed || recipient.action == DsnAction::Failed;
  }
  const auto [human, human_encoding] = encode_text(human_part(input, failed));
  const std::string status = status_part(input);
  std::string header_text = input.original_header;
  // The header section only, without its blank line.
  while (header_text.ends_with('\n') || header_text.ends_with('\r')) header_text.pop_back();
  const auto [headers, headers_encoding] = encode_text(header_text);

  // A boundary no part contains ("=_" never comes out of quoted-printable,
  // and the 7bit parts were checked for it; the status part is checked here).
  std::string token;
  for (const char c : input.message_id) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) token += c;
    if (token.size() >= 40) break;
  }
  std::string boundary = "=_mailoauth-dsn-" + token;
  for (int n = 1; status.find(boundary) != std::string::npos; ++n) {
    boundary = fmt::format("=_mailoauth-dsn-{}-{}", token, n);
  }

  std::string out;
  out += field("From", fmt::format("Mail Delivery System <{}>", address_safe(input.from)));
  out += field("To", fmt::format("<{}>", address_safe(input.to)));
  out += field("Subject", failed ? "Undelivered Mail Returned to Sender"
                                 : "Delayed Mail (still being retried)");
  out += field("Date", mime::rfc5322_date(input.now));
  out += field("Message-ID", fmt::format("<{}>", header_safe(input.message_id)));
  out += field("Auto-Submitted", "auto-replied");
  out += field("MIME-Version", "1.0");
  out += field(
      "Content-Type",
      fmt::format("multipart/report; report-type=delivery-status; boundary=\"{}\"", boundary));
  out += kCrlf;
  out += "This is a MIME-encapsulated message: a delivery status notification.\r\n";
  out += fmt::format("\r\n--{}\r\n", boundary);
  out += field("Content-Description", "Notification");
  out += field("Content-Type", "text/plain; charset=utf-8");
  out += field("Content-Transfer-Encoding", human_encoding);
  out += kCrlf;
  out += human;
  out += fmt::format("\r\n--{}\r\n", boundary);
  out += field("Content-Description", "Delivery report");
  out += field("Content-Type", "message/delivery-status");
  out += kCrlf;
  out += status;
  out += fmt::format("\r\n--{}\r\n", boundary);
  out += field("Content-Description", "Undelivered message headers");
  out += field("Content-Type", "text/rfc822-headers");
  out += field("Content-Transfer-Encoding", headers_encoding);
  out += kCrlf;
  out += headers;
  out += fmt::format("\r\n--{}--\r\n", boundary);
  return out;
}

}  // namespace mailoauth::relay
