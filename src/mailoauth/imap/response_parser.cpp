// The response parser's two loops. The outer one (next) finds whole lines and
// counts literal bytes off the buffer; it is the only place that knows a
// response may span several reads. The inner one (ValueReader) turns one line
// into values on an explicit stack of open lists that survives from one line
// to the next, because a literal may sit deep inside a FETCH list and the
// list goes on after it. Status responses (OK, NO, BAD, PREAUTH, BYE) and
// continuations are single lines by the grammar: their human text is kept raw
// and a trailing "{5}" in it is text, not a literal.
#include "mailoauth/imap/response_parser.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "mailoauth/core/ascii.hpp"

namespace mailoauth::imap {

namespace {

core::Error malformed(std::string why) {
  return core::Error(core::ErrorClass::Permanent, "imap.bad_response",
                     "the IMAP server sent a malformed response: " + std::move(why));
}

core::Error too_large(std::string why) {
  return core::Error(core::ErrorClass::Permanent, "imap.response_too_large",
                     "the IMAP server sent more than this client accepts: " + std::move(why),
                     "if the server is right, raise the parser's limit");
}

bool is_control(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte < 0x20 || byte == 0x7f;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_digit);
}

// Digits to a 64-bit number; nothing when it does not fit.
std::optional<std::uint64_t> to_number(std::string_view digits) {
  std::uint64_t number = 0;
  for (char c : digits) {
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (number > (UINT64_MAX - digit) / 10) return std::nullopt;
    number = number * 10 + digit;
  }
  return number;
}

// A word that may name a response or a response code: atom characters only.
bool is_atom_word(std::string_view word) {
  return !word.empty() && std::none_of(word.begin(), word.end(), [](char c) {
    return c == ' ' || c == '(' || c == ')' || c == '{' || c == '"' || c == '\\' || c == '[' ||
           c == ']' || c == '%' || c == '*' || is_control(c);
  });
}

std::optional<Status> status_named(std::string_view word) {
  if (core::iequals(word, "OK")) return Status::Ok;
  if (core::iequals(word, "NO")) return Status::No;
  if (core::iequals(word, "BAD")) return Status::Bad;
  if (core::iequals(word, "PREAUTH")) return Status::Preauth;
  if (core::iequals(word, "BYE")) return Status::Bye;
  return std::nullopt;
}

core::Result<void> append_value(std::vector<Value>& open, Value value, const ParserLimits& limits) {
  auto& list = open.back().list;
  if (list.size() >= limits.max_list_elements) {
    return core::fail(
        too_large(fmt::format("a list of more than {} values", limits.max_list_elements)));
  }
  list.push_back(std::move(value));
  return {};
}

// Where values are read: after a data response's name, or inside a [code].
enum class Context { Data, Code };

// Reads the values of one line onto `open` (open[0] is the outermost list).
class ValueReader {
 public:
  ValueReader(std::string_view line, std::size_t position, const ParserLimits& limits,
              std::vector<Value>& open, Context context)
      : line_(line), position_(position), limits_(limits), open_(open), context_(context) {}

  // Reads to the end of the line (Data) or to the ']' that closes the code
  // (Code; position() is then at it). Answers a literal's size when the line
  // ends with {n}, {n+} or ~{n}.
  core::Result<std::optional<std::uint64_t>> read() {
    while (true) {
      while (position_ < line_.size() && line_[position_] == ' ') ++position_;
      if (position_ == line_.size()) {
        if (context_ == Context::Code) return core::fail(malformed("a response code without ']'"));
        return std::nullopt;
      }
      const char c = line_[position_];
      if (c == '(') {
        if (open_.size() > limits_.max_depth) {
          return core::fail(
              too_large(fmt::format("lists nested more than {} deep", limits_.max_depth)));
        }
        if (open_.back().list.size() >= limits_.max_list_elements) {
          return core::fail(
              too_large(fmt::format("a list of more than {} values", limits_.max_list_elements)));
        }
        open_.push_back(Value::list_of({}));
        ++position_;
      } else if (c == ')') {
        if (open_.size() <= 1) return core::fail(error_here("a ')' without its '('"));
        Value closed = std::move(open_.back());
        open_.pop_back();
        open_.back().list.push_back(std::move(closed));
        ++position_;
      } else if (c == ']' && context_ == Context::Code) {
        if (open_.size() > 1) return core::fail(error_here("a '(' without its ')' in a code"));
        return std::nullopt;
      } else if (c == '"') {
        auto text = read_quoted();
        if (!text) return core::fail(text.error());
        if (auto added = append_value(open_, Value::string(std::move(*text)), limits_); !added) {
          return core::fail(added.error());
        }
      } else if (c == '{' ||
                 (c == '~' && position_ + 1 < line_.size() && line_[position_ + 1] == '{')) {
        return read_literal_marker();
      } else if (is_control(c)) {
        return core::fail(error_here(
            fmt::format("the control character 0x{:02x}", static_cast<unsigned char>(c))));
      } else {
        if (auto added = append_value(open_, read_atom(), limits_); !added) {
          return core::fail(added.error());
        }
      }
    }
  }

