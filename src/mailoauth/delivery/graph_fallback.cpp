// The Graph fallback decision; see graph_fallback.hpp.
#include "mailoauth/delivery/graph_fallback.hpp"

#include <algorithm>

namespace mailoauth::delivery {

bool graph_may_help(const core::Error& smtp_error) {
  return std::find(kGraphFallbackCodes.begin(), kGraphFallbackCodes.end(), smtp_error.code()) !=
         kGraphFallbackCodes.end();
}

}  // namespace mailoauth::delivery
