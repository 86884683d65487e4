// SyncClient: each call co_spawns the Client's coroutine on the facade's own
// io_context and runs it until it completes. Every result type is
// default-constructible (co_spawn with use_future needs that); the Client is
// created once, so its state (capabilities, selected mailbox) carries over
// from call to call as in a coroutine caller.
#include "mailoauth/imap/sync_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "mailoauth/imap/client.hpp"

namespace mailoauth::imap {

struct SyncClient::Impl {
  explicit Impl(ClientSettings settings) : client(std::move(settings)) {}
  asio::io_context context;
  Client client;

  template <typename T>
  T run(asio::awaitable<T> task) {
    context.restart();
    auto future = asio::co_spawn(context, std::move(task), asio::use_future);
    context.run();
    return future.get();
  }
};

SyncClient::SyncClient(ClientSettings settings)
    : impl_(std::make_unique<Impl>(std::move(settings))) {}
SyncClient::SyncClient(SyncClient&&) noexcept = default;
SyncClient& SyncClient::operator=(SyncClient&&) noexcept = default;
SyncClient::~SyncClient() = default;

core::Result<void> SyncClient::connect() {
  return impl_->run(impl_->client.connect());
}
core::Result<Capabilities> SyncClient::capability() {
  return impl_->run(impl_->client.capability());
}
core::Result<IdFields> SyncClient::id(IdFields ours) {
  return impl_->run(impl_->client.id(std::move(ours)));
}
core::Result<void> SyncClient::login(std::string user, core::Secret password) {
  return impl_->run(impl_->client.login(std::move(user), std::move(password)));
}
core::Result<void> SyncClient::authenticate(sasl::Mechanism mechanism,
                                            sasl::ClientCredentials credentials) {
  return impl_->run(impl_->client.authenticate(mechanism, std::move(credentials)));
}
core::Result<std::vector<ListEntry>> SyncClient::list(std::string reference, std::string pattern) {
  return impl_->run(impl_->client.list(std::move(reference), std::move(pattern)));
}
core::Result<MailboxStatus> SyncClient::status(std::string mailbox) {
  return impl_->run(impl_->client.status(std::move(mailbox)));
}

core::Result<void> SyncClient::create(std::string mailbox) {
  return impl_->run(impl_->client.create(std::move(mailbox)));
}

core::Result<void> SyncClient::delete_mailbox(std::string mailbox) {
  return impl_->run(impl_->client.delete_mailbox(std::move(mailbox)));
}
core::Result<SelectedMailbox> SyncClient::examine(std::string mailbox) {
  return impl_->run(impl_->client.examine(std::move(mailbox)));
}
core::Result<SearchResult> SyncClient::uid_search(std::string criteria, bool want_uids) {
  return impl_->run(impl_->client.uid_search(std::move(criteria), want_uids));
}
core::Result<std::uint64_t> SyncClient::uid_fetch(std::string uid_set, FetchRequest request,
                                                  FetchCallback callback) {
  return impl_->run(
      impl_->client.uid_fetch(std::move(uid_set), std::move(request), std::move(callback)));
}
core::Result<AppendResult> SyncClient::append(std::string mailbox, std::string message,
                                              AppendOptions options) {
  return impl_->run(
      impl_->client.append(std::move(mailbox), std::move(message), std::move(options)));
}
core::Result<SelectedMailbox> SyncClient::select(std::string mailbox) {
  return impl_->run(impl_->client.select(std::move(mailbox)));
}
core::Result<void> SyncClient::add_flags(std::string uid_set, std::vector<std::string> flags) {
  return impl_->run(impl_->client.add_flags(std::move(uid_set), std::move(flags)));
}
core::Result<void> SyncClient::expunge(std::string uid_set) {
  return impl_->run(impl_->client.expunge(std::move(uid_set)));
}
core::Result<void> SyncClient::noop() {
  return impl_->run(impl_->client.noop());
}
core::Result<void> SyncClient::logout() {
  return impl_->run(impl_->client.logout());
}

const Capabilities& SyncClient::capabilities() const {
  return impl_->client.capabilities();
}
const Capabilities& SyncClient::capabilities_before_tls() const {
  return impl_->client.capabilities_before_tls();
}
bool SyncClient::connected() const {
  return impl_->client.connected();
}
bool SyncClient::authenticated() const {
  return impl_->client.authenticated();
}
const SelectedMailbox* SyncClient::selected() const {
  return impl_->client.selected();
}
const std::string& SyncClient::greeting() const {
  return impl_->client.greeting();
}
std::optional<TlsFacts> SyncClient::tls() const {
  auto certificate = impl_->client.peer_certificate();
  if (!certificate) return std::nullopt;
  return TlsFacts{certificate->protocol, certificate->cipher, certificate->subject,
                  certificate->issuer, certificate->not_after};
}
void SyncClient::close() {
  impl_->client.close();
}

}  // namespace mailoauth::imap
