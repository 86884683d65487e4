// Test helper: the settings of the running test stack, read from the env file
// tests/stack/start wrote (its path in MAILOAUTH_STACK_ENV, set by ctest). A
// test that needs the stack and finds no file fails, never skips: it only runs
// under the ctest fixture that starts the stack.
#pragma once

#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

namespace mailoauth::testing {

class StackEnv {
 public:
  static const StackEnv& get() {
    static const StackEnv env;
    return env;
  }
  const std::string& operator[](const std::string& key) const {
    const auto found = values_.find(key);
    if (found == values_.end()) throw std::runtime_error("stack.env has no " + key);
    return found->second;
  }

 private:
  StackEnv() {
    const char* path = std::getenv("MAILOAUTH_STACK_ENV");
    if (path == nullptr) {
      throw std::runtime_error("MAILOAUTH_STACK_ENV is not set: run through ctest (make test)");
    }
    std::ifstream file(path);
    if (!file) throw std::runtime_error(std::string("cannot read ") + path);
    std::string line;
    while (std::getline(file, line)) {
      const auto equals = line.find('=');
      if (line.empty() || line[0] == '#' || equals == std::string::npos) continue;
      values_[line.substr(0, equals)] = line.substr(equals + 1);
    }
  }
  std::map<std::string, std::string> values_;
};

}  // namespace mailoauth::testing
