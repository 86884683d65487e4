// The version string every tool prints, taken from the CMake project version.
#pragma once

#include <string_view>

namespace mailoauth::core {
std::string_view version();
}  // namespace mailoauth::core
