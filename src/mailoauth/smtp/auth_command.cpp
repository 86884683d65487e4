// Mechanism choice and the 512-octet framing of SMTP AUTH; see auth_command.hpp.
#include "mailoauth/smtp/auth_command.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "mailoauth/core/ascii.hpp"
#include "mailoauth/core/base64.hpp"

namespace mailoauth::smtp {

using core::ErrorClass;

core::Result<sasl::Mechanism> choose_mechanism(std::span<const std::string> offered,
                                               std::span<const sasl::Mechanism> allowed,
                                               std::string_view server) {
  std::vector<std::string_view> wanted;
  for (sasl::Mechanism mechanism : allowed) {
    std::string_view name = sasl::wire_name(mechanism);
    wanted.push_back(name);
    for (const std::string& candidate : offered) {
      if (core::iequals(candidate, name)) return mechanism;
    }
  }
  if (offered.empty()) {
    return core::fail(ErrorClass::Config, "smtp.auth_not_offered",
                      fmt::format("{} does not offer SMTP AUTH on this connection", server),
                      "check the server and port (Exchange Online: smtp.office365.com:587 "
                      "with STARTTLS; Gmail: smtp.gmail.com:465); a server that offers AUTH "
                      "only after STARTTLS needs the TLS mode starttls");
  }
  return core::fail(ErrorClass::Config, "smtp.auth_mechanism_unavailable",
                    fmt::format("{} offers AUTH {}, but this account uses {}", server,
                                fmt::join(offered, " "), fmt::join(wanted, " or ")),
                    "a server without XOAUTH2/OAUTHBEARER cannot take an OAuth2 token; use "
                    "the provider's OAuth2 submission server, or set auth_mechanisms for a "
                    "password account");
}

core::Secret encode_response_line(const core::Secret& raw) {
  std::string line = core::base64::encode(raw.reveal());
  line += "\r\n";
  return core::Secret::take(std::move(line));
}

AuthCommand auth_command(sasl::Mechanism mechanism,
                         const std::optional<core::Secret>& initial_response) {
  std::string_view name = sasl::wire_name(mechanism);
  AuthCommand command;
  std::string line = fmt::format("AUTH {}", name);
  if (!initial_response) {
    line += "\r\n";
    command.line = core::Secret::take(std::move(line));
    return command;
  }
  // "AUTH " + name + " " + base64 + CRLF; "=" stands for an empty response.
  std::size_t encoded =
      initial_response->empty() ? 1 : core::base64::encoded_size(initial_response->size());
  if (line.size() + 1 + encoded + 2 <= kMaxCommandLine) {
    line.reserve(kMaxCommandLine);  // no reallocation leaves a copy of the token behind
    line += ' ';
    if (initial_response->empty()) {
      line += "=\r\n";
    } else {
      core::Secret encoded_line = encode_response_line(*initial_response);
      line += encoded_line.reveal();
    }
    command.line = core::Secret::take(std::move(line));
    command.inline_response = true;
    return command;
  }
  line += "\r\n";
  command.line = core::Secret::take(std::move(line));
  command.deferred = encode_response_line(*initial_response);
  return command;
}

}  // namespace mailoauth::smtp
