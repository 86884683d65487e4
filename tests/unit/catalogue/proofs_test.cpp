// Every catalogue entry has a proof: a row of tests/cli/catalogue/proofs.tsv
// with the provider's exact text, which test_proofs.sh replays through the
// program a user runs. An entry added without a row fails here, at unit-test
// time, before the slower CLI test runs. Each row's text, pasted into
// `mailoauth explain`, also finds its entry among the candidates.
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mailoauth/catalogue/explain.hpp"

namespace mailoauth::catalogue {
namespace {

struct Proof {
  std::string path, stage, status, payload;
};

std::map<std::string, Proof> read_proofs() {
  std::map<std::string, Proof> proofs;
  std::ifstream file(MAILOAUTH_UNIT_TEST_DIR "/../../cli/catalogue/proofs.tsv");
  EXPECT_TRUE(file.is_open()) << "tests/cli/catalogue/proofs.tsv";
  std::string line;
  while (std::getline(file, line)) {
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string> fields;
    std::size_t start = 0;
    for (std::size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1) {
      fields.push_back(line.substr(start, tab - start));
    }
    fields.push_back(line.substr(start));
    EXPECT_EQ(fields.size(), 5u) << line;
    if (fields.size() != 5) continue;
    EXPECT_TRUE(proofs.emplace(fields[0], Proof{fields[1], fields[2], fields[3], fields[4]}).second)
        << "two rows for " << fields[0];
  }
  return proofs;
}

TEST(ProofsTest, EveryEntryHasAProofAndEveryProofAnEntry) {
  const auto proofs = read_proofs();
  std::set<std::string> ids;
  for (const Entry& entry : entries()) {
    ids.insert(entry.id);
    EXPECT_TRUE(proofs.contains(entry.id))
        << entry.id << " has no row in tests/cli/catalogue/proofs.tsv";
  }
  for (const auto& [id, proof] : proofs) {
    EXPECT_TRUE(ids.contains(id)) << id << " in proofs.tsv is no catalogue entry";
  }
}

TEST(ProofsTest, EachProofsTextExplainsToItsEntry) {
  const auto all = entries();
  for (const auto& [id, proof] : read_proofs()) {
    SCOPED_TRACE(id);
    std::string text = proof.payload;
    for (std::size_t at; (at = text.find("\\n")) != std::string::npos;) text.replace(at, 2, "\r\n");
    bool found = false;
    for (const auto& candidate : explain(text).candidates) {
      found = found || all[candidate.entry].id == id;
    }
    EXPECT_TRUE(found) << text;
  }
}

}  // namespace
}  // namespace mailoauth::catalogue
