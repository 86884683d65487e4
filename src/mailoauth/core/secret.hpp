// Secret: a password, token or key that must never reach a log, an error message
// or a formatted string by accident. It owns its bytes in a buffer it wipes on
// destruction and on move-out, is move-only (copies are explicit: clone()), and
// has no operator<<, no fmt formatter and no conversion to a string type, so
// `fmt::format("{}", secret)` and `std::cout << secret` do not compile. The only
// way to the bytes is reveal(), which is easy to grep for in review.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>

namespace mailoauth::core {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string_view value);
  // Takes the string's bytes and wipes the string it came from.
  static Secret take(std::string&& value);

  Secret(Secret&& other) noexcept;
  Secret& operator=(Secret&& other) noexcept;
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  ~Secret();

  Secret clone() const { return Secret(reveal()); }

  // The one door to the value. Callers pass it straight to the wire or a cipher.
  std::string_view reveal() const { return {data_.get(), size_}; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Constant-time comparison (length is not hidden).
  bool equals(const Secret& other) const;

  // Printing a Secret is a compile error; use redacted(secret) for a log line.
  friend std::ostream& operator<<(std::ostream&, const Secret&) = delete;

 private:
  void wipe() noexcept;

  std::unique_ptr<char[]> data_;  // secret.cpp's MADV_DONTDUMP pool; freed by wipe()
  std::size_t size_ = 0;
};

// Overwrites memory in a way the optimiser may not remove.
void secure_wipe(void* data, std::size_t size) noexcept;

// What a log line shows instead of a secret: "<redacted 1584 bytes>".
std::string redacted(const Secret& secret);
std::string redacted_size(std::size_t size);

}  // namespace mailoauth::core