  std::size_t position() const { return position_; }

 private:
  core::Error error_here(std::string what) const {
    return malformed(fmt::format("{} (at byte {} of a line)", what, position_));
  }

  core::Result<std::string> read_quoted() {
    std::string text;
    ++position_;  // the opening quote
    while (position_ < line_.size()) {
      const char c = line_[position_];
      if (c == '"') {
        ++position_;
        return text;
      }
      if (c == '\\') {
        if (position_ + 1 == line_.size()) break;
        const char escaped = line_[position_ + 1];
        if (escaped != '"' && escaped != '\\') {
          return core::fail(error_here(
              fmt::format("a quoted string with the escape \\{} (only \\\" and \\\\ exist)",
                          is_control(escaped) ? '?' : escaped)));
        }
        text += escaped;
        position_ += 2;
        continue;
      }
      text += c;
      ++position_;
    }
    return core::fail(error_here("a quoted string without its closing quote"));
  }

  core::Result<std::optional<std::uint64_t>> read_literal_marker() {
    if (context_ == Context::Code)
      return core::fail(error_here("a literal inside a response code"));
    std::size_t cursor = position_ + (line_[position_] == '~' ? 2 : 1);
    const std::size_t digits_start = cursor;
    while (cursor < line_.size() && is_digit(line_[cursor])) ++cursor;
    const std::string_view digits = line_.substr(digits_start, cursor - digits_start);
    if (digits.empty()) return core::fail(error_here("a '{' without a literal's size"));
    const auto size = to_number(digits);
    if (!size) return core::fail(too_large(fmt::format("a literal of {} bytes", digits)));
    if (cursor < line_.size() && line_[cursor] == '+') ++cursor;
    if (cursor == line_.size() || line_[cursor] != '}') {
      return core::fail(error_here("a literal's size without its '}'"));
    }
    position_ = cursor + 1;
    if (position_ != line_.size()) return core::fail(error_here("text after a literal's {n}"));
    return size;
  }

  // The bracketed part of BODY[HEADER.FIELDS (SUBJECT FROM)]: its end, if the
  // line has one (quoted header names may hide a ']').
  std::optional<std::size_t> section_end(std::size_t open_bracket) const {
    for (std::size_t cursor = open_bracket + 1; cursor < line_.size(); ++cursor) {
      const char c = line_[cursor];
      if (c == ']') return cursor;
      if (c == '[' || is_control(c)) return std::nullopt;
      if (c == '"') {
        for (++cursor; cursor < line_.size() && line_[cursor] != '"'; ++cursor) {
          if (line_[cursor] == '\\') ++cursor;
        }
        if (cursor >= line_.size()) return std::nullopt;
      }
    }
    return std::nullopt;
  }

  Value read_atom() {
    const std::size_t start = position_;
    while (position_ < line_.size()) {
      const char c = line_[position_];
      if (c == ' ' || c == '(' || c == ')' || c == '"' || c == '{' || is_control(c) ||
          (c == ']' && context_ == Context::Code)) {
        break;
      }
      if (c == '[' && context_ == Context::Data) {
        if (const auto end = section_end(position_)) {
          position_ = *end + 1;
          // BODY[]<0>: the origin octet of a partial fetch.
          if (position_ < line_.size() && line_[position_] == '<') {
            const std::size_t close = line_.find('>', position_);
            if (close != std::string_view::npos &&
                all_digits(line_.substr(position_ + 1, close - position_ - 1))) {
              position_ = close + 1;
            }
          }
          continue;
        }
      }
      ++position_;
    }
    const std::string_view text = line_.substr(start, position_ - start);
    if (all_digits(text)) {
      // Too large for 64 bits stays an atom: whoever needs a number refuses it.
      if (const auto number = to_number(text)) {
        Value value = Value::number_value(*number);
        value.text = std::string(text);
        return value;
      }
    }
    if (core::iequals(text, "NIL")) return Value::nil();
    return Value::atom(std::string(text));
  }

