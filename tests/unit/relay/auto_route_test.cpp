// An auto route's Graph leg, resolved from real account tables: a Microsoft
// app account with Exchange's SMTP scope alone cannot fall back (one token per
// resource) and is a fault naming graph_account; with a graph_account of
// preset "graph" it can, and check-config's line says SMTP first, the Graph
// URL and mailbox, and the fallback time.
#include "mailoauth/relay/auto_route.hpp"

#include <stdexcept>

#include <gtest/gtest.h>

namespace mailoauth::relay {
namespace {

std::shared_ptr<const oauth2::AccountsConfig> accounts(std::string_view text) {
  auto parsed = oauth2::parse_accounts(text, "config.toml");
  if (!parsed) throw std::runtime_error(parsed.error().describe());
  return std::make_shared<const oauth2::AccountsConfig>(std::move(*parsed));
}

constexpr std::string_view kSmtpAccount = R"(
[accounts.printer]
provider = "microsoft"
flow = "app"
client_id = "id"
client_secret_env = "SECRET"
preset = "smtp"
mailbox = "scanner@contoso.com"
)";

RouteConfig auto_route() {
  RouteConfig route;
  route.name = "printers";
  route.account = "printer";
  route.transport = delivery::Transport::Auto;
  route.graph_fallback_time = std::chrono::seconds(900);
  return route;
}

TEST(AutoRoute, AnSmtpOnlyAccountCannotFallBack) {
  const auto config = accounts(kSmtpAccount);
  const RouteConfig route = auto_route();
  auto usable = check_auto_route(resolve_graph_route(route, config));
  ASSERT_FALSE(usable.has_value());
  EXPECT_EQ(usable.error().code(), "relay.auto_without_graph");
  EXPECT_NE(usable.error().remedy().find("graph_account"), std::string::npos);
  const std::string said = describe_auto_route(route, config);
  EXPECT_TRUE(said.starts_with("cannot deliver: ")) << said;
}

TEST(AutoRoute, WithAGraphAccountItSaysWhatItWillDo) {
  const auto config = accounts(std::string(kSmtpAccount) + R"(graph_account = "printer-graph"
[accounts.printer-graph]
provider = "microsoft"
flow = "app"
client_id = "id"
client_secret_env = "SECRET"
preset = "graph"
mailbox = "scanner@contoso.com"
)");
  const RouteConfig route = auto_route();
  EXPECT_TRUE(check_auto_route(resolve_graph_route(route, config)).has_value());
  const std::string said = describe_auto_route(route, config);
  EXPECT_TRUE(said.starts_with("SMTP first")) << said;
  EXPECT_NE(said.find("https://graph.microsoft.com/v1.0/users/scanner@contoso.com/sendMail"),
            std::string::npos)
      << said;
  EXPECT_NE(said.find("for 900 s (graph_fallback_time) after SMTP AUTH is refused"),
            std::string::npos)
      << said;
}

TEST(AutoRoute, AMissingAccountIsTheGraphLegsFault) {
  const auto config = accounts(kSmtpAccount);
  RouteConfig route = auto_route();
  route.account = "nobody";
  auto usable = check_auto_route(resolve_graph_route(route, config));
  ASSERT_FALSE(usable.has_value());
  EXPECT_NE(usable.error().describe().find("nobody"), std::string::npos)
      << usable.error().describe();
}

}  // namespace
}  // namespace mailoauth::relay
