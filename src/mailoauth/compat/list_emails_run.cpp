// list-emails over every account (see the header).
#include "mailoauth/compat/list_emails_run.hpp"

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "mailoauth/compat/client_credentials_token.hpp"
#include "mailoauth/compat/email_listing.hpp"
#include "mailoauth/core/append_file.hpp"
#include "mailoauth/imap/sync_client.hpp"

namespace mailoauth::compat {
namespace {

// One account's report file, written as the messages arrive.
core::Result<std::uint64_t> report_account(const CheckMailAccount& account,
                                           const ListEmailsSettings& options,
                                           const ZonedTime& generated) {
  EmailListingRequest request;
  request.account = account.name;
  request.folders = account.folders;
  request.settings.host = account.server;
  request.settings.port = static_cast<std::uint16_t>(account.port);
  request.settings.net_type = options.net_type;
  request.settings.tls.minimum = options.min_tls;
  request.settings.tls.ca_file = options.ca_file;
  request.settings.connect_timeout = request.settings.command_timeout = options.timeout;
  request.logger = options.logger;
  request.authenticate = [&](imap::SyncClient& client) -> core::Result<void> {
    if (account.auth_type != "oauth2") {
      return client.login(account.username, account.password.clone());
    }
    oauth2::HttpSettings http_settings;
    http_settings.ca_file = options.ca_file;
    oauth2::HttpClient http(http_settings, options.logger);
    oauth2::ClientCredentialsGrant grant;
    grant.token_url = account.token_url;
    grant.client_id = account.client_id;
    grant.client_secret = account.client_secret.clone();
    grant.scopes = account.scopes;
    auto token = client_credentials_token(http, grant, options.no_cache, std::chrono::seconds(300),
                                          oauth2::RetryPolicy{});
    if (!token) return core::fail(token.error());
    if (options.logger && options.logger->enabled(core::LogLevel::Debug)) {
      options.logger->debug("Token acquired", {{"account", account.name},
                                               {"token_type", token->token_type},
                                               {"no_cache", options.no_cache}});
    }
    sasl::ClientCredentials credentials;
    credentials.user = account.shared_mailbox;
    credentials.secret = std::move(token->access_token);
    return client.authenticate(sasl::Mechanism::XOAuth2, std::move(credentials));
  };
  if (options.progress) {
    request.progress = [&account](std::uint64_t done, std::uint64_t total) {
      std::fprintf(stderr, "\r%s: %llu/%llu messages", account.name.c_str(),
                   static_cast<unsigned long long>(done), static_cast<unsigned long long>(total));
      if (done == total) std::fputc('\n', stderr);
    };
  }
  if (auto made = core::make_directories(options.report_directory); !made) {
    return core::fail(made.error());
  }
  // Opened at the first bytes, so an account that fails before its report leaves no file.
  const auto path = std::filesystem::path(options.report_directory) /
                    report_file_name(account.name, generated, options.format);
  std::optional<core::AppendFile> file;
  auto writer = make_report_writer(options.format,
                                   [&file, &path](std::string_view bytes) -> core::Result<void> {
                                     if (!file) {
                                       auto opened = core::AppendFile::open(path);
                                       if (!opened) return core::fail(opened.error());
                                       file.emplace(std::move(*opened));
                                     }
                                     return file->append(bytes);
                                   });
  auto written = list_account_emails(request, *writer, generated);
  if (!written) return written;
  if (file) {
    if (auto closed = file->close(); !closed) return core::fail(closed.error());
  }
  return written;
}

}  // namespace

int run_list_emails(const std::vector<CheckMailAccount>& accounts,
                    const ListEmailsSettings& settings, const ZonedTime& generated,
                    const ListEmailsOutput& output) {
  std::vector<std::string> failures(accounts.size());
  std::vector<bool> done(accounts.size(), false);
  std::mutex output_mutex;
  std::atomic<std::size_t> next{0};
  auto worker = [&]() {
    for (std::size_t i = next++; i < accounts.size(); i = next++) {
      if (i > 0 && settings.parallel == 1 && settings.pause.count() > 0) {
        std::this_thread::sleep_for(settings.pause);
      }
      {
        std::lock_guard lock(output_mutex);
        output.print("Checking account: " + accounts[i].name);
        output.log("Checking account: " + accounts[i].name);
      }
      auto result = report_account(accounts[i], settings, generated);
      std::lock_guard lock(output_mutex);
      if (!result) {
        failures[i] = result.error().describe();
        output.log(fmt::format("Failed to generate report for account {}: {}", accounts[i].name,
                               failures[i]));
        output.failed(accounts[i].name, failures[i]);
      } else {
        done[i] = true;
        output.log(fmt::format("Report for account {}: {} messages", accounts[i].name, *result));
      }
    }
  };
  std::vector<std::jthread> threads;
  for (std::size_t t = 1; t < std::min(settings.parallel, accounts.size()); ++t) {
    threads.emplace_back(worker);
  }
  worker();
  threads.clear();  // joins

  std::vector<CheckMailAccount> succeeded;
  std::string failed;
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    if (done[i]) {
      CheckMailAccount names;  // what the summary needs, without the secrets
      names.name = accounts[i].name;
      names.auth_type = accounts[i].auth_type;
      names.username = accounts[i].username;
      names.shared_mailbox = accounts[i].shared_mailbox;
      succeeded.push_back(std::move(names));
    } else {
      failed += fmt::format("{}{} ({})", failed.empty() ? "" : ", ", accounts[i].name, failures[i]);
    }
  }
  if (failed.empty() || !succeeded.empty()) output.print(accounts_report_summary(succeeded));
  if (!failed.empty()) output.print("ERROR: Failed to generate reports for accounts: " + failed);
  output.log(failed.empty() ? "all reports generated" : "failed: " + failed);
  return failed.empty() ? 0 : 1;
}

}  // namespace mailoauth::compat
