// Sendmail mode: sendmail(8)'s options, the message on stdin, and the promise
// that it is never lost without a word. The input is read with a size cap
// (MAILOAUTH_MAX_MESSAGE_SIZE, 150 MB by default: refused past it, memory
// bounded), then written to `<state>/failed/` BEFORE anything is sent, so a
// crash, a kill or a failure leaves it there; it is removed once the server
// has taken it. When that copy cannot be made the message is still sent, and
// if sending fails too the command says loudly that the message was NOT
// kept and exits 73 (EX_CANTCREAT), never 75: PHP's mail() counts 75 as
// success ("queued"), cron only logs the status.
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "mailoauth/delivery/kept_message.hpp"
#include "mailoauth/mime/message.hpp"

#include "../mailoauth/app_context.hpp"
#include "deliver.hpp"
#include "failed_message.hpp"
#include "message_input.hpp"
#include "send_command.hpp"

namespace mailoauth::send {

namespace {

namespace fs = std::filesystem;

struct SendmailArguments {
  bool from_headers = false;  // -t
  bool ignore_dots = false;   // -i, -oi
  std::string envelope_from;  // -f, -r
  std::string account_name;   // --account, else $MAILOAUTH_ACCOUNT
  std::vector<std::string> recipients;
};

constexpr std::string_view kSendmailHelp =
    "usage: mailoauth sendmail [-t] [-i] [-f SENDER] [--account NAME] [RECIPIENT...]\n"
    "       (or installed as /usr/sbin/sendmail: ln -s $(command -v mailoauth-send) "
    "/usr/sbin/sendmail)\n\n"
    "Reads a message on stdin and sends it through the account's provider with OAuth2,\n"
    "like Postfix's or msmtp's sendmail, for cron, PHP mail() and monitoring.\n"
    "  -t          recipients from To, Cc and Bcc (Bcc then removed)\n"
    "  -i, -oi     a line with a single dot does not end the message\n"
    "  -f SENDER   envelope sender (also -r); the account is the one with this mailbox\n"
    "  -F NAME     accepted and ignored (the From header is the message's)\n"
    "  --account NAME  the account (default: MAILOAUTH_ACCOUNT, the sender's, "
    "default_account)\n"
    "Accepted and ignored: -oem -oee -odi -odb -oQ... -B... -N... -v -bm.\n"
    "Exit codes: 0 sent, 64 usage, 69 refused, 75 not sent but kept (try later),\n"
    "78 configuration (kept), 73 NOT sent and NOT kept (too large, or the copy could\n"
    "not be written): the caller must keep its own copy.\n"
    "The message is written to $XDG_STATE_HOME/mailoauth/failed/ before sending and\n"
    "removed once sent; limit its size with MAILOAUTH_MAX_MESSAGE_SIZE (default 150M).\n";

int usage(const std::string& message) {
  fmt::print(stderr,
             "mailoauth: {} (remedy: sendmail mode takes -t, -f SENDER, -i, -oi, --account "
             "NAME and recipients; see `mailoauth sendmail --help`)\n",
             message);
  return core::kExitUsage;
}

// sendmail(8)'s option rules: -fSENDER or -f SENDER, options in any order
// before the recipients, habits of callers accepted. Exit code, or nullopt to go on.
std::optional<int> parse_arguments(const std::vector<std::string>& args,
                                   SendmailArguments& parsed) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      parsed.recipients.insert(parsed.recipients.end(), args.begin() + static_cast<long>(i) + 1,
                               args.end());
      break;
    }
    if (arg == "--help" || arg == "-h") {
      fmt::print("{}", kSendmailHelp);
      return core::kExitOk;
    }
    if (arg == "-t") {
      parsed.from_headers = true;
    } else if (arg == "-i" || arg == "-oi") {
      parsed.ignore_dots = true;
    } else if (arg == "-f" || arg == "-r" || arg == "-F" || arg == "--account" || arg == "-N" ||
               arg == "-B" || arg == "-O" || arg == "-X") {
      if (i + 1 >= args.size()) return usage(fmt::format("{} needs a value", arg));
      const std::string& value = args[++i];
      if (arg == "-f" || arg == "-r") parsed.envelope_from = value;
      if (arg == "--account") parsed.account_name = value;
    } else if (arg.starts_with("--account=")) {
      parsed.account_name = arg.substr(10);
    } else if ((arg.starts_with("-f") || arg.starts_with("-r")) && arg.size() > 2) {
      parsed.envelope_from = arg.substr(2);
    } else if (arg.starts_with("-F") || arg.starts_with("-N") || arg.starts_with("-B") ||
               arg.starts_with("-o") || arg == "-v" || arg == "-bm" || arg == "-U") {
      // Options sendmail callers pass by habit; nothing to do for them here.
    } else if (arg.starts_with("-b") || arg.starts_with("-q")) {
      return usage(
          fmt::format("{} is not supported: sendmail mode only sends (no queue, no "
                      "daemon, no SMTP on stdin)",
                      arg));
    } else if (arg.starts_with("-")) {
      return usage(fmt::format("unknown option {}", core::escape_control_characters(arg)));
    } else {
      parsed.recipients.push_back(arg);
    }
  }
  if (auto checked = delivery::check_envelope_address(parsed.envelope_from, "envelope sender");
      !checked) {
    return usage(fmt::format("-f: {}", checked.error().message()));
  }
  return std::nullopt;
}

