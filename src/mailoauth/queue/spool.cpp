// The spool's files; see spool.hpp for the layout and the promises. Writes go
// through core::SystemCalls (so tests can fail each one); reads use pread
// directly, since a failed read loses nothing and is reported as it is.
#include "mailoauth/queue/spool.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mailoauth/core/file_write.hpp"
#include "mailoauth/queue/file_descriptor.hpp"

namespace mailoauth::queue {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kTrailerMagic = "MAILOAUTH-END ";
constexpr std::size_t kTrailerSize = kSpoolTrailerSize;  // magic, 20 digits, LF
constexpr std::size_t kWriteBuffer = 64 * 1024;
constexpr std::string_view kStateSuffix = ".state";

// A failed write or sync: a full disk is kNoSpace (the session says 452 4.3.1
// and the client keeps the message); anything else is kIoError.
core::Error spool_error(std::string_view step, const fs::path& path, int error_number) {
  const core::Error base = core::file_error(step, path, error_number);
  const bool full = error_number == ENOSPC || error_number == EDQUOT;
  return core::Error(base.error_class(), std::string(full ? kNoSpace : kIoError),
                     fmt::format("spool: {}", base.message()), base.remedy());
}

core::Error corrupt(const fs::path& path, std::string_view what) {
  return core::Error(core::ErrorClass::Bug, "queue.corrupt",
                     fmt::format("spool file {}: {}", path.string(), what),
                     "it was damaged outside mailoauth (or by a disk that lost writes); it is "
                     "moved to the spool's corrupt/ directory and kept for inspection");
}

std::string trailer(std::uint64_t size) {
  return fmt::format("{}{:020}\n", kTrailerMagic, size);
}

// Reads exactly `size` bytes at `offset` (short only at the end of the file).
core::Result<std::string> read_at(int fd, std::uint64_t offset, std::size_t size,
                                  const fs::path& path) {
  std::string data(size, '\0');
  std::size_t done = 0;
  while (done < size) {
    const ssize_t result =
        ::pread(fd, data.data() + done, size - done, static_cast<off_t>(offset + done));
    if (result < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(spool_error("read", path, errno));
    }
    if (result == 0) break;
    done += static_cast<std::size_t>(result);
  }
  data.resize(done);
  return data;
}

struct HeaderAndSize {
  SpooledEnvelope envelope;
  std::uint64_t content_offset = 0;
  std::uint64_t content_size = 0;
};

// The envelope record, and the content's place and size checked against the
// trailer: a file that does not end in the trailer naming its size is corrupt.
core::Result<HeaderAndSize> read_header(int fd, const fs::path& path) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) return std::unexpected(spool_error("stat", path, errno));
  const auto file_size = static_cast<std::uint64_t>(info.st_size);
  if (file_size < kTrailerSize) return std::unexpected(corrupt(path, "too short"));
  std::size_t want = 64 * 1024;
  for (;;) {
    const std::size_t size = static_cast<std::size_t>(std::min<std::uint64_t>(want, file_size));
    auto head = read_at(fd, 0, size, path);
    if (!head) return std::unexpected(head.error());
    std::size_t header_size = 0;
    auto envelope = parse_envelope(*head, header_size);
    if (!envelope) {
      const bool may_need_more =
          size < file_size && size < kMaxRecordSize && head->find("\n\n") == std::string::npos;
      if (may_need_more) {
        want *= 4;
        continue;
      }
      return std::unexpected(corrupt(path, envelope.error().message()));
    }
    auto tail = read_at(fd, file_size - kTrailerSize, kTrailerSize, path);
    if (!tail) return std::unexpected(tail.error());
    if (header_size + kTrailerSize > file_size) return std::unexpected(corrupt(path, "no content"));
    const std::uint64_t content_size = file_size - header_size - kTrailerSize;
    if (*tail != trailer(content_size)) {
      return std::unexpected(corrupt(path, "the trailer is missing or names another size"));
    }
    return HeaderAndSize{std::move(*envelope), header_size, content_size};
  }
}

// The names in a directory (without . and ..), errors as Results.
core::Result<std::vector<std::string>> list_directory(const fs::path& directory) {
  std::vector<std::string> names;
  std::error_code error;
  fs::directory_iterator iterator(directory, error);
  for (; !error && iterator != fs::directory_iterator(); iterator.increment(error)) {
    names.push_back(iterator->path().filename().string());
  }
  if (error) {
    return core::fail(core::ErrorClass::Temporary, std::string(kIoError),
                      fmt::format("spool: cannot list {}: {}", directory.string(), error.message()),
                      "check the spool directory's owner and mode");
  }
  return names;
}

}  // namespace

