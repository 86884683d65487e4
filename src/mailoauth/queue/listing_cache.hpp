// A cache of the envelopes `mailoauth queue list` read, so a big queue is
// listed without opening every message: `<spool>/listing.cache`. A spooled
// message's file never changes once it is in queue/ (its id is never reused
// and it only moves between queue/, hold/ and failed/ by rename), so its
// envelope block and file size, remembered by id, stay true for as long as
// the id is in a directory listing. The listing reads the directories (one
// getdents per thousand names), takes each id's envelope from the cache and
// opens only the messages the cache does not know, and the state files
// (which do change). 100,000 messages: about half the CPU time, and no
// 100,000 open/read/close (bench/results/queue_list.md).
//
// The cache is only an optimisation and never the truth: it is written by the
// tool (as the spool's owner) when the listing found many messages it did not
// know, without fsync (a torn file is detected by its end line and ignored),
// pruned of ids no longer in the spool each time, and `show` always reads the
// message itself (so a damaged message file is found by show and by the
// relay, not by list). The relay neither reads nor writes it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace mailoauth::queue {

struct CachedEnvelope {
  std::string_view id;
  std::uint64_t file_size = 0;
  std::string_view header;  // the envelope block, as in the file (ends with "\n\n")
};

// The cache's entries (views into `text`), sorted by id; empty when the text
// is not a whole cache (torn, another version, damaged): the listing then
// reads every message, as without a cache.
std::vector<CachedEnvelope> parse_listing_cache(std::string_view text);
// Entries must be sorted by id.
std::string encode_listing_cache(const std::vector<CachedEnvelope>& entries);

std::filesystem::path listing_cache_path(const std::filesystem::path& spool);
// The file's text; empty when there is none or it cannot be read.
std::string read_listing_cache(const std::filesystem::path& spool);
// Temporary file and rename (no fsync: a cache); errors are ignored, as a
// listing must not fail because its cache could not be kept.
void write_listing_cache(const std::filesystem::path& spool, const std::string& text);

}  // namespace mailoauth::queue
