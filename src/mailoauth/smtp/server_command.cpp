// The SMTP command grammar; see server_command.hpp for what is strict and
// what is lenient. The replies follow Postfix's wording where a client (or a
// person reading a device's log) is used to it: "501 5.5.4 Syntax: MAIL
// FROM:<address>", "555 5.5.4 Unsupported option: X".
#include "mailoauth/smtp/server_command.hpp"

#include <array>
#include <charconv>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "mailoauth/core/ascii.hpp"

namespace mailoauth::smtp {

namespace {

using Refusal = std::unexpected<ServerReply>;

constexpr std::array<std::pair<std::string_view, Verb>, 14> kVerbs{{
    {"HELO", Verb::Helo},
    {"EHLO", Verb::Ehlo},
    {"MAIL", Verb::Mail},
    {"RCPT", Verb::Rcpt},
    {"DATA", Verb::Data},
    {"BDAT", Verb::Bdat},
    {"RSET", Verb::Rset},
    {"NOOP", Verb::Noop},
    {"QUIT", Verb::Quit},
    {"VRFY", Verb::Vrfy},
    {"EXPN", Verb::Expn},
    {"HELP", Verb::Help},
    {"STARTTLS", Verb::StartTls},
    {"AUTH", Verb::Auth},
}};

bool is_space(char c) {
  return c == ' ' || c == '\t';
}
bool is_alpha(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_control(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte < 0x20 || byte == 0x7f;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// The words of a line, split at runs of spaces and tabs.
std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> result;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    const std::size_t start = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    if (i > start) result.push_back(text.substr(start, i - start));
  }
  return result;
}

// Length of the well-formed UTF-8 sequence (2 to 4 bytes, no overlongs, no
// surrogates) at the start of `text`, 0 when there is none.
std::size_t utf8_sequence(std::string_view text) {
  if (text.empty()) return 0;
  const auto lead = static_cast<unsigned char>(text[0]);
  std::size_t length = 0;
  unsigned minimum = 0;
  unsigned value = 0;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2, minimum = 0x80, value = lead & 0x1f;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3, minimum = 0x800, value = lead & 0x0f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4, minimum = 0x10000, value = lead & 0x07;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if ((byte & 0xc0) != 0x80) return 0;
    value = (value << 6) | (byte & 0x3f);
  }
  if (value < minimum || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) return 0;
  return length;
}

// atext (RFC 5322 3.2.3) plus UTF-8 (RFC 6531 3.3); `ascii` cleared on UTF-8.
// Returns the bytes of one atext character at the start, 0 when none.
std::size_t atext(std::string_view text, bool& ascii) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~";
  if (text.empty()) return 0;
  const char c = text.front();
  if (is_alpha(c) || is_digit(c) || kSpecials.find(c) != std::string_view::npos) return 1;
  const std::size_t length = utf8_sequence(text);
  if (length > 0) ascii = false;
  return length;
}

bool valid_dot_string(std::string_view text, bool& ascii) {
  if (text.empty() || text.front() == '.' || text.back() == '.') return false;
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '.') {
      if (text[i + 1] == '.') return false;  // never at the end: checked above
      ++i;
      continue;
    }
    const std::size_t length = atext(text.substr(i), ascii);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

// Quoted-string = DQUOTE *QcontentSMTP DQUOTE (RFC 5321 4.1.2).
bool valid_quoted_string(std::string_view text, bool& ascii) {
  if (text.size() < 2 || text.front() != '"' || text.back() != '"') return false;
  text = text.substr(1, text.size() - 2);
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c == '\\') {
      if (i + 1 >= text.size() || text[i + 1] < 32 || text[i + 1] > 126) return false;
      i += 2;
    } else if (c == '"' || is_control(c)) {
      return false;
    } else if (static_cast<unsigned char>(c) >= 0x80) {
      const std::size_t length = utf8_sequence(text.substr(i));
      if (length == 0) return false;
      ascii = false;
      i += length;
    } else {
      ++i;
    }
  }
  return true;
}

