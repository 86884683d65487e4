// Tests for TOML configuration loading: every error names file:line and the key,
// typed getters report what they found, and typos get a suggestion.
#include "mailoauth/core/config.hpp"

#include <gtest/gtest.h>

namespace mailoauth::core {
namespace {

constexpr std::string_view kSample = R"(# mailoauth configuration
default_account = "work"

[accounts.work]
provider = "microsoft"
tenant = "contoso.onmicrosoft.com"
port = 587
verify_tls = true
scopes = ["https://outlook.office.com/SMTP.Send", "offline_access"]

[accounts.home]
provider = "google"
)";

ConfigDocument parse_or_die(std::string_view text) {
  auto document = ConfigDocument::parse(text, "config.toml");
  if (!document) throw std::runtime_error(document.error().message());
  return std::move(*document);
}

TEST(ConfigTest, ReadsTypedValues) {
  const auto document = parse_or_die(kSample);
  const auto root = document.root();
  EXPECT_EQ(*root.required_string("default_account"), "work");
  auto accounts = root.optional_section("accounts");
  ASSERT_TRUE(accounts.has_value() && accounts->has_value());
  auto work = (*accounts)->optional_section("work");
  ASSERT_TRUE(work.has_value() && work->has_value());
  const ConfigSection& section = **work;
  EXPECT_EQ(section.path(), "accounts.work");
  EXPECT_EQ(*section.required_string("provider"), "microsoft");
  EXPECT_EQ(section.optional_integer("port", 1, 65535)->value(), 587);
  EXPECT_EQ(section.optional_bool("verify_tls")->value(), true);
  const auto scopes = section.optional_string_list("scopes");
  ASSERT_TRUE(scopes.has_value() && scopes->has_value());
  EXPECT_EQ((*scopes)->size(), 2u);
  EXPECT_EQ((*scopes)->at(1), "offline_access");
  EXPECT_FALSE(section.optional_string("missing")->has_value());
}

TEST(ConfigTest, SectionsInFileOrder) {
  const auto document = parse_or_die(kSample);
  const auto accounts = **document.root().optional_section("accounts");
  const auto sections = accounts.sections();
  ASSERT_EQ(sections.size(), 2u);
  EXPECT_EQ(sections[0].first, "work");
  EXPECT_EQ(sections[1].first, "home");
  EXPECT_EQ(sections[1].second.path(), "accounts.home");
}

TEST(ConfigTest, SyntaxErrorNamesFileLineAndColumn) {
  auto document = ConfigDocument::parse("a = 1\nb = \"unterminated\n", "my.toml");
  ASSERT_FALSE(document.has_value());
  EXPECT_EQ(document.error().error_class(), ErrorClass::Config);
  EXPECT_EQ(document.error().code(), "config.syntax");
  EXPECT_EQ(document.error().message().rfind("my.toml:2:", 0), 0u) << document.error().message();
}

TEST(ConfigTest, WrongTypeSaysExpectedAndFound) {
  const auto document = parse_or_die(kSample);
  const auto work = **(**document.root().optional_section("accounts")).optional_section("work");
  auto port = work.optional_string("port");
  ASSERT_FALSE(port.has_value());
  EXPECT_EQ(port.error().message(),
            "config.toml:7: accounts.work.port must be a string, found an integer");
  auto provider = work.optional_integer("provider", 0, 10);
  ASSERT_FALSE(provider.has_value());
  EXPECT_EQ(provider.error().message(),
            "config.toml:5: accounts.work.provider must be an integer, found a string");
}

TEST(ConfigTest, OutOfRange) {
  const auto document = parse_or_die("port = 70000\n");
  auto port = document.root().optional_integer("port", 1, 65535);
  ASSERT_FALSE(port.has_value());
  EXPECT_EQ(port.error().message(),
            "config.toml:1: port is 70000, outside the allowed range 1..65535");
}

TEST(ConfigTest, MissingRequiredKeySaysWhereToAddIt) {
  const auto document = parse_or_die(kSample);
  const auto home = **(**document.root().optional_section("accounts")).optional_section("home");
  auto client = home.required_string("client_id");
  ASSERT_FALSE(client.has_value());
  EXPECT_EQ(client.error().code(), "config.missing_key");
  EXPECT_EQ(client.error().message(),
            "config.toml:11: accounts.home.client_id is required but missing");
  EXPECT_EQ(client.error().remedy(), "add `client_id = \"...\"` to [accounts.home]");
}

TEST(ConfigTest, UnknownKeyWithSuggestion) {
  const auto document = parse_or_die("[accounts.work]\nclinet_id = \"x\"\n");
  const auto work = **(**document.root().optional_section("accounts")).optional_section("work");
  auto checked = work.reject_unknown_keys({"provider", "client_id", "tenant"});
  ASSERT_FALSE(checked.has_value());
  EXPECT_EQ(checked.error().message(), "config.toml:2: unknown key 'clinet_id' in [accounts.work]");
  EXPECT_EQ(checked.error().remedy(), "did you mean 'client_id'?");
}

TEST(ConfigTest, UnknownKeyWithoutNearMatchListsKnownKeys) {
  const auto document = parse_or_die("colour = \"blue\"\n");
  auto checked = document.root().reject_unknown_keys({"provider", "tenant"});
  ASSERT_FALSE(checked.has_value());
  EXPECT_EQ(checked.error().remedy(), "remove it; known keys here: provider, tenant");
}

TEST(ConfigTest, StringListWithWrongElement) {
  const auto document = parse_or_die("scopes = [\"a\", 2]\n");
  auto scopes = document.root().optional_string_list("scopes");
  ASSERT_FALSE(scopes.has_value());
  EXPECT_EQ(scopes.error().message(),
            "config.toml:1: every element of scopes must be a string, found an integer");
}

TEST(ConfigTest, MissingFileIsAConfigErrorWithPath) {
  auto document = ConfigDocument::load_file("/nonexistent/mailoauth/config.toml");
  ASSERT_FALSE(document.has_value());
  EXPECT_EQ(document.error().code(), "config.unreadable");
  EXPECT_NE(document.error().message().find("/nonexistent/mailoauth/config.toml"),
            std::string::npos);
}

TEST(ConfigTest, HostileInputIsAnErrorNotACrash) {
  EXPECT_FALSE(ConfigDocument::parse(std::string_view("a = \"\0\"", 7), "x").has_value());
  EXPECT_FALSE(ConfigDocument::parse("a = \"\xff\xfe\"", "x").has_value());
  EXPECT_FALSE(ConfigDocument::parse(std::string(10000, '['), "x").has_value());
  EXPECT_FALSE(
      ConfigDocument::parse(std::string(ConfigDocument::kMaxSize + 1, '#'), "x").has_value());
}

TEST(ConfigTest, EditDistance) {
  EXPECT_EQ(edit_distance("client_id", "client_id"), 0u);
  EXPECT_EQ(edit_distance("clinet_id", "client_id"), 2u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
}

}  // namespace
}  // namespace mailoauth::core
