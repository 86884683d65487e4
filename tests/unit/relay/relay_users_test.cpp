// Relay users: Argon2id hashes that verify only the right password, the
// file's format both ways with its refusals (line numbers, never the hash),
// and the sender rules that keep one tenant from sending as another.
#include "mailoauth/relay/relay_users.hpp"

#include <gtest/gtest.h>

namespace mailoauth::relay {
namespace {

TEST(RelayUsersTest, HashVerifiesOnlyTheRightPassword) {
  auto hash = hash_relay_password(core::Secret("correct horse battery"));
  ASSERT_TRUE(hash) << hash.error().describe();
  EXPECT_TRUE(hash->starts_with("$argon2id$"));
  EXPECT_EQ(hash->find("correct"), std::string::npos);
  const RelayUser user{"scanner", *hash, {}};
  EXPECT_TRUE(verify_relay_password(user, core::Secret("correct horse battery")));
  EXPECT_FALSE(verify_relay_password(user, core::Secret("correct horse batterY")));
  EXPECT_FALSE(verify_relay_password(user, core::Secret("")));
  EXPECT_FALSE(hash_relay_password(core::Secret("short")));
}

TEST(RelayUsersTest, FileRoundTrip) {
  const std::vector<RelayUser> users{
      {"scanner", "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA", {"scanner@contoso.com"}},
      {"erp", "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA", {"contoso.com", "@fabrikam.com"}},
      {"cron", "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA", {}},
  };
  auto parsed = parse_relay_users(encode_relay_users(users), "relay-users");
  ASSERT_TRUE(parsed) << parsed.error().describe();
  ASSERT_EQ(parsed->size(), 3u);
  EXPECT_EQ((*parsed)[1].senders, users[1].senders);
  EXPECT_TRUE((*parsed)[2].senders.empty());
}

TEST(RelayUsersTest, BadLinesNameTheLineNotTheHash) {
  const auto error = [](std::string_view text) {
    auto parsed = parse_relay_users(text, "relay-users");
    EXPECT_FALSE(parsed) << text;
    return parsed ? std::string() : parsed.error().message();
  };
  EXPECT_NE(error("# c\nscanner secretpassword\n").find("relay-users:2"), std::string::npos);
  EXPECT_EQ(error("scanner secretpassword\n").find("secretpassword"), std::string::npos);
  error("bad/name $argon2id$x\n");
  error("a $argon2id$x b c\n");
  error("a $argon2id$x\na $argon2id$y\n");
  error("a $argon2id$x not-an-address\n");
  error("a $argon2id$x a@b,,c@d\n");
}

TEST(RelayUsersTest, SenderRules) {
  const RelayUser scanner{"scanner", "", {"scanner@contoso.com"}};
  EXPECT_TRUE(sender_allowed(scanner, "scanner@contoso.com"));
  EXPECT_TRUE(sender_allowed(scanner, "Scanner@Contoso.COM"));
  EXPECT_FALSE(sender_allowed(scanner, "ceo@contoso.com"));
  const RelayUser tenant{"erp", "", {"contoso.com"}};
  EXPECT_TRUE(sender_allowed(tenant, "anyone@contoso.com"));
  EXPECT_FALSE(sender_allowed(tenant, "anyone@fabrikam.com"));
  EXPECT_FALSE(sender_allowed(tenant, "anyone@evilcontoso.com"));
  EXPECT_FALSE(sender_allowed(tenant, "anyone@sub.contoso.com"));
  EXPECT_FALSE(sender_allowed(tenant, "")) << "the null sender is not the tenant's";
  const RelayUser anyone{"cron", "", {}};
  EXPECT_TRUE(sender_allowed(anyone, "x@y.example"));
}

}  // namespace
}  // namespace mailoauth::relay
