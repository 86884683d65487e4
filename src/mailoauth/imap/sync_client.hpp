// The IMAP client for code that is not a coroutine (the check plugins,
// lsimap, list-emails): the same Client, each call run to completion on an
// io_context of its own, so "connect, login, status, logout" reads as four
// plain calls. There is one implementation (client.cpp); this is only the
// driver. No Asio in this header, so the tools that include it compile fast.
//
// Deadlines come from ClientSettings as for Client: a hung server turns into
// a Temporary error within command_timeout, and within session_timeout for
// the session as a whole (counted from connect()).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/secret.hpp"
#include "mailoauth/imap/capabilities.hpp"
#include "mailoauth/imap/client_data.hpp"
#include "mailoauth/imap/client_settings.hpp"
#include "mailoauth/imap/mailbox_data.hpp"
#include "mailoauth/imap/selected_mailbox.hpp"
#include "mailoauth/sasl/client_mechanism.hpp"

namespace mailoauth::imap {

// The TLS session's facts for lsimap and error reports.
struct TlsFacts {
  std::string protocol;  // "TLSv1.3"
  std::string cipher;
  std::string subject;
  std::string issuer;
  std::optional<core::Clock::WallTime> not_after;
};

class SyncClient {
 public:
  explicit SyncClient(ClientSettings settings);
  SyncClient(SyncClient&&) noexcept;
  SyncClient& operator=(SyncClient&&) noexcept;
  ~SyncClient();  // closes the connection (without LOGOUT)

  core::Result<void> connect();
  core::Result<Capabilities> capability();
  core::Result<IdFields> id(IdFields ours);
  core::Result<void> login(std::string user, core::Secret password);
  core::Result<void> authenticate(sasl::Mechanism mechanism, sasl::ClientCredentials credentials);
  core::Result<std::vector<ListEntry>> list(std::string reference, std::string pattern);
  core::Result<MailboxStatus> status(std::string mailbox);
  core::Result<void> create(std::string mailbox);
  core::Result<void> delete_mailbox(std::string mailbox);
  core::Result<SelectedMailbox> examine(std::string mailbox);
  core::Result<SearchResult> uid_search(std::string criteria, bool want_uids = false);
  core::Result<std::uint64_t> uid_fetch(std::string uid_set, FetchRequest request,
                                        FetchCallback callback);
  core::Result<AppendResult> append(std::string mailbox, std::string message,
                                    AppendOptions options);
  core::Result<SelectedMailbox> select(std::string mailbox);
  core::Result<void> add_flags(std::string uid_set, std::vector<std::string> flags);
  core::Result<void> expunge(std::string uid_set);
  core::Result<void> noop();
  core::Result<void> logout();

  const Capabilities& capabilities() const;
  const Capabilities& capabilities_before_tls() const;  // STARTTLS only: for display
  bool connected() const;
  bool authenticated() const;
  const SelectedMailbox* selected() const;
  const std::string& greeting() const;
  std::optional<TlsFacts> tls() const;
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mailoauth::imap
