// TlsMode and Transport: every word parses and prints back, case does not
// matter, unknown words are Config errors naming the words that exist, and
// the transport for a message is the one asked for, else the account's, else
// SMTP.
#include "mailoauth/delivery/transport.hpp"

#include <gtest/gtest.h>

namespace mailoauth::delivery {
namespace {

TEST(TlsMode, EveryModeRoundTrips) {
  for (TlsMode mode : {TlsMode::None, TlsMode::StartTls, TlsMode::Implicit}) {
    auto parsed = parse_tls_mode(to_string(mode));
    ASSERT_TRUE(parsed) << to_string(mode);
    EXPECT_EQ(*parsed, mode);
  }
}

TEST(TlsMode, TakesTheUsualSynonymsInAnyCase) {
  EXPECT_EQ(parse_tls_mode("TLS").value(), TlsMode::Implicit);
  EXPECT_EQ(parse_tls_mode("ssl").value(), TlsMode::Implicit);
  EXPECT_EQ(parse_tls_mode("StartTLS").value(), TlsMode::StartTls);
}

TEST(TlsMode, UnknownWordIsAConfigErrorWithTheWordsThatExist) {
  auto parsed = parse_tls_mode("start\ntls");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().error_class(), core::ErrorClass::Config);
  EXPECT_EQ(parsed.error().code(), "delivery.bad_tls_mode");
  EXPECT_NE(parsed.error().message().find("start\\ntls"), std::string::npos);
  EXPECT_NE(parsed.error().remedy().find("starttls"), std::string::npos);
}

TEST(Transport, EveryTransportRoundTrips) {
  for (Transport transport : {Transport::Smtp, Transport::Graph, Transport::Auto}) {
    auto parsed = parse_transport(to_string(transport));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, transport);
  }
  EXPECT_EQ(parse_transport("GRAPH").value(), Transport::Graph);
  EXPECT_EQ(parse_transport("mapi").error().code(), "delivery.bad_transport");
}

TEST(Transport, AskedForBeatsTheAccountWhichBeatsSmtp) {
  oauth2::Account account;
  account.name = "work";
  account.transport = "auto";
  EXPECT_EQ(choose_transport(Transport::Graph, &account).value(), Transport::Graph);
  EXPECT_EQ(choose_transport(std::nullopt, &account).value(), Transport::Auto);
  account.transport.clear();
  EXPECT_EQ(choose_transport(std::nullopt, &account).value(), Transport::Smtp);
  EXPECT_EQ(choose_transport(std::nullopt, nullptr).value(), Transport::Smtp);
}

TEST(Transport, AnAccountsUnknownTransportNamesTheAccount) {
  oauth2::Account account;
  account.name = "work";
  account.transport = "pigeon";
  auto chosen = choose_transport(std::nullopt, &account);
  ASSERT_FALSE(chosen);
  EXPECT_NE(chosen.error().message().find("account work"), std::string::npos);
}

}  // namespace
}  // namespace mailoauth::delivery