bool valid_domain(std::string_view domain, const GrammarLimits& limits, bool& ascii) {
  if (domain.empty() || domain.size() > limits.max_domain_length) return false;
  // address-literal: dcontent is %d33-90 / %d94-126, but without < and >
  // (found by fuzzing): RFC 5321 allows them only after a General-address-
  // literal's tag, which nothing uses, and an accepted address must be
  // writable between angle brackets again (the spool, the upstream MAIL FROM).
  if (domain.front() == '[') {
    if (domain.size() < 3 || domain.back() != ']') return false;
    for (char c : domain.substr(1, domain.size() - 2)) {
      if (c < 33 || c > 126 || c == '[' || c == '\\' || c == ']' || c == '<' || c == '>') {
        return false;
      }
    }
    return true;
  }
  std::size_t label_start = 0;
  for (std::size_t i = 0; i <= domain.size(); ++i) {
    if (i == domain.size() || domain[i] == '.') {
      const std::string_view label = domain.substr(label_start, i - label_start);
      if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
        return false;
      }
      label_start = i + 1;
      continue;
    }
    const char c = domain[i];
    if (is_alpha(c) || is_digit(c) || c == '-') continue;
    const std::size_t length = utf8_sequence(domain.substr(i));  // a U-label (RFC 6531)
    if (length == 0) return false;
    ascii = false;
    i += length - 1;
  }
  return true;
}

bool valid_mailbox(std::string_view address, const GrammarLimits& limits, bool& ascii) {
  const std::size_t at = address.rfind('@');
  if (at == std::string_view::npos || at == 0) return false;
  const std::string_view local = address.substr(0, at);
  if (local.size() > limits.max_local_part) return false;
  const bool local_ok =
      local.front() == '"' ? valid_quoted_string(local, ascii) : valid_dot_string(local, ascii);
  return local_ok && valid_domain(address.substr(at + 1), limits, ascii);
}

struct Path {
  std::string address;
  bool ascii = true;
  std::string_view rest;  // the parameters after the path
};

// "<" [ A-d-l ":" ] Mailbox ">" (or <> when `null_allowed`), and, leniently,
// a mailbox without the brackets. `text` starts at the path.
std::expected<Path, ServerReply> parse_path(std::string_view text, bool null_allowed,
                                            const GrammarLimits& limits, std::string_view usage) {
  const auto syntax = [&] {
    return Refusal(reply::syntax_error(fmt::format("Syntax: {}", usage)));
  };
  text = trim(text);
  if (text.empty()) return syntax();
  std::string_view path;
  std::string_view rest;
  if (text.front() == '<') {
    // The closing bracket, outside a quoted local part.
    bool quoted = false;
    std::size_t close = std::string_view::npos;
    for (std::size_t i = 1; i < text.size(); ++i) {
      if (quoted && text[i] == '\\') {
        ++i;
      } else if (text[i] == '"') {
        quoted = !quoted;
      } else if (!quoted && text[i] == '>') {
        close = i;
        break;
      }
    }
    if (close == std::string_view::npos) return syntax();
    path = text.substr(1, close - 1);
    rest = text.substr(close + 1);
    if (!rest.empty() && !is_space(rest.front())) return syntax();
    if (close + 1 > limits.max_path_length) {
      return Refusal(ServerReply(501, "5.1.3", "Error: address too long"));
    }
  } else {
    const std::size_t end = text.find_first_of(" \t");
    path = text.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : text.substr(end);
    if (path.size() + 2 > limits.max_path_length) {
      return Refusal(ServerReply(501, "5.1.3", "Error: address too long"));
    }
  }
  Path result;
  result.rest = trim(rest);
  if (path.empty()) {
    if (!null_allowed) return Refusal(ServerReply(501, "5.1.3", "Error: empty address"));
    return result;
  }
  // A source route (@a,@b:) is obsolete and ignored (RFC 5321 C and 4.1.2).
  if (path.front() == '@') {
    const std::size_t colon = path.find(':');
    if (colon == std::string_view::npos) return syntax();
    path.remove_prefix(colon + 1);
  }
  if (core::iequals(path, "postmaster") && !null_allowed) {  // RCPT TO:<Postmaster>
    result.address = "postmaster";
    return result;
  }
  if (!valid_mailbox(path, limits, result.ascii)) {
    return Refusal(
        ServerReply(501, "5.1.3", fmt::format("Bad address syntax: <{}>", reply_safe(path, 100))));
  }
  result.address.assign(path);
  return result;
}