// Traditional sendmail: without -i, a line with a single "." ends the message.
void cut_at_lone_dot(std::string& input) {
  for (std::size_t at = 0; at < input.size();) {
    std::size_t end = input.find('\n', at);
    std::string_view line(input.data() + at, (end == std::string::npos ? input.size() : end) - at);
    if (line == "." || line == ".\r") {
      input.resize(at);
      return;
    }
    if (end == std::string::npos) return;
    at = end + 1;
  }
}

void remove_copy(const core::Result<fs::path>& copy) {
  if (!copy) return;
  std::error_code ignored;
  fs::remove(*copy, ignored);
}

}  // namespace

int sendmail_command(const app::GlobalOptions& global, const std::vector<std::string>& args) {
  SendmailArguments arguments;
  if (const char* name = std::getenv("MAILOAUTH_ACCOUNT")) arguments.account_name = name;
  if (auto exit_code = parse_arguments(args, arguments)) return *exit_code;
  app::AppContext context(global);
  auto max = max_message_size();
  if (!max) return context.report(max.error());

  auto input = read_bounded("-", *max, "message on standard input");
  if (!input) return report_kept(core::fail(input.error()), kExitNotKept);
  if (!arguments.ignore_dots) cut_at_lone_dot(*input);

  // The copy that makes the promise: on disk before anything is sent.
  const auto copy =
      keep_failed(global, arguments.envelope_from, arguments.recipients, "incoming", *input);

  mime::RawOptions raw;
  raw.recipients_from_headers = arguments.from_headers;
  raw.envelope_from = arguments.envelope_from;
  raw.max_size = *max;
  auto message = mime::prepare_raw_message(*input, arguments.recipients, raw);
  const oauth2::Account* account = nullptr;
  if (!message && message.error().code() == "mime.no_sender") {
    if (auto chosen = choose_account(context, arguments.account_name, ""); chosen) {
      account = *chosen;
      raw.envelope_from = account->user();
      message = mime::prepare_raw_message(*input, arguments.recipients, raw);
    }
  }
  if (!message && message.error().code() == "mime.no_recipient") {
    message.error().with_remedy(
        "give recipients as arguments, or -t to take them from To, Cc "
        "and Bcc");
  }
  // Whatever fails from here, the message is kept: with its full envelope
  // when it was understood, else as it came (the first copy).
  auto fail_keeping = [&](const core::Error& error) {
    const int code = context.report(error);
    if (message) {
      auto kept = keep_failed(global, message->envelope_from, message->recipients,
                              message->message_id, message->data);
      if (kept) {
        remove_copy(copy);
        return report_kept(kept, code);
      }
      if (!copy) return report_kept(kept, code);
    }
    return report_kept(copy, code);
  };
  if (!message) return fail_keeping(message.error());
  if (account == nullptr) {
    auto chosen = choose_account(context, arguments.account_name, message->envelope_from);
    if (!chosen) return fail_keeping(chosen.error());
    account = *chosen;
  }
  auto sent = send_message(context, ServerOptions{}, account, *message, global.verbose);
  if (!sent) return fail_keeping(sent.error());
  remove_copy(copy);
  if (!copy) {
    fmt::print(stderr,
               "mailoauth: warning: the message could not be kept before sending ({}); it was "
               "sent, but a failure would have lost it\n",
               copy.error().describe());
  }
  return *sent;
}

}  // namespace mailoauth::send