  std::string_view line_;
  std::size_t position_;
  const ParserLimits& limits_;
  std::vector<Value>& open_;
  Context context_;
};

// "[UIDVALIDITY 3857529045] text": the code, and where the human text begins.
core::Result<std::size_t> read_response_code(std::string_view text, const ParserLimits& limits,
                                             ResponseCode& code) {
  std::size_t cursor = 1;
  while (cursor < text.size() && text[cursor] != ' ' && text[cursor] != ']') ++cursor;
  if (cursor == text.size()) return core::fail(malformed("a response code without ']'"));
  const std::string_view name = text.substr(1, cursor - 1);
  if (!is_atom_word(name)) return core::fail(malformed("a response code without a proper name"));
  code.name = ascii_upper(name);
  std::size_t close = cursor;
  if (text[cursor] == ' ') {
    std::vector<Value> open{Value::list_of({})};
    ValueReader reader(text, cursor + 1, limits, open, Context::Code);
    if (auto read = reader.read()) {
      close = reader.position();
      code.arguments = std::move(open.front().list);
    } else {
      // Not values (a generic code's free text): keep the raw text to the first ']'.
      close = text.find(']', cursor + 1);
      if (close == std::string_view::npos) {
        return core::fail(malformed("a response code without ']'"));
      }
    }
    code.text = std::string(text.substr(cursor + 1, close - cursor - 1));
  }
  return close + 1;
}

}  // namespace

ResponseParser::ResponseParser(ParserLimits limits) : limits_(limits) {
  reset_response();
}

void ResponseParser::reset_response() {
  phase_ = Phase::LineStart;
  response_ = Response();
  open_.clear();
  open_.push_back(Value::list_of({}));
  literal_remaining_ = 0;
  response_size_ = 0;
}

ParseOutcome ResponseParser::failure(core::Error error) {
  failure_ = error;
  buffer_.clear();
  buffer_.shrink_to_fit();
  start_ = 0;
  scanned_ = 0;
  reset_response();
  return core::fail(std::move(error));
}

ParseOutcome ResponseParser::feed(std::string_view bytes) {
  if (failure_) return core::fail(*failure_);
  if (start_ > 0) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
  buffer_.append(bytes);
  return next();
}

ParseOutcome ResponseParser::next() {
  if (failure_) return core::fail(*failure_);
  while (true) {
    if (phase_ == Phase::Literal) {
      const std::size_t available = buffer_.size() - start_;
      const auto take =
          static_cast<std::size_t>(std::min<std::uint64_t>(available, literal_remaining_));
      open_.back().list.back().text.append(buffer_, start_, take);
      start_ += take;
      literal_remaining_ -= take;
      if (literal_remaining_ > 0) return std::optional<Response>();
      phase_ = Phase::Values;
      continue;
    }
    auto line = take_line();
    if (!line) return failure(line.error());
    if (!*line) return std::optional<Response>();
    response_size_ += (*line)->size() + 2;
    if (response_size_ > limits_.max_response_size) {
      return failure(
          too_large(fmt::format("a response of more than {} bytes", limits_.max_response_size)));
    }
    ParseOutcome outcome =
        phase_ == Phase::LineStart ? parse_first_line(**line) : parse_value_line(**line);
    if (!outcome) return failure(outcome.error());
    if (*outcome) return outcome;
    // A literal follows: phase_ is Literal now.
  }
}

core::Result<std::optional<std::string_view>> ResponseParser::take_line() {
  const std::string_view rest(buffer_.data() + start_, buffer_.size() - start_);
  const std::size_t line_feed = rest.find('\n', scanned_);
  if (line_feed == std::string_view::npos) {
    scanned_ = rest.size();
    if (rest.size() > limits_.max_line_length + 1) {  // + 1: a CR may still come
      return core::fail(
          too_large(fmt::format("a line longer than {} bytes", limits_.max_line_length)));
    }
    return std::nullopt;
  }
  std::string_view line = rest.substr(0, line_feed);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.size() > limits_.max_line_length) {
    return core::fail(
        too_large(fmt::format("a line longer than {} bytes", limits_.max_line_length)));
  }
  if (const auto bad = line.find_first_of(std::string_view("\0\r", 2));
      bad != std::string_view::npos) {
    return core::fail(malformed(line[bad] == '\0' ? "a NUL byte outside a literal"
                                                  : "a CR that does not end a line"));
  }
  start_ += line_feed + 1;
  scanned_ = 0;
  return line;
}

