// The listing's envelope cache; see listing_cache.hpp for why it is safe.
#include "mailoauth/queue/listing_cache.hpp"

#include <cerrno>
#include <charconv>
#include <iterator>

#include <fcntl.h>
#include <fmt/format.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mailoauth/queue/file_descriptor.hpp"
#include "mailoauth/queue/spool.hpp"
#include "mailoauth/queue/spool_record.hpp"

namespace mailoauth::queue {

namespace {

constexpr std::string_view kMagic = "mailoauth-listing-cache 1\n";

template <typename Number>
bool number(std::string_view text, Number& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() && !text.empty();
}

// "ID FILE_SIZE HEADER_LENGTH" split in three.
bool split_entry_line(std::string_view line, std::string_view& id, std::uint64_t& file_size,
                      std::size_t& header_length) {
  const std::size_t first = line.find(' ');
  const std::size_t second = line.find(' ', first == std::string_view::npos ? 0 : first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos) return false;
  id = line.substr(0, first);
  return is_queue_id(id) && number(line.substr(first + 1, second - first - 1), file_size) &&
         number(line.substr(second + 1), header_length);
}

}  // namespace

std::vector<CachedEnvelope> parse_listing_cache(std::string_view text) {
  std::vector<CachedEnvelope> entries;
  if (!text.starts_with(kMagic)) return {};
  std::size_t position = kMagic.size();
  for (;;) {
    const std::size_t end = text.find('\n', position);
    if (end == std::string_view::npos) return {};  // torn
    const std::string_view line = text.substr(position, end - position);
    position = end + 1;
    if (line.starts_with("end ")) {
      std::size_t count = 0;
      if (!number(line.substr(4), count) || count != entries.size() || position != text.size()) {
        return {};
      }
      return entries;
    }
    CachedEnvelope entry;
    std::size_t header_length = 0;
    if (!split_entry_line(line, entry.id, entry.file_size, header_length) ||
        header_length > kMaxRecordSize || header_length > text.size() - position) {
      return {};
    }
    entry.header = text.substr(position, header_length);
    position += header_length;
    if (!entries.empty() && entries.back().id >= entry.id) return {};  // sorted, unique
    entries.push_back(entry);
  }
}

std::string encode_listing_cache(const std::vector<CachedEnvelope>& entries) {
  std::string out(kMagic);
  for (const CachedEnvelope& entry : entries) {
    fmt::format_to(std::back_inserter(out), "{} {} {}\n", entry.id, entry.file_size,
                   entry.header.size());
    out += entry.header;
  }
  fmt::format_to(std::back_inserter(out), "end {}\n", entries.size());
  return out;
}

std::filesystem::path listing_cache_path(const std::filesystem::path& spool) {
  return spool / "listing.cache";
}

std::string read_listing_cache(const std::filesystem::path& spool) {
  FileDescriptor fd(::open(listing_cache_path(spool).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  struct stat info {};
  if (fd.get() < 0 || ::fstat(fd.get(), &info) != 0) return {};
  std::string text(static_cast<std::size_t>(info.st_size), '\0');
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t got = ::read(fd.get(), text.data() + done, text.size() - done);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return {};  // changed under us: the next listing writes a new one
    done += static_cast<std::size_t>(got);
  }
  return text;
}

void write_listing_cache(const std::filesystem::path& spool, const std::string& text) {
  std::string temporary = (spool / ".listing.cache.XXXXXX").string();
  FileDescriptor fd(::mkostemp(temporary.data(), O_CLOEXEC));
  if (fd.get() < 0) return;
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t wrote = ::write(fd.get(), text.data() + written, text.size() - written);
    if (wrote <= 0) {
      ::unlink(temporary.c_str());
      return;
    }
    written += static_cast<std::size_t>(wrote);
  }
  if (::rename(temporary.c_str(), listing_cache_path(spool).c_str()) != 0) {
    ::unlink(temporary.c_str());
  }
}

}  // namespace mailoauth::queue
