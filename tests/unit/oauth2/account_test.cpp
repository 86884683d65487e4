// Accounts from TOML: what a complete account resolves to, the errors a typo
// or a missing piece gives (with file:line and a remedy), two secrets with
// expiry dates, relative files anchored at the config's directory, a
// world-readable file holding a secret refused, and the textual add/remove
// that keeps a person's comments.
#include "mailoauth/oauth2/account.hpp"

#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mailoauth::oauth2 {
namespace {

namespace fs = std::filesystem;

AccountsConfig parse(std::string_view text) {
  auto config = parse_accounts(text, "config.toml");
  if (!config) throw std::runtime_error(config.error().describe());
  return std::move(*config);
}

std::string parse_error(std::string_view text) {
  auto config = parse_accounts(text, "config.toml");
  if (config) return "parsed";
  return config.error().describe();
}

TEST(AccountTest, MicrosoftDelegatedWithPreset) {
  const auto config = parse(R"(
default_account = "work"
[accounts.work]
provider = "microsoft"
tenant = "contoso.com"
client_id = "11111111-2222"
preset = "smtp"
login_hint = "me@contoso.com"
)");
  const Account& account = *config.find("work").value();
  EXPECT_EQ(account.flow, Flow::Delegated);
  EXPECT_EQ(account.endpoints.token_url,
            "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token");
  EXPECT_EQ(account.scopes,
            (std::vector<std::string>{"https://outlook.office.com/SMTP.Send", "offline_access"}));
  EXPECT_EQ(account.user(), "me@contoso.com");
  EXPECT_TRUE(account.public_client());
  EXPECT_EQ(account.refresh_margin, std::chrono::seconds(300));
  EXPECT_EQ(account.location, "config.toml:3");
  EXPECT_EQ(config.default_account, "work");
}

TEST(AccountTest, TwoSecretsWithExpiry) {
  const auto config = parse(R"(
[accounts.relay]
provider = "microsoft"
flow = "app"
client_id = "id"
client_secret_env = "NEW_SECRET"
client_secret_expires = "2027-06-30"
previous_client_secret_file = "/etc/mailoauth/old.secret"
previous_client_secret_expires = "2026-12-31"
preset = "smtp"
mailbox = "printer@contoso.com"
)");
  const Account& account = *config.find("relay").value();
  ASSERT_EQ(account.secrets.size(), 2u);
  EXPECT_EQ(account.secrets[0].slot, "current");
  EXPECT_EQ(account.secrets[0].kind, SecretSource::Kind::Environment);
  EXPECT_EQ(core::format_rfc3339_utc(*account.secrets[0].expires, false), "2027-06-30T00:00:00Z");
  EXPECT_EQ(account.secrets[1].slot, "previous");
  EXPECT_EQ(account.secrets[1].where, "/etc/mailoauth/old.secret");
  EXPECT_EQ(account.scopes, (std::vector<std::string>{"https://outlook.office365.com/.default"}));
}

TEST(AccountTest, MistakesAreNamedWithTheirLineAndARemedy) {
  EXPECT_NE(parse_error("[accounts.a]\nprovider = \"microsoft\"\nclinet_id = \"x\"\n")
                .find("did you mean 'client_id'"),
            std::string::npos);
  EXPECT_NE(parse_error("[accounts.a]\nclient_id = \"x\"\n").find("provider is missing"),
            std::string::npos);
  EXPECT_NE(parse_error("[accounts.a]\nprovider = \"microsoft\"\npreset = \"mail\"\n")
                .find("Application (client) ID"),
            std::string::npos);
  EXPECT_NE(parse_error("[accounts.a]\nprovider = \"microsoft\"\nclient_id = \"x\"\n"
                        "preset = \"mail\"\nflow = \"app\"\n")
                .find("mailbox"),
            std::string::npos);
  EXPECT_NE(parse_error("[accounts.a]\nprovider = \"google\"\nclient_id = \"x\"\n"
                        "preset = \"graph\"\n")
                .find("config.toml:4"),
            std::string::npos);
  EXPECT_NE(parse_error("[accounts.a]\nprovider = \"microsoft\"\nclient_id = \"x\"\n"
                        "preset = \"mail\"\nclient_secret_expires = \"30.06.2027\"\n")
                .find("2027-06-30"),
            std::string::npos);
  EXPECT_NE(parse_error("[accounts.a]\nprovider = \"microsoft\"\nclient_id = \"x\"\n"
                        "preset = \"mail\"\nclient_secret = \"a\"\nclient_secret_env = \"B\"\n")
                .find("only one of"),
            std::string::npos);
  EXPECT_NE(parse_error("[accounts.a]\nprovider = \"generic\"\nclient_id = \"x\"\n")
                .find("token_url or issuer"),
            std::string::npos);
  EXPECT_NE(parse_error("[accounts.\"a b\"]\nprovider = \"generic\"\n").find("cannot name"),
            std::string::npos);
  EXPECT_NE(parse_error("default_account = \"nope\"\n").find("default_account"), std::string::npos);
}

TEST(AccountTest, MailServerAndTransportKeys) {
  const auto config = parse(R"(
[accounts.printer]
provider = "microsoft"
flow = "app"
tenant = "contoso.com"
client_id = "c"
client_secret_env = "S"
preset = "smtp"
mailbox = "scanner@contoso.com"
smtp_server = "smtp.example.net"
smtp_port = 2525
smtp_tls = "none"
imap_server = "imap.example.net"
imap_port = 143
imap_tls = "starttls"
auth_mechanisms = ["OAUTHBEARER", "XOAUTH2"]
transport = "auto"
graph_url = "https://graph.microsoft.us"
graph_account = "printer-graph"
)");
  const Account& account = *config.find("printer").value();
  EXPECT_EQ(account.smtp_server, "smtp.example.net");
  EXPECT_EQ(account.smtp_port, 2525);
  EXPECT_EQ(account.smtp_tls, "none");
  EXPECT_EQ(account.imap_server, "imap.example.net");
  EXPECT_EQ(account.imap_port, 143);
  EXPECT_EQ(account.imap_tls, "starttls");
  EXPECT_EQ(account.auth_mechanisms, (std::vector<std::string>{"OAUTHBEARER", "XOAUTH2"}));
  EXPECT_EQ(account.transport, "auto");
  EXPECT_EQ(account.graph_url, "https://graph.microsoft.us");
  EXPECT_EQ(account.graph_account, "printer-graph");
}

TEST(AccountTest, AMicrosoftAccountsGraphIsItsClouds) {
  const auto config = parse(
      "[accounts.gcc-high]\nprovider = \"microsoft\"\ncloud = \"usgov\"\nflow = \"app\"\n"
      "tenant = \"contoso.us\"\nclient_id = \"c\"\nclient_secret_env = \"S\"\n"
      "preset = \"graph\"\nmailbox = \"scanner@contoso.us\"\n");
  const Account& gov = *config.find("gcc-high").value();
  EXPECT_EQ(gov.graph_url, "https://graph.microsoft.us");
  EXPECT_EQ(gov.scopes, std::vector<std::string>{"https://graph.microsoft.us/.default"});
  EXPECT_EQ(gov.endpoints.token_url,
            "https://login.microsoftonline.us/contoso.us/oauth2/v2.0/token");
}

TEST(AccountTest, BadMailServerKeysAreNamedWithTheirLine) {
  const std::string head = "[accounts.a]\nprovider = \"google\"\nclient_id = \"c\"\n";
  std::string error = parse_error(head + "smtp_tls = \"ssl3\"\n");
  EXPECT_NE(error.find("config.toml:4"), std::string::npos) << error;
  EXPECT_NE(error.find("starttls"), std::string::npos) << error;
  error = parse_error(head + "transport = \"pigeon\"\n");
  EXPECT_NE(error.find("unknown transport \"pigeon\""), std::string::npos) << error;
  error = parse_error(head + "auth_mechanisms = [\"CRAM-MD5\"]\n");
  EXPECT_NE(error.find("unknown SASL mechanism \"CRAM-MD5\""), std::string::npos) << error;
  error = parse_error(head + "smtp_port = 70000\n");
  EXPECT_NE(error.find("smtp_port"), std::string::npos) << error;
}

TEST(AccountTest, UnknownAccountListsTheKnownOnes) {
  const auto config =
      parse("[accounts.a]\nprovider = \"google\"\nclient_id = \"x\"\npreset = \"mail\"\n");
  auto missing = config.find("b");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().error_class(), core::ErrorClass::Config);
  EXPECT_NE(missing.error().remedy().find("known accounts: a"), std::string::npos);
}

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "mailoauth-account-XXXXXX").string();
    directory_ = mkdtemp(pattern.data());
  }
  void TearDown() override { fs::remove_all(directory_); }
  fs::path write(std::string_view text, mode_t mode) {
    const fs::path path = directory_ / "config.toml";
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
    return path;
  }
  fs::path directory_;
};