std::string_view to_string(Place place) {
  switch (place) {
    case Place::Incoming:
      return "incoming";
    case Place::Queue:
      return "queue";
    case Place::Hold:
      return "hold";
    case Place::Failed:
      return "failed";
    case Place::Corrupt:
      return "corrupt";
  }
  return "queue";
}

std::string new_queue_id(const core::Clock& clock) {
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(clock.now().time_since_epoch()).count();
  std::array<unsigned char, 3> random{};
  if (getrandom(random.data(), random.size(), 0) != static_cast<ssize_t>(random.size())) {
    random.fill(0);  // O_EXCL still refuses a reused name; the caller retries
  }
  return fmt::format("{:x}-{:02x}{:02x}{:02x}", micros, random[0], random[1], random[2]);
}

bool is_queue_id(std::string_view text) {
  if (text.empty() || text.size() > 40) return false;
  bool dash = false;
  for (char c : text) {
    if (c == '-') {
      if (dash) return false;
      dash = true;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return dash && text.front() != '-' && text.back() != '-';
}

// --- IncomingMessage ---

IncomingMessage::IncomingMessage(Spool& spool, std::string id, int fd)
    : spool_(&spool), id_(std::move(id)), fd_(fd) {
  buffer_.reserve(kWriteBuffer);
}

IncomingMessage::IncomingMessage(IncomingMessage&& other) noexcept
    : spool_(other.spool_),
      id_(std::move(other.id_)),
      fd_(std::exchange(other.fd_, -1)),
      buffer_(std::move(other.buffer_)),
      content_size_(other.content_size_),
      committed_(std::exchange(other.committed_, true)),
      failed_(std::move(other.failed_)) {}

IncomingMessage::~IncomingMessage() {
  abandon();
}

void IncomingMessage::abandon() {
  if (committed_) return;
  committed_ = true;
  if (fd_ >= 0) spool_->calls().close(std::exchange(fd_, -1));
  spool_->calls().unlink(spool_->path(Place::Incoming, id_).c_str());
}

core::Result<void> IncomingMessage::flush() {
  std::size_t written = 0;
  while (written < buffer_.size()) {
    const ssize_t result =
        spool_->calls().write(fd_, buffer_.data() + written, buffer_.size() - written);
    if (result < 0 && errno == EINTR) continue;
    if (result <= 0) {
      failed_ = spool_error("write", spool_->path(Place::Incoming, id_), result < 0 ? errno : EIO);
      return std::unexpected(*failed_);
    }
    written += static_cast<std::size_t>(result);
  }
  buffer_.clear();
  return {};
}

core::Result<void> IncomingMessage::append(std::string_view bytes) {
  if (failed_) return std::unexpected(*failed_);
  if (committed_) {
    return core::fail(core::ErrorClass::Bug, "queue.committed", "append after commit");
  }
  content_size_ += bytes.size();
  while (!bytes.empty()) {
    const std::size_t take = std::min(bytes.size(), kWriteBuffer - buffer_.size());
    buffer_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (buffer_.size() == kWriteBuffer) {
      if (auto flushed = flush(); !flushed) return flushed;
    }
  }
  return {};
}

core::Result<void> IncomingMessage::commit() {
  if (failed_) return std::unexpected(*failed_);
  if (committed_) {
    return core::fail(core::ErrorClass::Bug, "queue.committed", "commit twice");
  }
  core::SystemCalls& calls = spool_->calls();
  const fs::path incoming = spool_->path(Place::Incoming, id_);
  const fs::path queued = spool_->path(Place::Queue, id_);
  buffer_ += trailer(content_size_);
  if (auto flushed = flush(); !flushed) return flushed;
  if (calls.fsync(fd_) != 0) {
    failed_ = spool_error("fsync", incoming, errno);
    return std::unexpected(*failed_);
  }
  if (calls.close(std::exchange(fd_, -1)) != 0) {
    failed_ = spool_error("close", incoming, errno);
    return std::unexpected(*failed_);
  }
  if (calls.rename(incoming.c_str(), queued.c_str()) != 0) {
    failed_ = spool_error("rename", queued, errno);
    return std::unexpected(*failed_);
  }
  if (auto synced = core::sync_directory(queued.parent_path(), calls); !synced) {
    // Not acknowledged, so it must not be delivered either: the client will
    // send it again. Best effort; recovery would deliver a survivor once.
    calls.unlink(queued.c_str());
    failed_ =
        core::Error(synced.error().error_class(), std::string(kIoError),
                    fmt::format("spool: {}", synced.error().message()), synced.error().remedy());
    return std::unexpected(*failed_);
  }
  committed_ = true;
  return {};
}

// --- ContentReader ---

ContentReader::ContentReader(int fd, std::uint64_t offset, std::uint64_t size, std::string path)
    : fd_(fd), offset_(offset), size_(size), path_(std::move(path)) {}

ContentReader::ContentReader(ContentReader&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      offset_(other.offset_),
      size_(other.size_),
      position_(other.position_),
      path_(std::move(other.path_)),
      buffer_(std::move(other.buffer_)) {}

ContentReader::~ContentReader() {
  if (fd_ >= 0) ::close(fd_);
}

core::Result<std::string_view> ContentReader::read(std::size_t max) {
  const std::uint64_t left = size_ - position_;
  const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(left, max));
  if (want == 0) return std::string_view();
  buffer_.resize(want);
  std::size_t done = 0;
  while (done < want) {
    const ssize_t result = ::pread(fd_, buffer_.data() + done, want - done,
                                   static_cast<off_t>(offset_ + position_ + done));
    if (result < 0 && errno == EINTR) continue;
    if (result < 0) return std::unexpected(spool_error("read", path_, errno));
    if (result == 0) return std::unexpected(corrupt(path_, "shorter than its trailer says"));
    done += static_cast<std::size_t>(result);
  }
  position_ += want;
  return std::string_view(buffer_);
}

// --- Spool ---

Spool::Spool(fs::path root, core::SystemCalls& calls, const core::Clock& clock)
    : root_(std::move(root)), calls_(calls), clock_(clock) {}

core::Result<std::unique_ptr<Spool>> Spool::open(fs::path root, core::SystemCalls& calls,
                                                 const core::Clock& clock) {
  for (Place place : {Place::Incoming, Place::Queue, Place::Hold, Place::Failed, Place::Corrupt}) {
    const fs::path directory = root / to_string(place);
    std::error_code error;
    fs::create_directories(directory, error);
    if (error) {
      return core::fail(core::ErrorClass::Config, "queue.directory",
                        fmt::format("cannot create the spool directory {}: {}", directory.string(),
                                    error.message()),
                        "create it, owned by the relay's user, mode 0700, or set spool_directory");
    }
    ::chmod(directory.c_str(), 0700);
    if (::access(directory.c_str(), W_OK | X_OK) != 0) {
      return core::fail(core::file_error("access", directory, errno));
    }
  }
  ::chmod(root.c_str(), 0700);
  return std::unique_ptr<Spool>(new Spool(std::move(root), calls, clock));
}

fs::path Spool::directory(Place place) const {
  return root_ / to_string(place);
}

fs::path Spool::path(Place place, std::string_view id) const {
  return directory(place) / id;
}

fs::path Spool::state_path(Place place, std::string_view id) const {
  return directory(place) / fmt::format("{}{}", id, kStateSuffix);
}

core::Result<IncomingMessage> Spool::begin(SpooledEnvelope envelope) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    envelope.id = new_queue_id(clock_);
    envelope.received = clock_.now();
    const fs::path file = path(Place::Incoming, envelope.id);
    const int fd = calls_.open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) continue;
    if (fd < 0) return std::unexpected(spool_error("create", file, errno));
    IncomingMessage message(*this, envelope.id, fd);
    message.buffer_ = encode_envelope(envelope);
    return message;
  }
  return core::fail(core::ErrorClass::Bug, "queue.id", "five queue ids in a row were taken");
}

