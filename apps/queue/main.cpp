// mailoauth-queue: the program behind `mailoauth queue ...` (exec'd by
// `mailoauth`), the relay's postqueue/postsuper:
//   queue list [--json] [--route R] [--state S]   the spool, from its files
//   queue show ID [--json]                         one message in full
//   queue retry ID | --all | --route R             try now (and end the route's pause)
//   queue hold ID / release ID                     keep back / deliver again
//   queue delete ID [--yes]                        remove (asks on a terminal)
//   queue flush                                    retry --all
// Reading needs no one's leave (the spool's renames make it safe: see
// queue/queue_listing.hpp). A change goes to whoever owns the spool: when the
// relay runs (it holds <spool>/relay.lock) the command is sent over its
// control socket and its scheduler applies it, so the two never act on one
// message; when no relay runs the tool takes the lock itself (a relay started
// meanwhile waits for it) and changes the files (queue/spool_commands.hpp).
// This file is the command line and that choice; it links no Asio.
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/file_write.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/core/process_hardening.hpp"
#include "mailoauth/queue/control_client.hpp"
#include "mailoauth/queue/queue_listing.hpp"
#include "mailoauth/queue/queue_report.hpp"
#include "mailoauth/queue/spool.hpp"
#include "mailoauth/queue/spool_commands.hpp"
#include "mailoauth/queue/spool_lock.hpp"
#include "mailoauth/relay/relay_config.hpp"

#include "../common/global_options.hpp"

