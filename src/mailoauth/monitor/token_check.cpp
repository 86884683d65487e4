// check_oauth_token's verdict (see the header): each finding is a state and
// a short sentence; the worst findings make the first line, joined with ", "
// (Nagios turns a ';' in plugin output into ':'), every finding and every
// health fact goes to the long output.
#include "mailoauth/monitor/token_check.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace mailoauth::monitor {

using core::NagiosState;

core::Result<Range> parse_days_left_threshold(std::string_view text, std::string_view what) {
  const bool bare = !text.empty() && text.find_first_of(":~@") == std::string_view::npos;
  if (!bare) return Range::parse(text, what);
  std::string as_range(text);
  as_range += ':';
  return Range::parse(as_range, what);
}

long long days_left(core::Clock::WallTime when, core::Clock::WallTime now) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(when - now).count();
  return static_cast<long long>(std::floor(static_cast<double>(seconds) / 86400.0));
}

namespace {

struct Finding {
  NagiosState state;
  std::string text;
};

int severity(NagiosState state) {  // the order of monitor::worst_state
  switch (state) {
    case NagiosState::Ok:
      return 0;
    case NagiosState::Warning:
      return 1;
    case NagiosState::Unknown:
      return 2;
    case NagiosState::Critical:
      return 3;
  }
  return 2;
}

std::string describe_left(std::chrono::seconds left) {
  const auto count = left.count();
  if (count < 120) return fmt::format("{} s", count);
  if (count < 2 * 3600) return fmt::format("{} min", count / 60);
  if (count < 2 * 86400) return fmt::format("{} h", count / 3600);
  return fmt::format("{} days", count / 86400);
}

std::string credential_name(const CredentialExpiry& credential) {
  if (credential.kind == CredentialExpiry::Kind::Certificate) return "certificate";
  return credential.slot == "current" ? "client secret"
                                      : fmt::format("{} client secret", credential.slot);
}

std::string days_text(long long days) {
  if (days < 0) return fmt::format("expired {} days ago", -days);
  if (days == 0) return "expires today";
  return fmt::format("expires in {} day{}", days, days == 1 ? "" : "s");
}

void assess_token(const TokenCheckFacts& facts, std::vector<Finding>& findings,
                  std::vector<std::string>& summary, std::vector<PerfData>& perfdata) {
  const auto& health = facts.health;
  if (facts.token_error) {
    findings.push_back({NagiosState::Critical,
                        fmt::format("token renewal failed: {}", facts.token_error->message())});
  } else if (health.state == oauth2::TokenHealth::State::Valid) {
    summary.push_back(health.access_left
                          ? fmt::format("token valid for {}{}", describe_left(*health.access_left),
                                        facts.renewed ? " (renewed now)" : "")
                          : std::string(facts.renewed ? "token renewed now" : "token valid"));
  } else {
    findings.push_back({NagiosState::Critical, "no valid access token could be had"});
  }
  if (health.access_left) {
    perfdata.push_back(PerfData{"access_token_seconds_left",
                                std::to_string(std::max<long long>(health.access_left->count(), 0)),
                                "s", "", "", "0", ""});
  }
  if (health.refresh_age) {
    const long long age_days = health.refresh_age->count() / 86400;
    std::string warning, critical, maximum;
    if (health.refresh_lifetime) {
      const long long lifetime_days = health.refresh_lifetime->count() / 86400;
      const long long warning_days =
          (*health.refresh_lifetime - oauth2::kRefreshTokenLifetimeWarning).count() / 86400;
      warning = std::to_string(std::max<long long>(warning_days, 0));
      critical = std::to_string(lifetime_days);
      maximum = critical;
      if (health.refresh_expired) {
        findings.push_back(
            {NagiosState::Critical,
             fmt::format("refresh token {} days old, past the {}-day inactivity limit", age_days,
                         lifetime_days)});
      } else if (*health.refresh_age >
                 *health.refresh_lifetime - oauth2::kRefreshTokenLifetimeWarning) {
        findings.push_back(
            {NagiosState::Warning,
             fmt::format("refresh token {} days old, {}-day limit near", age_days, lifetime_days)});
      } else {
        summary.push_back(
            fmt::format("refresh token {} days old (limit {})", age_days, lifetime_days));
      }
    } else {
      summary.push_back(fmt::format("refresh token {} days old", age_days));
    }
    perfdata.push_back(PerfData{"refresh_token_age_days", std::to_string(age_days), "", warning,
                                critical, "0", maximum});
  } else if (facts.needs_refresh_token && !facts.token_error &&
             health.state != oauth2::TokenHealth::State::NoToken) {
    findings.push_back(
        {NagiosState::Warning, "no refresh token: a new sign-in is needed when the token expires"});
  }
  if (!facts.previous_error.empty() && !facts.token_error) {
    if (facts.renewed) {
      summary.push_back("the last renewal error is resolved");
    } else {
      findings.push_back(
          {NagiosState::Warning, fmt::format("the last renewal failed: {}", facts.previous_error)});
    }
  }
}

void assess_credentials(const TokenCheckFacts& facts, const TokenCheckThresholds& thresholds,
                        std::vector<Finding>& findings, std::vector<std::string>& summary,
                        std::vector<std::string>& notes, std::vector<PerfData>& perfdata) {
  for (const auto& credential : facts.credentials) {
    const std::string name = credential_name(credential);
    const bool certificate = credential.kind == CredentialExpiry::Kind::Certificate;
    if (!credential.expires_at) {
      if (!certificate) {
        notes.push_back(
            fmt::format("{} from {}: no expiry configured, so it is not watched (set "
                        "{}client_secret_expires = \"YYYY-MM-DD\" as the portal shows it)",
                        name, credential.origin, credential.slot == "previous" ? "previous_" : ""));
      }
      continue;
    }
    const long long days = days_left(*credential.expires_at, facts.now);
    const bool watched = certificate || credential.slot == "current";
    const std::string label = certificate ? "certificate_days_left"
                              : credential.slot == "current"
                                  ? "secret_days_left"
                                  : credential.slot + "_secret_days_left";
    perfdata.push_back(PerfData{label, std::to_string(days), "",
                                watched && thresholds.warning ? thresholds.warning->text() : "",
                                watched && thresholds.critical ? thresholds.critical->text() : "",
                                "", ""});
    const std::string text = fmt::format("{} {}", name, days_text(days));
    notes.push_back(fmt::format("{} from {} {} ({})", name, credential.origin, days_text(days),
                                core::format_rfc3339_utc(*credential.expires_at, false)));
    NagiosState state = NagiosState::Ok;
    if (*credential.expires_at <= facts.now) {
      state = watched ? NagiosState::Critical : NagiosState::Ok;
    } else if (watched) {
      state =
          evaluate_thresholds(static_cast<double>(days), thresholds.warning, thresholds.critical);
    }
    if (state == NagiosState::Ok) {
      summary.push_back(text);
    } else {
      findings.push_back({state, text});
    }
  }
}

}  // namespace

