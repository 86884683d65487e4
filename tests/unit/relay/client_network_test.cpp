// Client networks: IPv4 and IPv6 CIDR at their edges, IPv4-mapped clients
// matched as IPv4, host names and typos (host bits, prefixes past the
// family's width) refused with the corrected network suggested.
#include "mailoauth/relay/client_network.hpp"

#include <gtest/gtest.h>

namespace mailoauth::relay {
namespace {

IpAddress ip(std::string_view text) {
  auto address = parse_ip_address(text);
  EXPECT_TRUE(address) << text;
  return address.value_or(IpAddress{});
}

TEST(ClientNetworkTest, Ipv4Prefixes) {
  auto lan = parse_client_network("192.168.10.0/24");
  ASSERT_TRUE(lan);
  EXPECT_TRUE(lan->contains(ip("192.168.10.0")));
  EXPECT_TRUE(lan->contains(ip("192.168.10.255")));
  EXPECT_FALSE(lan->contains(ip("192.168.11.0")));
  EXPECT_FALSE(lan->contains(ip("::1")));
  EXPECT_TRUE(lan->contains(ip("::ffff:192.168.10.7"))) << "an IPv4 client on an IPv6 socket";
  auto odd = parse_client_network("10.0.0.0/9");
  ASSERT_TRUE(odd);
  EXPECT_TRUE(odd->contains(ip("10.127.255.255")));
  EXPECT_FALSE(odd->contains(ip("10.128.0.0")));
  auto host = parse_client_network("127.0.0.1");
  ASSERT_TRUE(host);
  EXPECT_TRUE(host->contains(ip("127.0.0.1")));
  EXPECT_FALSE(host->contains(ip("127.0.0.2")));
}

TEST(ClientNetworkTest, Ipv6Prefixes) {
  auto net = parse_client_network("2001:db8::/32");
  ASSERT_TRUE(net);
  EXPECT_TRUE(net->contains(ip("2001:db8:ffff::1")));
  EXPECT_FALSE(net->contains(ip("2001:db9::1")));
  EXPECT_FALSE(net->contains(ip("32.1.13.184"))) << "an IPv4 address with the same bytes";
}

TEST(ClientNetworkTest, Everything) {
  EXPECT_TRUE(parse_client_network("0.0.0.0/0")->is_everything());
  EXPECT_TRUE(parse_client_network("::/0")->is_everything());
  EXPECT_FALSE(parse_client_network("10.0.0.0/8")->is_everything());
  EXPECT_TRUE(parse_client_network("0.0.0.0/0")->contains(ip("203.0.113.9")));
}

TEST(ClientNetworkTest, MistakesAreRefused) {
  const auto refused = [](std::string_view text) {
    auto network = parse_client_network(text);
    EXPECT_FALSE(network) << text;
    return network ? std::string() : network.error().message();
  };
  EXPECT_NE(refused("10.0.0.1/8").find("did you mean 10.0.0.0/8?"), std::string::npos);
  refused("printer.lan");
  refused("10.0.0.0/33");
  refused("2001:db8::/129");
  refused("10.0.0.0/");
  refused("10.0.0.0/-1");
  refused("10.0.0.0/8x");
  refused("");
  refused("1.2.3.4.5");
}

}  // namespace
}  // namespace mailoauth::relay
