// Step 1 of the doctor: the account resolves; the configuration, secret,
// certificate and key files are readable and not open to other users; the
// client secrets are present and not expired (token_health's rules: a
// warning 30 days ahead, and its other warnings — Microsoft's 90-day refresh
// limit, a recorded renewal error — as warnings too). An expired secret is a
// fault, since Entra refuses it (AADSTS7000222); so is an expired client
// certificate, and one that expires within 30 days is a warning.
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>

#include <fmt/format.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include "mailoauth/oauth2/file_access.hpp"
#include "mailoauth/oauth2/token_health.hpp"

#include "walk.hpp"

namespace mailoauth::doctor_app {

namespace {

using core::ErrorClass;
using doctor::Verdict;

// A file the account needs: readable, and (for secrets) private. Returns
// false when it cannot be read (the step fails).
bool check_file(doctor::Step& step, const std::string& what, const std::string& path, bool secret) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) {
    const int error = errno;
    doctor::fail_step(step, core::Error(ErrorClass::Config, "doctor.file_unreadable",
                                        fmt::format("the {} {} cannot be read: {}", what, path,
                                                    oauth2::file_access_failure(path, error)),
                                        fmt::format("fix the path in the account, or its "
                                                    "permissions (chmod 600 {})",
                                                    path)));
    return false;
  }
  const unsigned mode = status.st_mode & 0777;
  step.found.push_back(fmt::format("{} {} (mode {:04o})", what, path, mode));
  if (secret && (mode & 077) != 0) {
    step.verdict = Verdict::Warning;
    step.cause =
        fmt::format("the {} {} is readable by other users (mode {:04o})", what, path, mode);
    step.remedy = fmt::format("chmod 600 {}", path);
  }
  return true;
}

// The certificate's notAfter (libssl is linked here anyway, for TLS).
std::optional<core::Clock::WallTime> certificate_not_after(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "r"), &std::fclose);
  if (!file) return std::nullopt;
  std::unique_ptr<X509, void (*)(X509*)> certificate(
      PEM_read_X509(file.get(), nullptr, nullptr, nullptr), &X509_free);
  if (!certificate) return std::nullopt;
  std::tm time{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(certificate.get()), &time) != 1) return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&time));
}

// A client certificate: a fault once expired (Entra refuses the assertion),
// a warning within 30 days. Returns false when the step fails.
bool check_certificate_expiry(doctor::Step& step, const std::string& path,
                              core::Clock::WallTime now) {
  const auto not_after = certificate_not_after(path);
  if (!not_after) {
    step.found.push_back("the certificate's expiry cannot be read (not PEM?)");
    return true;
  }
  const std::string date = core::format_rfc3339_utc(*not_after, false);
  step.found.push_back(fmt::format("certificate valid until {}", date));
  const std::string renew =
      "make a new certificate and upload it: Entra admin center > App registrations > the app > "
      "Certificates & secrets > Certificates > Upload certificate; then point certificate_file "
      "at it";
  if (*not_after <= now) {
    doctor::fail_step(step, core::Error(ErrorClass::Config, "doctor.certificate_expired",
                                        fmt::format("the client certificate {} expired on {}: "
                                                    "the identity server refuses its assertions",
                                                    path, date),
                                        renew));
    return false;
  }
  if (*not_after - now < oauth2::kClientSecretWarning && step.verdict == Verdict::Passed) {
    step.verdict = Verdict::Warning;
    step.cause =
        fmt::format("the client certificate {} expires in {} days", path,
                    std::chrono::duration_cast<std::chrono::hours>(*not_after - now).count() / 24);
    step.remedy = renew;
  }
  return true;
}

}  // namespace

