// CIDR parsing and matching; see client_network.hpp. inet_pton does the
// address grammar (it is pure and locale-free), the prefix is checked here.
#include "mailoauth/relay/client_network.hpp"

#include <charconv>
#include <cstring>

#include <arpa/inet.h>
#include <fmt/format.h>

namespace mailoauth::relay {

namespace {

constexpr std::array<std::uint8_t, 12> kV4MappedPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

core::Error bad_network(std::string_view text, std::string_view why) {
  return core::Error(core::ErrorClass::Config, "relay.bad_network",
                     fmt::format("client network \"{}\": {}", text, why),
                     "write an address or a network in CIDR notation, e.g. 192.168.1.0/24 or "
                     "2001:db8::/32");
}

IpAddress with_host_bits_cleared(IpAddress address, unsigned prefix) {
  for (unsigned bit = prefix; bit < 128; ++bit) {
    address.bytes[bit / 8] &= static_cast<std::uint8_t>(~(1u << (7 - bit % 8)));
  }
  return address;
}

}  // namespace

bool IpAddress::is_v4() const {
  return std::memcmp(bytes.data(), kV4MappedPrefix.data(), kV4MappedPrefix.size()) == 0;
}

std::string IpAddress::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (is_v4()) {
    ::inet_ntop(AF_INET, bytes.data() + 12, text, sizeof text);
  } else {
    ::inet_ntop(AF_INET6, bytes.data(), text, sizeof text);
  }
  return text;
}

std::optional<IpAddress> parse_ip_address(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string copy(text);
  IpAddress address;
  std::array<std::uint8_t, 4> v4{};
  if (::inet_pton(AF_INET, copy.c_str(), v4.data()) == 1) {
    std::memcpy(address.bytes.data(), kV4MappedPrefix.data(), kV4MappedPrefix.size());
    std::memcpy(address.bytes.data() + 12, v4.data(), 4);
    return address;
  }
  if (::inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) == 1) return address;
  return std::nullopt;
}

bool ClientNetwork::contains(const IpAddress& address) const {
  const unsigned whole = prefix / 8;
  if (std::memcmp(base.bytes.data(), address.bytes.data(), whole) != 0) return false;
  const unsigned bits = prefix % 8;
  if (bits == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - bits));
  return (base.bytes[whole] & mask) == (address.bytes[whole] & mask);
}

bool ClientNetwork::is_everything() const {
  return prefix == 0 || (base.is_v4() && prefix == 96);
}

core::Result<ClientNetwork> parse_client_network(std::string_view text) {
  const std::size_t slash = text.find('/');
  const std::string_view address_text = text.substr(0, slash);
  const auto address = parse_ip_address(address_text);
  if (!address) return std::unexpected(bad_network(text, "not an IP address"));
  ClientNetwork network;
  network.base = *address;
  network.text.assign(text);
  const unsigned offset = address->is_v4() ? 96 : 0;
  const unsigned maximum = address->is_v4() ? 32 : 128;
  if (slash == std::string_view::npos) {
    network.prefix = 128;
    return network;
  }
  const std::string_view prefix_text = text.substr(slash + 1);
  unsigned prefix = 0;
  const auto [end, error] =
      std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), prefix);
  if (prefix_text.empty() || error != std::errc() ||
      end != prefix_text.data() + prefix_text.size() || prefix > maximum) {
    return std::unexpected(
        bad_network(text, fmt::format("the prefix length must be 0 to {}", maximum)));
  }
  network.prefix = offset + prefix;
  // Host bits below the prefix must be zero: "10.0.0.1/8" is usually a typo.
  const IpAddress masked = with_host_bits_cleared(network.base, network.prefix);
  if (!(masked == network.base)) {
    return std::unexpected(bad_network(text, fmt::format("host bits are set below /{}; did "
                                                         "you mean {}/{}?",
                                                         prefix, masked.to_string(), prefix)));
  }
  return network;
}

bool any_contains(const std::vector<ClientNetwork>& networks, const IpAddress& address) {
  for (const ClientNetwork& network : networks) {
    if (network.contains(address)) return true;
  }
  return false;
}

}  // namespace mailoauth::relay
