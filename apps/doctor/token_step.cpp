// Step 6 of the doctor: an access token from the account's engine (the
// store's while it is valid, else a new one from the identity server, whose
// refusal comes back explained by the OAuth/AADSTS catalogue through
// token_response), then its claims against what the protocol needs
// (doctor::check_token_claims), so a wrong audience or a missing
// SMTP.SendAsApp is named before the server is asked. The token itself is
// never printed: only its claims.
#include <fmt/format.h>

#include "mailoauth/oauth2/jwt_claims.hpp"
#include "mailoauth/oauth2/renew_once.hpp"

#include "walk.hpp"

namespace mailoauth::doctor_app {

std::optional<core::Secret> obtain_token(Walk& walk, doctor::MailApi api) {
  doctor::Step& step = walk.step(doctor::StepName::Token);
  const oauth2::Account& account = *walk.token_account;
  auto engine = walk.context.engine(account);
  if (!engine) {
    doctor::fail_step(step, engine.error());
    return std::nullopt;
  }
  auto tokens = (*engine)->access_token(account);
  if (!tokens) {
    doctor::fail_step(step, tokens.error(),
                      fmt::format("mailoauth token status {} shows the last error", account.name));
    return std::nullopt;
  }
  {
    step.verdict = doctor::Verdict::Passed;
    step.found.push_back(fmt::format(
        "a token for {}{}", account.name,
        tokens->access_expires_at
            ? ", valid until " + core::format_rfc3339_utc(*tokens->access_expires_at, false)
            : ""));
    if (!tokens->scopes.empty()) step.found.push_back("granted scope: " + tokens->scopes);
    auto claims = oauth2::decode_jwt_claims(tokens->access_token.reveal());
    if (!claims) {
      step.found.push_back("its claims cannot be read: " + claims.error().message());
    } else {
      doctor::TokenNeeds needs;
      needs.api = api;
      needs.provider = account.provider;
      needs.app_only = account.flow == oauth2::Flow::App;
      needs.tenant = account.tenant;
      needs.mailbox = walk.account->user();
      doctor::ClaimsVerdict verdict =
          doctor::check_token_claims(*claims, needs, std::chrono::system_clock::now());
      for (std::string& line : verdict.found) step.found.push_back(std::move(line));
      if (verdict.mismatch) {
        doctor::fail_step(step, *verdict.mismatch);
        return std::nullopt;
      }
      if (!verdict.warnings.empty()) {
        step.verdict = doctor::Verdict::Warning;
        step.cause = verdict.warnings.front();
        step.remedy = "see the token's claims above: mailoauth token inspect " + account.name;
      }
    }
  }
  return std::move(tokens->access_token);
}

core::Result<core::Secret> renew_token(Walk& walk) {
  const oauth2::Account& account = *walk.token_account;
  auto engine = walk.context.engine(account);
  if (!engine) return core::fail(engine.error());
  auto tokens = (*engine)->access_token(account, oauth2::kRenewNowMargin);
  if (!tokens) return core::fail(tokens.error());
  return std::move(tokens->access_token);
}

}  // namespace mailoauth::doctor_app