TEST_F(ConfigFileTest, MissingFileIsAnEmptyConfiguration) {
  auto config = load_accounts(directory_ / "absent.toml");
  ASSERT_TRUE(config.has_value());
  EXPECT_FALSE(config->file_exists);
  EXPECT_NE(config->find("x").error().message().find("does not exist"), std::string::npos);
}

TEST_F(ConfigFileTest, RelativeFilesAreAnchoredAtTheConfigurationsDirectory) {
  const auto path = write(
      "[accounts.a]\nprovider = \"microsoft\"\nflow = \"app\"\nclient_id = \"x\"\n"
      "client_secret_file = \"secrets/a\"\npreset = \"smtp\"\nmailbox = \"m@x\"\n",
      0644);
  auto config = load_accounts(path);
  ASSERT_TRUE(config.has_value()) << config.error().describe();
  EXPECT_EQ(config->accounts[0].secrets[0].where, (directory_ / "secrets/a").string());
}

TEST_F(ConfigFileTest, InlineSecretInAReadableFileIsRefused) {
  const std::string text =
      "[accounts.a]\nprovider = \"microsoft\"\nflow = \"app\"\nclient_id = \"x\"\n"
      "client_secret = \"s3cr3t\"\npreset = \"smtp\"\nmailbox = \"m@x\"\n";
  auto readable = load_accounts(write(text, 0644));
  ASSERT_FALSE(readable.has_value());
  EXPECT_NE(readable.error().remedy().find("chmod 600"), std::string::npos);
  EXPECT_EQ(readable.error().describe().find("s3cr3t"), std::string::npos);
  auto private_file = load_accounts(write(text, 0600));
  ASSERT_TRUE(private_file.has_value());
  EXPECT_EQ(read_secret_source(private_file->accounts[0].secrets[0])->reveal(), "s3cr3t");
}

