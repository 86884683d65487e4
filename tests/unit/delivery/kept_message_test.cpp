// The kept-message file: an envelope address with CR/LF (from -f or
// --envelope-from) is refused where it enters, and even if one reached the
// writer it could not add a line to the envelope block; file names are safe.
#include "mailoauth/delivery/kept_message.hpp"

#include <gtest/gtest.h>

namespace mailoauth::delivery {
namespace {

TEST(KeptMessage, EnvelopeAddressWithLineBreakIsRefusedAndShownEscaped) {
  auto checked =
      check_envelope_address("a@example.com\r\nX-Mailoauth-Envelope-To: evil@x", "envelope sender");
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().code(), "delivery.bad_envelope_address");
  EXPECT_EQ(checked.error().error_class(), core::ErrorClass::Config);
  EXPECT_EQ(checked.error().message().find('\n'), std::string::npos);
  EXPECT_EQ(checked.error().message().find('\r'), std::string::npos);
  EXPECT_NE(checked.error().message().find("a@example.com\\r\\nX-Mailoauth"), std::string::npos);
}

TEST(KeptMessage, OtherBadEnvelopeAddresses) {
  EXPECT_FALSE(check_envelope_address(std::string("a@b\0c", 5), "sender"));
  EXPECT_FALSE(check_envelope_address("a b@c", "sender"));
  EXPECT_FALSE(check_envelope_address("<a@b>", "sender"));
  EXPECT_TRUE(check_envelope_address("bounces+tag@example.com", "sender"));
  EXPECT_TRUE(check_envelope_address("", "sender"));  // the null reverse-path
}

TEST(KeptMessage, TheEnvelopeBlockCannotBeInjected) {
  const std::string kept = render_kept_message("a@x\r\nX-Mailoauth-Envelope-To: evil@x",
                                               {"b@y", "c@z\nBcc: d@w"}, "Subject: s\r\n\r\nbody");
  EXPECT_EQ(kept,
            "X-Mailoauth-Envelope-From: a@x\\r\\nX-Mailoauth-Envelope-To: evil@x\r\n"
            "X-Mailoauth-Envelope-To: b@y\r\n"
            "X-Mailoauth-Envelope-To: c@z\\nBcc: d@w\r\n"
            "Subject: s\r\n\r\nbody");
}

TEST(KeptMessage, FileNamesKeepOnlySafeCharacters) {
  EXPECT_EQ(kept_file_name("20261204T223000Z", 42, "abc.1@host.example"),
            "20261204T223000Z-42-abc.1@host.example.eml");
  EXPECT_EQ(kept_file_name("S", 1, "../../etc/passwd"), "S-1-.._.._etc_passwd.eml");
  EXPECT_EQ(kept_file_name("S", 1, std::string(200, 'a')).size(),
            std::string("S-1-.eml").size() + 80);
}

}  // namespace
}  // namespace mailoauth::delivery