core::Result<SpooledMessage> Spool::read(Place place, std::string_view id) {
  const fs::path file = path(place, id);
  FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return std::unexpected(spool_error("open", file, errno));
  auto header = read_header(fd.get(), file);
  if (!header) return std::unexpected(header.error());
  if (header->envelope.id != id) return std::unexpected(corrupt(file, "another message's id"));
  SpooledMessage message;
  message.place = place;
  message.content_size = header->content_size;
  const std::size_t recipients = header->envelope.recipients.size();
  message.envelope = std::move(header->envelope);
  const fs::path state_file = state_path(place, id);
  FileDescriptor state_fd(::open(state_file.c_str(), O_RDONLY | O_CLOEXEC));
  if (state_fd.get() < 0) {
    if (errno != ENOENT) return std::unexpected(spool_error("open", state_file, errno));
    message.state = DeliveryState::fresh(recipients);
    return message;
  }
  auto text = read_at(state_fd.get(), 0, kMaxRecordSize + 1, state_file);
  if (!text) return std::unexpected(text.error());
  auto state = parse_state(*text, recipients);
  if (!state) return std::unexpected(corrupt(state_file, state.error().message()));
  message.state = std::move(*state);
  return message;
}

core::Result<ContentReader> Spool::open_content(Place place, std::string_view id) {
  const fs::path file = path(place, id);
  FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return std::unexpected(spool_error("open", file, errno));
  auto header = read_header(fd.get(), file);
  if (!header) return std::unexpected(header.error());
  return ContentReader(fd.release(), header->content_offset, header->content_size, file.string());
}