TEST_F(ConfigFileTest, SecretFilesLoseTheirTrailingNewlineAndEmptyOnesAreRefused) {
  std::ofstream(directory_ / "s") << "value\n";
  std::ofstream(directory_ / "empty") << "\n";
  SecretSource source{SecretSource::Kind::File, (directory_ / "s").string(), {}, {}, "current"};
  EXPECT_EQ(read_secret_source(source)->reveal(), "value");
  source.where = (directory_ / "empty").string();
  EXPECT_NE(read_secret_source(source).error().message().find("empty"), std::string::npos);
  source.where = (directory_ / "absent").string();
  EXPECT_EQ(read_secret_source(source).error().error_class(), core::ErrorClass::Config);
}

// A secret file that cannot be read says why: the errno name, and the
// file's owner and mode (read as `nobody` in a child when the tests run as
// root, since root reads any file).
TEST_F(ConfigFileTest, AnUnreadableSecretFileSaysWhyWithOwnerAndMode) {
  SecretSource source{SecretSource::Kind::File, (directory_ / "absent").string(), {}, {}, ""};
  auto absent = read_secret_source(source);
  ASSERT_FALSE(absent.has_value());
  EXPECT_NE(absent.error().message().find("ENOENT (No such file or directory)"), std::string::npos)
      << absent.error().message();

  std::ofstream(directory_ / "locked") << "value\n";
  ::chmod((directory_ / "locked").c_str(), 0);
  ::chmod(directory_.c_str(), 0755);
  source.where = (directory_ / "locked").string();
  std::string message;
  if (::geteuid() == 0) {
    int pipe_ends[2];
    ASSERT_EQ(::pipe(pipe_ends), 0);
    const pid_t pid = ::fork();
    if (pid == 0) {
      if (::setresuid(65534, 65534, 65534) != 0) ::_exit(1);
      auto locked = read_secret_source(source);
      const std::string text = locked ? "read" : locked.error().message();
      (void)!::write(pipe_ends[1], text.data(), text.size());
      ::_exit(0);
    }
    ::close(pipe_ends[1]);
    char buffer[2048];
    ssize_t n = 0;
    while ((n = ::read(pipe_ends[0], buffer, sizeof buffer)) > 0) {
      message.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(pipe_ends[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    const struct passwd* me = ::getpwuid(0);
    EXPECT_NE(message.find(fmt::format("owner uid 0 ({}), mode 0000", me->pw_name)),
              std::string::npos)
        << message;
  } else {
    auto locked = read_secret_source(source);
    ASSERT_FALSE(locked.has_value());
    message = locked.error().message();
    EXPECT_NE(message.find("mode 0000"), std::string::npos) << message;
  }
  EXPECT_NE(message.find("EACCES (Permission denied)"), std::string::npos) << message;
  EXPECT_EQ(message.find("value"), std::string::npos);
}

// The browser sign-in's redirect: a registered path (Keycloak, Okta, many
// generic servers: http://127.0.0.1/callback), the port free unless named.
TEST(AccountTest, RedirectUriGivesTheLoopbackPathAndHost) {
  const std::string base =
      "[accounts.kc]\nprovider = \"generic\"\nissuer = \"https://id.example\"\n"
      "client_id = \"mail\"\n";
  const auto config = parse(base + "redirect_uri = \"http://localhost/callback\"\n");
  const Account& account = config.accounts.at(0);
  EXPECT_EQ(account.redirect_host, "localhost");
  EXPECT_EQ(account.redirect_path, "/callback");
  EXPECT_EQ(account.redirect_port, 0);
  EXPECT_EQ(parse(base).accounts.at(0).redirect_path, "/");
  EXPECT_EQ(
      parse(base + "redirect_uri = \"http://127.0.0.1:8400/cb\"\n").accounts.at(0).redirect_port,
      8400);
  EXPECT_NE(
      parse_error(base + "redirect_uri = \"http://127.0.0.1:8400/cb\"\nredirect_port = 8401\n")
          .find("one place"),
      std::string::npos);
  EXPECT_NE(parse_error(base + "redirect_uri = \"https://app.example/cb\"\n").find("config.toml:5"),
            std::string::npos);
}

// One key table feeds reading and the unknown-key check: a near miss of a
// key only the table knows is named.
TEST(AccountTest, UnknownKeysAreCheckedAgainstTheKeyTable) {
  const std::string base =
      "[accounts.kc]\nprovider = \"generic\"\nissuer = \"https://id.example\"\n"
      "client_id = \"mail\"\n";
  EXPECT_NE(parse_error(base + "redirect_url = \"http://127.0.0.1/cb\"\n")
                .find("did you mean 'redirect_uri'"),
            std::string::npos);
  EXPECT_NE(parse_error(base + "previous_client_secret_expire = \"2027-01-01\"\n")
                .find("did you mean 'previous_client_secret_expires'"),
            std::string::npos);
  EXPECT_NE(parse_error(base + "refresh_margin = \"soon\"\n").find("refresh_margin"),
            std::string::npos)
      << "a wrong type is named by key";
}

TEST(AccountTextTest, RenderedAccountParsesBack) {
  AccountDraft draft;
  draft.name = "work";
  draft.provider = "microsoft";
  draft.client_id = "id";
  draft.preset = "mail";
  draft.login_hint = "a \"quoted\" \\ name";
  const auto config = parse(render_account(draft));
  EXPECT_EQ(config.find("work").value()->login_hint, "a \"quoted\" \\ name");
}

TEST(AccountTextTest, RemoveCutsTheTableAndItsSubtablesOnly) {
  const std::string text =
      "# my accounts\n[accounts.a]\nprovider = \"x\"\n\n[accounts.a.extra]\nk = 1\n"
      "[accounts.ab]\nprovider = \"y\"\n# keep me\n";
  const auto without = remove_account_text(text, "a");
  ASSERT_TRUE(without.has_value());
  EXPECT_EQ(*without, "# my accounts\n[accounts.ab]\nprovider = \"y\"\n# keep me\n");
  EXPECT_FALSE(remove_account_text(text, "zz").has_value());
}

TEST(AccountTextTest, ExpiryDates) {
  EXPECT_EQ(core::format_rfc3339_utc(parse_expiry_date("2028-02-29").value(), false),
            "2028-02-29T00:00:00Z");
  EXPECT_FALSE(parse_expiry_date("2027-02-30").has_value());
  EXPECT_FALSE(parse_expiry_date("27-1-1").has_value());
  EXPECT_FALSE(parse_expiry_date("").has_value());
}

}  // namespace
}  // namespace mailoauth::oauth2
