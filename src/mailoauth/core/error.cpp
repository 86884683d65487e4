// The single table that maps an ErrorClass to exit codes, Nagios states, SMTP
// replies and retry decisions. Everything that turns an Error into an outside
// signal reads policy_for(); nothing else decides.
//
// Why these choices:
// - Temporary -> EX_TEMPFAIL (75): sendmail-style callers (cron, PHP mail()) keep
//   the message and retry; SMTP 451 4.4.0; Nagios CRITICAL, because the guidelines
//   reserve UNKNOWN for bad usage and internal failures, not for DNS or timeouts.
// - Permanent -> EX_UNAVAILABLE (69), SMTP 554 5.0.0, no retry.
// - Config -> EX_CONFIG (78), Nagios UNKNOWN, and SMTP 451 4.3.5 with retry: a
//   relay that is set up wrongly must keep the mail until an admin fixes it, never
//   bounce it (Postfix answers its own configuration errors the same way).
// - Bug -> EX_SOFTWARE (70), UNKNOWN, 451 4.3.0 with retry, for the same reason.
#include "mailoauth/core/error.hpp"

#include <array>

namespace mailoauth::core {

namespace {
constexpr std::array<ErrorClassPolicy, 4> kPolicies = {{
    {ErrorClass::Temporary, "temporary", kExitTempFail, NagiosState::Critical, 451, "4.4.0", true},
    {ErrorClass::Permanent, "permanent", kExitUnavailable, NagiosState::Critical, 554, "5.0.0",
     false},
    {ErrorClass::Config, "config", kExitConfig, NagiosState::Unknown, 451, "4.3.5", true},
    {ErrorClass::Bug, "bug", kExitSoftware, NagiosState::Unknown, 451, "4.3.0", true},
}};
}  // namespace

const ErrorClassPolicy& policy_for(ErrorClass error_class) {
  for (const auto& policy : kPolicies) {
    if (policy.error_class == error_class) return policy;
  }
  return kPolicies[3];  // unreachable for valid enum values
}

std::string_view to_string(ErrorClass error_class) {
  return policy_for(error_class).name;
}

std::string_view to_string(NagiosState state) {
  switch (state) {
    case NagiosState::Ok:
      return "OK";
    case NagiosState::Warning:
      return "WARNING";
    case NagiosState::Critical:
      return "CRITICAL";
    case NagiosState::Unknown:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

Error& Error::context(std::string_view what) {
  std::string combined;
  combined.reserve(what.size() + 2 + message_.size());
  combined.append(what).append(": ").append(message_);
  message_ = std::move(combined);
  return *this;
}

Error& Error::with_remedy(std::string remedy) {
  remedy_ = std::move(remedy);
  return *this;
}

std::string Error::describe() const {
  if (remedy_.empty()) return message_;
  return message_ + " (remedy: " + remedy_ + ")";
}

}  // namespace mailoauth::core
