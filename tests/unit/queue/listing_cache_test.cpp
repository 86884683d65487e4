// The listing's envelope cache: it round-trips; a torn, reordered or damaged
// file is ignored whole (the listing then reads every message); a listing
// that uses it lists exactly what a listing without it does, opens no message
// file it knows, rewrites it once enough is new or gone (deleted messages
// pruned), and never believes an entry whose envelope names another id.
#include "mailoauth/queue/listing_cache.hpp"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "mailoauth/queue/queue_listing.hpp"
#include "mailoauth/queue/queue_report.hpp"

#include "../../support/temporary_directory.hpp"

namespace mailoauth::queue {
namespace {

using testing::TemporaryDirectory;

TEST(ListingCache, RoundTripsAndRefusesDamage) {
  const std::string a = "mailoauth-spool 1\nid 1-a\n\n";
  const std::string b = "mailoauth-spool 1\nid 2-b\n\n";
  const std::string text = encode_listing_cache({{"1-a", 100, a}, {"2-b", 200, b}});
  auto entries = parse_listing_cache(text);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].id, "1-a");
  EXPECT_EQ(entries[0].file_size, 100u);
  EXPECT_EQ(entries[0].header, a);
  EXPECT_EQ(entries[1].header, b);
  EXPECT_TRUE(parse_listing_cache(encode_listing_cache({})).empty());
  EXPECT_TRUE(parse_listing_cache(text.substr(0, text.size() - 1)).empty());  // torn
  EXPECT_TRUE(parse_listing_cache(text.substr(0, text.size() / 2)).empty());
  EXPECT_TRUE(parse_listing_cache(text + "x").empty());
  EXPECT_TRUE(
      parse_listing_cache(encode_listing_cache({{"2-b", 200, b}, {"1-a", 100, a}})).empty());
  EXPECT_TRUE(parse_listing_cache(encode_listing_cache({{"../x", 1, a}})).empty());
  std::string lying = text;
  lying.replace(lying.find(" 100 "), 5, " 100 9999");  // a header length past the end
  EXPECT_TRUE(parse_listing_cache(lying).empty());
  EXPECT_TRUE(parse_listing_cache("mailoauth-listing-cache 2\nend 0\n").empty());
}

class NoSyncCalls : public core::SystemCalls {
 public:
  int fsync(int) override { return 0; }
};

class CachedListing : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Spool::open(directory.path(), calls);
    ASSERT_TRUE(opened);
    spool = std::move(*opened);
  }
  std::string add(int n) {
    SpooledEnvelope envelope;
    envelope.route = n % 2 == 0 ? "contoso" : "fabrikam";
    envelope.from = "printer" + std::to_string(n) + "@contoso.com";
    envelope.recipients = {"a@example.com"};
    auto message = spool->begin(std::move(envelope));
    EXPECT_TRUE(message);
    EXPECT_TRUE(message->append(std::string(static_cast<std::size_t>(n), 'x')));
    EXPECT_TRUE(message->commit());
    return message->id();
  }
  std::string listing(ListingCache cache) {
    auto listed = list_messages(directory.path(), {}, cache);
    EXPECT_TRUE(listed);
    return listed ? format_queue_table(*listed) : std::string();
  }

  TemporaryDirectory directory;
  NoSyncCalls calls;
  std::unique_ptr<Spool> spool;
};

TEST_F(CachedListing, SameListingFewerFilesOpened) {
  std::vector<std::string> ids;
  for (int n = 0; n < 150; ++n) ids.push_back(add(n));
  ASSERT_TRUE(spool->move(ids[3], Place::Queue, Place::Hold));
  const std::string truth = listing(ListingCache::Off);
  EXPECT_FALSE(std::filesystem::exists(listing_cache_path(directory.path())));
  EXPECT_EQ(listing(ListingCache::Use), truth);  // writes the cache: 150 unknown
  ASSERT_TRUE(std::filesystem::exists(listing_cache_path(directory.path())));
  EXPECT_EQ(parse_listing_cache(read_listing_cache(directory.path())).size(), 150u);

  // A message file damaged after it was cached: the listing does not open it
  // (show and the relay read the file itself and find the damage).
  std::ofstream(spool->path(Place::Queue, ids[11]), std::ios::trunc) << "damaged";
  EXPECT_EQ(listing(ListingCache::Use), truth);

  // Deleted messages leave the cache once enough are gone.
  for (int n = 20; n < 130; ++n) ASSERT_TRUE(spool->remove(Place::Queue, ids[n]));
  const std::string after = listing(ListingCache::Use);
  EXPECT_EQ(parse_listing_cache(read_listing_cache(directory.path())).size(), 40u);
  EXPECT_EQ(after.find(ids[50]), std::string::npos);
}

TEST_F(CachedListing, AnEntryForAnotherIdIsNotBelieved) {
  std::vector<std::string> ids;
  for (int n = 0; n < 3; ++n) ids.push_back(add(n + 1));
  const std::string truth = listing(ListingCache::Off);
  // A cache that gives the first message the second's envelope.
  std::ifstream file(spool->path(Place::Queue, ids[1]), std::ios::binary);
  std::stringstream content;
  content << file.rdbuf();
  const std::string other = content.str().substr(0, content.str().find("\n\n") + 2);
  std::ofstream(listing_cache_path(directory.path()), std::ios::trunc)
      << encode_listing_cache({{ids[0], 1000, other}});
  EXPECT_EQ(listing(ListingCache::Use), truth);
}

}  // namespace
}  // namespace mailoauth::queue
