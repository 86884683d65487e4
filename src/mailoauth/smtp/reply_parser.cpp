// The reply parser as a line splitter feeding a line checker. Bytes are looked
// at once: consume() finds each LF with one search and copies at most
// max_line_length + 1 bytes of a line (room for its CR) before refusing it, so
// 10 MB without a line ending costs 4 KB, not 10 MB. finish_line() checks the
// code and the text and adds the line to the reply being received; the last
// line moves the reply to the queue of complete ones. Every refusal is a
// Temporary error, as Postfix defers on a server's protocol error: a garbled
// reply says nothing about whether the message could be sent later, and the
// usual cause, a host and port that are not an SMTP server's, is named in the
// remedy.
#include "mailoauth/smtp/reply_parser.hpp"

#include <fmt/format.h>

#include "mailoauth/core/log.hpp"

namespace mailoauth::smtp {

namespace {

constexpr std::string_view kNotSmtpRemedy =
    "check that the host and port are an SMTP server's: an HTTP server, or a TLS port (465) "
    "spoken to without TLS, answers like this";

// A short, single-line, control-free excerpt of a line for messages.
std::string excerpt(std::string_view line) {
  constexpr std::size_t kLimit = 80;
  std::string text = core::escape_control_characters(line.substr(0, kLimit));
  if (line.size() > kLimit) text += "...";
  return text;
}

// RFC 5321 4.2: Reply-code = %x32-35 %x30-35 %x30-39.
std::optional<int> parse_code(std::string_view line) {
  if (line.size() < 3) return std::nullopt;
  const char first = line[0], second = line[1], third = line[2];
  if (first < '2' || first > '5' || second < '0' || second > '5' || third < '0' || third > '9') {
    return std::nullopt;
  }
  return (first - '0') * 100 + (second - '0') * 10 + (third - '0');
}

// 1*3DIGIT at the start of text; how many digits were read (0: none).
std::size_t read_number(std::string_view text, int& value) {
  std::size_t length = 0;
  value = 0;
  while (length < text.size() && length < 4 && text[length] >= '0' && text[length] <= '9') {
    value = value * 10 + (text[length] - '0');
    ++length;
  }
  return length;
}

}  // namespace

std::string EnhancedStatus::to_string() const {
  return fmt::format("{}.{}.{}", status_class, subject, detail);
}

std::optional<EnhancedStatus> parse_enhanced_status(std::string_view text, int reply_code) {
  // class "." 1*3digit "." 1*3digit, then SP, HT or the end.
  if (text.size() < 5 || text[1] != '.') return std::nullopt;
  const int status_class = text[0] - '0';
  if (status_class != 2 && status_class != 4 && status_class != 5) return std::nullopt;
  if (status_class != reply_code / 100) return std::nullopt;
  EnhancedStatus status{status_class, 0, 0};
  std::string_view rest = text.substr(2);
  const std::size_t subject_length = read_number(rest, status.subject);
  if (subject_length == 0 || subject_length > 3 || subject_length >= rest.size() ||
      rest[subject_length] != '.') {
    return std::nullopt;
  }
  rest.remove_prefix(subject_length + 1);
  const std::size_t detail_length = read_number(rest, status.detail);
  if (detail_length == 0 || detail_length > 3) return std::nullopt;
  if (detail_length < rest.size() && rest[detail_length] != ' ' && rest[detail_length] != '\t') {
    return std::nullopt;
  }
  return status;
}

std::string Reply::text() const {
  std::string joined;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) joined.push_back('\n');
    joined += lines[i];
  }
  return joined;
}

ReplyParser::ReplyParser(ReplyLimits limits) : limits_(limits) {}

core::Result<std::optional<Reply>> ReplyParser::feed(std::string_view bytes) {
  if (!error_) consume(bytes);
  return next();
}

core::Result<std::optional<Reply>> ReplyParser::next() {
  if (!ready_.empty()) {
    auto [reply, size] = std::move(ready_.front());
    ready_.pop_front();
    ready_size_ -= size;
    return std::optional<Reply>(std::move(reply));
  }
  if (error_) return core::fail(*error_);
  return std::optional<Reply>();
}

std::size_t ReplyParser::buffered_size() const {
  return ready_size_ + current_size_ + line_.size();
}

void ReplyParser::fail_with(core::ErrorClass error_class, std::string code, std::string message,
                            std::string remedy) {
  error_.emplace(error_class, std::move(code), std::move(message), std::move(remedy));
  // Nothing after the bad byte will be read: give the memory back.
  line_ = std::string();
  current_ = Reply();
  current_size_ = 0;
}

