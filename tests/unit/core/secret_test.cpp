// Tests for Secret: the value survives moves, reveal() is the only way in,
// clone() is explicit, comparison works, and a log line shows only the size.
// That formatting does not compile is checked by tests/unit/core/secret_format_must_not_compile.
#include "mailoauth/core/secret.hpp"

#include <gtest/gtest.h>

namespace mailoauth::core {
namespace {

TEST(SecretTest, RevealsWhatItHolds) {
  Secret secret("hunter2");
  EXPECT_EQ(secret.reveal(), "hunter2");
  EXPECT_EQ(secret.size(), 7u);
  EXPECT_FALSE(secret.empty());
}

TEST(SecretTest, DefaultIsEmpty) {
  Secret secret;
  EXPECT_TRUE(secret.empty());
  EXPECT_EQ(secret.reveal(), "");
}

TEST(SecretTest, MoveLeavesSourceEmpty) {
  Secret first("token-value");
  Secret second(std::move(first));
  EXPECT_EQ(second.reveal(), "token-value");
  EXPECT_TRUE(first.empty());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  Secret third;
  third = std::move(second);
  EXPECT_EQ(third.reveal(), "token-value");
  EXPECT_TRUE(second.empty());  // NOLINT(bugprone-use-after-move)
}

TEST(SecretTest, TakeWipesTheSourceString) {
  std::string source = "a-long-refresh-token-that-is-not-in-small-string-storage";
  Secret secret = Secret::take(std::move(source));
  EXPECT_EQ(secret.reveal(), "a-long-refresh-token-that-is-not-in-small-string-storage");
  EXPECT_TRUE(source.empty());  // NOLINT(bugprone-use-after-move): take() clears it
}

TEST(SecretTest, CloneIsIndependent) {
  Secret original("abc");
  Secret copy = original.clone();
  EXPECT_TRUE(copy.equals(original));
  original = Secret("xyz");
  EXPECT_EQ(copy.reveal(), "abc");
}

TEST(SecretTest, EqualsComparesContentAndLength) {
  EXPECT_TRUE(Secret("same").equals(Secret("same")));
  EXPECT_FALSE(Secret("same").equals(Secret("sane")));
  EXPECT_FALSE(Secret("same").equals(Secret("same!")));
  EXPECT_TRUE(Secret().equals(Secret("")));
}

TEST(SecretTest, RedactedShowsOnlyTheSize) {
  Secret secret("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9");
  EXPECT_EQ(redacted(secret), "<redacted 36 bytes>");
}

TEST(SecretTest, SecureWipeZeroes) {
  char buffer[8] = {'s', 'e', 'c', 'r', 'e', 't', '!', '!'};
  secure_wipe(buffer, sizeof buffer);
  for (char c : buffer) EXPECT_EQ(c, 0);
}

}  // namespace
}  // namespace mailoauth::core