PluginOutput token_check_output(const TokenCheckFacts& facts,
                                const TokenCheckThresholds& thresholds) {
  std::vector<Finding> findings;
  std::vector<std::string> summary, notes;
  PluginOutput output;
  assess_token(facts, findings, summary, output.perfdata);
  assess_credentials(facts, thresholds, findings, summary, notes, output.perfdata);

  NagiosState state = NagiosState::Ok;
  for (const auto& finding : findings) state = worst_state(state, finding.state);
  std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    return severity(a.state) > severity(b.state);
  });
  std::vector<std::string> first;
  for (const auto& finding : findings) first.push_back(finding.text);
  if (first.empty()) first = summary;
  if (first.empty()) first.push_back("token usable");
  output.state = state;
  output.service_output =
      status_line(state, fmt::format("{}: {}", facts.account, fmt::join(first, ", ")));

  std::vector<std::string> lines;
  if (facts.token_error) {
    lines.push_back("token: " + facts.token_error->message());
    if (!facts.token_error->remedy().empty())
      lines.push_back("remedy: " + facts.token_error->remedy());
  }
  for (const auto& line : facts.health.facts) lines.push_back(line);
  for (const auto& line : notes) lines.push_back(line);
  for (const auto& warning : facts.health.warnings) lines.push_back("warning: " + warning);
  if (!facts.previous_error.empty()) {
    lines.push_back("last renewal error recorded before this check: " + facts.previous_error);
  }
  std::string long_output;
  for (const auto& line : lines) {
    if (!long_output.empty()) long_output += '\n';
    long_output += line;
  }
  output.long_output = std::move(long_output);
  return output;
}

}  // namespace mailoauth::monitor
