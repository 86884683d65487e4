// Field values with parameters as mailers write them: quoted and plain
// values, escapes, RFC 2231 extended and continued file names, RFC 2047
// words in a plain parameter (Outlook's way), and junk that must not crash.
#include "mailoauth/mime/header_parameters.hpp"

#include <gtest/gtest.h>

namespace mailoauth::mime {
namespace {

TEST(HeaderParameters, ValueIsLowerCaseAndParametersAreUnquoted) {
  const auto parsed = parse_parameterized(" Multipart/Mixed; boundary=\"b;1 \\\"x\\\"\"; x=y ");
  EXPECT_EQ(parsed.value, "multipart/mixed");
  EXPECT_EQ(parsed.parameter("boundary"), "b;1 \"x\"");
  EXPECT_EQ(parsed.parameter("x"), "y");
  EXPECT_EQ(parsed.parameter("missing"), "");
}

TEST(HeaderParameters, Rfc2231ExtendedAndContinuedNamesAreJoinedAndDecoded) {
  EXPECT_EQ(parse_parameterized("attachment; filename*=utf-8''%E2%82%AC%20rate.pdf")
                .parameter("filename"),
            "\xE2\x82\xAC rate.pdf");
  EXPECT_EQ(
      parse_parameterized("attachment; filename*1=\"part.pdf\"; filename*0*=utf-8''Gro%C3%9Fe%20")
          .parameter("filename"),
      "Gro\xC3\x9F"
      "e part.pdf");
  EXPECT_EQ(
      parse_parameterized("attachment; filename*=iso-8859-1'de'M%E4rz.txt").parameter("filename"),
      "M\xC3\xA4rz.txt");
}

TEST(HeaderParameters, EncodedWordsInAPlainParameterAreDecoded) {
  EXPECT_EQ(parse_parameterized("application/pdf; name=\"=?utf-8?B?UHLDvGZ1bmcucGRm?=\"")
                .parameter("name"),
            "Pr\xC3\xBC"
            "fung.pdf");
}

TEST(HeaderParameters, JunkIsSkippedNotFatal) {
  const auto parsed = parse_parameterized(";;=;a;\"unterminated; b=c");
  EXPECT_EQ(parsed.value, "");
  EXPECT_EQ(parsed.parameter("b"), "");
  std::string many = "text/plain";
  for (int i = 0; i < 200; ++i) many += "; p" + std::to_string(i) + "=v";
  EXPECT_EQ(parse_parameterized(many).parameters.size(), kMaxParameters);
}

}  // namespace
}  // namespace mailoauth::mime