// esmtp-param = esmtp-keyword ["=" esmtp-value] (RFC 5321 4.1.2).
struct Parameter {
  std::string keyword;  // upper-cased
  std::string_view value;
  bool has_value = false;
};

std::expected<std::vector<Parameter>, ServerReply> parse_parameters(std::string_view text) {
  std::vector<Parameter> result;
  for (std::string_view word : words(text)) {
    Parameter parameter;
    const std::size_t equals = word.find('=');
    const std::string_view keyword = word.substr(0, equals);
    if (keyword.empty() || !(is_alpha(keyword[0]) || is_digit(keyword[0]))) {
      return Refusal(reply::syntax_error("Syntax: bad parameter"));
    }
    for (char c : keyword) {
      if (!is_alpha(c) && !is_digit(c) && c != '-') {
        return Refusal(reply::syntax_error("Syntax: bad parameter"));
      }
      parameter.keyword += static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
    }
    if (equals != std::string_view::npos) {
      parameter.has_value = true;
      parameter.value = word.substr(equals + 1);
      if (parameter.value.empty()) return Refusal(reply::syntax_error("Syntax: bad parameter"));
      for (char c : parameter.value) {
        if (c < 33 || c > 126 || c == '=') {
          return Refusal(reply::syntax_error("Syntax: bad parameter value"));
        }
      }
    }
    for (const Parameter& seen : result) {
      if (seen.keyword == parameter.keyword) {
        return Refusal(reply::syntax_error(fmt::format("Duplicate parameter: {}", seen.keyword)));
      }
    }
    result.push_back(std::move(parameter));
  }
  return result;
}

std::optional<std::uint64_t> decimal(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::expected<void, ServerReply> apply_mail_parameter(const Parameter& parameter,
                                                      MailParameters& mail) {
  const auto unsupported = [&] {
    return Refusal(reply::parameter_not_implemented(
        fmt::format("Unsupported option: {}", reply_safe(parameter.keyword, 40))));
  };
  if (parameter.keyword == "SIZE") {
    const auto size = parameter.has_value ? decimal(parameter.value) : std::nullopt;
    if (!size) return Refusal(reply::syntax_error("Bad message size syntax"));
    mail.size = *size;
  } else if (parameter.keyword == "BODY") {
    if (core::iequals(parameter.value, "7BIT")) {
      mail.body = BodyType::SevenBit;
    } else if (core::iequals(parameter.value, "8BITMIME")) {
      mail.body = BodyType::EightBitMime;
    } else if (core::iequals(parameter.value, "BINARYMIME")) {
      mail.body = BodyType::BinaryMime;
    } else {
      return Refusal(reply::parameter_not_implemented("Unsupported BODY type"));
    }
  } else if (parameter.keyword == "SMTPUTF8") {
    if (parameter.has_value) return Refusal(reply::syntax_error("SMTPUTF8 takes no value"));
    mail.smtputf8 = true;
  } else if (parameter.keyword == "AUTH") {
    if (!parameter.has_value) return Refusal(reply::syntax_error("AUTH= needs a value"));
    mail.auth = std::string(parameter.value);
  } else {
    return unsupported();
  }
  return {};
}

std::expected<Command, ServerReply> parse_mail_or_rcpt(Command command, std::string_view rest,
                                                       const GrammarLimits& limits) {
  const bool mail = command.verb == Verb::Mail;
  const std::string_view usage = mail ? "MAIL FROM:<address>" : "RCPT TO:<address>";
  const std::string_view keyword = mail ? "FROM:" : "TO:";
  rest = trim(rest);
  if (!core::istarts_with(rest, keyword)) {
    return Refusal(reply::syntax_error(fmt::format("Syntax: {}", usage)));
  }
  auto path = parse_path(rest.substr(keyword.size()), mail, limits, usage);
  if (!path) return Refusal(std::move(path.error()));
  command.address = std::move(path->address);
  command.address_is_ascii = path->ascii;
  auto parameters = parse_parameters(path->rest);
  if (!parameters) return Refusal(std::move(parameters.error()));
  for (const Parameter& parameter : *parameters) {
    if (!mail) {  // no RCPT parameters are offered (DSN is not)
      return Refusal(reply::parameter_not_implemented(
          fmt::format("Unsupported option: {}", reply_safe(parameter.keyword, 40))));
    }
    if (auto applied = apply_mail_parameter(parameter, command.mail); !applied) {
      return Refusal(std::move(applied.error()));
    }
  }
  return command;
}

std::expected<Command, ServerReply> parse_auth(Command command, std::string_view rest) {
  const std::vector<std::string_view> parts = words(rest);
  if (parts.empty() || parts.size() > 2) {
    return Refusal(reply::syntax_error("Syntax: AUTH mechanism [initial-response]"));
  }
  if (parts[0].size() > 20) return Refusal(reply::syntax_error("Mechanism name too long"));
  for (char c : parts[0]) {
    if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '_') {
      return Refusal(reply::syntax_error("Syntax: AUTH mechanism [initial-response]"));
    }
    command.argument += static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  }
  if (parts.size() == 2) command.initial_response.emplace(parts[1]);
  return command;
}