ParseOutcome ResponseParser::parse_first_line(std::string_view line) {
  if (line.empty()) return core::fail(malformed("an empty line where a response should start"));
  if (line.front() == '+') {
    if (line.size() > 1 && line[1] != ' ') {
      return core::fail(malformed("a '+' not followed by a space"));
    }
    response_.kind = ResponseKind::Continuation;
    response_.text = std::string(line.size() > 2 ? line.substr(2) : std::string_view());
    return finish_data_response();
  }
  const std::size_t space = line.find(' ');
  const std::string_view first = line.substr(0, space);
  if (space == std::string_view::npos) {
    return core::fail(
        malformed(first == "*" ? "a '*' and nothing after it" : "a tag and nothing after it"));
  }
  std::string_view rest = line.substr(space + 1);
  std::string_view word = rest.substr(0, rest.find(' '));
  if (first == "*") {
    response_.kind = ResponseKind::Untagged;
    if (all_digits(word)) {  // "* 23 EXISTS", "* 5 FETCH (...)"
      const auto number = to_number(word);
      if (!number) return core::fail(malformed(fmt::format("the number {} is too large", word)));
      response_.number = *number;
      rest.remove_prefix(word.size());
      if (rest.empty()) return core::fail(malformed("a number without a name after it"));
      rest.remove_prefix(1);
      word = rest.substr(0, rest.find(' '));
    } else if (const auto status = status_named(word)) {
      response_.status = *status;
      response_.name = ascii_upper(word);
      rest.remove_prefix(word.size());
    }
    if (!response_.is_status()) {
      if (!is_atom_word(word)) {
        return core::fail(malformed("an untagged response that does not start with a name"));
      }
      response_.name = ascii_upper(word);
      ValueReader reader(rest, word.size(), limits_, open_, Context::Data);
      auto literal = reader.read();
      if (!literal) return core::fail(literal.error());
      if (*literal) return start_literal(**literal);
      return finish_data_response();
    }
  } else {
    if (!is_atom_word(first) || first.find('+') != std::string_view::npos) {
      return core::fail(malformed("a line that starts with neither '*', '+' nor a tag"));
    }
    const auto status = status_named(word);
    if (!status || *status == Status::Preauth || *status == Status::Bye) {
      return core::fail(malformed("a tagged response whose status is not OK, NO or BAD"));
    }
    response_.kind = ResponseKind::Tagged;
    response_.tag = std::string(first);
    response_.status = *status;
    response_.name = ascii_upper(word);
    rest.remove_prefix(word.size());
  }
  // The status line's rest: " [code] text", " text", or nothing.
  if (!rest.empty()) {
    if (rest.front() != ' ') return core::fail(malformed("a status word run into other text"));
    rest.remove_prefix(1);
    if (!rest.empty() && rest.front() == '[') {
      ResponseCode code;
      auto text_start = read_response_code(rest, limits_, code);
      if (!text_start) return core::fail(text_start.error());
      rest.remove_prefix(*text_start);
      if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
      response_.code = std::move(code);
    }
    response_.text = std::string(rest);
  }
  return finish_data_response();
}

ParseOutcome ResponseParser::parse_value_line(std::string_view line) {
  ValueReader reader(line, 0, limits_, open_, Context::Data);
  auto literal = reader.read();
  if (!literal) return core::fail(literal.error());
  if (*literal) return start_literal(**literal);
  return finish_data_response();
}

ParseOutcome ResponseParser::start_literal(std::uint64_t size) {
  const bool in_fetch = core::iequals(response_.name, "FETCH");
  const std::size_t limit = in_fetch ? limits_.max_literal_size : limits_.max_other_literal_size;
  if (size > limit) {
    return core::fail(too_large(fmt::format("a literal of {} bytes{}, more than the {} allowed",
                                            size, in_fetch ? "" : " outside FETCH data", limit)));
  }
  if (size > limits_.max_response_size - std::min(response_size_, limits_.max_response_size)) {
    return core::fail(
        too_large(fmt::format("a response of more than {} bytes", limits_.max_response_size)));
  }
  response_size_ += static_cast<std::size_t>(size);
  if (auto added = append_value(open_, Value::string({}, true), limits_); !added) {
    return core::fail(added.error());
  }
  literal_remaining_ = size;
  phase_ = Phase::Literal;
  return std::optional<Response>();
}

ParseOutcome ResponseParser::finish_data_response() {
  if (open_.size() > 1) return core::fail(malformed("a '(' without its ')'"));
  response_.values = std::move(open_.front().list);
  Response done = std::move(response_);
  reset_response();
  return std::optional<Response>(std::move(done));
}

}  // namespace mailoauth::imap