bool check_configuration(Walk& walk) {
  doctor::Step& step = walk.step(doctor::StepName::Configuration);
  step.verdict = Verdict::Passed;
  auto config = walk.context.config_path();
  auto account = walk.context.account(walk.options.account);
  if (!account) {
    doctor::fail_step(step, account.error());
    return false;
  }
  walk.account = *account;
  walk.token_account = walk.account;
  if (walk.options.protocol == "graph" && !walk.account->graph_account.empty()) {
    auto other = walk.context.account(walk.account->graph_account);
    if (!other) {
      doctor::fail_step(step, std::move(other.error()).context("the account's graph_account"));
      return false;
    }
    walk.token_account = *other;
  }
  const oauth2::Account& chosen = *walk.token_account;
  step.found.push_back(
      fmt::format("account {} ({}, {} flow{}{})", walk.account->name,
                  oauth2::to_string(chosen.provider), oauth2::to_string(chosen.flow),
                  walk.account->user().empty() ? "" : ", mailbox ", walk.account->user()));
  if (walk.token_account != walk.account) {
    step.found.push_back(fmt::format("Graph token from account {}", chosen.name));
  }
  if (config && !check_file(step, "configuration", config->string(), true)) return false;
  if (walk.account->user().empty()) {
    doctor::fail_step(step, core::Error(ErrorClass::Config, "doctor.no_mailbox",
                                        "the account names no mailbox (SASL user)",
                                        fmt::format("set mailbox = \"user@example.com\" in "
                                                    "[accounts.{}]",
                                                    walk.account->name)));
    return false;
  }
  for (const auto& source : chosen.secrets) {
    if (source.kind == oauth2::SecretSource::Kind::File &&
        !check_file(step, "client secret file", source.where, true)) {
      return false;
    }
  }
  if (!chosen.certificate_file.empty() &&
      (!check_file(step, "certificate", chosen.certificate_file, false) ||
       !check_certificate_expiry(step, chosen.certificate_file,
                                 std::chrono::system_clock::now()))) {
    return false;
  }
  if (!chosen.private_key_file.empty() &&
      !check_file(step, "private key", chosen.private_key_file, true)) {
    return false;
  }
  auto engine = walk.context.engine(chosen);
  if (!engine) {
    doctor::fail_step(step, engine.error());
    return false;
  }
  const auto now = std::chrono::system_clock::now();
  std::vector<oauth2::ClientSecretExpiry> expiries;
  if (chosen.flow == oauth2::Flow::App || !chosen.secrets.empty()) {
    auto secrets = (*engine)->client_secrets(chosen);
    if (!secrets) {
      doctor::fail_step(step, secrets.error(),
                        fmt::format("give the account a client secret: client_secret_file in "
                                    "the configuration, or mailoauth account secret {}",
                                    chosen.name));
      return false;
    }
    if (secrets->empty() && chosen.certificate_file.empty() && chosen.flow == oauth2::Flow::App) {
      doctor::fail_step(
          step, core::Error(ErrorClass::Config, "doctor.no_secret",
                            "the app-only account has neither a client secret nor a certificate",
                            fmt::format("store one: mailoauth account secret {} --expires "
                                        "YYYY-MM-DD < secret.txt (Entra admin center > App "
                                        "registrations > the app > Certificates & secrets)",
                                        chosen.name)));
      return false;
    }
    for (const auto& secret : *secrets) {
      expiries.push_back({secret.slot, secret.origin, secret.expires_at});
      if (secret.slot == "current" && secret.expires_at && *secret.expires_at <= now) {
        doctor::fail_step(
            step,
            core::Error(
                ErrorClass::Config, "doctor.secret_expired",
                fmt::format("the client secret ({}) expired on {}: Entra refuses it "
                            "(AADSTS7000222)",
                            secret.origin, core::format_rfc3339_utc(*secret.expires_at, false)),
                fmt::format("Entra admin center > App registrations > the app > "
                            "Certificates & secrets > New client secret; then "
                            "mailoauth account secret {} --expires YYYY-MM-DD < new.txt",
                            chosen.name)));
        return false;
      }
    }
  }
  auto store = walk.context.store();
  if (!store) {
    doctor::fail_step(step, store.error());
    return false;
  }
  auto stored = (*store)->load(chosen.name);
  const oauth2::StoredTokens* tokens = stored && *stored ? &**stored : nullptr;
  const oauth2::TokenHealth health = oauth2::assess_token_health(chosen, tokens, expiries, now);
  for (const std::string& fact : health.facts) step.found.push_back(fact);
  if (!health.warnings.empty() && step.verdict == Verdict::Passed) {
    step.verdict = Verdict::Warning;
    step.cause = health.warnings.front();
    step.remedy =
        health.warnings.size() > 1
            ? fmt::format("{}", fmt::join(health.warnings.begin() + 1, health.warnings.end(), "; "))
            : fmt::format("mailoauth token status {}", chosen.name);
  }
  return true;
}

}  // namespace mailoauth::doctor_app
