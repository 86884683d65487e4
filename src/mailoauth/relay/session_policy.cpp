// Route lookup, the Received header and the AUTH failure budget (session_policy.hpp).
#include "mailoauth/relay/session_policy.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "mailoauth/mime/message_fields.hpp"
#include "mailoauth/relay/routing.hpp"
#include "mailoauth/smtp/server_reply.hpp"

namespace mailoauth::relay {

using smtp::ServerReply;

smtp::RouteAnswer lookup_route(const RelayConfig& config, const std::vector<RouteMatch>& matches,
                               const std::vector<RelayUser>& users, std::string_view listener,
                               std::string_view user, std::string_view sender) {
  const std::string shown = sender.empty() ? "<>" : fmt::format("<{}>", sender);
  if (!user.empty()) {
    const RelayUser* known = find_relay_user(users, user);
    if (known == nullptr || !sender_allowed(*known, sender)) {
      return {"", ServerReply(550, "5.7.1",
                              fmt::format("Sender address {} is not one that relay user {} may "
                                          "send as",
                                          smtp::reply_safe(shown), smtp::reply_safe(user)))};
    }
  }
  const auto choice = choose_route(matches, {listener, user, sender});
  if (!choice) {
    return {"", ServerReply(550, "5.7.1",
                            fmt::format("No route for sender {}: this relay has no route for "
                                        "that sender, user or listener, so it could not deliver "
                                        "the message; ask its administrator to add one",
                                        smtp::reply_safe(shown)))};
  }
  return {config.routes[choice->index].name, std::nullopt};
}

std::string received_header(const TraceFacts& facts) {
  std::string protocol = facts.esmtp ? "ESMTP" : "SMTP";
  if (facts.esmtp && facts.tls) protocol += "S";
  if (facts.esmtp && facts.authenticated) protocol += "A";
  const bool v6 = facts.client_ip.find(':') != std::string::npos;
  const std::string literal = fmt::format("[{}{}]", v6 ? "IPv6:" : "", facts.client_ip);
  std::string helo = smtp::reply_safe(facts.helo, 255);
  std::replace(helo.begin(), helo.end(), ' ', '?');
  std::string header = fmt::format("Received: from {} ({})\r\n\tby {} (mailoauth) with {} id {}",
                                   helo, literal, facts.hostname, protocol, facts.queue_id);
  if (facts.recipients.size() == 1) {
    header += fmt::format("\r\n\tfor <{}>", smtp::reply_safe(facts.recipients.front(), 320));
  }
  header += fmt::format(";\r\n\t{}\r\n", mime::rfc5322_date(facts.time));
  return header;
}

const RelayUser* find_relay_user(const std::vector<RelayUser>& users, std::string_view name) {
  for (const RelayUser& user : users) {
    if (user.name == name) return &user;
  }
  return nullptr;
}

AuthFailureBudget::AuthFailureBudget(unsigned limit, Clock::duration window,
                                     std::size_t max_addresses)
    : limit_(limit), window_(window), max_addresses_(std::max<std::size_t>(max_addresses, 1)) {}

AuthFailureBudget::Key AuthFailureBudget::key_of(const IpAddress& address) {
  Key key = address.bytes;
  if (!address.is_v4()) std::fill(key.begin() + 8, key.end(), std::uint8_t{0});  // its /64
  return key;
}

void AuthFailureBudget::forget_old(Entry& entry, Clock::time_point now) const {
  while (!entry.failures.empty() && entry.failures.front() + window_ <= now) {
    entry.failures.pop_front();
  }
}

void AuthFailureBudget::make_room(Clock::time_point now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    forget_old(it->second, now);
    it = it->second.failures.empty() && it->second.checking == 0 ? entries_.erase(it)
                                                                 : std::next(it);
  }
  if (entries_.size() < max_addresses_) return;
  // Still full of recent failures: forget the address whose last one is oldest.
  auto oldest = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->second.checking != 0) continue;
    if (oldest == entries_.end() || it->second.failures.back() < oldest->second.failures.back()) {
      oldest = it;
    }
  }
  if (oldest != entries_.end()) entries_.erase(oldest);
}

bool AuthFailureBudget::begin(const IpAddress& address, Clock::time_point now) {
  if (limit_ == 0) return true;
  const Key key = key_of(address);
  auto found = entries_.find(key);
  if (found == entries_.end()) {
    if (entries_.size() >= max_addresses_) make_room(now);
    found = entries_.emplace(key, Entry{}).first;
  }
  Entry& entry = found->second;
  forget_old(entry, now);
  if (entry.failures.size() + entry.checking >= limit_) return false;
  ++entry.checking;
  return true;
}

void AuthFailureBudget::finish(const IpAddress& address, bool failed, Clock::time_point now) {
  if (limit_ == 0) return;
  auto found = entries_.find(key_of(address));
  if (found == entries_.end()) return;  // cannot happen: a checking entry is never evicted
  Entry& entry = found->second;
  if (entry.checking > 0) --entry.checking;
  forget_old(entry, now);
  if (failed) entry.failures.push_back(now);
  if (entry.failures.empty() && entry.checking == 0) entries_.erase(found);
}

}  // namespace mailoauth::relay
