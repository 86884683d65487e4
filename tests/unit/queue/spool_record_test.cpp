// The spool's records: round trips with every field, values that would break
// the line format (CR, LF, spaces, '%', 8-bit) kept to the byte and never
// turned into a second recipient, and each kind of damage refused; the
// attempt history kept to its last 20 entries with bounded texts.
#include "mailoauth/queue/spool_record.hpp"

#include <gtest/gtest.h>

namespace mailoauth::queue {
namespace {

SpooledEnvelope sample() {
  SpooledEnvelope envelope;
  envelope.id = "18f3a2b4c5d6e7-3fa2c1";
  envelope.received = WallTime(std::chrono::microseconds(1'764'800'000'123'456));
  envelope.client = "192.0.2.7:51234";
  envelope.helo = "printer\r\nrcpt evil@example.com";
  envelope.listener = "lan";
  envelope.user = "";
  envelope.route = "contoso";
  envelope.from = "";
  envelope.recipients = {"a@example.com", "\"x y%\"@example.com", "j\xc3\xb6rg@example.com"};
  envelope.body = Body::EightBitMime;
  envelope.smtputf8 = true;
  return envelope;
}

TEST(SpoolRecordTest, EnvelopeRoundTripKeepsEveryByte) {
  const SpooledEnvelope envelope = sample();
  const std::string text = encode_envelope(envelope) + "content";
  std::size_t header_size = 0;
  auto parsed = parse_envelope(text, header_size);
  ASSERT_TRUE(parsed) << parsed.error().describe();
  EXPECT_EQ(text.substr(header_size), "content");
  EXPECT_EQ(parsed->id, envelope.id);
  EXPECT_EQ(parsed->received, envelope.received);
  EXPECT_EQ(parsed->helo, envelope.helo);
  EXPECT_EQ(parsed->recipients, envelope.recipients) << "the HELO's line break added no recipient";
  EXPECT_EQ(parsed->from, "");
  EXPECT_EQ(parsed->body, Body::EightBitMime);
  EXPECT_TRUE(parsed->smtputf8);
  EXPECT_EQ(text.find("\nrcpt evil"), std::string::npos);
}

TEST(SpoolRecordTest, DamagedEnvelopesAreCorrupt) {
  const std::string good = encode_envelope(sample());
  std::size_t header_size = 0;
  const auto refused = [&](const std::string& text) {
    auto parsed = parse_envelope(text, header_size);
    return !parsed && parsed.error().code() == "queue.corrupt";
  };
  EXPECT_TRUE(refused(""));
  EXPECT_TRUE(refused("something else\n\n"));
  EXPECT_TRUE(refused(good.substr(0, good.size() - 1))) << "no blank line";
  EXPECT_TRUE(refused("mailoauth-spool 1\nid a-1\nreceived 5\nfrom\n\n")) << "no recipient";
  EXPECT_TRUE(refused("mailoauth-spool 1\nid a-1\nid a-2\nreceived 5\nfrom\nrcpt x@y\n\n"));
  EXPECT_TRUE(refused("mailoauth-spool 1\nid a-1\nreceived 5\nfrom\nrcpt x@y\nwho x\n\n"));
  EXPECT_TRUE(refused("mailoauth-spool 1\nid a-1\nreceived -5\nfrom\nrcpt x@y\n\n"));
  EXPECT_TRUE(refused("mailoauth-spool 1\nid a-1\nreceived 5\nfrom\nrcpt x%4@y\n\n"));
  EXPECT_TRUE(refused("mailoauth-spool 1\nid a-1\nreceived 5\nfrom\nrcpt x@y\nbody 9bit\n\n"));
  EXPECT_TRUE(
      refused("mailoauth-spool 1\nid a-1\nreceived 99999999999999999999\nfrom\nrcpt x@y\n\n"));
}

TEST(SpoolRecordTest, StateRoundTripAndDamage) {
  DeliveryState state = DeliveryState::fresh(2);
  state.hold = true;
  state.attempts = 3;
  state.next_attempt = WallTime(std::chrono::seconds(1'800'000'000));
  state.recipients[0] = {RecipientStatus::Sent, 1, "250 2.0.0 Ok"};
  state.recipients[1] = {RecipientStatus::Deferred, 3, "421 4.7.0 throttled\n"};
  const std::string text = encode_state(state);
  auto parsed = parse_state(text, 2);
  ASSERT_TRUE(parsed) << parsed.error().describe();
  EXPECT_TRUE(parsed->hold);
  EXPECT_EQ(parsed->attempts, 3u);
  EXPECT_EQ(parsed->next_attempt, state.next_attempt);
  EXPECT_EQ(parsed->recipients[1].last_reply, "421 4.7.0 throttled\n");
  EXPECT_EQ(parsed->recipients[1].status, RecipientStatus::Deferred);

  EXPECT_FALSE(parse_state(text, 1)) << "an index beyond the envelope";
  EXPECT_FALSE(parse_state(text.substr(0, text.size() - 4), 2)) << "no end line";
  EXPECT_FALSE(parse_state("mailoauth-state 1\nrcpt 0 sent 1\nrcpt 0 sent 1\nend\n", 1));
  EXPECT_FALSE(parse_state("mailoauth-state 1\nrcpt 0 lost 1\nend\n", 1));
  EXPECT_FALSE(parse_state("mailoauth-state 1\nend\nhold 1\n", 1));
  // Any bytes in a reply: the record encodes them, no line is added or lost.
  DeliveryState hostile = DeliveryState::fresh(1);
  hostile.recipients[0] = {RecipientStatus::Failed, 1,
                           std::string("550 a\r\nrcpt 0 sent 1\nend\n\0\t\\ %41 \xff", 34)};
  auto hostile_parsed = parse_state(encode_state(hostile), 1);
  ASSERT_TRUE(hostile_parsed) << hostile_parsed.error().describe();
  EXPECT_EQ(hostile_parsed->recipients[0].last_reply, hostile.recipients[0].last_reply);
  EXPECT_EQ(hostile_parsed->recipients[0].status, RecipientStatus::Failed);
  // A reply longer than a record line could hold encoded is cut, not left to
  // make the whole state unreadable.
  hostile.recipients[0].last_reply = std::string(20000, '\xff');
  auto long_parsed = parse_state(encode_state(hostile), 1);
  ASSERT_TRUE(long_parsed) << long_parsed.error().describe();
  EXPECT_EQ(long_parsed->recipients[0].last_reply, std::string(kMaxStoredReply, '\xff'));

  auto missing = parse_state("mailoauth-state 1\nend\n", 2);
  ASSERT_TRUE(missing) << "recipients not named are pending";
  EXPECT_EQ(missing->recipients[1].status, RecipientStatus::Pending);
}

// A delivery status notification the relay made: bounce_of names the
// original (written only when set, so other envelopes stay as they were);
// the delay warning is recorded in the state so a restart sends none again.
TEST(SpoolRecordTest, NotificationMarkersRoundTrip) {
  SpooledEnvelope envelope = sample();
  EXPECT_EQ(encode_envelope(envelope).find("bounce_of"), std::string::npos);
  envelope.bounce_of = "18f3a2b4c5d6e7-3fa2c1";
  std::size_t header_size = 0;
  auto parsed = parse_envelope(encode_envelope(envelope), header_size);
  ASSERT_TRUE(parsed) << parsed.error().describe();
  EXPECT_EQ(parsed->bounce_of, "18f3a2b4c5d6e7-3fa2c1");
  EXPECT_FALSE(parse_envelope(
      "mailoauth-spool 1\nid a-1\nreceived 5\nfrom\nrcpt x@y\nbounce_of a\nbounce_of b\n\n",
      header_size))
      << "given twice";

  DeliveryState state = DeliveryState::fresh(1);
  EXPECT_EQ(encode_state(state).find("warned"), std::string::npos);
  state.delay_warned = true;
  auto warned = parse_state(encode_state(state), 1);
  ASSERT_TRUE(warned) << warned.error().describe();
  EXPECT_TRUE(warned->delay_warned);
  EXPECT_FALSE(parse_state("mailoauth-state 1\nwarned 2\nend\n", 1));
}

TEST(SpoolRecordTest, AttemptHistoryRoundTripsAndStaysBounded) {
  DeliveryState state = DeliveryState::fresh(1);
  for (int i = 0; i < 25; ++i) {
    state.add_attempt({WallTime(std::chrono::seconds(1'800'000'000 + i)), "deferred",
                       "smtp.example.com[192.0.2.1]:587", "a@example.com",
                       "451 4.3.0 try " + std::to_string(i) + "\r\nend\n"});
  }
  ASSERT_EQ(state.history.size(), kMaxAttemptHistory) << "the oldest are dropped";
  EXPECT_EQ(state.history.front().reply, "451 4.3.0 try 5\r\nend\n");
  state.add_attempt({WallTime(std::chrono::seconds(1'800'000'100)), "sent", "none",
                     std::string(3000, 'x'), std::string(5000, '\xff')});
  EXPECT_EQ(state.history.back().to.size(), kMaxHistoryText) << "texts are cut";
  EXPECT_EQ(state.history.back().reply.size(), kMaxHistoryText);
  const std::string text = encode_state(state);
  auto parsed = parse_state(text, 1);
  ASSERT_TRUE(parsed) << parsed.error().describe();
  ASSERT_EQ(parsed->history.size(), kMaxAttemptHistory);
  for (std::size_t i = 0; i < kMaxAttemptHistory; ++i) {
    EXPECT_EQ(parsed->history[i].when, state.history[i].when);
    EXPECT_EQ(parsed->history[i].status, state.history[i].status);
    EXPECT_EQ(parsed->history[i].relay, state.history[i].relay);
    EXPECT_EQ(parsed->history[i].to, state.history[i].to);
    EXPECT_EQ(parsed->history[i].reply, state.history[i].reply);
  }
  // A reply-less attempt (nothing to quote) round-trips too.
  DeliveryState quiet = DeliveryState::fresh(1);
  quiet.add_attempt({WallTime(std::chrono::seconds(5)), "deferred", "none", "a@b", ""});
  auto quiet_parsed = parse_state(encode_state(quiet), 1);
  ASSERT_TRUE(quiet_parsed) << quiet_parsed.error().describe();
  EXPECT_EQ(quiet_parsed->history.at(0).reply, "");

  std::string too_many = "mailoauth-state 1\n";
  for (std::size_t i = 0; i <= kMaxAttemptHistory; ++i) too_many += "try 5 sent none a@b\n";
  EXPECT_FALSE(parse_state(too_many + "end\n", 1)) << "more lines than a state keeps";
  EXPECT_FALSE(parse_state("mailoauth-state 1\ntry -1 sent none a@b\nend\n", 1));
  EXPECT_FALSE(parse_state("mailoauth-state 1\ntry 5 sent none\nend\n", 1)) << "no recipients";
  EXPECT_FALSE(parse_state("mailoauth-state 1\ntry 5 sent  a@b\nend\n", 1)) << "an empty relay";
  EXPECT_FALSE(parse_state("mailoauth-state 1\ntry 5 sent none a@b x%4\nend\n", 1));
  EXPECT_FALSE(parse_state(
      "mailoauth-state 1\ntry 5 sent none a@b " + std::string(kMaxHistoryText + 1, 'x') + "\nend\n",
      1))
      << "a reply longer than the encoder writes";
}

}  // namespace
}  // namespace mailoauth::queue
