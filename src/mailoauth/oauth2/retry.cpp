// Backoff arithmetic for with_retries(), kept out of the template.
#include "mailoauth/oauth2/retry.hpp"

#include <algorithm>

namespace mailoauth::oauth2 {

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt,
                                        const core::Error& error) {
  std::chrono::milliseconds delay = policy.initial_delay;
  for (int i = 1; i < attempt && delay < policy.max_delay; ++i) delay *= 2;
  if (error.retry_after()) {
    delay = std::max<std::chrono::milliseconds>(delay, *error.retry_after());
  }
  return std::min(delay, policy.max_delay);
}

}  // namespace mailoauth::oauth2
