// The round trip's probe and verdict: ids well-formed and recognised (and
// hostile header values refused), the probe message's marks, stale probes
// told from our own, from young ones and from foreign messages, each failed
// stage named on the first line, the delay's thresholds and exact perfdata.
#include "mailoauth/monitor/roundtrip_probe.hpp"

#include <gtest/gtest.h>

namespace mailoauth::monitor {
namespace {

using namespace std::chrono_literals;
using core::NagiosState;

const core::Clock::WallTime kNow{std::chrono::milliseconds{1'800'000'000'000}};

std::string first_line(const PluginOutput& output) {
  const std::string text = render_standard(output);
  return text.substr(0, text.find('\n'));
}

TEST(RoundTripProbeTest, IdsAreMadeSafeAndRecognised) {
  const std::string id = make_probe_id("mon 01.example.com", 4242, 0xabcdef0123456789ULL);
  EXPECT_EQ(id, "mon_01.example.com-4242-abcdef0123456789");
  EXPECT_TRUE(is_probe_id(id));
  EXPECT_FALSE(is_probe_id("foreign"));
  EXPECT_FALSE(is_probe_id("host-12-abc"));
  EXPECT_FALSE(is_probe_id("host-x-abcdef0123456789"));
  EXPECT_FALSE(is_probe_id("ho\"st-1-abcdef0123456789"));
  EXPECT_FALSE(is_probe_id(std::string(300, 'a') + "-1-abcdef0123456789"));
}

TEST(RoundTripProbeTest, MessageCarriesBothMarks) {
  const std::string id = make_probe_id("mon", 1, 1);
  const std::string message = probe_message({id, "a@example.test", "b@example.test", kNow});
  EXPECT_NE(message.find("\r\nX-Mailoauth-Probe: " + id + "\r\n"), std::string::npos);
  EXPECT_NE(message.find("\r\nSubject: [mailoauth probe] " + id + "\r\n"), std::string::npos);
  EXPECT_NE(message.find("\r\n\r\n"), std::string::npos);
  EXPECT_EQ(probe_id_in(message), id);
  EXPECT_EQ(probe_search_criteria(id), "HEADER X-Mailoauth-Probe \"" + id + "\"");
  EXPECT_EQ(probe_search_criteria(""), "HEADER X-Mailoauth-Probe \"\"");
  EXPECT_EQ(probe_search_criteria("a\" OR ALL"), "HEADER X-Mailoauth-Probe \"\"")
      << "nothing but an id is ever put in the search";
}

TEST(RoundTripProbeTest, StaleProbesOnly) {
  const std::string ours = make_probe_id("mon", 1, 1);
  const std::string theirs = make_probe_id("mon", 2, 2);
  const std::string fields = "X-Mailoauth-Probe: " + theirs + "\r\n\r\n";
  EXPECT_TRUE(is_stale_probe(fields, kNow - 2h, ours, 3600s, kNow));
  EXPECT_FALSE(is_stale_probe(fields, kNow - 10min, ours, 3600s, kNow)) << "too young";
  EXPECT_FALSE(is_stale_probe("X-Mailoauth-Probe: " + ours + "\r\n", kNow - 2h, ours, 3600s, kNow))
      << "our own probe is deleted by id, not as stale";
  EXPECT_FALSE(is_stale_probe("Subject: hello\r\n\r\n", kNow - 2h, ours, 3600s, kNow));
  EXPECT_FALSE(is_stale_probe("X-Mailoauth-Probe: not an id\r\n", kNow - 2h, ours, 3600s, kNow));
  EXPECT_FALSE(is_stale_probe("", kNow - 2h, ours, 3600s, kNow));
  EXPECT_FALSE(is_stale_probe(fields, std::nullopt, ours, 3600s, kNow)) << "no arrival date";
  EXPECT_FALSE(is_stale_probe("\x01\x02garbage\r\n\r\n", kNow - 2h, ours, 3600s, kNow));
}

RoundTripFacts arrived(std::chrono::milliseconds delay) {
  RoundTripFacts facts;
  facts.mailbox = "probe@example.test";
  facts.folder = "INBOX";
  facts.transport = "smtp 127.0.0.1:587";
  facts.timeout = 30s;
  facts.send_time = 120ms;
  facts.imap_time = 345ms;
  facts.delay = delay;
  return facts;
}

TEST(RoundTripProbeTest, DelayAgainstThresholdsWithExactPerfdata) {
  RoundTripThresholds thresholds{*Range::parse("20"), *Range::parse("40")};
  auto ok = roundtrip_output(arrived(1234ms), thresholds);
  EXPECT_EQ(ok.state, NagiosState::Ok);
  EXPECT_EQ(first_line(ok),
            "OK: probe arrived in 1.2 s (smtp 127.0.0.1:587 to probe@example.test INBOX) | "
            "'delay'=1.234s;20;40;0;30 'send_time'=0.120s;;;0; 'imap_time'=0.345s;;;0;");
  EXPECT_EQ(roundtrip_output(arrived(25s), thresholds).state, NagiosState::Warning);
  EXPECT_EQ(roundtrip_output(arrived(41s), thresholds).state, NagiosState::Critical);
  EXPECT_EQ(roundtrip_output(arrived(41s), {}).state, NagiosState::Ok) << "no thresholds";
}

TEST(RoundTripProbeTest, EachFailedStageIsNamed) {
  auto facts = arrived(0ms);
  facts.delay.reset();
  facts.error = core::Error(core::ErrorClass::Permanent, "smtp.rcpt", "554 5.7.1 recipient refused",
                            "check the address");
  const std::pair<RoundTripStage, std::string> stages[] = {
      {RoundTripStage::Send, "CRITICAL: send refused: 554 5.7.1 recipient refused"},
      {RoundTripStage::ImapLogin, "CRITICAL: IMAP login failed for probe@example.test: 554"},
      {RoundTripStage::Folder, "CRITICAL: folder missing: \"INBOX\" in probe@example.test"},
      {RoundTripStage::NotArrived, "CRITICAL: not arrived within 30 s: the probe sent smtp"},
      {RoundTripStage::Imap, "CRITICAL: IMAP failed: 554"},
  };
  for (const auto& [stage, start] : stages) {
    facts.stage = stage;
    auto output = roundtrip_output(facts, {});
    EXPECT_EQ(output.state, NagiosState::Critical);
    EXPECT_EQ(first_line(output).substr(0, start.size()), start);
    EXPECT_NE(first_line(output).find("'delay'=U;;;0;30"), std::string::npos);
    EXPECT_NE(output.long_output.find("remedy: check the address"), std::string::npos);
  }
  facts.stage = RoundTripStage::Usage;
  auto usage = roundtrip_output(facts, {});
  EXPECT_EQ(usage.state, NagiosState::Unknown);
  EXPECT_EQ(first_line(usage), "UNKNOWN: 554 5.7.1 recipient refused");
}

TEST(RoundTripProbeTest, CleanupIsReportedInTheLongOutput) {
  auto facts = arrived(1s);
  facts.stale_removed = 2;
  facts.probe_id = "mon-1-0000000000000001";
  facts.cleanup_note = "the probe was not deleted: NO [CANNOT]";
  auto output = roundtrip_output(facts, {});
  EXPECT_EQ(output.state, NagiosState::Ok);
  EXPECT_NE(output.long_output.find("removed 2 stale probes of earlier runs"), std::string::npos);
  EXPECT_NE(output.long_output.find("the probe was not deleted"), std::string::npos);
}

}  // namespace
}  // namespace mailoauth::monitor
