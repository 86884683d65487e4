// `fetch-token`: check-mail's tool that gets a client-credentials token and
// prints the access token (or Go's token JSON with -json-output) on stdout or
// into a file (-filename, mode 0600), with no trailing newline. Same flags,
// defaults and output as check-mail's; beyond it: -client-secret-file (a
// secret in a file, not in `ps`), a file written atomically (a reader never
// sees half a token), retries only for failures that retrying can fix, errors
// that say what the identity server meant, a non-zero exit for bad flags, and
// a token cache: a token still valid for -refresh-margin seconds is reused from
// mailoauth's token store (sealed, 0600) instead of asking the server again, so
// a check that runs every minute makes one request per token lifetime.
// -no-cache asks the server every time, as check-mail does. Instead of a
// secret, -certificate-file and -private-key-file authenticate with a
// certificate (a signed client assertion, Entra's certificate credentials);
// the cache then keys the token by the certificate's thumbprint.
#include <cstdio>

#include <fmt/format.h>
#include <sys/stat.h>

#include "mailoauth/compat/check_mail_app.hpp"
#include "mailoauth/compat/client_credentials_token.hpp"
#include "mailoauth/compat/go_token.hpp"
#include "mailoauth/core/file_write.hpp"
#include "mailoauth/core/process_hardening.hpp"

using namespace mailoauth;

int main(int argc, char** argv) {
  mailoauth::core::harden_process(mailoauth::core::ProgramKind::Tool);
  compat::CheckMailApp app("fetch-token", argv[0]);
  compat::ClientCredentialsFlags credentials;
  std::string filename, ca_file;
  bool json_output = false;
  std::int64_t max_attempts = 3;
  auto& flags = app.flags();
  credentials.add_to(flags);
  flags.add_bool("json-output", &json_output, false,
                 "Emit retrieved token in JSON format. Defaults to emitting the access token field "
                 "from retrieved payload.");
  flags.add_string(
      "filename", &filename, "",
      "Save retrieved token to specified file. Emitted to standard out (stdout) if not "
      "specified.");
  flags.add_int("max-attempts", &max_attempts, 3, "Max token retrieval attempts.");
  flags.add_string("ca-file", &ca_file, "",
                   "Trust the CA certificates in `file` for the token endpoint. mailoauth only.");
  if (auto exit_code = app.parse(argc, argv)) return *exit_code;

  // check-mail's validation, in its order and words.
  auto grant = credentials.grant();
  if (!grant) return app.configuration_error(grant.error().describe());
  if (max_attempts <= 0) {
    return app.configuration_error(
        fmt::format("invalid token retrieval attempts value provided: {}", max_attempts));
  }

  oauth2::HttpSettings settings;
  settings.ca_file = ca_file;
  oauth2::HttpClient http(settings, &app.logger());
  const oauth2::RetryPolicy policy{static_cast<int>(std::min<std::int64_t>(max_attempts, 100))};
  auto fetched = compat::client_credentials_token(http, *grant, credentials.no_cache(),
                                                  credentials.refresh_margin(), policy);
  if (!fetched) {
    app.logger().error("Failed to retrieve token", {{"error", fetched.error().describe()}});
    return 1;
  }
  oauth2::StoredTokens token = std::move(*fetched);

  core::Secret output;
  if (json_output) {
    compat::GoToken go_token;
    go_token.access_token = token.access_token.clone();
    go_token.token_type = token.token_type;
    go_token.refresh_token = token.refresh_token.clone();
    go_token.expiry = token.access_expires_at;
    if (token.access_expires_at) {
      go_token.expires_in =
          std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::seconds>(
                                        *token.access_expires_at - core::system_clock().now())
                                        .count());
    }
    const auto offset =
        go_token.expiry ? compat::local_utc_offset(*go_token.expiry) : std::chrono::seconds(0);
    output = compat::format_go_token(go_token, offset);
  } else {
    output = token.access_token.clone();
  }

  if (!filename.empty()) {
    auto written = core::atomic_write_file(filename, output.reveal(), 0600);
    if (!written) {
      app.logger().error("Failed to write data to output file",
                         {{"error", written.error().describe()}});
      return 1;
    }
    app.logger().debug("Successfully wrote data to file", {{"filename", filename}});
    return 0;
  }
  const auto data = output.reveal();
  if (std::fwrite(data.data(), 1, data.size(), stdout) != data.size() || std::fflush(stdout) != 0) {
    app.logger().error("Failed to write data to stdout");
    return 1;
  }
  return 0;
}
