// Compiled with MAILOAUTH_VERSION from CMake, so only this file rebuilds on a bump.
#include "mailoauth/core/version.hpp"

namespace mailoauth::core {
std::string_view version() {
  return MAILOAUTH_VERSION;
}
}  // namespace mailoauth::core