void ReplyParser::consume(std::string_view bytes) {
  while (!bytes.empty() && !error_) {
    const std::size_t newline = bytes.find('\n');
    const std::string_view chunk = bytes.substr(0, newline);
    if (line_.size() + chunk.size() > limits_.max_line_length + 1) {  // + 1: its CR
      fail_with(core::ErrorClass::Temporary, "smtp.reply_line_too_long",
                fmt::format("the SMTP server sent a reply line longer than {} bytes (line {}: "
                            "\"{}\")",
                            limits_.max_line_length, line_number_ + 1,
                            excerpt(line_.empty() ? chunk : std::string_view(line_))),
                std::string(kNotSmtpRemedy));
      return;
    }
    line_.append(chunk);
    if (newline == std::string_view::npos) return;
    bytes.remove_prefix(newline + 1);
    finish_line();
  }
}

// Long on purpose (~95 lines): each RFC 5321 rule for a reply line is one
// check here, in the grammar's order, so the parser reads like the grammar.
void ReplyParser::finish_line() {
  ++line_number_;
  const std::size_t received = line_.size() + 1;  // with its LF
  std::string_view line(line_);
  bool bare_line_feed = true;
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
    bare_line_feed = false;
  }
  if (line.size() > limits_.max_line_length) {
    fail_with(core::ErrorClass::Temporary, "smtp.reply_line_too_long",
              fmt::format("the SMTP server sent a reply line longer than {} bytes (line {}: "
                          "\"{}\")",
                          limits_.max_line_length, line_number_, excerpt(line)),
              std::string(kNotSmtpRemedy));
    return;
  }
  const std::optional<int> code = parse_code(line);
  const char separator = line.size() > 3 ? line[3] : ' ';
  if (!code || (separator != ' ' && separator != '-')) {
    fail_with(core::ErrorClass::Temporary, "smtp.reply_bad_code",
              fmt::format("the SMTP server sent a line that is not a reply (line {}: \"{}\"); a "
                          "reply starts with a code such as 250 (first digit 2 to 5, second 0 to "
                          "5), then a space or "
                          "'-'",
                          line_number_, excerpt(line)),
              std::string(kNotSmtpRemedy));
    return;
  }
  if (!current_.lines.empty() && *code != current_.code) {
    fail_with(core::ErrorClass::Temporary, "smtp.reply_code_changed",
              fmt::format("the SMTP server changed the code within one reply, from {} to {} "
                          "(line {}: \"{}\")",
                          current_.code, *code, line_number_, excerpt(line)),
              "the server breaks RFC 5321 section 4.2.1; report it to its administrator");
    return;
  }
  const std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view();
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte == 0) {
      fail_with(core::ErrorClass::Temporary, "smtp.reply_nul",
                fmt::format("the SMTP server sent a NUL byte in a reply (line {}: \"{}\")",
                            line_number_, excerpt(line)),
                std::string(kNotSmtpRemedy));
      return;
    }
    if (c == '\r') {
      fail_with(core::ErrorClass::Temporary, "smtp.reply_bare_cr",
                fmt::format("the SMTP server sent a CR that does not end a line (line {}: "
                            "\"{}\")",
                            line_number_, excerpt(line)),
                "the server breaks RFC 5321 section 2.3.8; report it to its administrator");
      return;
    }
    if ((byte < 0x20 && c != '\t') || byte == 0x7f) {
      fail_with(core::ErrorClass::Temporary, "smtp.reply_control_character",
                fmt::format("the SMTP server sent a control character in a reply (line {}: "
                            "\"{}\")",
                            line_number_, excerpt(line)),
                std::string(kNotSmtpRemedy));
      return;
    }
  }
  if (current_.lines.size() == limits_.max_lines) {
    fail_with(core::ErrorClass::Temporary, "smtp.reply_too_many_lines",
              fmt::format("the SMTP server sent a reply of more than {} lines (code {})",
                          limits_.max_lines, *code),
              std::string(kNotSmtpRemedy));
    return;
  }
  if (current_size_ + received > limits_.max_reply_size) {
    fail_with(core::ErrorClass::Temporary, "smtp.reply_too_large",
              fmt::format("the SMTP server sent a reply of more than {} bytes (code {})",
                          limits_.max_reply_size, *code),
              std::string(kNotSmtpRemedy));
    return;
  }

  current_.code = *code;
  if (!current_.enhanced_status) current_.enhanced_status = parse_enhanced_status(text, *code);
  current_.bare_line_feed = current_.bare_line_feed || bare_line_feed;
  current_.lines.emplace_back(text);
  current_size_ += received;
  line_.clear();
  if (separator == '-') return;

  if (ready_size_ + current_size_ > limits_.max_pending_size) {
    fail_with(core::ErrorClass::Bug, "smtp.reply_backlog",
              fmt::format("more than {} bytes of SMTP replies were received and not taken",
                          limits_.max_pending_size),
              "report a mailoauth bug: the client must take each reply with next()");
    return;
  }
  ready_.emplace_back(std::move(current_), current_size_);
  ready_size_ += current_size_;
  current_ = Reply();
  current_size_ = 0;
}

}  // namespace mailoauth::smtp
