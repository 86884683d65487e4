// The token health rules (see the header); wording shared by every caller.
#include "mailoauth/oauth2/token_health.hpp"

#include <fmt/format.h>

namespace mailoauth::oauth2 {

namespace {

std::string stamp(core::Clock::WallTime time) {
  return core::format_rfc3339_utc(time, false);
}

void assess_tokens(const Account& account, const StoredTokens& tokens, core::Clock::WallTime now,
                   std::optional<std::chrono::seconds> lifetime, TokenHealth& health) {
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  const bool valid = tokens.access_valid_for(std::chrono::seconds(0), now);
  health.state = valid ? TokenHealth::State::Valid
                       : (tokens.access_token.empty() ? TokenHealth::State::Empty
                                                      : TokenHealth::State::Expired);
  if (tokens.access_expires_at) {
    health.access_left = duration_cast<seconds>(*tokens.access_expires_at - now);
    health.facts.push_back(fmt::format("access token {} {} ({})", valid ? "expires" : "expired",
                                       relative_time(*tokens.access_expires_at, now),
                                       stamp(*tokens.access_expires_at)));
  }
  if (!tokens.refresh_token.empty() && tokens.refresh_obtained_at) {
    health.facts.push_back(
        fmt::format("refresh token obtained {}", relative_time(*tokens.refresh_obtained_at, now)));
    const auto age = duration_cast<seconds>(now - *tokens.refresh_obtained_at);
    health.refresh_age = age;
    health.refresh_lifetime = lifetime;
    if (lifetime && age >= *lifetime) {
      health.refresh_expired = true;
      health.warnings.push_back(fmt::format(
          "the refresh token is {} days old, past the {}-day inactivity limit: it is probably "
          "refused (AADSTS700082); run `mailoauth token login {}`",
          age.count() / 86400, lifetime->count() / 86400, account.name));
    } else if (lifetime && age > *lifetime - kRefreshTokenLifetimeWarning) {
      health.warnings.push_back(
          fmt::format("the refresh token is close to {}'s {}-day inactivity limit: run "
                      "`mailoauth token get {}` to renew it",
                      account.provider == ProviderKind::Microsoft ? "Microsoft" : "the provider",
                      lifetime->count() / 86400, account.name));
    }
  } else if (tokens.refresh_token.empty() && account.flow == Flow::Delegated) {
    health.warnings.push_back(
        "no refresh token: a new `token login` is needed once this token expires");
  }
  if (tokens.last_refresh_at) {
    health.facts.push_back(
        fmt::format("last renewed {}", relative_time(*tokens.last_refresh_at, now)));
  }
  if (!tokens.scopes.empty()) health.facts.push_back("scopes " + tokens.scopes);
  if (!tokens.last_error.empty()) health.warnings.push_back("last error: " + tokens.last_error);
}

void assess_secret(const Account& account, const ClientSecretExpiry& secret,
                   core::Clock::WallTime now, TokenHealth& health) {
  std::string line = fmt::format("client secret ({}) from {}", secret.slot, secret.origin);
  if (secret.expires_at) {
    line += fmt::format(", expires {} ({})", relative_time(*secret.expires_at, now),
                        stamp(*secret.expires_at));
    if (*secret.expires_at < now) {
      health.warnings.push_back(
          fmt::format("the {} client secret has EXPIRED (AADSTS7000222): create a new one and "
                      "run `mailoauth account secret {}`",
                      secret.slot, account.name));
    } else if (*secret.expires_at - now < kClientSecretWarning && secret.slot == "current") {
      health.warnings.push_back(
          fmt::format("the client secret expires {}: create the next one now (`mailoauth "
                      "account secret {}` keeps both during the change)",
                      relative_time(*secret.expires_at, now), account.name));
    }
  }
  health.facts.push_back(std::move(line));
}

}  // namespace

std::string_view to_string(TokenHealth::State state) {
  switch (state) {
    case TokenHealth::State::NoToken:
      return "no token";
    case TokenHealth::State::Valid:
      return "valid";
    case TokenHealth::State::Expired:
      return "expired";
    case TokenHealth::State::Empty:
      return "none";
  }
  return "none";
}

std::optional<std::chrono::seconds> refresh_token_lifetime(const Account& account) {
  if (account.provider == ProviderKind::Microsoft) {
    return std::chrono::duration_cast<std::chrono::seconds>(kMicrosoftRefreshTokenLifetime);
  }
  return std::nullopt;
}

TokenHealth assess_token_health(const Account& account, const StoredTokens* tokens,
                                const std::vector<ClientSecretExpiry>& secrets,
                                core::Clock::WallTime now,
                                std::optional<std::chrono::seconds> refresh_lifetime) {
  if (!refresh_lifetime) refresh_lifetime = refresh_token_lifetime(account);
  TokenHealth health;
  if (tokens == nullptr) {
    health.facts.push_back(account.flow == Flow::Delegated || account.flow == Flow::Password
                               ? "no token yet: run `mailoauth token login " + account.name + "`"
                               : "no token yet (one is fetched on first use)");
  } else {
    assess_tokens(account, *tokens, now, refresh_lifetime, health);
  }
  for (const auto& secret : secrets) assess_secret(account, secret, now, health);
  return health;
}

std::string relative_time(core::Clock::WallTime when, core::Clock::WallTime now) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(when - now).count();
  const auto magnitude = seconds < 0 ? -seconds : seconds;
  if (magnitude < 5) return "just now";
  std::string amount;
  if (magnitude < 120) {
    amount = fmt::format("{} s", magnitude);
  } else if (magnitude < 2 * 3600) {
    amount = fmt::format("{} min", magnitude / 60);
  } else if (magnitude < 2 * 86400) {
    amount = fmt::format("{} h", magnitude / 3600);
  } else {
    amount = fmt::format("{} days", magnitude / 86400);
  }
  return seconds < 0 ? amount + " ago" : "in " + amount;
}

}  // namespace mailoauth::oauth2
