// The queue listing; see queue_listing.hpp for why it reads only the heads of
// files, and why that is safe while the relay runs.
#include "mailoauth/queue/queue_listing.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <iterator>
#include <thread>
#include <utility>

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mailoauth/queue/file_descriptor.hpp"
#include "mailoauth/queue/listing_cache.hpp"

namespace mailoauth::queue {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kStateSuffix = ".state";
constexpr std::size_t kFirstRead = 4096;
// The cache is rewritten when a listing read this many files it did not know
// (or found this many entries gone): not for every new message.
constexpr std::size_t kCacheWorthIt = 100;
// From this many messages in a directory on, two threads read it.
constexpr std::size_t kParallelFrom = 2000;

core::Error listing_error(std::string_view step, const fs::path& path, int error_number) {
  return core::Error(
      core::ErrorClass::Temporary, "queue.listing",
      fmt::format("cannot {} {}: {}", step, path.string(), std::strerror(error_number)),
      "run the command as the relay's user (the spool is 0700)");
}

// Up to `size` bytes from the start of an open file, into `buffer`, which
// is reused from message to message (it only grows: no allocation and no
// zeroing per file, which dominated the listing's time when it did).
core::Result<std::string_view> read_head(int fd, std::size_t size, std::string& buffer,
                                         const fs::path& path) {
  if (buffer.size() < size) buffer.resize(size);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t got = ::pread(fd, buffer.data() + done, size - done, static_cast<off_t>(done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return std::unexpected(listing_error("read", path, errno));
    if (got == 0) break;
    done += static_cast<std::size_t>(got);
  }
  return std::string_view(buffer.data(), done);
}

struct DirectoryNames {
  std::vector<std::string> ids;  // sorted
  std::vector<bool> has_state;   // per id: the directory has ID.state
};

core::Result<DirectoryNames> read_names(const fs::path& directory) {
  DirectoryNames names;
  DIR* handle = ::opendir(directory.c_str());
  if (handle == nullptr) {
    if (errno == ENOENT) return names;
    return std::unexpected(listing_error("list", directory, errno));
  }
  std::vector<std::string> states;
  while (const dirent* entry = ::readdir(handle)) {
    const std::string_view name = entry->d_name;
    if (name.ends_with(kStateSuffix)) {
      states.emplace_back(name.substr(0, name.size() - kStateSuffix.size()));
    } else if (is_queue_id(name)) {
      names.ids.emplace_back(name);
    }
  }
  ::closedir(handle);
  std::sort(names.ids.begin(), names.ids.end());
  std::sort(states.begin(), states.end());
  // Both sorted: one walk pairs them (a hash set cost 12% of the listing).
  names.has_state.resize(names.ids.size());
  auto state = states.begin();
  for (std::size_t i = 0; i < names.ids.size(); ++i) {
    while (state != states.end() && *state < names.ids[i]) ++state;
    names.has_state[i] = state != states.end() && *state == names.ids[i];
  }
  return names;
}

enum class Outcome { Listed, Vanished };

// What the listing knows about a message's file, for the next listing's cache:
// a view into the old cache (a hit) or into `owned` (read from the file).
struct Known {
  CachedEnvelope entry;
  bool from_file = false;
};

// The envelope from the cache: no system call. False when the cached block
// does not parse (then the file is read, as for an unknown id).
bool from_cache(const CachedEnvelope& cached, ListedMessage& message) {
  std::size_t header_size = 0;
  auto envelope = parse_envelope(cached.header, header_size);
  if (!envelope || envelope->id != message.id ||
      header_size + kSpoolTrailerSize > cached.file_size) {
    return false;
  }
  message.size = cached.file_size - header_size - kSpoolTrailerSize;
  message.envelope = std::move(*envelope);
  return true;
}

// The envelope and size of one message file (relative to `directory_fd`).
// A file that cannot be parsed is listed as corrupt, with the reason.
core::Result<Outcome> read_message(int directory_fd, const fs::path& directory, std::string& buffer,
                                   ListedMessage& message, std::string& header,
                                   std::uint64_t& file_size_out) {
  const fs::path path = directory / message.id;
  FileDescriptor fd(::openat(directory_fd, message.id.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) {
    if (errno == ENOENT) return Outcome::Vanished;  // delivered or moved meanwhile
    return std::unexpected(listing_error("open", path, errno));
  }
  auto head = read_head(fd.get(), kFirstRead, buffer, path);
  if (!head) return std::unexpected(head.error());
  std::uint64_t file_size = head->size();
  if (head->size() == kFirstRead) {
    struct stat info {};
    if (::fstat(fd.get(), &info) != 0) return std::unexpected(listing_error("stat", path, errno));
    file_size = static_cast<std::uint64_t>(info.st_size);
  }
  std::size_t header_size = 0;
  auto envelope = parse_envelope(*head, header_size);
  if (!envelope && head->find("\n\n") == std::string_view::npos && file_size > head->size()) {
    // Thousands of recipients: read the whole envelope (bounded by the parser).
    head = read_head(fd.get(),
                     static_cast<std::size_t>(std::min<std::uint64_t>(file_size, kMaxRecordSize)),
                     buffer, path);
    if (!head) return std::unexpected(head.error());
    envelope = parse_envelope(*head, header_size);
  }
  if (!envelope || header_size + kSpoolTrailerSize > file_size) {
    message.state = MessageState::Corrupt;
    message.size = file_size;
    message.problem =
        envelope ? "shorter than its envelope and trailer" : envelope.error().message();
    return Outcome::Listed;
  }
  message.size = file_size - header_size - kSpoolTrailerSize;
  message.envelope = std::move(*envelope);
  header.assign(head->substr(0, header_size));
  file_size_out = file_size;
  return Outcome::Listed;
}

core::Result<void> read_state(int directory_fd, const fs::path& directory, std::string& buffer,
                              ListedMessage& message) {
  const std::string name = message.id + std::string(kStateSuffix);
  FileDescriptor fd(::openat(directory_fd, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) {
    if (errno == ENOENT) return {};  // moved with its message meanwhile: fresh
    return std::unexpected(listing_error("open", directory / name, errno));
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) {
    return std::unexpected(listing_error("stat", directory / name, errno));
  }
  // One byte more than the parser accepts, so a state file too large is seen as such.
  const auto size = static_cast<std::size_t>(
      std::min<std::uint64_t>(static_cast<std::uint64_t>(info.st_size), kMaxRecordSize + 1));
  auto text = read_head(fd.get(), size, buffer, directory / name);
  if (!text) return std::unexpected(text.error());
  auto state = parse_state(*text, message.envelope.recipients.size());
  if (!state) {
    message.state = MessageState::Corrupt;
    message.problem = fmt::format("{}: {}", name, state.error().message());
    return {};
  }
  message.delivery = std::move(*state);
  return {};
}

bool wanted(const ListingFilter& filter, const ListedMessage& message) {
  if (filter.state && message.state != *filter.state) return false;
  if (filter.route && message.envelope.route != *filter.route) return false;
  return true;
}

// The messages ids[begin, end) of one directory that pass the filter.
struct Range {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::vector<ListedMessage> listed;
  std::vector<Known> known;       // every readable message, listed or filtered out
  std::deque<std::string> owned;  // ids and envelopes read from files (stable addresses)
  std::optional<core::Error> error;
};

const CachedEnvelope* find_cached(const std::vector<CachedEnvelope>& cache, std::string_view id) {
  const auto found = std::lower_bound(
      cache.begin(), cache.end(), id,
      [](const CachedEnvelope& entry, std::string_view wanted) { return entry.id < wanted; });
  return found != cache.end() && found->id == id ? &*found : nullptr;
}

void read_range(int directory_fd, const fs::path& directory, Place place,
                const ListingFilter& filter, const std::vector<CachedEnvelope>& cache,
                DirectoryNames& names, Range& range) {
  std::string buffer;
  for (std::size_t i = range.begin; i < range.end; ++i) {
    ListedMessage message;
    message.id = std::move(names.ids[i]);
    if (place == Place::Corrupt) {
      struct stat info {};
      if (::fstatat(directory_fd, message.id.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) continue;
      message.state = MessageState::Corrupt;
      message.size = static_cast<std::uint64_t>(info.st_size);
      message.problem = "in corrupt/: could not be read back (see the relay's log)";
      if (wanted(filter, message)) range.listed.push_back(std::move(message));
      continue;
    }
    const CachedEnvelope* cached = find_cached(cache, message.id);
    if (cached != nullptr && from_cache(*cached, message)) {
      range.known.push_back({*cached, false});
    } else {
      std::string header;
      std::uint64_t file_size = 0;
      auto read = read_message(directory_fd, directory, buffer, message, header, file_size);
      if (!read) {
        range.error = read.error();
        return;
      }
      if (*read == Outcome::Vanished) continue;
      if (message.problem.empty()) {
        const std::string& id = range.owned.emplace_back(message.id);
        const std::string& text = range.owned.emplace_back(std::move(header));
        range.known.push_back({{id, file_size, text}, true});
      }
    }
    if (message.problem.empty()) {
      message.delivery = DeliveryState::fresh(message.envelope.recipients.size());
      if (names.has_state[i]) {
        if (auto state = read_state(directory_fd, directory, buffer, message); !state) {
          range.error = state.error();
          return;
        }
      }
      if (message.problem.empty()) message.state = classify(place, message.delivery);
    }
    if (wanted(filter, message)) range.listed.push_back(std::move(message));
  }
}

// Every message of one place that passes the filter, appended to `out`. A
// big directory is read by two threads, each a contiguous half, so the order
// stays and the machine's second core shares the system calls.
core::Result<void> list_place(const fs::path& spool, Place place, const ListingFilter& filter,
                              const std::vector<CachedEnvelope>& cache,
                              std::vector<ListedMessage>& out, std::deque<Range>& done) {
  const fs::path directory = spool / to_string(place);
  auto names = read_names(directory);
  if (!names) return std::unexpected(names.error());
  FileDescriptor directory_fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory_fd.get() < 0) {
    if (errno == ENOENT) return {};
    return std::unexpected(listing_error("open", directory, errno));
  }
  const std::size_t count = names->ids.size();
  const std::size_t threads = count >= kParallelFrom ? 2 : 1;
  std::vector<Range> ranges(threads);
  for (std::size_t t = 0; t < threads; ++t) {
    ranges[t].begin = count * t / threads;
    ranges[t].end = count * (t + 1) / threads;
  }
  {
    std::vector<std::jthread> helpers;
    for (std::size_t t = 1; t < threads; ++t) {
      helpers.emplace_back([&, t] {
        read_range(directory_fd.get(), directory, place, filter, cache, *names, ranges[t]);
      });
    }
    read_range(directory_fd.get(), directory, place, filter, cache, *names, ranges[0]);
  }  // the helpers joined
  const auto middle = static_cast<std::ptrdiff_t>(out.size());
  for (Range& range : ranges) {
    if (range.error) return std::unexpected(std::move(*range.error));
    std::move(range.listed.begin(), range.listed.end(), std::back_inserter(out));
    range.listed.clear();
    done.push_back(std::move(range));  // `owned` moves with its strings in place
  }
  // Each place is in id order; merged with the places before, oldest first overall.
  std::inplace_merge(out.begin(), out.begin() + middle, out.end(),
                     [](const ListedMessage& a, const ListedMessage& b) { return a.id < b.id; });
  return {};
}

// Whether a message in `state` can be found in `place` (a --state filter
// skips the other directories).
bool may_hold(Place place, MessageState state) {
  switch (state) {
    case MessageState::Queued:
    case MessageState::Deferred:
      return place == Place::Queue;
    case MessageState::Hold:
      return place == Place::Queue || place == Place::Hold;
    case MessageState::Failed:
      return place == Place::Failed;
    case MessageState::Corrupt:
      return true;
  }
  return true;
}

}  // namespace

std::string_view to_string(MessageState state) {
  switch (state) {
    case MessageState::Queued:
      return "queued";
    case MessageState::Deferred:
      return "deferred";
    case MessageState::Hold:
      return "hold";
    case MessageState::Failed:
      return "failed";
    case MessageState::Corrupt:
      return "corrupt";
  }
  return "queued";
}

std::optional<MessageState> parse_message_state(std::string_view text) {
  for (MessageState state : {MessageState::Queued, MessageState::Deferred, MessageState::Hold,
                             MessageState::Failed, MessageState::Corrupt}) {
    if (text == to_string(state)) return state;
  }
  return std::nullopt;
}

MessageState classify(Place place, const DeliveryState& delivery) {
  switch (place) {
    case Place::Hold:
      return MessageState::Hold;
    case Place::Failed:
      return MessageState::Failed;
    case Place::Corrupt:
    case Place::Incoming:
      return MessageState::Corrupt;
    case Place::Queue:
      break;
  }
  // A hold flag in queue/: the relay stopped between the two steps of a hold.
  if (delivery.hold) return MessageState::Hold;
  return delivery.attempts > 0 ? MessageState::Deferred : MessageState::Queued;
}

core::Result<std::vector<ListedMessage>> list_messages(const fs::path& spool,
                                                       const ListingFilter& filter,
                                                       ListingCache use_cache) {
  const std::string cache_text =
      use_cache == ListingCache::Use ? read_listing_cache(spool) : std::string();
  const std::vector<CachedEnvelope> cache = parse_listing_cache(cache_text);
  std::vector<ListedMessage> messages;
  // A deque: a Range is never moved again once in it (a vector's growth
  // would copy them, std::deque's move not being noexcept, and the cache
  // entries point into each Range's `owned` strings).
  std::deque<Range> ranges;
  for (Place place : {Place::Queue, Place::Hold, Place::Failed, Place::Corrupt}) {
    if (filter.state && !may_hold(place, *filter.state)) continue;
    if (auto listed = list_place(spool, place, filter, cache, messages, ranges); !listed) {
      return std::unexpected(listed.error());
    }
  }
  // Kept up to date when it missed (or kept) enough to matter, and only
  // after a listing that read every place: it holds the whole spool's ids.
  if (use_cache == ListingCache::Use && !filter.state) {
    std::vector<CachedEnvelope> known;
    std::size_t missed = 0;
    for (const Range& range : ranges) {
      for (const Known& entry : range.known) {
        known.push_back(entry.entry);
        missed += entry.from_file ? 1 : 0;
      }
    }
    const std::size_t hits = known.size() - missed;  // entries of the old cache still there
    const std::size_t stale = cache.size() > hits ? cache.size() - hits : 0;
    if (missed >= kCacheWorthIt || stale >= kCacheWorthIt) {
      std::sort(known.begin(), known.end(),
                [](const CachedEnvelope& a, const CachedEnvelope& b) { return a.id < b.id; });
      // A message moved between places during the listing may be seen twice.
      known.erase(std::unique(known.begin(), known.end(),
                              [](const CachedEnvelope& a, const CachedEnvelope& b) {
                                return a.id == b.id;
                              }),
                  known.end());
      write_listing_cache(spool, encode_listing_cache(known));
    }
  }
  return messages;
}

core::Result<ListedMessage> find_message(Spool& spool, std::string_view id) {
  for (Place place : {Place::Queue, Place::Hold, Place::Failed, Place::Corrupt}) {
    if (::access(spool.path(place, id).c_str(), F_OK) != 0) continue;
    ListedMessage message;
    message.id = std::string(id);
    if (place == Place::Corrupt) {
      struct stat info {};
      if (::stat(spool.path(place, id).c_str(), &info) == 0) {
        message.size = static_cast<std::uint64_t>(info.st_size);
      }
      message.state = MessageState::Corrupt;
      message.problem = "in corrupt/: could not be read back (see the relay's log)";
      return message;
    }
    auto read = spool.read(place, id);
    if (!read) {
      if (read.error().code() != "queue.corrupt") return std::unexpected(read.error());
      message.state = MessageState::Corrupt;
      message.problem = read.error().message();
      return message;
    }
    message.size = read->content_size;
    message.envelope = std::move(read->envelope);
    message.delivery = std::move(read->state);
    message.state = classify(place, message.delivery);
    return message;
  }
  return core::fail(core::ErrorClass::Permanent, "queue.no_such_message",
                    fmt::format("no message {} in the spool {}", id, spool.root().string()),
                    "mailoauth queue list shows the ids; a delivered message leaves the spool");
}

}  // namespace mailoauth::queue