std::expected<Command, ServerReply> parse_bdat(Command command, std::string_view rest) {
  const std::vector<std::string_view> parts = words(rest);
  const auto size = parts.empty() ? std::nullopt : decimal(parts[0]);
  if (!size || parts.size() > 2 || (parts.size() == 2 && !core::iequals(parts[1], "LAST"))) {
    return Refusal(reply::syntax_error("Syntax: BDAT chunk-size [LAST]"));
  }
  command.chunk_size = *size;
  command.last_chunk = parts.size() == 2;
  return command;
}

}  // namespace

std::string_view to_string(Verb verb) {
  for (const auto& [name, value] : kVerbs) {
    if (value == verb) return name;
  }
  return "?";
}

bool is_valid_mailbox(std::string_view address, const GrammarLimits& limits) {
  bool ascii = true;
  return address.size() + 2 <= limits.max_path_length && valid_mailbox(address, limits, ascii);
}

std::expected<Command, ServerReply> parse_command(std::string_view line,
                                                  const GrammarLimits& limits) {
  for (char c : line) {
    if (c == '\0' || c == '\r' || c == '\n') {
      return Refusal(reply::syntax_error("Error: control characters in the command"));
    }
  }
  const std::string_view trimmed = trim(line);
  const std::size_t verb_end = trimmed.find_first_of(" \t");
  const std::string_view verb_text = trimmed.substr(0, verb_end);
  const std::string_view rest =
      verb_end == std::string_view::npos ? std::string_view() : trim(trimmed.substr(verb_end));
  Command command;
  bool known = false;
  for (const auto& [name, value] : kVerbs) {
    if (core::iequals(verb_text, name)) {
      command.verb = value;
      known = true;
      break;
    }
  }
  if (!known) return Refusal(reply::unrecognised("Error: command not recognized"));
  const auto no_arguments = [&]() -> std::expected<Command, ServerReply> {
    if (!rest.empty()) {
      return Refusal(ServerReply(501, "5.5.4", fmt::format("Syntax: {}", to_string(command.verb))));
    }
    return std::move(command);
  };
  switch (command.verb) {
    case Verb::Helo:
    case Verb::Ehlo: {
      if (rest.empty() || words(rest).size() != 1) {
        return Refusal(
            reply::syntax_error(fmt::format("Syntax: {} hostname", to_string(command.verb))));
      }
      if (rest.size() > limits.max_domain_length) {
        return Refusal(reply::syntax_error("Error: host name too long"));
      }
      for (char c : rest) {
        if (is_control(c)) return Refusal(reply::syntax_error("Error: bad host name"));
      }
      command.argument.assign(rest);
      return command;
    }
    case Verb::Mail:
    case Verb::Rcpt:
      return parse_mail_or_rcpt(std::move(command), rest, limits);
    case Verb::Auth:
      return parse_auth(std::move(command), rest);
    case Verb::Bdat:
      return parse_bdat(std::move(command), rest);
    case Verb::Noop:
    case Verb::Vrfy:
    case Verb::Expn:
    case Verb::Help:
      command.argument.assign(rest);
      return command;
    case Verb::Data:
    case Verb::Rset:
    case Verb::Quit:
    case Verb::StartTls:
      return no_arguments();
  }
  return Refusal(reply::unrecognised("Error: command not recognized"));
}

}  // namespace mailoauth::smtp
