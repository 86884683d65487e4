// `read-token`: check-mail's tool that prints the access token from a file
// written by fetch-token, with no trailing newline. A file containing '{' is
// read as Go's token JSON and must hold a token valid for more than 10 more
// seconds (else exit 1, "Token is NOT valid..."); any other file is printed as
// it is. Same flags and behaviour as check-mail's, but a configuration error
// exits 2 instead of 0.
#include <cstdio>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "mailoauth/compat/check_mail_app.hpp"
#include "mailoauth/compat/go_token.hpp"
#include "mailoauth/core/process_hardening.hpp"

int main(int argc, char** argv) {
  mailoauth::core::harden_process(mailoauth::core::ProgramKind::Tool);
  using namespace mailoauth;
  compat::CheckMailApp app("read-token", argv[0]);
  std::string filename;
  app.flags().add_string("filename", &filename, "",
                         "Save retrieved token to specified file. Emitted to standard out (stdout) "
                         "if not specified.");
  if (auto exit_code = app.parse(argc, argv)) return *exit_code;
  if (filename.empty()) return app.configuration_error("filename not provided");

  std::ifstream stream(filename, std::ios::binary);
  if (!stream) {
    app.logger().error("Failed to read file contents",
                       {{"filename", filename}, {"error", "cannot open the file"}});
    return 1;
  }
  std::ostringstream buffer;
  buffer << stream.rdbuf();
  core::Secret data = core::Secret::take(buffer.str());

  core::Secret output;
  if (data.reveal().find('{') != std::string_view::npos) {
    auto token = compat::parse_go_token(data.reveal());
    if (!token) {
      app.logger().error("Failed to parse file contents as JSON",
                         {{"filename", filename}, {"error", token.error().message()}});
      return 1;
    }
    if (!compat::go_token_valid(*token, core::system_clock().now())) {
      const std::string expiry = token->expiry
                                     ? compat::format_rfc3339_nano(
                                           *token->expiry, compat::local_utc_offset(*token->expiry))
                                     : std::string("0001-01-01T00:00:00Z");
      app.logger().error("Token is NOT valid; a new token should be retrieved and cached in file",
                         {{"filename", filename},
                          {"token_expiration", expiry},
                          {"token_type", token->token_type}});
      return 1;
    }
    output = std::move(token->access_token);
  } else {
    output = std::move(data);
  }
  const auto text = output.reveal();
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
    app.logger().error("Failed to emit token");
    return 1;
  }
  return 0;
}