namespace {

using namespace mailoauth;
using core::ErrorClass;
using core::Result;
namespace fs = std::filesystem;

constexpr std::string_view kDefaultConfig = "/etc/mailoauth/relay.toml";
// A relay that holds the lock but has no socket yet is starting (recovery of
// a big spool takes a while) or stopping: wait this long for it.
constexpr std::chrono::seconds kRelayPatience{15};
constexpr std::chrono::seconds kControlDeadline{30};

struct Options {
  std::string config = std::string(kDefaultConfig);
  std::string spool;  // overrides the config's spool_directory
  bool json = false;
  std::string route;
  std::string state;
  std::string id;
  bool all = false;
  bool yes = false;
};

int report(const core::Error& error) {
  fmt::print(stderr, "mailoauth queue: {}\n", error.describe());
  return core::policy_for(error.error_class()).exit_code;
}

int usage(std::string_view message) {
  fmt::print(stderr, "mailoauth queue: {}\nRun `mailoauth queue --help`.\n", message);
  return core::kExitUsage;
}

// Run as root, the tool becomes the spool's owner before it touches a file:
// a state file root wrote (0600) would be unreadable to a relay running as
// its own user, and the message would be stuck. Nothing to do for that user.
Result<void> become_spool_owner(const fs::path& root) {
  struct stat info {};
  if (::stat(root.c_str(), &info) != 0) return core::fail(core::file_error("stat", root, errno));
  if (::geteuid() != 0 || info.st_uid == 0) return {};
  if (::setgroups(0, nullptr) != 0 || ::setgid(info.st_gid) != 0 || ::setuid(info.st_uid) != 0) {
    return core::fail(ErrorClass::Config, "queue.owner",
                      fmt::format("cannot become the spool's owner (uid {}): {}", info.st_uid,
                                  std::strerror(errno)),
                      "run mailoauth queue as the relay's user");
  }
  return {};
}

// The spool directory: --spool, else the relay config's spool_directory.
Result<fs::path> spool_root(const Options& options) {
  fs::path root = options.spool;
  if (root.empty()) {
    auto config = relay::load_relay_config(options.config);
    if (!config) return core::fail(std::move(config.error()));
    root = config->spool_directory;
  }
  std::error_code error;
  if (!fs::is_directory(root / "queue", error)) {
    return core::fail(
        ErrorClass::Config, "queue.no_spool",
        fmt::format("{} is not a relay spool (it has no queue/ directory)", root.string()),
        "pass --spool DIR or --config with the relay's config; run as its user");
  }
  if (auto owner = become_spool_owner(root); !owner) return core::fail(std::move(owner.error()));
  return root;
}

// An id from the command line; hostile text (../, CR/LF) never reaches a path.
bool valid_id(const std::string& id) {
  return queue::is_queue_id(id);
}

int bad_id(const std::string& id) {
  return usage(
      fmt::format("\"{}\" is not a queue id (lower-case hex with one dash, as `mailoauth "
                  "queue list` shows)",
                  core::escape_control_characters(id)));
}

// --- reading -----------------------------------------------------------------

int list(const Options& options) {
  std::optional<queue::MessageState> state;
  if (!options.state.empty()) {
    state = queue::parse_message_state(options.state);
    if (!state) {
      return usage(fmt::format("--state {}: one of queued, deferred, hold, failed, corrupt",
                               core::escape_control_characters(options.state)));
    }
  }
  auto root = spool_root(options);
  if (!root) return report(root.error());
  queue::ListingFilter filter;
  filter.state = state;
  if (!options.route.empty()) filter.route = options.route;
  auto messages = queue::list_messages(*root, filter, queue::ListingCache::Use);
  if (!messages) return report(messages.error());
  const std::string text =
      options.json ? queue::format_queue_json(*messages) : queue::format_queue_table(*messages);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return core::kExitOk;
}

int show(const Options& options) {
  if (!valid_id(options.id)) return bad_id(options.id);
  auto root = spool_root(options);
  if (!root) return report(root.error());
  auto spool = queue::Spool::open(*root);
  if (!spool) return report(spool.error());
  auto message = queue::find_message(**spool, options.id);
  if (!message) return report(message.error());
  const std::string text =
      options.json ? queue::format_message_json(*message)
                   : queue::format_message_details(*message, std::chrono::system_clock::now());
  std::fwrite(text.data(), 1, text.size(), stdout);
  return core::kExitOk;
}

// --- changing ----------------------------------------------------------------

// With no relay running (we hold the lock): the change on the files.
Result<queue::ControlOutcome> apply_directly(queue::Spool& spool,
                                             const queue::ControlRequest& request) {
  using queue::ControlVerb;
  const auto one = [](Result<std::string> done) -> Result<queue::ControlOutcome> {
    if (!done) return core::fail(std::move(done.error()));
    return queue::ControlOutcome{1, std::move(*done)};
  };
  switch (request.verb) {
    case ControlVerb::Retry:
      return one(queue::clear_next_attempt(spool, request.argument));
    case ControlVerb::Hold:
      return one(queue::hold_message(spool, request.argument));
    case ControlVerb::Release:
      return one(queue::release_message(spool, request.argument));
    case ControlVerb::Delete:
      return one(queue::delete_message(spool, request.argument));
    case ControlVerb::RetryAll:
    case ControlVerb::RetryRoute:
    case ControlVerb::Flush:
      break;
  }
  queue::ListingFilter filter;
  if (request.verb == ControlVerb::RetryRoute) filter.route = request.argument;
  auto messages = queue::list_messages(spool.root(), filter);
  if (!messages) return core::fail(std::move(messages.error()));
  std::size_t count = 0;
  for (const queue::ListedMessage& message : *messages) {
    if (message.state != queue::MessageState::Deferred || !message.delivery.next_attempt) continue;
    auto cleared = queue::clear_next_attempt(spool, message.id);
    if (!cleared) return core::fail(std::move(cleared.error()));
    ++count;
  }
  return queue::ControlOutcome{
      count, fmt::format("{} deferred message{} due now (the relay is not running: they go "
                         "when it starts)",
                         count, count == 1 ? "" : "s")};
}

// To the running relay, waiting a little if it is starting or stopping.
Result<queue::ControlOutcome> ask_relay(const fs::path& root,
                                        const queue::ControlRequest& request) {
  const auto deadline = std::chrono::steady_clock::now() + kRelayPatience;
  for (;;) {
    auto reply =
        queue::send_control_request(queue::control_socket_path(root), request, kControlDeadline);
    if (reply || reply.error().code() != "queue.control_unavailable" ||
        std::chrono::steady_clock::now() >= deadline) {
      return reply;
    }
    // Stopped meanwhile? Then the files are ours.
    auto lock = queue::SpoolLock::try_acquire(root);
    if (lock && *lock) return core::fail(ErrorClass::Temporary, "queue.relay_stopped", "");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

int change(const Options& options, const queue::ControlRequest& request) {
  auto root = spool_root(options);
  if (!root) return report(root.error());
  for (int round = 0; round < 2; ++round) {
    auto lock = queue::SpoolLock::try_acquire(*root);
    if (!lock) return report(lock.error());
    Result<queue::ControlOutcome> done = queue::ControlOutcome{};
    if (*lock) {
      auto spool = queue::Spool::open(*root);
      if (!spool) return report(spool.error());
      done = apply_directly(**spool, request);
    } else {
      done = ask_relay(*root, request);
      if (!done && done.error().code() == "queue.relay_stopped") continue;
    }
    if (!done) return report(done.error());
    if (request.argument.empty() || request.verb == queue::ControlVerb::RetryRoute) {
      fmt::print("{}\n", done->text);
    } else {
      fmt::print("{}: {}\n", request.argument, done->text);
    }
    return core::kExitOk;
  }
  return report(core::Error(ErrorClass::Temporary, "queue.busy",
                            "the relay started and stopped while the command was sent",
                            "run the command again"));
}

int retry(const Options& options) {
  const int forms =
      (options.id.empty() ? 0 : 1) + (options.all ? 1 : 0) + (options.route.empty() ? 0 : 1);
  if (forms != 1) return usage("retry takes exactly one of: ID, --all, --route R");
  if (!options.id.empty()) {
    if (!valid_id(options.id)) return bad_id(options.id);
    return change(options, {queue::ControlVerb::Retry, options.id});
  }
  if (options.all) return change(options, {queue::ControlVerb::RetryAll, {}});
  if (!queue::is_route_word(options.route)) return usage("--route needs a route name");
  return change(options, {queue::ControlVerb::RetryRoute, options.route});
}

int on_one(const Options& options, queue::ControlVerb verb) {
  if (!valid_id(options.id)) return bad_id(options.id);
  return change(options, {verb, options.id});
}

// delete asks first on a terminal; anywhere else it needs --yes.
int remove(const Options& options) {
  if (!valid_id(options.id)) return bad_id(options.id);
  if (!options.yes) {
    if (::isatty(STDIN_FILENO) == 0) {
      return usage(
          fmt::format("delete {}: not asking on a non-terminal; pass --yes to delete", options.id));
    }
    fmt::print(stderr, "delete message {} for good? [y/N] ", options.id);
    std::fflush(stderr);
    std::string answer;
    if (!std::getline(std::cin, answer) || (answer != "y" && answer != "yes")) {
      fmt::print(stderr, "not deleted\n");
      return core::kExitUsage;
    }
  }
  return change(options, {queue::ControlVerb::Delete, options.id});
}

}  // namespace

int main(int argc, char** argv) {
  core::harden_process(core::ProgramKind::Tool);
  CLI::App cli{
      "mailoauth queue - the relay's queue: list, show, retry, hold, release, delete, "
      "flush (docs/queue.md)",
      "mailoauth"};
  app::GlobalOptions global;
  app::add_global_options(cli, global, "log at debug level");
  cli.require_subcommand(1);
  cli.footer(
      "\nWhile the relay runs, changes go through its control socket (<spool>/control.sock) and "
      "its scheduler applies them; when it is stopped they are made on the spool's files.\n"
      "Exit codes: 0 ok, 64 usage (bad id, delete without --yes off a terminal), 69 refused "
      "(no such message, wrong state), 75 try again (message being delivered, relay not "
      "answering), 78 configuration (no spool).");
  auto* queue_command = cli.add_subcommand("queue", "the relay's spool");
  queue_command->require_subcommand(1);
  queue_command->fallthrough();
  Options options;
  queue_command->add_option("--config", options.config,
                            fmt::format("the relay's TOML config (default {})", kDefaultConfig));
  queue_command->add_option("--spool", options.spool,
                            "the spool directory (default: the config's spool_directory)");
  std::function<int()> action;
  auto* list_command = queue_command->add_subcommand(
      "list", "every message: id, size, arrival, state, sender, recipients with their state");
  list_command->add_flag("--json", options.json, "JSON (docs/queue.md, version 1)");
  list_command->add_option("--route", options.route, "only this route's messages");
  list_command->add_option("--state", options.state,
                           "only messages in this state: queued, deferred, hold, failed, corrupt");
  list_command->callback([&] { action = [&] { return list(options); }; });
  auto* show_command = queue_command->add_subcommand(
      "show",
      "one message: envelope, each recipient's state and last reply, next attempt, and the last 20 "
      "attempts (when, relay, status, reply)");
  show_command->add_option("id", options.id, "queue id")->required();
  show_command->add_flag("--json", options.json, "JSON (docs/queue.md, version 1)");
  show_command->callback([&] { action = [&] { return show(options); }; });
  auto* retry_command = queue_command->add_subcommand(
      "retry", "try deferred mail now, ending its route's pause (ID, --all or --route R)");
  retry_command->add_option("id", options.id, "queue id");
  retry_command->add_flag("--all", options.all, "every deferred message");
  retry_command->add_option("--route", options.route, "every deferred message of this route");
  retry_command->callback([&] { action = [&] { return retry(options); }; });
  auto* hold_command =
      queue_command->add_subcommand("hold", "keep a queued message back (moved to hold/)");
  hold_command->add_option("id", options.id, "queue id")->required();
  hold_command->callback(
      [&] { action = [&] { return on_one(options, queue::ControlVerb::Hold); }; });
  auto* release_command =
      queue_command->add_subcommand("release", "deliver a held message again, now");
  release_command->add_option("id", options.id, "queue id")->required();
  release_command->callback(
      [&] { action = [&] { return on_one(options, queue::ControlVerb::Release); }; });
  auto* delete_command = queue_command->add_subcommand(
      "delete", "remove a message for good (asks on a terminal; elsewhere needs --yes)");
  delete_command->add_option("id", options.id, "queue id")->required();
  delete_command->add_flag("--yes,-y", options.yes, "do not ask");
  delete_command->callback([&] { action = [&] { return remove(options); }; });
  queue_command->add_subcommand("flush", "retry --all: every deferred message now")->callback([&] {
    action = [&] { return change(options, {queue::ControlVerb::Flush, {}}); };
  });
  if (const auto finished = app::parse_command_line(cli, argc, argv)) return *finished;
  return action ? action() : core::kExitUsage;
}
