// Route lookup and the Received header (session_policy.hpp).
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

}  // namespace mailoauth::relay
