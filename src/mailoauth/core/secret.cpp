// Storage and wiping for Secret. The buffer is memory we own (not a
// std::string, whose small-string buffer and reallocations we cannot wipe), and
// explicit_bzero keeps the wipe from being optimised away.
//
// It does not come from the heap but from pages of our own, marked
// MADV_DONTDUMP, so a core dump leaves secrets out even where the process's
// own settings (core/process_hardening: PR_SET_DUMPABLE 0, RLIMIT_CORE 0) were
// undone, e.g. by a debugger's gcore or a core_pattern pipe that ignores the
// limit. Secrets are small (passwords, tokens, keys): up to 2 KiB they share
// pages in size classes (32 .. 2048 bytes), a free list per class under one
// mutex, the pages never returned (a process's secrets are few and bounded);
// larger ones get a mapping of their own, unmapped when the Secret goes. Only
// the Secret's own buffer is covered: copies a caller makes (a request body,
// a std::string for a library) are the heap's and are not.
//
// The header keeps its std::unique_ptr<char[]> (so a change here rebuilds one
// file): the pointer never reaches delete[], since every path that ends a
// buffer (destructor, move-assignment) goes through wipe(), which releases it
// to the pool. Under AddressSanitizer the unused tail of a block and every free
// block are poisoned, so overflows and use-after-free are still caught.
#include "mailoauth/core/secret.hpp"

#include <array>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <new>
#include <utility>

#include <fmt/format.h>
#include <string.h>  // explicit_bzero
#include <sys/mman.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define MAILOAUTH_SECRET_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MAILOAUTH_SECRET_ASAN 1
#endif
#endif
#ifdef MAILOAUTH_SECRET_ASAN
#include <sanitizer/asan_interface.h>
#define MAILOAUTH_POISON(address, size) ASAN_POISON_MEMORY_REGION(address, size)
#define MAILOAUTH_UNPOISON(address, size) ASAN_UNPOISON_MEMORY_REGION(address, size)
#else
#define MAILOAUTH_POISON(address, size) ((void)(address), (void)(size))
#define MAILOAUTH_UNPOISON(address, size) ((void)(address), (void)(size))
#endif

namespace mailoauth::core {
namespace {

constexpr std::size_t kSmallestBlock = 32;
constexpr std::size_t kLargestBlock = 2048;
constexpr std::size_t kClasses = 7;   // 32, 64, ..., 2048
constexpr std::size_t kSlab = 16384;  // pages mapped at a time for the small classes

std::size_t page_size() {
  static const std::size_t size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return size;
}

std::size_t round_to_pages(std::size_t size) {
  const std::size_t page = page_size();
  return (size + page - 1) / page * page;
}

std::size_t class_of(std::size_t size) {
  std::size_t index = 0;
  for (std::size_t block = kSmallestBlock; block < size; block *= 2) ++index;
  return index;
}

// Pages for secrets: mapped privately, left out of core dumps. madvise is best
// effort (a kernel or seccomp filter without it still has RLIMIT_CORE 0).
char* map_secret_pages(std::size_t bytes) {
  void* pages = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (pages == MAP_FAILED) throw std::bad_alloc();
  static_cast<void>(::madvise(pages, bytes, MADV_DONTDUMP));
  return static_cast<char*>(pages);
}

struct FreeBlock {
  FreeBlock* next;
};

class SecretPool {
 public:
  char* allocate(std::size_t size) {
    if (size > kLargestBlock) return map_secret_pages(round_to_pages(size));
    const std::size_t index = class_of(size);
    const std::size_t block = kSmallestBlock << index;
    std::lock_guard lock(mutex_);
    if (free_[index] == nullptr) carve(index, block);
    FreeBlock* head = free_[index];
    MAILOAUTH_UNPOISON(head, sizeof(FreeBlock));
    free_[index] = head->next;
    char* data = reinterpret_cast<char*>(head);
    MAILOAUTH_POISON(data, block);  // all but the caller's `size` bytes
    MAILOAUTH_UNPOISON(data, size);
    return data;
  }

  // `data` was allocate(size)'s, and is wiped.
  void release(char* data, std::size_t size) noexcept {
    if (size > kLargestBlock) {
      ::munmap(data, round_to_pages(size));
      return;
    }
    const std::size_t index = class_of(size);
    std::lock_guard lock(mutex_);
    MAILOAUTH_UNPOISON(data, sizeof(FreeBlock));
    auto* freed = reinterpret_cast<FreeBlock*>(data);
    freed->next = free_[index];
    free_[index] = freed;
    MAILOAUTH_POISON(data, kSmallestBlock << index);
  }

 private:
  void carve(std::size_t index, std::size_t block) {
    char* slab = map_secret_pages(kSlab);
    for (std::size_t offset = kSlab; offset >= block; offset -= block) {
      auto* freed = reinterpret_cast<FreeBlock*>(slab + offset - block);
      freed->next = free_[index];
      free_[index] = freed;
    }
    MAILOAUTH_POISON(slab, kSlab);
  }

  std::mutex mutex_;
  std::array<FreeBlock*, kClasses> free_{};
};

// Never destroyed: a Secret in a static may outlive any other static.
SecretPool& pool() {
  static SecretPool* const instance = new SecretPool;
  return *instance;
}

}  // namespace

void secure_wipe(void* data, std::size_t size) noexcept {
  if (data != nullptr && size > 0) explicit_bzero(data, size);
}

Secret::Secret(std::string_view value) : size_(value.size()) {
  if (size_ > 0) {
    data_.reset(pool().allocate(size_));
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
  if (data_ != nullptr) {
    secure_wipe(data_.get(), size_);
    pool().release(data_.release(), size_);
  }
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
