// Client networks in CIDR notation ("192.168.10.0/24", "2001:db8::/32",
// "127.0.0.1"), parsed strictly and matched against a connecting client's
// address, for the listener's "who may send without logging in" list. An
// IPv4 client that reaches an IPv6 socket arrives as ::ffff:a.b.c.d; it is
// matched as the IPv4 address it is. Pure: no I/O, no resolver (a host name
// in the list is a configuration error, since DNS would make the relay's
// openness depend on someone else's zone).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/error.hpp"

namespace mailoauth::relay {

// An address as 16 bytes; IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d).
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};
  bool is_v4() const;
  std::string to_string() const;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

std::optional<IpAddress> parse_ip_address(std::string_view text);

struct ClientNetwork {
  IpAddress base;
  unsigned prefix = 128;  // in IPv6 terms (an IPv4 /24 is 96 + 24)
  std::string text;       // as written, for messages

  bool contains(const IpAddress& address) const;
  // True when it matches every address of its family (0.0.0.0/0, ::/0).
  bool is_everything() const;
};

// "10.0.0.0/8", "10.1.2.3" (a /32), "2001:db8::/32", "::1". Host bits set
// below the prefix ("10.0.0.1/8") are refused: they are usually a typo.
core::Result<ClientNetwork> parse_client_network(std::string_view text);

bool any_contains(const std::vector<ClientNetwork>& networks, const IpAddress& address);

}  // namespace mailoauth::relay
