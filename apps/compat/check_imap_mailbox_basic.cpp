// `check_imap_mailbox_basic`: check-mail's Nagios plugin that logs in with a
// user name and password (IMAP LOGIN over TLS) and warns when any of the
// folders holds mail. Same flags, lines, perfdata and exit codes as
// check-mail; mailoauth's optional additions (thresholds, age, --unseen,
// perfdata, sample, -t, --starttls, --ca-file) come from MailboxCheckFlags
// and the check itself from compat::run_mailbox_check. -password-file (mailoauth
// only) reads the password from a file, so it is not on the command line that
// `ps` shows; -password stays for check-mail's command definitions.
#include "mailoauth/compat/check_mail_app.hpp"
#include "mailoauth/compat/mailbox_check.hpp"
#include "mailoauth/compat/mailbox_check_flags.hpp"
#include "mailoauth/core/process_hardening.hpp"
#include "mailoauth/imap/sync_client.hpp"
#include "mailoauth/oauth2/account.hpp"

using namespace mailoauth;

int main(int argc, char** argv) {
  mailoauth::core::harden_process(mailoauth::core::ProgramKind::Plugin);
  compat::CheckMailApp app("check_imap_mailbox_basic", argv[0]);
  app.report_as_plugin();
  compat::MailboxCheckFlags common;
  common.add_to(app.flags());
  std::string username, password_text, password_file;
  app.flags().add_string("username", &username, "",
                         "The account used to login to the remote mail server. This is often in "
                         "the form of an email address.");
  app.flags().add_string("password", &password_text, "",
                         "The remote mail server account password.");
  app.flags().add_string("password-file", &password_file, "",
                         "Read the password from `file` instead of -password (keeps it out of "
                         "ps; a trailing newline is dropped). mailoauth only.");
  if (auto exit_code = app.parse(argc, argv)) return *exit_code;
  core::Secret password = core::Secret::take(std::move(password_text));
  if (!password_file.empty()) {
    if (!password.empty()) {
      return app.configuration_error("give -password or -password-file, not both");
    }
    oauth2::SecretSource source;
    source.kind = oauth2::SecretSource::Kind::File;
    source.where = password_file;
    auto read = oauth2::read_secret_source(source);
    if (!read) return app.configuration_error("-password-file: " + read.error().describe());
    password = std::move(*read);
  }

  auto request = common.request(app.flags(), true);
  if (!request) return app.configuration_error(request.error().message());
  if (username.empty()) return app.configuration_error("username not provided");
  if (password.empty()) return app.configuration_error("password not provided");
  request->mailbox = username;
  request->logger = &app.logger();
  request->authenticate = [&](imap::SyncClient& client) {
    return client.login(username, password.clone());
  };
  return compat::check_and_print(*request, common.branding() ? app.version_line() : "",
                                 app.started());
}
