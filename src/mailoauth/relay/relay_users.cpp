// Relay users: the file's format, Argon2id hashing and the sender rules; see
// relay_users.hpp.
#include "mailoauth/relay/relay_users.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include "mailoauth/core/ascii.hpp"

namespace mailoauth::relay {

namespace {

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::string_view domain_of(std::string_view address) {
  const std::size_t at = address.rfind('@');
  return at == std::string_view::npos ? std::string_view() : address.substr(at + 1);
}

}  // namespace

bool is_valid_user_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '@' || c == '+' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool is_valid_sender_pattern(std::string_view pattern) {
  if (pattern.empty() || pattern.size() > 254) return false;
  for (char c : pattern) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f || c == ',' || c == '<' || c == '>') return false;
  }
  const std::size_t at = pattern.rfind('@');
  if (at == std::string_view::npos) return pattern.find('.') != std::string_view::npos;
  return at + 1 < pattern.size() && pattern.find('@') == at;
}

SenderMatch match_sender(std::string_view pattern, std::string_view sender) {
  const std::size_t at = pattern.find('@');
  if (at == std::string_view::npos || at == 0) {  // a domain: "contoso.com" or "@contoso.com"
    const std::string_view domain = at == 0 ? pattern.substr(1) : pattern;
    return core::iequals(domain_of(sender), domain) ? SenderMatch::Domain : SenderMatch::None;
  }
  // An address: the local part as written (RFC 5321 lets it be case-sensitive,
  // but no provider treats it so; compare case-insensitively like them).
  return core::iequals(pattern, sender) ? SenderMatch::Address : SenderMatch::None;
}

bool sender_allowed(const RelayUser& user, std::string_view sender) {
  if (user.senders.empty()) return true;
  for (const std::string& pattern : user.senders) {
    if (match_sender(pattern, sender) != SenderMatch::None) return true;
  }
  return false;
}

core::Result<std::vector<RelayUser>> parse_relay_users(std::string_view text,
                                                       std::string_view source_name) {
  std::vector<RelayUser> users;
  std::size_t line_number = 0;
  for (std::string_view line : split(text, '\n')) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    const auto fail = [&](std::string_view why) {
      return core::fail(core::ErrorClass::Config, "relay.users_file",
                        fmt::format("{}:{}: {}", source_name, line_number, why),
                        "fix the line, or remove the user and add it again with `mailoauth "
                        "relay user add NAME`");
    };
    const std::vector<std::string_view> fields = split(line, ' ');
    if (fields.size() < 2 || fields.size() > 3) {
      return fail("expected NAME HASH [SENDERS], separated by one space");
    }
    RelayUser user;
    if (!is_valid_user_name(fields[0]))
      return fail("a user name may use letters, digits and ._@+-");
    user.name.assign(fields[0]);
    if (!fields[1].starts_with("$argon2id$")) return fail("the password is not an Argon2id hash");
    user.password_hash.assign(fields[1]);
    if (fields.size() == 3) {
      for (std::string_view pattern : split(fields[2], ',')) {
        if (!is_valid_sender_pattern(pattern)) {
          return fail(
              fmt::format("\"{}\" is not a sender address or domain", pattern.substr(0, 80)));
        }
        user.senders.emplace_back(pattern);
      }
    }
    for (const RelayUser& seen : users) {
      if (seen.name == user.name) return fail(fmt::format("user {} is listed twice", user.name));
    }
    users.push_back(std::move(user));
  }
  return users;
}

std::string encode_relay_users(const std::vector<RelayUser>& users) {
  std::string out =
      "# mailoauth relay users: NAME ARGON2ID-HASH [SENDERS]; edit with `mailoauth relay user`\n";
  for (const RelayUser& user : users) {
    out += user.name + ' ' + user.password_hash;
    for (std::size_t i = 0; i < user.senders.size(); ++i) {
      out += (i == 0 ? ' ' : ',');
      out += user.senders[i];
    }
    out += '\n';
  }
  return out;
}

core::Result<std::string> hash_relay_password(const core::Secret& password) {
  if (sodium_init() < 0) {
    return core::fail(core::ErrorClass::Bug, "relay.sodium", "libsodium failed to initialise");
  }
  if (password.reveal().size() < 8) {
    return core::fail(core::ErrorClass::Config, "relay.weak_password",
                      "the password is shorter than 8 characters",
                      "use a longer password (a device can store a long random one)");
  }
  std::string hash(crypto_pwhash_STRBYTES, '\0');
  if (crypto_pwhash_str(hash.data(), password.reveal().data(), password.reveal().size(),
                        crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return core::fail(core::ErrorClass::Temporary, "relay.hash_memory",
                      "not enough memory to hash the password");
  }
  hash.resize(hash.find('\0'));
  return hash;
}

bool verify_relay_password(const RelayUser& user, const core::Secret& password) {
  if (sodium_init() < 0) return false;
  // An empty Secret has no buffer; libsodium wants a pointer even for 0 bytes.
  static constexpr char kNothing[1] = {};
  const char* bytes = password.reveal().empty() ? kNothing : password.reveal().data();
  return crypto_pwhash_str_verify(user.password_hash.c_str(), bytes, password.reveal().size()) == 0;
}

}  // namespace mailoauth::relay
