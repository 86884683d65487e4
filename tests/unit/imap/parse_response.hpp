// Test helper for the IMAP unit tests: one complete response from bytes,
// failing the test (and giving an empty Response) when the bytes are not one.
#pragma once

#include <string_view>

#include <gtest/gtest.h>

#include "mailoauth/imap/response_parser.hpp"

namespace mailoauth::imap::testing {

inline Response parse(std::string_view bytes) {
  ResponseParser parser;
  auto outcome = parser.feed(bytes);
  EXPECT_TRUE(outcome && *outcome) << bytes;
  return outcome && *outcome ? **outcome : Response();
}

}  // namespace mailoauth::imap::testing
