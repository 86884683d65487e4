// A main() for fuzz targets built without libFuzzer (g++ and the sanitizer
// build in `make test`): runs every file of the seed corpus given on the command
// line, then a fixed number of inputs derived from them by simple deterministic
// mutations (flip, insert, truncate, duplicate). It is a smoke test of the
// target under ASan/UBSan, not a replacement for `make fuzz` (real libFuzzer).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

void run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
}

std::string mutate(std::string input, std::mt19937& random) {
  const int operation = static_cast<int>(random() % 5);
  const auto position = [&] { return input.empty() ? 0 : random() % (input.size() + 1); };
  switch (operation) {
    case 0:
      if (!input.empty()) input[random() % input.size()] ^= static_cast<char>(1 << (random() % 8));
      break;
    case 1:
      input.insert(position(), 1, static_cast<char>(random() % 256));
      break;
    case 2:
      input.resize(position());
      break;
    case 3:
      input += input.substr(0, position());
      break;
    default:
      input.insert(position(), std::string(1 + random() % 64, static_cast<char>(random() % 256)));
      break;
  }
  return input;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> corpus;
  long mutations = 20000;
  for (int i = 1; i < argc; ++i) {
    const std::string argument = argv[i];
    if (argument.rfind("--mutations=", 0) == 0) {
      mutations = std::stol(argument.substr(12));
      continue;
    }
    const std::filesystem::path path(argument);
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_directory(path)) {
      for (const auto& entry : std::filesystem::directory_iterator(path)) files.push_back(entry);
    } else {
      files.push_back(path);
    }
    for (const auto& file : files) {
      std::ifstream stream(file, std::ios::binary);
      std::ostringstream contents;
      contents << stream.rdbuf();
      corpus.push_back(contents.str());
    }
  }
  if (corpus.empty()) corpus.emplace_back();
  for (const auto& input : corpus) run(input);
  std::mt19937 random(12345);  // fixed seed: a failure reproduces
  for (long i = 0; i < mutations; ++i) {
    std::string input = corpus[random() % corpus.size()];
    const int rounds = 1 + static_cast<int>(random() % 4);
    for (int r = 0; r < rounds; ++r) input = mutate(std::move(input), random);
    run(input);
  }
  std::printf("replayed %zu corpus inputs and %ld mutations\n", corpus.size(), mutations);
  return 0;
}
