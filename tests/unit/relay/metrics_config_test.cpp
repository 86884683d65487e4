// The [metrics] table: no table or no `listen` is no listener; IPv4 and
// bracketed IPv6 addresses with a port; refused with the line and a remedy:
// a name instead of an address, no port, a port out of range, IPv6 without
// brackets, unknown keys. A change of it needs a restart (SIGHUP says so).
#include "mailoauth/relay/metrics_config.hpp"

#include <gtest/gtest.h>

#include "mailoauth/relay/relay_config.hpp"

namespace mailoauth::relay {
namespace {

TEST(MetricsConfigTest, ParsesAddressAndPort) {
  auto v4 = parse_metrics_listen("127.0.0.1:9469");
  ASSERT_TRUE(v4) << v4.error().describe();
  EXPECT_EQ(v4->address, "127.0.0.1");
  EXPECT_EQ(v4->port, 9469);
  auto v6 = parse_metrics_listen("[::1]:0");
  ASSERT_TRUE(v6) << v6.error().describe();
  EXPECT_EQ(v6->address, "::1");
  EXPECT_EQ(v6->port, 0);
}

TEST(MetricsConfigTest, RefusesWhatIsNotAnAddressAndPort) {
  for (const std::string_view text :
       {"localhost:9469", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:94x", "::1:9469",
        "[::1]", ":9469", "[nothing]:1"}) {
    auto parsed = parse_metrics_listen(text);
    EXPECT_FALSE(parsed) << text;
    if (!parsed) {
      EXPECT_EQ(parsed.error().error_class(), core::ErrorClass::Config);
      EXPECT_NE(parsed.error().remedy().find("127.0.0.1:9469"), std::string::npos);
    }
  }
}

TEST(MetricsConfigTest, OffUnlessListenIsSet) {
  auto none = parse_relay_config("[listeners.lan]\n", "relay.toml");
  ASSERT_TRUE(none) << none.error().describe();
  EXPECT_FALSE(none->metrics);
  auto empty = parse_relay_config("[listeners.lan]\n[metrics]\n", "relay.toml");
  ASSERT_TRUE(empty) << empty.error().describe();
  EXPECT_FALSE(empty->metrics);
  auto on =
      parse_relay_config("[listeners.lan]\n[metrics]\nlisten = \"127.0.0.1:9469\"\n", "relay.toml");
  ASSERT_TRUE(on) << on.error().describe();
  ASSERT_TRUE(on->metrics);
  EXPECT_EQ(*on->metrics, (MetricsListen{"127.0.0.1", 9469}));
}

TEST(MetricsConfigTest, ErrorsNameTheLine) {
  auto bad =
      parse_relay_config("[listeners.lan]\n[metrics]\nlisten = \"localhost:1\"\n", "relay.toml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().describe().find("relay.toml:3"), std::string::npos)
      << bad.error().describe();
  auto unknown =
      parse_relay_config("[listeners.lan]\n[metrics]\nlisten_on = \"127.0.0.1:1\"\n", "relay.toml");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().describe().find("listen_on"), std::string::npos);
}

TEST(MetricsConfigTest, AChangeNeedsARestart) {
  auto running = parse_relay_config("[listeners.lan]\n", "relay.toml");
  auto loaded =
      parse_relay_config("[listeners.lan]\n[metrics]\nlisten = \"127.0.0.1:1\"\n", "relay.toml");
  ASSERT_TRUE(running && loaded);
  const auto changed = changes_needing_restart(*running, *loaded);
  EXPECT_NE(std::find(changed.begin(), changed.end(), "metrics"), changed.end());
}

}  // namespace
}  // namespace mailoauth::relay
