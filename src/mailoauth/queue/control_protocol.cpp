// The control socket's request and reply lines; see control_protocol.hpp.
#include "mailoauth/queue/control_protocol.hpp"

#include <array>
#include <charconv>
#include <utility>

#include <fmt/format.h>

#include "mailoauth/core/log.hpp"
#include "mailoauth/queue/spool.hpp"

namespace mailoauth::queue {

namespace {

struct VerbName {
  ControlVerb verb;
  std::string_view name;
  bool takes_id;
  bool takes_route;
};

constexpr std::array<VerbName, 7> kVerbs{{
    {ControlVerb::Retry, "retry", true, false},
    {ControlVerb::RetryAll, "retry-all", false, false},
    {ControlVerb::RetryRoute, "retry-route", false, true},
    {ControlVerb::Hold, "hold", true, false},
    {ControlVerb::Release, "release", true, false},
    {ControlVerb::Delete, "delete", true, false},
    {ControlVerb::Flush, "flush", false, false},
}};

core::Error bad_request(std::string what) {
  return core::Error(core::ErrorClass::Config, "queue.control_request", std::move(what));
}

core::Error bad_reply(std::string_view line) {
  return core::Error(core::ErrorClass::Bug, "queue.control_reply",
                     fmt::format("the relay's control socket answered \"{}\"",
                                 core::escape_control_characters(line.substr(0, 200))),
                     "the relay and the queue tool must be the same version");
}

std::pair<std::string_view, std::string_view> word(std::string_view text) {
  const std::size_t space = text.find(' ');
  if (space == std::string_view::npos) return {text, {}};
  return {text.substr(0, space), text.substr(space + 1)};
}

std::optional<core::ErrorClass> class_named(std::string_view name) {
  for (core::ErrorClass error_class : {core::ErrorClass::Temporary, core::ErrorClass::Permanent,
                                       core::ErrorClass::Config, core::ErrorClass::Bug}) {
    if (core::to_string(error_class) == name) return error_class;
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(ControlVerb verb) {
  for (const VerbName& entry : kVerbs) {
    if (entry.verb == verb) return entry.name;
  }
  return "flush";
}

bool is_route_word(std::string_view text) {
  if (text.empty() || text.size() > 128) return false;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f) return false;
  }
  return true;
}

core::Result<ControlRequest> parse_control_request(std::string_view line) {
  if (line.size() > kMaxControlLine) return std::unexpected(bad_request("a request line too long"));
  const auto [verb_name, argument] = word(line);
  for (const VerbName& entry : kVerbs) {
    if (verb_name != entry.name) continue;
    if (entry.takes_id && !is_queue_id(argument)) {
      return std::unexpected(bad_request(fmt::format("{} needs a queue id, not \"{}\"", entry.name,
                                                     core::escape_control_characters(argument))));
    }
    if (entry.takes_route && !is_route_word(argument)) {
      return std::unexpected(bad_request(fmt::format("{} needs a route name", entry.name)));
    }
    if (!entry.takes_id && !entry.takes_route && !argument.empty()) {
      return std::unexpected(bad_request(fmt::format("{} takes no argument", entry.name)));
    }
    return ControlRequest{entry.verb, std::string(argument)};
  }
  return std::unexpected(bad_request(
      fmt::format("unknown control command \"{}\"", core::escape_control_characters(verb_name))));
}

std::string encode_control_request(const ControlRequest& request) {
  if (request.argument.empty()) return fmt::format("{}\n", to_string(request.verb));
  return fmt::format("{} {}\n", to_string(request.verb), request.argument);
}

std::string encode_control_reply(const core::Result<ControlOutcome>& reply) {
  if (reply) {
    return fmt::format("ok {} {}\n", reply->count, core::escape_control_characters(reply->text));
  }
  return fmt::format("error {} {} {}\n", core::to_string(reply.error().error_class()),
                     core::escape_control_characters(reply.error().code()),
                     core::escape_control_characters(reply.error().describe()));
}

core::Result<ControlOutcome> parse_control_reply(std::string_view line) {
  const auto [status, rest] = word(line);
  if (status == "ok") {
    const auto [count_text, text] = word(rest);
    ControlOutcome outcome;
    const auto [end, error] =
        std::from_chars(count_text.data(), count_text.data() + count_text.size(), outcome.count);
    if (error != std::errc() || end != count_text.data() + count_text.size() ||
        count_text.empty()) {
      return std::unexpected(bad_reply(line));
    }
    outcome.text = std::string(text);
    return outcome;
  }
  if (status == "error") {
    const auto [class_text, after_class] = word(rest);
    const auto [code, text] = word(after_class);
    const auto error_class = class_named(class_text);
    if (!error_class || code.empty()) return std::unexpected(bad_reply(line));
    return core::fail(*error_class, std::string(code), std::string(text));
  }
  return std::unexpected(bad_reply(line));
}

}  // namespace mailoauth::queue
