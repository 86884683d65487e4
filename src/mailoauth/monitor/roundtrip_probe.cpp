// The probe's text, its recognition, and the round trip's verdict (see the header).
#include "mailoauth/monitor/roundtrip_probe.hpp"

#include <fmt/format.h>

#include "mailoauth/mime/header_block.hpp"
#include "mailoauth/mime/message_fields.hpp"

namespace mailoauth::monitor {

using core::NagiosState;

namespace {

bool is_id_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

std::string seconds_text(std::chrono::milliseconds time) {
  return fmt::format("{:.3f}", static_cast<double>(time.count()) / 1000.0);
}

}  // namespace

std::string make_probe_id(std::string_view host, long pid, std::uint64_t random) {
  std::string safe;
  for (const char c : host.substr(0, 64)) {
    const bool keep =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.';
    safe += keep ? c : '_';
  }
  if (safe.empty()) safe = "host";
  return fmt::format("{}-{}-{:016x}", safe, pid, random);
}

bool is_probe_id(std::string_view id) {
  if (id.empty() || id.size() > 200) return false;
  for (const char c : id) {
    if (!is_id_character(c)) return false;
  }
  // <host>-<pid>-<16 hex>: the last two dash-separated parts.
  const std::size_t last = id.rfind('-');
  if (last == std::string_view::npos || id.size() - last - 1 != 16) return false;
  for (const char c : id.substr(last + 1)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  const std::size_t before = id.rfind('-', last - 1);
  if (before == std::string_view::npos || before == 0 || before + 1 == last) return false;
  for (const char c : id.substr(before + 1, last - before - 1)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string probe_message(const ProbeMessage& probe) {
  const std::string crlf = "\r\n";
  std::string message;
  message += "Date: " + mime::rfc5322_date(probe.date) + crlf;
  message += "From: mailoauth probe <" + probe.from + ">" + crlf;
  message += "To: <" + probe.to + ">" + crlf;
  message += fmt::format("Subject: {} {}", kProbeSubjectMarker, probe.id) + crlf;
  message += "Message-ID: <" + probe.id + "@mailoauth.probe>" + crlf;
  message += fmt::format("{}: {}", kProbeHeader, probe.id) + crlf;
  message += "MIME-Version: 1.0" + crlf;
  message += "Content-Type: text/plain; charset=us-ascii" + crlf;
  message += crlf;
  message += "This message was sent by check_mail_roundtrip (mailoauth) to measure" + crlf;
  message += "how long mail takes to arrive. The check deletes it when it arrives," + crlf;
  message += "and deletes left-over probes of earlier runs." + crlf;
  return message;
}

std::string probe_search_criteria(std::string_view id) {
  return fmt::format("HEADER {} \"{}\"", kProbeHeader, is_probe_id(id) ? id : "");
}

std::optional<std::string> probe_id_in(std::string_view header_fields) {
  // A message's header fields as fetched; the empty line that ends them may be missing.
  std::string block(header_fields.substr(0, 16 * 1024));
  if (block.find("\r\n\r\n") == std::string::npos && block.find("\n\n") == std::string::npos) {
    block += "\r\n";
  }
  auto parsed = mime::parse_header_block(block, 32 * 1024);
  if (!parsed) return std::nullopt;
  const mime::HeaderField* field = parsed->find(kProbeHeader);
  if (field == nullptr) return std::nullopt;
  std::string_view value = field->value;
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t' || value.back() == '\r')) {
    value.remove_suffix(1);
  }
  if (!is_probe_id(value)) return std::nullopt;
  return std::string(value);
}

bool is_stale_probe(std::string_view header_fields, std::optional<core::Clock::WallTime> arrived,
                    std::string_view ours, std::chrono::seconds older_than,
                    core::Clock::WallTime now) {
  const auto id = probe_id_in(header_fields);
  if (!id || *id == ours || !arrived) return false;
  return now - *arrived >= older_than;
}

PluginOutput roundtrip_output(const RoundTripFacts& facts, const RoundTripThresholds& thresholds) {
  PluginOutput output;
  const std::string where = fmt::format("{} {}", facts.mailbox, facts.folder);
  const std::string why = facts.error ? facts.error->message() : std::string("unknown cause");
  switch (facts.stage) {
    case RoundTripStage::Usage:
      output.state = NagiosState::Unknown;
      output.service_output = status_line(output.state, why);
      break;
    case RoundTripStage::Send:
      output.state = NagiosState::Critical;
      output.service_output = status_line(output.state, "send refused: " + why);
      break;
    case RoundTripStage::ImapLogin:
      output.state = NagiosState::Critical;
      output.service_output = status_line(
          output.state, fmt::format("IMAP login failed for {}: {}", facts.mailbox, why));
      break;
    case RoundTripStage::Folder:
      output.state = NagiosState::Critical;
      output.service_output = status_line(
          output.state, fmt::format("folder missing: \"{}\" in {}", facts.folder, facts.mailbox));
      break;
    case RoundTripStage::Imap:
      output.state = NagiosState::Critical;
      output.service_output = status_line(output.state, fmt::format("IMAP failed: {}", why));
      break;
    case RoundTripStage::NotArrived:
      output.state = NagiosState::Critical;
      output.service_output = status_line(
          output.state, fmt::format("not arrived within {} s: the probe sent {} did not reach {}",
                                    facts.timeout.count(), facts.transport, where));
      break;
    case RoundTripStage::Done: {
      const double delay = facts.delay ? static_cast<double>(facts.delay->count()) / 1000.0 : 0;
      output.state = evaluate_thresholds(delay, thresholds.warning, thresholds.critical);
      output.service_output = status_line(
          output.state,
          fmt::format("probe arrived in {:.1f} s ({} to {})", delay, facts.transport, where));
      break;
    }
  }
  if (facts.stage != RoundTripStage::Usage) {
    output.perfdata.push_back(PerfData{"delay", facts.delay ? seconds_text(*facts.delay) : "U",
                                       facts.delay ? "s" : "",
                                       thresholds.warning ? thresholds.warning->text() : "",
                                       thresholds.critical ? thresholds.critical->text() : "", "0",
                                       std::to_string(facts.timeout.count())});
    output.perfdata.push_back(
        PerfData{"send_time", seconds_text(facts.send_time), "s", "", "", "0", ""});
    output.perfdata.push_back(
        PerfData{"imap_time", seconds_text(facts.imap_time), "s", "", "", "0", ""});
  }
  std::string lines;
  const auto add = [&lines](const std::string& line) {
    if (!lines.empty()) lines += '\n';
    lines += line;
  };
  if (facts.error && !facts.error->remedy().empty()) add("remedy: " + facts.error->remedy());
  if (!facts.probe_id.empty()) add(fmt::format("probe: {}: {}", kProbeHeader, facts.probe_id));
  if (facts.stale_removed > 0) {
    add(fmt::format("removed {} stale probe{} of earlier runs", facts.stale_removed,
                    facts.stale_removed == 1 ? "" : "s"));
  }
  if (facts.cleanup_note) add(*facts.cleanup_note);
  output.long_output = std::move(lines);
  return output;
}

}  // namespace mailoauth::monitor
