// mailoauth-send's side of compose.hpp: no GMime here; a message to build is
// mailoauth-send-compose's, run with the same arguments.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>

#include "compose.hpp"

namespace mailoauth::send {

bool can_compose() {
  return false;
}

int run_composer(char** argv) {
  constexpr const char* kComposer = "mailoauth-send-compose";
  std::error_code error;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  const std::string sibling = error ? std::string() : (self.parent_path() / kComposer).string();
  std::vector<char*> args;
  for (char** arg = argv; *arg != nullptr; ++arg) args.push_back(*arg);
  args.push_back(nullptr);
  if (!sibling.empty()) {
    args[0] = const_cast<char*>(sibling.c_str());
    ::execv(sibling.c_str(), args.data());
  }
  args[0] = const_cast<char*>(kComposer);
  ::execvp(kComposer, args.data());
  fmt::print(stderr,
             "mailoauth: cannot run {} to build the message: {} (remedy: install it next to "
             "mailoauth-send, or send a ready message with --raw)\n",
             kComposer, std::strerror(errno));
  return core::kExitConfig;
}

core::Result<mime::Message> composed_message(const SendOptions&, const oauth2::Account*) {
  return core::fail(core::ErrorClass::Bug, "send.no_composer",
                    "mailoauth-send cannot build messages; main() should have run "
                    "mailoauth-send-compose");
}

}  // namespace mailoauth::send
