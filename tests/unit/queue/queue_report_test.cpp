// The queue tool's output, to the byte where docs/queue.md promises it: the
// table's columns and recipient lines, the summary line, the JSON schema
// (version 1, field order), `show`'s fields and attempt history; a hostile
// address or reply (CR, LF) cannot add a line to the table or to show.
#include "mailoauth/queue/queue_report.hpp"

#include <gtest/gtest.h>

namespace mailoauth::queue {
namespace {

using std::chrono::seconds;

ListedMessage deferred_message() {
  ListedMessage message;
  message.id = "18f3a2b4c5d6e7-3fa2c1";
  message.state = MessageState::Deferred;
  message.size = 1234;
  message.envelope.id = message.id;
  message.envelope.received = WallTime(seconds(1'700'000'000));
  message.envelope.client = "192.0.2.7:51234";
  message.envelope.helo = "EPSON_1234";
  message.envelope.listener = "lan";
  message.envelope.route = "contoso";
  message.envelope.from = "scanner@contoso.com";
  message.envelope.recipients = {"a@example.com", "b@example.com"};
  message.delivery = DeliveryState::fresh(2);
  message.delivery.attempts = 2;
  message.delivery.next_attempt = WallTime(seconds(1'700'000'600));
  message.delivery.recipients[0] = {RecipientStatus::Sent, 1, "250 2.0.0 OK"};
  message.delivery.recipients[1] = {RecipientStatus::Deferred, 2, "421 4.7.0 try later"};
  return message;
}

TEST(QueueReport, TableIsPostqueueShaped) {
  ListedMessage corrupt;
  corrupt.id = "18f3a2b4c5d6e8-000001";
  corrupt.state = MessageState::Corrupt;
  corrupt.size = 10;
  corrupt.problem = "in corrupt/";
  const std::string pad(63, ' ');
  EXPECT_EQ(format_queue_table({deferred_message(), corrupt}),
            "Queue ID                     Size Arrival (UTC)       State    Sender/Recipient\n"
            "18f3a2b4c5d6e7-3fa2c1        1234 2023-11-14 22:13:20 deferred scanner@contoso.com\n" +
                pad + "a@example.com sent (1 attempt): 250 2.0.0 OK\n" + pad +
                "b@example.com deferred (2 attempts): 421 4.7.0 try later\n" + pad +
                "(next attempt 2023-11-14 22:23:20)\n"
                "18f3a2b4c5d6e8-000001          10 -                   corrupt  (in corrupt/)\n"
                "-- 2 messages, 1244 bytes\n");
  EXPECT_EQ(format_queue_table({}), "queue is empty\n");
}

TEST(QueueReport, HostileTextCannotAddLines) {
  ListedMessage message = deferred_message();
  message.envelope.from = "x@y\r\n18f3a2b4c5d6e9-000000 1 2023-01-01 00:00:00 queued forged";
  message.envelope.recipients[0] = "a@example.com\nforged";
  message.delivery.recipients[1].last_reply = "421 a\r\nb";
  const std::string table = format_queue_table({message});
  std::size_t lines = 0;
  for (char c : table) lines += c == '\n';
  EXPECT_EQ(lines, 6u) << table;  // header, message, 2 recipients, next attempt, summary
  EXPECT_NE(table.find("x@y\\r\\n18f3"), std::string::npos);
}

TEST(QueueReport, JsonSchemaVersionOne) {
  ListedMessage message = deferred_message();
  message.envelope.from.clear();  // the null sender
  EXPECT_EQ(
      format_queue_json({message}),
      R"({"version":1,"messages":[{"id":"18f3a2b4c5d6e7-3fa2c1","state":"deferred",)"
      R"("size":1234,"received":"2023-11-14T22:13:20Z","route":"contoso","sender":"",)"
      R"("attempts":2,"next_attempt":"2023-11-14T22:23:20Z","recipients":[)"
      R"({"address":"a@example.com","status":"sent","attempts":1,"last_reply":"250 2.0.0 OK"},)"
      R"({"address":"b@example.com","status":"deferred","attempts":2,)"
      R"("last_reply":"421 4.7.0 try later"}]}]})"
      "\n");
  EXPECT_EQ(format_queue_json({}), "{\"version\":1,\"messages\":[]}\n");
}

TEST(QueueReport, JsonSurvivesAnyBytes) {
  ListedMessage message = deferred_message();
  // Latin-1 from an 8-bit client, a cut UTF-8 sequence, a quote, CR/LF, NUL, valid UTF-8.
  message.envelope.from = std::string("j\xF6rg\xC3@b\"c\r\n") + std::string(1, '\0') + "d\xC3\xA9";
  const std::string json = format_queue_json({message});
  EXPECT_NE(json.find("\"sender\":\"j\xEF\xBF\xBDrg\xEF\xBF\xBD@b\\\"c\\r\\n\\u0000d\xC3\xA9\""),
            std::string::npos)
      << json;
  EXPECT_EQ(format_message_json(deferred_message()),
            R"({"version":1,"message":{"id":"18f3a2b4c5d6e7-3fa2c1","state":"deferred",)"
            R"("size":1234,"received":"2023-11-14T22:13:20Z","route":"contoso",)"
            R"("sender":"scanner@contoso.com","attempts":2,"next_attempt":"2023-11-14T22:23:20Z",)"
            R"("recipients":[{"address":"a@example.com","status":"sent","attempts":1,)"
            R"("last_reply":"250 2.0.0 OK"},{"address":"b@example.com","status":"deferred",)"
            R"("attempts":2,"last_reply":"421 4.7.0 try later"}],"client":"192.0.2.7:51234",)"
            R"("helo":"EPSON_1234","listener":"lan","user":"","body":"7bit","smtputf8":false,)"
            R"("history":[]}})"
            "\n");
}

TEST(QueueReport, ShowGivesEnvelopeStatesAndNextAttempt) {
  const std::string text =
      format_message_details(deferred_message(), WallTime(seconds(1'700'000'000 + 420)));
  EXPECT_EQ(text,
            "id:           18f3a2b4c5d6e7-3fa2c1\n"
            "state:        deferred\n"
            "size:         1234 bytes\n"
            "received:     2023-11-14T22:13:20Z\n"
            "client:       192.0.2.7:51234\n"
            "helo:         EPSON_1234\n"
            "listener:     lan\n"
            "user:         -\n"
            "route:        contoso\n"
            "sender:       scanner@contoso.com\n"
            "body:         7bit\n"
            "attempts:     2\n"
            "next attempt: 2023-11-14T22:23:20Z (in 3m00s)\n"
            "recipient:    a@example.com\n"
            "  status:     sent\n"
            "  attempts:   1\n"
            "  last reply: 250 2.0.0 OK\n"
            "recipient:    b@example.com\n"
            "  status:     deferred\n"
            "  attempts:   2\n"
            "  last reply: 421 4.7.0 try later\n");
}

// A delivery status notification the relay made shows the null sender and
// the message it is about, in the table and (an added field) in the JSON.
TEST(QueueReport, NotificationsSayWhichMessageTheyAreAbout) {
  ListedMessage message = deferred_message();
  message.envelope.from.clear();
  message.envelope.bounce_of = "18f3a2b4c5d6e0-0000aa";
  const std::string table = format_queue_table({message});
  EXPECT_NE(table.find(" deferred <> (bounce of 18f3a2b4c5d6e0-0000aa)\n"), std::string::npos)
      << table;
  const std::string json = format_queue_json({message});
  EXPECT_NE(json.find(R"("sender":"","bounce_of":"18f3a2b4c5d6e0-0000aa","attempts")"),
            std::string::npos)
      << json;
  EXPECT_EQ(format_queue_json({deferred_message()}).find("bounce_of"), std::string::npos);
}

TEST(QueueReport, ShowListsTheAttemptHistory) {
  ListedMessage message = deferred_message();
  message.delivery.history = {
      {WallTime(seconds(1'700'000'100)), "deferred", "smtp.example.com[192.0.2.1]:587",
       "a@example.com,b@example.com", "421 4.7.0 try later\r\nforged: line"},
      {WallTime(seconds(1'700'000'300)), "sent", "smtp.example.com[192.0.2.1]:587", "a@example.com",
       "250 2.0.0 OK"}};
  const std::string text = format_message_details(message, WallTime(seconds(1'700'000'420)));
  const std::string expected_tail =
      "attempt:      2023-11-14T22:15:00Z deferred relay=smtp.example.com[192.0.2.1]:587 "
      "to=a@example.com,b@example.com\n"
      "  reply:      421 4.7.0 try later\\r\\nforged: line\n"
      "attempt:      2023-11-14T22:18:20Z sent relay=smtp.example.com[192.0.2.1]:587 "
      "to=a@example.com\n"
      "  reply:      250 2.0.0 OK\n";
  ASSERT_GE(text.size(), expected_tail.size());
  EXPECT_EQ(text.substr(text.size() - expected_tail.size()), expected_tail) << text;
  const std::string json = format_message_json(message);
  EXPECT_NE(json.find(R"("history":[{"time":"2023-11-14T22:15:00Z","status":"deferred",)"
                      R"("relay":"smtp.example.com[192.0.2.1]:587",)"
                      R"("to":"a@example.com,b@example.com",)"
                      R"("reply":"421 4.7.0 try later\r\nforged: line"},)"
                      R"({"time":"2023-11-14T22:18:20Z","status":"sent",)"),
            std::string::npos)
      << json;
}

}  // namespace
}  // namespace mailoauth::queue
