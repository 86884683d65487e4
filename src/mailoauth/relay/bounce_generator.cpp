// Delivery status notifications for the scheduler; see bounce_generator.hpp
// for when one is made and why it is spooled before the original's state.
#include "mailoauth/relay/bounce_generator.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "mailoauth/mime/header_block.hpp"
#include "mailoauth/relay/on_pool.hpp"
#include "mailoauth/relay/sender_rewrite.hpp"

namespace mailoauth::relay {

namespace asio = boost::asio;
using queue::RecipientStatus;

namespace {

// The prefix finish_attempt gives a recipient the lifetime failed.
constexpr std::string_view kExpiredPrefix = "queue lifetime exceeded; last: ";

// The first word of a header value, lower case ("auto-replied", "multipart/report").
std::string first_token(std::string_view value) {
  std::size_t begin = 0;
  while (begin < value.size() && (value[begin] == ' ' || value[begin] == '\t')) ++begin;
  std::size_t end = begin;
  while (end < value.size() && value[end] != ' ' && value[end] != '\t' && value[end] != ';' &&
         value[end] != '(') {
    ++end;
  }
  std::string token(value.substr(begin, end - begin));
  std::transform(token.begin(), token.end(), token.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return token;
}

// What notify_sender does on the pool: read the header, decide, compose, spool.
struct PoolWork {
  // in
  queue::Spool* spool = nullptr;
  const queue::SpooledMessage* message = nullptr;
  DsnInput input;
  std::string hostname;
  // out
  std::string skipped;  // set: the message's own header forbids a notification
  std::string bounce_id;
  std::optional<core::Error> error;
};

// Up to kMaxReturnedHeader bytes of the content, read a piece at a time and
// stopping at the header's end: the body is never read.
core::Result<std::string> read_header(queue::Spool& spool, const std::string& id, bool& truncated) {
  auto content = spool.open_content(queue::Place::Queue, id);
  if (!content) return core::fail(std::move(content.error()));
  std::string bytes;
  while (bytes.size() < kMaxReturnedHeader + 1) {
    auto piece =
        content->read(std::min<std::size_t>(16 * 1024, kMaxReturnedHeader + 1 - bytes.size()));
    if (!piece) return core::fail(std::move(piece.error()));
    if (piece->empty()) break;
    bytes.append(*piece);
    if (header_section_end(bytes)) break;
  }
  return header_section(bytes, truncated);
}

void run_pool_work(PoolWork& work) {
  const queue::SpooledEnvelope& envelope = work.message->envelope;
  bool truncated = false;
  auto header = read_header(*work.spool, envelope.id, truncated);
  if (!header) {
    work.error = std::move(header.error());
    return;
  }
  if (auto reason = automatic_reply_reason(*header)) {
    work.skipped = std::move(*reason);
    return;
  }
  work.input.original_header = std::move(*header);
  work.input.header_truncated = truncated;
  const std::string bytes = compose_delivery_status_notification(work.input);
  queue::SpooledEnvelope bounce = notification_envelope(envelope, work.hostname);
  auto incoming = work.spool->begin(std::move(bounce));
  if (!incoming) {
    work.error = std::move(incoming.error());
    return;
  }
  if (auto appended = incoming->append(bytes); !appended) {
    work.error = std::move(appended.error());
    return;
  }
  if (auto committed = incoming->commit(); !committed) {
    work.error = std::move(committed.error());
    return;
  }
  work.bounce_id = incoming->id();
}

std::string host_of_url(std::string_view url) {
  if (const std::size_t scheme = url.find("://"); scheme != std::string_view::npos) {
    url.remove_prefix(scheme + 3);
  }
  return std::string(url.substr(0, url.find_first_of("/:")));
}

}  // namespace

NotificationPlan plan_notification(const queue::SpooledEnvelope& envelope,
                                   const queue::DeliveryState& state,
                                   const std::vector<std::size_t>& tried, queue::WallTime now,
                                   bool bounces, std::chrono::seconds delay_warning) {
  NotificationPlan plan;
  std::vector<std::size_t> failed;
  std::vector<std::size_t> deferred;
  for (const std::size_t index : tried) {
    if (index >= state.recipients.size()) continue;
    if (state.recipients[index].status == RecipientStatus::Failed) failed.push_back(index);
    if (state.recipients[index].status == RecipientStatus::Deferred) deferred.push_back(index);
  }
  const bool warn = delay_warning.count() > 0 && !state.delay_warned && !deferred.empty() &&
                    now - envelope.received >= delay_warning;
  if (failed.empty() && !warn) return plan;
  if (envelope.from.empty()) {
    plan.skipped = envelope.bounce_of.empty() ? "null sender" : "a notification itself";
  } else if (!bounces) {
    plan.skipped = "bounces = false on this route";
  } else if (!failed.empty()) {
    plan.action = DsnAction::Failed;
    plan.recipients = std::move(failed);
  } else {
    plan.action = DsnAction::Delayed;
    plan.recipients = std::move(deferred);
  }
  return plan;
}

std::chrono::seconds effective_delay_warning(const RouteConfig& route, const RelayLimits& limits) {
  return route.delay_warning_time.value_or(limits.delay_warning_time);
}

std::optional<std::string> automatic_reply_reason(std::string_view header) {
  auto block = mime::parse_header_block(header, header.size() + 1);
  if (!block) return std::nullopt;  // not a header we can read: nothing says it is a reply
  if (const mime::HeaderField* auto_submitted = block->find("Auto-Submitted")) {
    if (first_token(auto_submitted->value) == "auto-replied") {
      return std::string("an automatic reply (Auto-Submitted: auto-replied)");
    }
  }
  if (const mime::HeaderField* type = block->find("Content-Type")) {
    if (first_token(type->value) == "multipart/report") {
      return std::string("a report itself (multipart/report)");
    }
  }
  return std::nullopt;
}

std::string header_section(std::string_view content, bool& truncated) {
  truncated = false;
  std::string_view header = content;
  if (const auto end = header_section_end(content)) {
    header = content.substr(0, *end);
  }
  if (header.size() > kMaxReturnedHeader) {
    truncated = true;
    header = header.substr(0, kMaxReturnedHeader);
    const std::size_t last_line = header.rfind('\n');
    header =
        last_line == std::string_view::npos ? std::string_view{} : header.substr(0, last_line + 1);
  }
  while (header.ends_with('\n') || header.ends_with('\r')) header.remove_suffix(1);
  return std::string(header);
}

core::Result<std::string> upstream_envelope_from(const RouteConfig& route,
                                                 std::string_view account_mailbox,
                                                 const queue::SpooledEnvelope& envelope) {
  if (envelope.bounce_of.empty()) {
    return envelope_from_for(route.rewrite, account_mailbox, envelope.from);
  }
  if (route.bounce_envelope_from == BounceEnvelopeFrom::Null) return std::string();
  if (!route.bounce_from.empty()) return route.bounce_from;
  if (account_mailbox.empty()) {
    return core::fail(core::ErrorClass::Config, "relay.bounce_sender",
                      "the route's account has no mailbox address to send a notification from",
                      "give the account a mailbox, set bounce_from, or bounce_envelope_from = "
                      "\"null\"");
  }
  return std::string(account_mailbox);
}

std::string describe_bounces(const RouteConfig& route, const RelayLimits& limits) {
  if (!route.bounces) return "; bounces off";
  std::string text;
  if (!route.bounce_from.empty()) text += "; bounces from " + route.bounce_from;
  if (route.bounce_envelope_from == BounceEnvelopeFrom::Null) text += "; bounces with MAIL FROM <>";
  const std::chrono::seconds warning = effective_delay_warning(route, limits);
  if (warning.count() > 0) text += fmt::format("; delay warning after {} s", warning.count());
  return text;
}

queue::SpooledEnvelope notification_envelope(const queue::SpooledEnvelope& original,
                                             std::string_view hostname) {
  queue::SpooledEnvelope envelope;
  envelope.client = "local";
  envelope.helo = std::string(hostname);
  envelope.listener = original.listener;
  envelope.route = original.route;
  envelope.from.clear();  // the null sender: a notification is never bounced
  envelope.recipients = {original.from};
  envelope.body = queue::Body::SevenBit;  // compose_... writes 7-bit only
  // A non-ASCII sender address is written as it is in To: and RCPT TO.
  envelope.smtputf8 = std::any_of(original.from.begin(), original.from.end(),
                                  [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
  envelope.bounce_of = original.id;
  return envelope;
}

asio::awaitable<std::optional<std::string>> notify_sender(BounceServices services,
                                                          const BounceRoute* route,
                                                          queue::SpooledMessage* message,
                                                          const std::vector<std::size_t>* tried) {
  const auto now = std::chrono::system_clock::now();
  const RouteConfig& config = *route->config;
  const queue::SpooledEnvelope& envelope = message->envelope;
  const NotificationPlan plan =
      plan_notification(envelope, message->state, *tried, now, config.bounces,
                        effective_delay_warning(config, services.config->limits));
  if (!plan.action) {
    if (!plan.skipped.empty()) {
      services.logger->info("no delivery status notification",
                            {{"queue_id", envelope.id}, {"reason", plan.skipped}});
      // A delay warning the sender cannot get is done with too.
      message->state.delay_warned = true;
    }
    co_return std::nullopt;
  }

  PoolWork work;
  work.spool = services.spool;
  work.message = message;
  work.hostname = services.config->hostname;
  DsnInput& input = work.input;
  input.reporting_mta = services.config->hostname;
  input.original_queue_id = envelope.id;
  input.arrival = envelope.received;
  input.now = now;
  input.from = config.bounce_from.empty() ? route->mailbox : config.bounce_from;
  if (input.from.empty()) input.from = "postmaster@" + services.config->hostname;
  input.to = envelope.from;
  input.message_id = fmt::format("dsn-{}-{}.{}@{}", to_string(*plan.action),
                                 message->state.attempts, envelope.id, services.config->hostname);
  input.remote_mta = route->remote_mta;
  input.queue_lifetime = services.config->limits.queue_lifetime;
  std::string recipients;
  for (const std::size_t index : plan.recipients) {
    const queue::RecipientState& state = message->state.recipients[index];
    DsnRecipient recipient;
    recipient.address = envelope.recipients[index];
    recipient.action = *plan.action;
    std::string_view reply = state.last_reply;
    recipient.expired = reply.starts_with(kExpiredPrefix);
    if (recipient.expired) reply.remove_prefix(kExpiredPrefix.size());
    recipient.reply = std::string(reply);
    const bool smtp_reply = reply.size() >= 4 && reply[0] >= '2' && reply[0] <= '5' &&
                            (reply[3] == ' ' || reply[3] == '-');
    recipient.from_upstream =
        smtp_reply || (route->graph && *plan.action == DsnAction::Failed && !recipient.expired);
    recipient.last_attempt = now;
    input.recipients.push_back(std::move(recipient));
    recipients += (recipients.empty() ? "" : ",") + envelope.recipients[index];
  }

  PoolWork* pointer = &work;
  co_await on_pool(*services.pool, [pointer]() {
    run_pool_work(*pointer);
    return true;
  });
  if (work.error) {
    services.logger->error(
        "the delivery status notification could not be spooled; the failure stays recorded in "
        "the message's state",
        {{"queue_id", envelope.id}, {"error", work.error->describe()}});
    co_return std::nullopt;
  }
  if (*plan.action == DsnAction::Delayed) message->state.delay_warned = true;
  if (!work.skipped.empty()) {
    services.logger->info("no delivery status notification",
                          {{"queue_id", envelope.id}, {"reason", work.skipped}});
    co_return std::nullopt;
  }
  services.logger->info("delivery status notification", {{"queue_id", envelope.id},
                                                         {"bounce_id", work.bounce_id},
                                                         {"action", to_string(*plan.action)},
                                                         {"recipients", recipients},
                                                         {"to", envelope.from},
                                                         {"route", config.name}});
  co_return work.bounce_id;
}

BounceRoute bounce_route(const RouteConfig* config, std::string mailbox, std::string_view upstream,
                         bool graph) {
  return BounceRoute{config, std::move(mailbox), host_of_url(upstream), graph};
}

}  // namespace mailoauth::relay