core::Result<void> Spool::write_state(Place place, std::string_view id,
                                      const DeliveryState& state) {
  auto written = core::atomic_write_file(state_path(place, id), encode_state(state), 0600, calls_);
  if (!written) {
    // atomic_write_file names the errno in its message; a full disk must come
    // out as kNoSpace like every other spool write.
    const std::string& message = written.error().message();
    const bool full = message.find(std::strerror(ENOSPC)) != std::string::npos ||
                      message.find(std::strerror(EDQUOT)) != std::string::npos;
    return core::fail(core::Error(written.error().error_class(),
                                  std::string(full ? kNoSpace : kIoError),
                                  fmt::format("spool: {}", message), written.error().remedy()));
  }
  return {};
}

core::Result<void> Spool::remove(Place place, std::string_view id) {
  // Content first: a state file left alone is cleaned at start-up, while a
  // content file left without its state would be delivered again.
  const fs::path file = path(place, id);
  if (calls_.unlink(file.c_str()) != 0 && errno != ENOENT) {
    return std::unexpected(spool_error("unlink", file, errno));
  }
  const fs::path state_file = state_path(place, id);
  if (calls_.unlink(state_file.c_str()) != 0 && errno != ENOENT) {
    return std::unexpected(spool_error("unlink", state_file, errno));
  }
  // Durable: once this returns the message is never delivered again, which
  // is what lets the scheduler skip writing an all-sent state first.
  return core::sync_directory(directory(place), calls_);
}

core::Result<void> Spool::move(std::string_view id, Place from, Place to) {
  // State first: a message found in `to` without its state starts afresh
  // only if the state never moved, and recovery pairs a stray state file
  // with its content wherever that is.
  const fs::path state_from = state_path(from, id);
  const fs::path state_to = state_path(to, id);
  if (calls_.rename(state_from.c_str(), state_to.c_str()) != 0 && errno != ENOENT) {
    return std::unexpected(spool_error("rename", state_to, errno));
  }
  const fs::path content_from = path(from, id);
  const fs::path content_to = path(to, id);
  if (calls_.rename(content_from.c_str(), content_to.c_str()) != 0) {
    return std::unexpected(spool_error("rename", content_to, errno));
  }
  return core::sync_directory(directory(to), calls_);
}

core::Result<RecoveryReport> Spool::recover() {
  RecoveryReport report;
  auto incoming = list_directory(directory(Place::Incoming));
  if (!incoming) return std::unexpected(incoming.error());
  for (const std::string& name : *incoming) {
    calls_.unlink(path(Place::Incoming, name).c_str());
    ++report.incomplete_removed;
    report.notes.push_back(fmt::format(
        "removed incoming/{} (never acknowledged: the relay stopped while receiving it)", name));
  }
  for (Place place : {Place::Queue, Place::Hold, Place::Failed}) {
    auto names = list_directory(directory(place));
    if (!names) return std::unexpected(names.error());
    std::vector<std::string> ids;
    std::vector<std::string> states;
    for (const std::string& name : *names) {
      if (name.starts_with('.')) {  // a temporary of atomic_write_file
        calls_.unlink(path(place, name).c_str());
        continue;
      }
      if (name.ends_with(kStateSuffix)) {
        states.push_back(name.substr(0, name.size() - kStateSuffix.size()));
      } else if (is_queue_id(name)) {
        ids.push_back(name);
      } else {
        report.notes.push_back(
            fmt::format("left alone: {} (not a spool file)", path(place, name).string()));
      }
    }
    std::sort(ids.begin(), ids.end());
    for (const std::string& state : states) {
      if (!std::binary_search(ids.begin(), ids.end(), state)) {
        // Its message was delivered (content removed first) or moved on.
        bool moved = false;
        for (Place other : {Place::Queue, Place::Hold, Place::Failed}) {
          if (other != place && ::access(path(other, state).c_str(), F_OK) == 0) {
            calls_.rename(state_path(place, state).c_str(), state_path(other, state).c_str());
            moved = true;
          }
        }
        if (!moved) calls_.unlink(state_path(place, state).c_str());
      }
    }
    for (const std::string& id : ids) {
      auto message = read(place, id);
      if (!message) {
        if (message.error().code() != "queue.corrupt") return std::unexpected(message.error());
        move(id, place, Place::Corrupt);
        ++report.moved_to_corrupt;
        report.notes.push_back(
            fmt::format("{}: moved to corrupt/: {}", id, message.error().message()));
        continue;
      }
      report.messages.push_back(std::move(*message));
    }
  }
  return report;
}

}  // namespace mailoauth::queue
