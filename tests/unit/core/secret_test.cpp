// Tests for Secret: the value survives moves, reveal() is the only way in,
// clone() is explicit, comparison works, and a log line shows only the size.
// Its bytes live in memory marked MADV_DONTDUMP (read back from the kernel's
// /proc/self/smaps), and its page pool gives every Secret of every size its
// own bytes. That formatting does not compile is checked by
// tests/unit/core/secret_format_must_not_compile.
#include "mailoauth/core/secret.hpp"

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace mailoauth::core {
namespace {

TEST(SecretTest, RevealsWhatItHolds) {
  Secret secret("hunter2");
  EXPECT_EQ(secret.reveal(), "hunter2");
  EXPECT_EQ(secret.size(), 7u);
  EXPECT_FALSE(secret.empty());
}

TEST(SecretTest, DefaultIsEmpty) {
  Secret secret;
  EXPECT_TRUE(secret.empty());
  EXPECT_EQ(secret.reveal(), "");
}

TEST(SecretTest, MoveLeavesSourceEmpty) {
  Secret first("token-value");
  Secret second(std::move(first));
  EXPECT_EQ(second.reveal(), "token-value");
  EXPECT_TRUE(first.empty());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  Secret third;
  third = std::move(second);
  EXPECT_EQ(third.reveal(), "token-value");
  EXPECT_TRUE(second.empty());  // NOLINT(bugprone-use-after-move)
}

TEST(SecretTest, TakeWipesTheSourceString) {
  std::string source = "a-long-refresh-token-that-is-not-in-small-string-storage";
  Secret secret = Secret::take(std::move(source));
  EXPECT_EQ(secret.reveal(), "a-long-refresh-token-that-is-not-in-small-string-storage");
  EXPECT_TRUE(source.empty());  // NOLINT(bugprone-use-after-move): take() clears it
}

TEST(SecretTest, CloneIsIndependent) {
  Secret original("abc");
  Secret copy = original.clone();
  EXPECT_TRUE(copy.equals(original));
  original = Secret("xyz");
  EXPECT_EQ(copy.reveal(), "abc");
}

TEST(SecretTest, EqualsComparesContentAndLength) {
  EXPECT_TRUE(Secret("same").equals(Secret("same")));
  EXPECT_FALSE(Secret("same").equals(Secret("sane")));
  EXPECT_FALSE(Secret("same").equals(Secret("same!")));
  EXPECT_TRUE(Secret().equals(Secret("")));
}

TEST(SecretTest, RedactedShowsOnlyTheSize) {
  Secret secret("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9");
  EXPECT_EQ(redacted(secret), "<redacted 36 bytes>");
}

TEST(SecretTest, SecureWipeZeroes) {
  char buffer[8] = {'s', 'e', 'c', 'r', 'e', 't', '!', '!'};
  secure_wipe(buffer, sizeof buffer);
  for (char c : buffer) EXPECT_EQ(c, 0);
}

// The VmFlags line of the mapping that holds `address` ("rd wr mr mw me ac dd"),
// or "not mapped".
std::string vm_flags_of(const void* address) {
  const auto target = reinterpret_cast<std::uintptr_t>(address);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    unsigned long start = 0, end = 0;
    char dash = 0;
    if (std::sscanf(line.c_str(), "%lx%c%lx", &start, &dash, &end) == 3 && dash == '-') {
      inside = start <= target && target < end;
    } else if (inside && line.starts_with("VmFlags:")) {
      return line.substr(8) + " ";
    }
  }
  return "not mapped";
}

// Small secrets share pooled pages, large ones have their own mapping; on
// main they were heap memory, which a core dump includes.
TEST(SecretTest, BytesAreLeftOutOfCoreDumps) {
  for (std::size_t size : {1u, 7u, 40u, 2048u, 2049u, 100000u}) {
    const Secret secret(std::string(size, 's'));
    EXPECT_NE(vm_flags_of(secret.reveal().data()).find(" dd "), std::string::npos)
        << size << "-byte secret: VmFlags" << vm_flags_of(secret.reveal().data());
  }
}

// Secrets of every size class and beyond, made, moved over one another and
// ended in an interleaved order, each keep exactly their own bytes.
TEST(SecretTest, ManySecretsOfEverySizeKeepTheirBytes) {
  const auto value = [](std::size_t index) {
    const std::size_t size = 1 + (index * 37) % 5000;
    return std::string(size, static_cast<char>('a' + index % 26)) + std::to_string(index);
  };
  std::vector<Secret> secrets;
  for (std::size_t i = 0; i < 3000; ++i) secrets.emplace_back(value(i));
  for (std::size_t i = 0; i < secrets.size(); i += 2) secrets[i] = Secret(value(i + 3000));
  for (std::size_t i = 1; i + 2 < secrets.size(); i += 3) secrets[i] = std::move(secrets[i + 2]);
  for (std::size_t i = 0; i < secrets.size(); ++i) {
    std::size_t expected = i % 2 == 0 ? i + 3000 : i;
    if (i % 3 == 1 && i + 2 < secrets.size()) expected = (i + 2) % 2 == 0 ? i + 2 + 3000 : i + 2;
    if (i >= 3 && (i - 2) % 3 == 1) {
      EXPECT_TRUE(secrets[i].empty()) << i;  // moved out
      continue;
    }
    EXPECT_EQ(secrets[i].reveal(), value(expected)) << i;
  }
}

}  // namespace
}  // namespace mailoauth::core
