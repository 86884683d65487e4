// The builders and the validator of command_line.hpp: RFC 5321's grammar for
// the words a user can put into a command, checked before any byte is sent.
#include "mailoauth/smtp/command_line.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "mailoauth/core/log.hpp"
#include "mailoauth/smtp/auth_command.hpp"

namespace mailoauth::smtp {

using core::ErrorClass;

namespace {

bool is_alpha_digit(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_control(unsigned char c) {
  return c < 0x20 || c == 0x7f;
}

std::string_view describe_character(unsigned char c) {
  if (c == '\r' || c == '\n') return "a line break";
  if (c == ' ') return "a space";
  if (is_control(c)) return "a control character";
  return "a character its grammar does not allow";
}

core::Error refused(std::string_view code, std::string_view what, std::string_view word,
                    std::string_view problem, std::string remedy) {
  return core::Error(ErrorClass::Config, std::string(code),
                     fmt::format("{} \"{}\" contains {}; nothing was sent", what,
                                 core::escape_control_characters(word), problem),
                     std::move(remedy));
}

// RFC 5321 Domain (with '_' as real host names have it) or address-literal.
core::Result<void> check_helo_name(std::string_view what, std::string_view name) {
  const std::string remedy =
      "give a host name (mail.example.com) or an address literal ([192.0.2.1]); without "
      "--helo this machine's host name is used";
  if (name.empty()) {
    return core::fail(ErrorClass::Config, "smtp.bad_helo_name", fmt::format("{} is empty", what),
                      remedy);
  }
  if (name.size() > 255) {
    return core::fail(
        ErrorClass::Config, "smtp.bad_helo_name",
        fmt::format("{} is {} octets long; a domain has at most 255", what, name.size()), remedy);
  }
  const bool literal = name.front() == '[';
  for (std::size_t i = 0; i < name.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    bool allowed = false;
    if (literal) {
      const bool edge = i == 0 || i + 1 == name.size();
      allowed = edge ? (c == (i == 0 ? '[' : ']'))
                     : (c > 0x20 && c < 0x7f && c != '[' && c != ']' && c != '\\');
    } else {
      allowed = is_alpha_digit(c) || c == '-' || c == '.' || c == '_';
    }
    if (!allowed) {
      return core::fail(refused("smtp.bad_helo_name", what, name, describe_character(c), remedy));
    }
  }
  return {};
}

core::Result<void> check_mailbox(std::string_view what, std::string_view address) {
  for (unsigned char c : address) {
    if (c <= 0x20 || c == 0x7f || c == '<' || c == '>') {
      return core::fail(refused("smtp.bad_address", what, address,
                                c == '<' || c == '>' ? "an angle bracket" : describe_character(c),
                                "give a plain address (user@example.com), without a display "
                                "name"));
    }
  }
  return {};
}

// esmtp-param = esmtp-keyword ["=" esmtp-value] (RFC 5321 4.1.2; RFC 6531
// allows UTF-8 in the value).
core::Result<void> check_parameter(std::string_view what, std::string_view parameter) {
  const std::size_t equals = parameter.find('=');
  const std::string_view keyword = parameter.substr(0, equals);
  const std::string remedy = "an ESMTP parameter is KEYWORD or KEYWORD=value (RFC 5321 4.1.2)";
  if (keyword.empty() || !is_alpha_digit(static_cast<unsigned char>(keyword.front()))) {
    return core::fail(ErrorClass::Config, "smtp.bad_parameter",
                      fmt::format("{} \"{}\" does not start with a keyword", what,
                                  core::escape_control_characters(parameter)),
                      remedy);
  }
  for (unsigned char c : keyword) {
    if (!is_alpha_digit(c) && c != '-') {
      return core::fail(
          refused("smtp.bad_parameter", what, parameter, describe_character(c), remedy));
    }
  }
  if (equals == std::string_view::npos) return {};
  const std::string_view value = parameter.substr(equals + 1);
  if (value.empty()) {
    return core::fail(ErrorClass::Config, "smtp.bad_parameter",
                      fmt::format("{} \"{}\" has an empty value", what,
                                  core::escape_control_characters(parameter)),
                      remedy);
  }
  for (unsigned char c : value) {
    if (c <= 0x20 || c == '=' || c == 0x7f) {
      return core::fail(
          refused("smtp.bad_parameter", what, parameter, describe_character(c), remedy));
    }
  }
  return {};
}

core::Result<std::string> path_command(std::string_view head, std::string_view what,
                                       std::string_view address,
                                       std::span<const std::string> parameters) {
  if (auto checked = check_word(WordKind::Mailbox, what, address); !checked) {
    return core::fail(checked.error());
  }
  std::string text = fmt::format("{}<{}>", head, address);
  for (const std::string& parameter : parameters) {
    if (auto checked = check_word(WordKind::Parameter, "the ESMTP parameter", parameter);
        !checked) {
      return core::fail(checked.error());
    }
    text += ' ';
    text += parameter;
  }
  return text;
}

}  // namespace

core::Result<void> check_word(WordKind kind, std::string_view what, std::string_view word) {
  switch (kind) {
    case WordKind::HeloName:
      return check_helo_name(what, word);
    case WordKind::Mailbox:
      return check_mailbox(what, word);
    case WordKind::Parameter:
      return check_parameter(what, word);
  }
  return core::fail(ErrorClass::Bug, "smtp.bad_word_kind", "unknown word kind");
}

core::Result<CommandLine> finish_command_line(std::string text) {
  for (unsigned char c : text) {
    if (is_control(c)) {
      return core::fail(ErrorClass::Config, "smtp.bad_command_line",
                        fmt::format("the command \"{}\" contains {}; nothing was sent",
                                    core::escape_control_characters(text), describe_character(c)));
    }
  }
  if (text.size() + 2 > kMaxCommandLine) {
    return core::fail(ErrorClass::Config, "smtp.command_line_too_long",
                      fmt::format("the command \"{}...\" would be {} octets; SMTP allows {} "
                                  "(RFC 5321 4.5.3.1.4)",
                                  text.substr(0, 40), text.size() + 2, kMaxCommandLine),
                      "shorten the address or the EHLO name");
  }
  return CommandLine(std::move(text));
}

core::Result<CommandLine> hello_command(std::string_view verb, std::string_view name) {
  if (auto checked = check_word(WordKind::HeloName, "the EHLO name (--helo)", name); !checked) {
    return core::fail(checked.error());
  }
  return finish_command_line(fmt::format("{} {}", verb, name));
}

core::Result<CommandLine> mail_command(std::string_view address,
                                       std::span<const std::string> parameters) {
  auto text = path_command("MAIL FROM:", "the sender address", address, parameters);
  if (!text) return core::fail(text.error());
  return finish_command_line(std::move(*text));
}

core::Result<CommandLine> rcpt_command(std::string_view address,
                                       std::span<const std::string> parameters) {
  if (address.empty()) {
    return core::fail(ErrorClass::Config, "smtp.bad_address", "an empty recipient address",
                      "give user@example.com");
  }
  auto text = path_command("RCPT TO:", "the recipient address", address, parameters);
  if (!text) return core::fail(text.error());
  return finish_command_line(std::move(*text));
}

CommandLine bdat_command(std::uint64_t size, bool last) {
  // Digits and fixed words only: cannot fail.
  return *finish_command_line(fmt::format("BDAT {}{}", size, last ? " LAST" : ""));
}

CommandLine simple_command(Verb verb) {
  switch (verb) {
    case Verb::Data:
      return *finish_command_line("DATA");
    case Verb::Rset:
      return *finish_command_line("RSET");
    case Verb::Quit:
      return *finish_command_line("QUIT");
    case Verb::StartTls:
      return *finish_command_line("STARTTLS");
    case Verb::Noop:
      break;
  }
  return *finish_command_line("NOOP");
}

core::Result<void> check_auth_line(const core::Secret& line) {
  const std::string_view text = line.reveal();
  const bool framed = text.size() >= 2 && text.ends_with("\r\n");
  const std::string_view body = framed ? text.substr(0, text.size() - 2) : text;
  const bool clean = std::none_of(body.begin(), body.end(),
                                  [](char c) { return is_control(static_cast<unsigned char>(c)); });
  if (!framed || !clean) {
    return core::fail(ErrorClass::Bug, "smtp.bad_command_line",
                      fmt::format("an AUTH line of {} octets is not one CRLF-terminated line; "
                                  "nothing was sent",
                                  text.size()));
  }
  return {};
}

}  // namespace mailoauth::smtp
