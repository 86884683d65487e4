// `xoauth2`: check-mail's helper that prints the SASL XOAUTH2 string for an
// account and an access token, raw or base64 (--encode), with no trailing
// newline so wrapper scripts can capture it. Same flags, messages and exit codes
// as check-mail's, with two differences users asked for: --encode produces
// complete base64 (check-mail's drops the end when the length is not a multiple
// of three), and --token-file reads the token from a file or stdin ("-") so it
// is not visible in `ps`, tolerating the trailing newline such files have.
// A user name or token that SASL cannot carry is refused before printing.
#include "mailoauth/sasl/xoauth2.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>

#include "mailoauth/cli/go_flags.hpp"
#include "mailoauth/core/base64.hpp"
#include "mailoauth/core/process_hardening.hpp"
#include "mailoauth/core/secret.hpp"
#include "mailoauth/core/version.hpp"

namespace {

using namespace mailoauth;

std::string version_line() {
  return fmt::format("xoauth2 (mailoauth {}, compatible with check-mail)", core::version());
}

// Go's custom Usage of check-mail's xoauth2, written to stderr.
void print_usage(const cli::GoFlagSet& flags) {
  fmt::print(stderr, "\n{}\n\nUsage of {}:\n{}", version_line(), flags.program(), flags.defaults());
}

core::Result<core::Secret> read_token_file(const std::string& path) {
  std::string contents;
  if (path == "-") {
    contents.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream stream(path, std::ios::binary);
    if (!stream) {
      return core::fail(core::ErrorClass::Config, "xoauth2.token_file",
                        fmt::format("cannot read the token file {}", path));
    }
    std::ostringstream buffer;
    buffer << stream.rdbuf();
    contents = buffer.str();
  }
  // One trailing line break is how files end; it is not part of the token.
  if (!contents.empty() && contents.back() == '\n') contents.pop_back();
  if (!contents.empty() && contents.back() == '\r') contents.pop_back();
  return core::Secret::take(std::move(contents));
}

}  // namespace

int main(int argc, char** argv) {
  mailoauth::core::harden_process(mailoauth::core::ProgramKind::Tool);
  std::string account;
  std::string token_text;
  std::string token_file;
  bool encode = false;
  cli::GoFlagSet flags(argv[0]);
  flags.add_string("account", &account, "", "username or mailbox in email format");
  flags.add_string("token", &token_text, "", "access token");
  flags.add_string("token-file", &token_file, "",
                   "read the access token from `file` (\"-\" for stdin) instead of -token");
  flags.add_bool("encode", &encode, false, "encode XOAuth2 string for use in SASL XOAUTH2");

  const std::vector<std::string> arguments(argv + 1, argv + argc);
  auto parsed = flags.parse(arguments);
  if (!parsed) {
    if (parsed.error().code() == "cli.help_requested") {
      print_usage(flags);
      return 0;
    }
    fmt::print(stderr, "{}\n", parsed.error().message());
    print_usage(flags);
    return 2;
  }

  core::Secret token = core::Secret::take(std::move(token_text));
  if (!token_file.empty()) {
    auto read = read_token_file(token_file);
    if (!read) {
      fmt::print(stderr, "{}\n", read.error().describe());
      return 1;
    }
    token = std::move(*read);
  }
  if (account.empty() || token.empty()) {
    std::fputs(account.empty() ? "missing account!\n" : "missing token!\n", stdout);
    std::fputs("\nUsage:\n", stdout);
    std::fflush(stdout);
    std::fputs(flags.defaults().c_str(), stderr);
    return 1;
  }

  auto response = sasl::xoauth2_initial_response(account, token);
  if (!response) {
    fmt::print(stderr, "{}\n", response.error().describe());
    return 1;
  }
  const std::string output =
      encode ? core::base64::encode(response->reveal()) : std::string(response->reveal());
  std::fwrite(output.data(), 1, output.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}
