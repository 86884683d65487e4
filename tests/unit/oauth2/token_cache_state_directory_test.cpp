// Where the token cache lives (oauth2::default_state_directory): the
// environment's choices in their order, and the case issue 11 found under
// Debian's nagios4 and icinga2 units, which run plugins without HOME: the
// home directory then comes from the password database instead of an error.
// The tests change the process environment and put it back afterwards.
#include <cstdlib>
#include <map>
#include <optional>
#include <string>

#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include "mailoauth/oauth2/token_cache.hpp"

namespace mailoauth::oauth2 {
namespace {

class StateDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"MAILOAUTH_STATE_DIR", "XDG_STATE_HOME", "HOME"}) {
      const char* value = std::getenv(name);
      saved_[name] = value ? std::optional<std::string>(value) : std::nullopt;
      ::unsetenv(name);
    }
  }
  void TearDown() override {
    for (const auto& [name, value] : saved_) {
      if (value) {
        ::setenv(name.c_str(), value->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

TEST_F(StateDirectoryTest, ExplicitDirectoryWinsOverEverything) {
  ::setenv("MAILOAUTH_STATE_DIR", "/srv/state", 1);
  ::setenv("XDG_STATE_HOME", "/x", 1);
  ::setenv("HOME", "/home/h", 1);
  auto directory = default_state_directory();
  ASSERT_TRUE(directory) << directory.error().describe();
  EXPECT_EQ(*directory, "/srv/state");
}

TEST_F(StateDirectoryTest, XdgStateHomeBeforeHome) {
  ::setenv("XDG_STATE_HOME", "/x", 1);
  ::setenv("HOME", "/home/h", 1);
  auto directory = default_state_directory();
  ASSERT_TRUE(directory) << directory.error().describe();
  EXPECT_EQ(*directory, "/x/mailoauth");
}

TEST_F(StateDirectoryTest, HomeFromTheEnvironment) {
  ::setenv("HOME", "/home/h", 1);
  auto directory = default_state_directory();
  ASSERT_TRUE(directory) << directory.error().describe();
  EXPECT_EQ(*directory, "/home/h/.local/state/mailoauth");
}

TEST_F(StateDirectoryTest, WithoutHomeThePasswordDatabaseNamesTheHome) {
  const passwd* entry = ::getpwuid(::geteuid());
  if (entry == nullptr || entry->pw_dir == nullptr || std::string(entry->pw_dir).empty() ||
      std::string(entry->pw_dir) == "/") {
    GTEST_SKIP() << "this user has no home directory in the password database";
  }
  auto directory = default_state_directory();
  ASSERT_TRUE(directory) << directory.error().describe();
  EXPECT_EQ(*directory, std::filesystem::path(entry->pw_dir) / ".local/state/mailoauth");
}

TEST_F(StateDirectoryTest, EmptyVariablesCountAsUnset) {
  ::setenv("MAILOAUTH_STATE_DIR", "", 1);
  ::setenv("XDG_STATE_HOME", "", 1);
  ::setenv("HOME", "/home/h", 1);
  auto directory = default_state_directory();
  ASSERT_TRUE(directory) << directory.error().describe();
  EXPECT_EQ(*directory, "/home/h/.local/state/mailoauth");
}

}  // namespace
}  // namespace mailoauth::oauth2
