// The probe of check_mail_roundtrip and its verdict. A probe is a small
// message marked twice: a header `X-Mailoauth-Probe: <host>-<pid>-<random>`
// (unique per run; the only mark trusted when deleting) and a subject
// `[mailoauth probe] <id>` (for the person who finds one in a mailbox). The
// plugin sends it, finds it over IMAP by the header, deletes it, and deletes
// stale probes of earlier runs: messages that carry the header with a
// well-formed probe id and arrived more than N minutes ago; a message
// without the header is never touched. The verdict names the stage that
// failed (send refused, not arrived within -t, IMAP login failed, folder
// missing) on the first line, and gives the delay with -w/-c and perfdata
// `delay=Xs;w;c;0;t`, `send_time`, `imap_time`. Pure: messages as text,
// times given, no I/O (the plugin is apps/checks/check_mail_roundtrip.cpp);
// header fields are read with mime::parse_header_block, whose fuzz target
// covers hostile input.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mailoauth/core/clock.hpp"
#include "mailoauth/core/error.hpp"
#include "mailoauth/monitor/nagios_range.hpp"
#include "mailoauth/monitor/plugin_output.hpp"

namespace mailoauth::monitor {

inline constexpr std::string_view kProbeHeader = "X-Mailoauth-Probe";
inline constexpr std::string_view kProbeSubjectMarker = "[mailoauth probe]";

// "<host>-<pid>-<16 hex digits>"; characters of `host` outside [A-Za-z0-9.]
// become '_' so the id is one IMAP atom-safe, header-safe word.
std::string make_probe_id(std::string_view host, long pid, std::uint64_t random);

// True for what make_probe_id makes (and nothing longer than 200 bytes).
bool is_probe_id(std::string_view id);

struct ProbeMessage {
  std::string id;
  std::string from;  // addr-spec
  std::string to;    // addr-spec
  core::Clock::WallTime date;
};

// The whole message, CRLF line ends: Date, From, To, Subject with the
// marker, Message-ID <id@mailoauth.probe>, the probe header, a short body
// that says what it is and that it deletes itself.
std::string probe_message(const ProbeMessage& probe);

// `HEADER X-Mailoauth-Probe "<id>"`: IMAP search criteria for one probe;
// with an empty id, every message carrying the header.
std::string probe_search_criteria(std::string_view id);

// The probe id in fetched header fields ("X-Mailoauth-Probe: id\r\n"), when
// the message carries the header with a well-formed id.
std::optional<std::string> probe_id_in(std::string_view header_fields);

// A probe of an earlier run that may be deleted: carries a probe id that is
// not `ours`, and arrived at least `older_than` before `now`.
bool is_stale_probe(std::string_view header_fields, std::optional<core::Clock::WallTime> arrived,
                    std::string_view ours, std::chrono::seconds older_than,
                    core::Clock::WallTime now);

// The stages, as the first line names them.
enum class RoundTripStage {
  Usage,       // bad options: UNKNOWN
  Send,        // "send refused"
  ImapLogin,   // "IMAP login failed"
  Folder,      // "folder missing"
  Imap,        // "IMAP failed" (after login: search, fetch, connection lost)
  NotArrived,  // "not arrived within -t"
  Done,        // arrived: the delay decides
};

struct RoundTripFacts {
  RoundTripStage stage = RoundTripStage::Done;
  std::string mailbox;  // where the probe was expected
  std::string folder;
  std::optional<core::Error> error;                // the failing stage's error
  std::chrono::milliseconds send_time{0};          // submission (SMTP or Graph) took
  std::chrono::milliseconds imap_time{0};          // IMAP (login, search, delete) took
  std::optional<std::chrono::milliseconds> delay;  // sent → found
  std::chrono::seconds timeout{0};
  std::string transport;  // "smtp HOST:PORT" / "graph"
  std::uint64_t stale_removed = 0;
  std::optional<std::string> cleanup_note;  // deleting failed: a note, not a failure
  std::string probe_id;
};

struct RoundTripThresholds {
  std::optional<Range> warning;  // on the delay in seconds
  std::optional<Range> critical;
};

PluginOutput roundtrip_output(const RoundTripFacts& facts, const RoundTripThresholds& thresholds);

}  // namespace mailoauth::monitor
