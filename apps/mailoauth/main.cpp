// The `mailoauth` command: one binary with subcommands. At this stage it only
// knows `--version` and `--help`; each later part (token, send, imap, relay) adds
// a subcommand here that parses its arguments and calls into the library.
#include <cstdio>
#include <string_view>

#include <fmt/format.h>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/version.hpp"

namespace {

constexpr std::string_view kUsage =
    R"(mailoauth {} - OAuth2 for e-mail (SMTP, IMAP, Microsoft Graph)

Usage:
  mailoauth --version        print the version and exit
  mailoauth --help           print this help and exit

Subcommands (token, send, imap, relay) arrive with the next releases; see
docs/ARCHITECTURE.md for the plan and README.md for what works today.
)";

}  // namespace

int main(int argc, char** argv) {
  using namespace mailoauth::core;
  if (argc == 2 &&
      (std::string_view(argv[1]) == "--version" || std::string_view(argv[1]) == "-V")) {
    fmt::print("mailoauth {}\n", version());
    return kExitOk;
  }
  if (argc == 2 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h")) {
    fmt::print(kUsage, version());
    return kExitOk;
  }
  if (argc == 1) {
    fmt::print(stderr, kUsage, version());
    return kExitUsage;
  }
  fmt::print(stderr, "mailoauth: unknown command or option \"{}\"; run `mailoauth --help`\n",
             argv[1]);
  return kExitUsage;
}
