// lsimap -json's bytes: keys in a fixed order, capabilities sorted, null for
// what is not known (no STARTTLS, no TLS facts), strings escaped as Go's JSON.
#include "mailoauth/compat/server_inspection.hpp"

#include <gtest/gtest.h>

namespace mailoauth::compat {
namespace {

TEST(ServerInspection, JsonWithStartTls) {
  ServerInspection inspection;
  inspection.server = "imap.example.com";
  inspection.port = 143;
  inspection.starttls = true;
  inspection.greeting = "Dovecot \"ready\"";
  inspection.capabilities.names = {"IMAP4rev1", "AUTH=XOAUTH2", "AUTH=PLAIN", "SASL-IR"};
  inspection.before_starttls = imap::Capabilities{{"STARTTLS", "LOGINDISABLED", "IMAP4rev1"}};
  imap::TlsFacts tls;
  tls.protocol = "TLSv1.3";
  tls.cipher = "TLS_AES_256_GCM_SHA384";
  tls.subject = "/CN=imap.example.com";
  tls.issuer = "/CN=CA";
  tls.not_after = core::Clock::WallTime(std::chrono::seconds(1'800'000'000));
  inspection.tls = tls;
  EXPECT_EQ(inspection_json(inspection),
            "{\"server\":\"imap.example.com\",\"port\":143,\"starttls\":true,"
            "\"greeting\":\"Dovecot \\\"ready\\\"\","
            "\"capabilities\":[\"AUTH=PLAIN\",\"AUTH=XOAUTH2\",\"IMAP4rev1\",\"SASL-IR\"],"
            "\"capabilities_before_starttls\":[\"IMAP4rev1\",\"LOGINDISABLED\",\"STARTTLS\"],"
            "\"auth_mechanisms\":[\"XOAUTH2\",\"PLAIN\"],\"login_disabled\":false,"
            "\"tls\":{\"version\":\"TLSv1.3\",\"cipher\":\"TLS_AES_256_GCM_SHA384\","
            "\"subject\":\"/CN=imap.example.com\",\"issuer\":\"/CN=CA\","
            "\"not_after\":\"2027-01-15T08:00:00Z\"}}\n");
}

TEST(ServerInspection, JsonWithoutStartTlsOrTls) {
  ServerInspection inspection;
  inspection.server = "h";
  inspection.port = 993;
  inspection.capabilities.names = {"LOGINDISABLED"};
  EXPECT_EQ(inspection_json(inspection),
            "{\"server\":\"h\",\"port\":993,\"starttls\":false,\"greeting\":\"\","
            "\"capabilities\":[\"LOGINDISABLED\"],\"capabilities_before_starttls\":null,"
            "\"auth_mechanisms\":[],\"login_disabled\":true,\"tls\":null}\n");
}

}  // namespace
}  // namespace mailoauth::compat
