// Reads a golden file from tests/unit/compat/golden/ as bytes, for byte-for-byte
// comparisons of check-mail's outputs.
#pragma once
#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

namespace mailoauth::compat::testing {

inline std::string golden(const std::string& name) {
  const std::string path = std::string(MAILOAUTH_UNIT_TEST_DIR) + "/golden/" + name;
  std::ifstream file(path, std::ios::binary);
  EXPECT_TRUE(file.good()) << "missing golden file " << path;
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

}  // namespace mailoauth::compat::testing
