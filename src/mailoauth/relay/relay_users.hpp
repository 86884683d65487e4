// The relay's own users: the names and passwords printers and applications
// use for SMTP AUTH on the LAN, never the upstream's credentials. Passwords
// are kept only as Argon2id hashes (libsodium's crypto_pwhash_str), and each
// user may be limited to the sender addresses or domains it owns, so one
// tenant's device cannot send as another tenant.
//
// The file is text, one user per line — `NAME HASH [SENDERS]`, SENDERS a
// comma-separated list of addresses (scanner@contoso.com) and domains
// (contoso.com or @contoso.com) — written 0600 with atomic_write_file by
// `mailoauth relay user add|remove`, readable by an admin, and reloaded on
// SIGHUP. Verifying a password costs Argon2id's memory and time on purpose:
// the relay does it on a worker thread, never on its event loop.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/secret.hpp"

namespace mailoauth::relay {

struct RelayUser {
  std::string name;
  std::string password_hash;         // "$argon2id$v=19$m=...,t=...,p=1$salt$hash"
  std::vector<std::string> senders;  // empty: any sender its routes allow
};

// Letters, digits and ._@+- ; 1 to 64 characters.
bool is_valid_user_name(std::string_view name);

// Errors: relay.users_file (Config) with the line number; never quotes a hash.
core::Result<std::vector<RelayUser>> parse_relay_users(std::string_view text,
                                                       std::string_view source_name);
std::string encode_relay_users(const std::vector<RelayUser>& users);

// Argon2id at libsodium's interactive cost (t=2, 64 MiB; above OWASP's
// m=19 MiB, t=2 minimum): a stolen file is slow to attack, and one check
// costs tens of milliseconds of a worker thread.
core::Result<std::string> hash_relay_password(const core::Secret& password);
bool verify_relay_password(const RelayUser& user, const core::Secret& password);

// Whether `user` may send as `sender`: always when it lists no senders; else
// when the address is listed, or its domain is (case-insensitive).
bool sender_allowed(const RelayUser& user, std::string_view sender);

// "contoso.com", "@contoso.com" (a domain) or "scanner@contoso.com".
bool is_valid_sender_pattern(std::string_view pattern);
// The pattern's match against an address: exact address, or the domain.
enum class SenderMatch { None, Domain, Address };
SenderMatch match_sender(std::string_view pattern, std::string_view sender);

}  // namespace mailoauth::relay
