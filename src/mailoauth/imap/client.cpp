// Client's public face: each call forwards to the session coroutine of its
// concern (see client_session.hpp for the map of client_*.cpp), plus the
// accessors of the session's state.
#include "mailoauth/imap/client.hpp"

#include "mailoauth/imap/client_session.hpp"

namespace mailoauth::imap {

Client::Client(ClientSettings settings) : impl_(std::make_unique<Impl>(std::move(settings))) {}
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;
Client::~Client() = default;

asio::awaitable<core::Result<void>> Client::connect() {
  auto result = co_await detail::connect_session(*impl_);
  co_return result;
}

asio::awaitable<core::Result<Capabilities>> Client::capability() {
  auto result = co_await detail::request_capabilities(*impl_);
  co_return result;
}

asio::awaitable<core::Result<IdFields>> Client::id(IdFields ours) {
  auto result = co_await detail::id_session(*impl_, std::move(ours));
  co_return result;
}

asio::awaitable<core::Result<void>> Client::login(std::string user, core::Secret password) {
  auto result = co_await detail::login_session(*impl_, std::move(user), std::move(password));
  co_return result;
}

asio::awaitable<core::Result<void>> Client::authenticate(sasl::Mechanism mechanism,
                                                         sasl::ClientCredentials credentials) {
  auto result = co_await detail::authenticate_session(*impl_, mechanism, std::move(credentials));
  co_return result;
}

asio::awaitable<core::Result<std::vector<ListEntry>>> Client::list(std::string reference,
                                                                   std::string pattern) {
  auto result = co_await detail::list_session(*impl_, std::move(reference), std::move(pattern));
  co_return result;
}

asio::awaitable<core::Result<MailboxStatus>> Client::status(std::string mailbox) {
  auto result = co_await detail::status_session(*impl_, std::move(mailbox));
  co_return result;
}

asio::awaitable<core::Result<void>> Client::create(std::string mailbox) {
  auto result = co_await detail::mailbox_session(*impl_, "CREATE", std::move(mailbox));
  co_return result;
}

asio::awaitable<core::Result<void>> Client::delete_mailbox(std::string mailbox) {
  auto result = co_await detail::mailbox_session(*impl_, "DELETE", std::move(mailbox));
  co_return result;
}

asio::awaitable<core::Result<SelectedMailbox>> Client::examine(std::string mailbox) {
  auto result = co_await detail::examine_session(*impl_, std::move(mailbox));
  co_return result;
}

asio::awaitable<core::Result<SearchResult>> Client::uid_search(std::string criteria,
                                                               bool want_uids) {
  auto result = co_await detail::search_session(*impl_, std::move(criteria), want_uids);
  co_return result;
}

asio::awaitable<core::Result<std::uint64_t>> Client::uid_fetch(std::string uid_set,
                                                               FetchRequest request,
                                                               FetchCallback callback) {
  auto result = co_await detail::fetch_session(*impl_, std::move(uid_set), std::move(request),
                                               std::move(callback));
  co_return result;
}

asio::awaitable<core::Result<AppendResult>> Client::append(std::string mailbox, std::string message,
                                                           AppendOptions options) {
  auto result = co_await detail::append_session(*impl_, std::move(mailbox), std::move(message),
                                                std::move(options));
  co_return result;
}

asio::awaitable<core::Result<SelectedMailbox>> Client::select(std::string mailbox) {
  auto result = co_await detail::select_session(*impl_, std::move(mailbox));
  co_return result;
}

asio::awaitable<core::Result<void>> Client::add_flags(std::string uid_set,
                                                      std::vector<std::string> flags) {
  auto result = co_await detail::add_flags_session(*impl_, std::move(uid_set), std::move(flags));
  co_return result;
}

asio::awaitable<core::Result<void>> Client::expunge(std::string uid_set) {
  auto result = co_await detail::expunge_session(*impl_, std::move(uid_set));
  co_return result;
}

asio::awaitable<core::Result<void>> Client::noop() {
  auto result = co_await detail::noop_session(*impl_);
  co_return result;
}

asio::awaitable<core::Result<void>> Client::logout() {
  auto result = co_await detail::logout_session(*impl_);
  co_return result;
}

const Capabilities& Client::capabilities() const {
  return impl_->capabilities;
}
const Capabilities& Client::capabilities_before_tls() const {
  return impl_->capabilities_before_tls;
}
bool Client::connected() const {
  return impl_->stream.has_value();
}
bool Client::authenticated() const {
  return impl_->stream && impl_->authenticated;
}
const SelectedMailbox* Client::selected() const {
  return impl_->selected ? &*impl_->selected : nullptr;
}
const std::string& Client::greeting() const {
  return impl_->greeting;
}
std::optional<net::PeerCertificate> Client::peer_certificate() const {
  if (!impl_->stream) return std::nullopt;
  return impl_->stream->peer_certificate();
}
void Client::close() {
  impl_->drop();
}

}  // namespace mailoauth::imap
