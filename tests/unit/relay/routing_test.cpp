// Route choice: the most specific route wins whatever the order (address over
// domain over user over listener), every list a route has must match, no
// route means no route, and ties are refused at load.
#include "mailoauth/relay/routing.hpp"

#include <gtest/gtest.h>

namespace mailoauth::relay {
namespace {

std::optional<std::size_t> chosen(const std::vector<RouteMatch>& routes, std::string_view listener,
                                  std::string_view user, std::string_view sender) {
  auto choice = choose_route(routes, {listener, user, sender});
  return choice ? std::optional<std::size_t>(choice->index) : std::nullopt;
}

TEST(RoutingTest, MostSpecificWins) {
  const std::vector<RouteMatch> routes{
      {.senders = {}, .users = {}, .listeners = {"lan"}},                  // 0: the LAN's default
      {.senders = {"contoso.com"}, .users = {}, .listeners = {}},          // 1: the tenant
      {.senders = {"scanner@contoso.com"}, .users = {}, .listeners = {}},  // 2: one device
      {.senders = {}, .users = {"erp"}, .listeners = {}},                  // 3: a relay user
  };
  EXPECT_EQ(chosen(routes, "lan", "", "scanner@contoso.com"), 2u);
  EXPECT_EQ(chosen(routes, "lan", "", "ceo@contoso.com"), 1u);
  EXPECT_EQ(chosen(routes, "lan", "", "x@fabrikam.com"), 0u);
  EXPECT_EQ(chosen(routes, "dmz", "erp", "x@fabrikam.com"), 3u);
  EXPECT_EQ(chosen(routes, "dmz", "", "x@fabrikam.com"), std::nullopt);
  EXPECT_EQ(chosen(routes, "dmz", "erp", "ceo@contoso.com"), 1u) << "domain (4) over user (2)";
}

TEST(RoutingTest, EveryListMustMatch) {
  const std::vector<RouteMatch> routes{
      {.senders = {"contoso.com"}, .users = {"erp"}, .listeners = {"lan"}},
  };
  EXPECT_EQ(chosen(routes, "lan", "erp", "a@contoso.com"), 0u);
  EXPECT_EQ(chosen(routes, "lan", "", "a@contoso.com"), std::nullopt);
  EXPECT_EQ(chosen(routes, "dmz", "erp", "a@contoso.com"), std::nullopt);
  EXPECT_EQ(chosen(routes, "lan", "erp", "a@fabrikam.com"), std::nullopt);
  EXPECT_EQ(chosen(routes, "lan", "erp", ""), std::nullopt);
}

TEST(RoutingTest, TiesAreRefusedAtLoad) {
  const std::vector<std::string> names{"a", "b"};
  EXPECT_FALSE(check_routes({{.senders = {"contoso.com"}, .users = {}, .listeners = {}},
                             {.senders = {"@Contoso.com"}, .users = {}, .listeners = {}}},
                            names));
  EXPECT_FALSE(check_routes({{}, {}}, names)) << "two catch-alls";
  EXPECT_TRUE(check_routes({{.senders = {"contoso.com"}, .users = {}, .listeners = {}},
                            {.senders = {"scanner@contoso.com"}, .users = {}, .listeners = {}}},
                           names));
  EXPECT_TRUE(check_routes({{.senders = {"contoso.com"}, .users = {"erp"}, .listeners = {}},
                            {.senders = {"contoso.com"}, .users = {}, .listeners = {}}},
                           names));
  EXPECT_FALSE(
      check_routes({{.senders = {"not an address"}, .users = {}, .listeners = {}}}, {"a"}));
}

}  // namespace
}  // namespace mailoauth::relay
