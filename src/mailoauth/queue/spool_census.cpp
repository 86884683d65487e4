// The spool's census from its directory listings; see spool_census.hpp.
#include "mailoauth/queue/spool_census.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>
#include <vector>

#include <dirent.h>
#include <fmt/format.h>

#include "mailoauth/queue/spool.hpp"

namespace mailoauth::queue {

namespace {

constexpr std::string_view kStateSuffix = ".state";

// The names in one spool directory (readdir: no stat per name).
core::Result<std::vector<std::string>> names_in(const std::filesystem::path& directory) {
  std::vector<std::string> names;
  DIR* handle = ::opendir(directory.c_str());
  if (handle == nullptr) {
    if (errno == ENOENT) return names;
    return core::fail(
        core::ErrorClass::Temporary, std::string(kIoError),
        fmt::format("spool: cannot list {}: {}", directory.string(), std::strerror(errno)));
  }
  while (const dirent* entry = ::readdir(handle)) {
    if (entry->d_name[0] != '.') names.emplace_back(entry->d_name);
  }
  ::closedir(handle);
  return names;
}

std::vector<std::string_view> views(const std::vector<std::string>& names) {
  return {names.begin(), names.end()};
}

}  // namespace

std::optional<core::Clock::WallTime> queue_id_time(std::string_view id) {
  if (!is_queue_id(id)) return std::nullopt;
  const std::size_t dash = id.find('-');
  const std::string_view hex = id.substr(0, dash);
  std::uint64_t micros = 0;
  const auto [end, error] = std::from_chars(hex.data(), hex.data() + hex.size(), micros, 16);
  if (error != std::errc() || end != hex.data() + hex.size()) return std::nullopt;
  return core::Clock::WallTime(std::chrono::duration_cast<core::Clock::WallTime::duration>(
      std::chrono::microseconds(micros)));
}

SpoolCensus take_census_of_names(std::span<const std::string_view> queue_names,
                                 std::span<const std::string_view> hold_names,
                                 std::span<const std::string_view> failed_names) {
  SpoolCensus census;
  const auto messages = [](std::span<const std::string_view> names) {
    return static_cast<std::uint64_t>(std::count_if(
        names.begin(), names.end(), [](std::string_view name) { return is_queue_id(name); }));
  };
  census.held = messages(hold_names);
  census.failed = messages(failed_names);
  std::vector<std::string_view> tried;
  std::optional<std::string_view> oldest;
  for (const std::string_view name : queue_names) {
    if (name.ends_with(kStateSuffix)) {
      tried.push_back(name.substr(0, name.size() - kStateSuffix.size()));
    }
  }
  std::sort(tried.begin(), tried.end());
  for (const std::string_view name : queue_names) {
    if (!is_queue_id(name)) continue;
    if (std::binary_search(tried.begin(), tried.end(), name)) {
      ++census.deferred;
    } else {
      ++census.queued;
    }
    // Ids of one length compare as their times; a longer hex prefix is later.
    const auto earlier = [](std::string_view a, std::string_view b) {
      const std::size_t a_digits = a.find('-'), b_digits = b.find('-');
      return a_digits != b_digits ? a_digits < b_digits : a < b;
    };
    if (!oldest || earlier(name, *oldest)) oldest = name;
  }
  if (oldest) census.oldest_queued = queue_id_time(*oldest);
  return census;
}

core::Result<SpoolCensus> take_spool_census(const std::filesystem::path& spool) {
  auto queue_names = names_in(spool / to_string(Place::Queue));
  if (!queue_names) return core::fail(std::move(queue_names.error()));
  auto hold_names = names_in(spool / to_string(Place::Hold));
  if (!hold_names) return core::fail(std::move(hold_names.error()));
  auto failed_names = names_in(spool / to_string(Place::Failed));
  if (!failed_names) return core::fail(std::move(failed_names.error()));
  const auto queue_views = views(*queue_names);
  const auto hold_views = views(*hold_names);
  const auto failed_views = views(*failed_names);
  return take_census_of_names(queue_views, hold_views, failed_views);
}

}  // namespace mailoauth::queue
