// The IMAP client on Asio C++20 coroutines: one session with one server,
// commands in sequence (no pipelining: a monitoring check needs a handful),
// each answered by its tagged response, with the untagged data in between
// read through the no-I/O parser and the readers next to this file. The CLIs
// drive these same coroutines through SyncClient (sync_client.hpp), which
// keeps Asio out of their headers; this header is for coroutine callers.
//
//   connect()       TCP (each address in turn), implicit TLS or STARTTLS
//                   (refused when not offered; capabilities re-read after TLS),
//                   greeting (BYE refused, PREAUTH honoured, refused with STARTTLS)
//   login()         LOGIN, refused up front when LOGINDISABLED
//   authenticate()  AUTHENTICATE XOAUTH2/OAUTHBEARER/PLAIN/LOGIN: SASL-IR when
//                   offered and the line fits kMaxInlineCommandLine, else the
//                   continuation form; a bearer failure challenge is answered
//                   and its JSON status/scope put into the error
//   capability(), id(), list(), status(), examine(), uid_search(),
//   uid_fetch() (streamed to a callback), append(), create(), delete_mailbox(),
//   select(), add_flags(), expunge(), noop(), logout()
//
// Every refusal is an Error built by command_error.hpp (mailbox not found,
// authentication failed, "authenticated but not connected", ...); a timeout,
// a closed connection or an untagged BYE is Temporary; after any transport or
// parse failure the connection is closed and later commands fail at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/secret.hpp"
#include "mailoauth/imap/capabilities.hpp"
#include "mailoauth/imap/client_data.hpp"
#include "mailoauth/imap/client_settings.hpp"
#include "mailoauth/imap/mailbox_data.hpp"
#include "mailoauth/imap/selected_mailbox.hpp"
#include "mailoauth/net/stream.hpp"
#include "mailoauth/sasl/client_mechanism.hpp"

namespace mailoauth::imap {

namespace asio = boost::asio;

class Client {
 public:
  explicit Client(ClientSettings settings);
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  ~Client();

  // Coroutine parameters are taken by value (g++ 12: a reference would
  // dangle once the caller's full-expression ends while the coroutine waits).
  asio::awaitable<core::Result<void>> connect();

  asio::awaitable<core::Result<Capabilities>> capability();
  // Sends ours (empty: NIL) and returns the server's; an error when the
  // server does not advertise ID.
  asio::awaitable<core::Result<IdFields>> id(IdFields ours);
  asio::awaitable<core::Result<void>> login(std::string user, core::Secret password);
  asio::awaitable<core::Result<void>> authenticate(sasl::Mechanism mechanism,
                                                   sasl::ClientCredentials credentials);

  // `pattern` may hold the wildcards * and %; names are UTF-8.
  asio::awaitable<core::Result<std::vector<ListEntry>>> list(std::string reference,
                                                             std::string pattern);
  // STATUS mailbox (MESSAGES UNSEEN UIDNEXT UIDVALIDITY).
  asio::awaitable<core::Result<MailboxStatus>> status(std::string mailbox);
  asio::awaitable<core::Result<void>> create(std::string mailbox);
  asio::awaitable<core::Result<void>> delete_mailbox(std::string mailbox);
  // Opens the mailbox read-only; the answer stays available as selected().
  asio::awaitable<core::Result<SelectedMailbox>> examine(std::string mailbox);
  // Opens the mailbox read-write (for add_flags and expunge).
  asio::awaitable<core::Result<SelectedMailbox>> select(std::string mailbox);
  // In the examined mailbox. `criteria` is IMAP search syntax sent as given
  // ("ALL", "UNSEEN", "BEFORE 1-Jan-2026"). With ESEARCH: one
  // `UID SEARCH RETURN (MIN MAX COUNT [ALL])`; without: windows of
  // settings.search_window UIDs up to UIDNEXT, so no answer outgrows the
  // parser's limits. `want_uids` also returns the matching UIDs as ranges.
  asio::awaitable<core::Result<SearchResult>> uid_search(std::string criteria,
                                                         bool want_uids = false);
  // UID FETCH of `uid_set` ("1:*", "4,7:9"), each message handed to
  // `callback` as it arrives. Returns how many were delivered.
  asio::awaitable<core::Result<std::uint64_t>> uid_fetch(std::string uid_set, FetchRequest request,
                                                         FetchCallback callback);
  // `message` is the whole RFC 5322 message with CRLF line ends.
  asio::awaitable<core::Result<AppendResult>> append(std::string mailbox, std::string message,
                                                     AppendOptions options);
  // UID STORE uid_set +FLAGS.SILENT (flags), in the selected mailbox.
  asio::awaitable<core::Result<void>> add_flags(std::string uid_set,
                                                std::vector<std::string> flags);
  // UID EXPUNGE uid_set with UIDPLUS; plain EXPUNGE (every \Deleted message) without.
  asio::awaitable<core::Result<void>> expunge(std::string uid_set);
  // NOOP: the server may report new messages (EXISTS) in its answer.
  asio::awaitable<core::Result<void>> noop();
  // LOGOUT and close; closes even when the server misbehaves.
  asio::awaitable<core::Result<void>> logout();

  // The current capabilities (after TLS; refreshed after login).
  const Capabilities& capabilities() const;
  // With STARTTLS: what the plain connection announced (for display only; empty otherwise).
  const Capabilities& capabilities_before_tls() const;
  bool connected() const;
  bool authenticated() const;
  // The mailbox last examined, or nullptr.
  const SelectedMailbox* selected() const;
  // The greeting's human text ("Dovecot ready.").
  const std::string& greeting() const;
  std::optional<net::PeerCertificate> peer_certificate() const;
  void close();

  struct Impl;  // the session's state, opaque (client.cpp)

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mailoauth::imap
