// core/ascii: locale-free case-insensitive comparison, as the protocols and
// the error catalogues use it.
#include "mailoauth/core/ascii.hpp"

#include <gtest/gtest.h>

namespace mailoauth::core {
namespace {

TEST(AsciiTest, IcontainsFindsAFragmentWhateverItsCase) {
  EXPECT_TRUE(icontains("535 5.7.139 SmtpClientAuthentication is disabled", "smtpclientauth"));
  EXPECT_TRUE(icontains("abc", ""));
  EXPECT_TRUE(icontains("", ""));
  EXPECT_FALSE(icontains("ab", "abc"));
  EXPECT_FALSE(icontains("disabled for the Tenant", "mailbox"));
  EXPECT_FALSE(icontains("\xc3\x89T\xc3\x89", "\xc3\xa9t")) << "only ASCII letters fold";
  static_assert(icontains("Authentication Unsuccessful", "UNSUCCESSFUL"));
}

}  // namespace
}  // namespace mailoauth::core
