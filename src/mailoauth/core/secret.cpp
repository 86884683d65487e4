// Storage and wiping for Secret. The buffer is heap memory we own (not a
// std::string, whose small-string buffer and reallocations we cannot wipe), and
// explicit_bzero keeps the wipe from being optimised away.
#include "mailoauth/core/secret.hpp"

#include <cstring>
#include <utility>

#include <fmt/format.h>
#include <string.h>  // explicit_bzero

namespace mailoauth::core {

void secure_wipe(void* data, std::size_t size) noexcept {
  if (data != nullptr && size > 0) explicit_bzero(data, size);
}

Secret::Secret(std::string_view value) : size_(value.size()) {
  if (size_ > 0) {
    data_ = std::make_unique_for_overwrite<char[]>(size_);
    std::memcpy(data_.get(), value.data(), size_);
  }
}

Secret Secret::take(std::string&& value) {
  Secret secret(value);
  secure_wipe(value.data(), value.size());
  value.clear();
  value.shrink_to_fit();
  return secret;
}

Secret::Secret(Secret&& other) noexcept
    : data_(std::move(other.data_)), size_(std::exchange(other.size_, 0)) {}

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    wipe();
    data_ = std::move(other.data_);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

Secret::~Secret() {
  wipe();
}

void Secret::wipe() noexcept {
  secure_wipe(data_.get(), size_);
  data_.reset();
  size_ = 0;
}

bool Secret::equals(const Secret& other) const {
  if (size_ != other.size_) return false;
  unsigned char difference = 0;
  for (std::size_t i = 0; i < size_; ++i) {
    difference |= static_cast<unsigned char>(data_[i] ^ other.data_[i]);
  }
  return difference == 0;
}

std::string redacted_size(std::size_t size) {
  return fmt::format("<redacted {} bytes>", size);
}

std::string redacted(const Secret& secret) {
  return redacted_size(secret.size());
}

}  // namespace mailoauth::core
