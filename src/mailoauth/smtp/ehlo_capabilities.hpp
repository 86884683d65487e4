// What a server offers, read from the lines of its 250 reply to EHLO (RFC 5321
// section 4.1.1.1): the first line is its name and greeting, every other line
// one extension, a keyword and its parameters ("SIZE 35882577", "AUTH PLAIN
// LOGIN XOAUTH2"). Keywords are case-insensitive, so they are kept upper-cased;
// parameters are kept as sent. The pre-RFC 2554 form "AUTH=LOGIN PLAIN" that
// old Exchange and Outlook-era servers still send is read as AUTH, so its
// mechanisms count too. A separate concern from the reply parser: it takes a
// reply's lines and cannot fail (a line it cannot make sense of is kept as a
// keyword nobody asks for).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mailoauth::smtp {

struct EhloExtension {
  std::string keyword;                  // upper case: "AUTH", "SIZE", "8BITMIME"
  std::vector<std::string> parameters;  // as sent: "PLAIN", "LOGIN", "XOAUTH2"
};

struct EhloCapabilities {
  std::string greeting;  // the first line: "smtp.gmail.com at your service, [203.0.113.5]"
  std::vector<EhloExtension> extensions;  // in the server's order

  // Case-insensitive: has("starttls").
  bool has(std::string_view keyword) const;
  // The parameters of the first line with that keyword; empty when absent.
  std::span<const std::string> parameters(std::string_view keyword) const;
  // The SASL mechanisms of every AUTH line (both forms), upper-cased, each once,
  // in the order first offered.
  std::vector<std::string> auth_mechanisms() const;
  // The largest message the server takes (RFC 1870). nullopt when it announced
  // none: no SIZE, SIZE without a number or with one that is not a number, or
  // SIZE 0, which RFC 1870 defines as "no fixed maximum".
  std::optional<std::uint64_t> size_limit() const;
};

// `lines` are a 250 reply's lines (Reply::lines); the caller checks the code.
EhloCapabilities parse_ehlo_capabilities(std::span<const std::string> lines);

}  // namespace mailoauth::smtp
