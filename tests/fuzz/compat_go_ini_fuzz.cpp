// Fuzz target for accounts.ini: go-ini's parser with small limits, then
// check-mail's account reading on its result. Hostile input must end in a
// file or an Error whose message is one line and names the file; every key
// the parser returns is found again by name, and lookups through parents end.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mailoauth/compat/accounts_ini.hpp"
#include "mailoauth/compat/go_ini.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mailoauth::compat;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const IniLimits limits{1 << 16, 64, 256};
  auto file = parse_go_ini(input, "fuzz.ini", limits);
  if (!file) {
    const std::string& message = file.error().message();
    if (!message.starts_with("fuzz.ini")) std::abort();
    if (message.find_first_of("\r\n") != std::string::npos) std::abort();
  } else {
    if (file->sections.empty() || file->sections.front().name != kIniDefaultSection) std::abort();
    if (file->sections.size() > limits.max_sections) std::abort();
    for (const auto& section : file->sections) {
      if (file->section(section.name) != &section) std::abort();
      for (const auto& key : section.keys) {
        if (section.find(key.name) != &key) std::abort();
        if (file->lookup(section, key.name) != &key) std::abort();
      }
      (void)file->lookup(section, "folders");
    }
  }
  auto accounts = read_accounts_ini(input, "fuzz.ini");
  if (!accounts) {
    if (accounts.error().message().find_first_of("\r\n") != std::string::npos) std::abort();
  } else {
    for (const auto& account : accounts->accounts) {
      if (account.folders.empty() || account.server.empty()) std::abort();
      (void)account.summary_name();
    }
    for (const auto& warning : accounts->warnings) {
      if (warning.find_first_of("\r\n") != std::string::npos) std::abort();
    }
    (void)accounts_report_summary(accounts->accounts);
  }
  return 0;
}
