// The SMTP client's mail transactions: each message checked before a byte is
// sent (addresses and parameters through command_line, SMTPUTF8, 8BITMIME,
// the server's SIZE against the message's wire size), then MAIL and the RCPTs
// pipelined in groups with DATA last (RFC 2920: two round trips per message
// instead of 3 + recipients), the content (client_content.cpp), and the
// replies kept per recipient in a SendReport. In a batch the next message is
// prepared before the current one's content goes out, so with PIPELINING
// (and ClientSettings::pipeline_messages) its first group rides in the same
// write as the end of that content (RFC 2920 section 3.1); its replies are
// read after the current final reply, so each report holds exactly its own.
#include <algorithm>

#include <fmt/format.h>

#include "mailoauth/smtp/client_state.hpp"
#include "mailoauth/smtp/reply_catalogue.hpp"

namespace mailoauth::smtp {

using core::ErrorClass;
using core::Result;

namespace {

// A message ready to go: its commands built and checked, its facts known.
struct PreparedMessage {
  MessageSource source;
  MessageFacts facts;
  std::vector<std::string> recipients;
  std::vector<CommandLine> lines;  // MAIL, the RCPTs, and DATA when pipelined
  bool bdat = false;
};

bool has_non_ascii(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) { return (c & 0x80) != 0; });
}

Result<void> check_extensions(const Session::State& state, const Envelope& envelope) {
  const std::string& peer = state.stream.peer();
  if (envelope.needs_smtputf8 && !state.capabilities.has("SMTPUTF8")) {
    return core::fail(
        ErrorClass::Permanent, "smtp.smtputf8_unavailable",
        fmt::format("the message has an address with non-ASCII characters, and {} does not offer "
                    "SMTPUTF8 (RFC 6531)",
                    peer),
        "use the ASCII (punycode) form of the domain, or a server that offers SMTPUTF8");
  }
  if (envelope.needs_8bitmime && !state.capabilities.has("8BITMIME")) {
    return core::fail(
        ErrorClass::Permanent, "smtp.8bitmime_unavailable",
        fmt::format("the message has 8-bit content, and {} does not offer 8BITMIME (RFC 6152)",
                    peer),
        "encode the body as quoted-printable or base64 (mailoauth send does so for messages it "
        "builds), or use a server that offers 8BITMIME");
  }
  return {};
}

std::vector<std::string> mail_parameters(const Session::State& state, const Envelope& envelope,
                                         const MessageFacts& facts) {
  std::vector<std::string> parameters;
  if (state.capabilities.has("SIZE")) parameters.push_back(fmt::format("SIZE={}", facts.wire_size));
  // 8-bit bytes the caller did not announce are labelled when the server can take the label.
  if (envelope.needs_8bitmime || (facts.eight_bit && state.capabilities.has("8BITMIME"))) {
    parameters.push_back("BODY=8BITMIME");
  }
  if (envelope.needs_smtputf8) parameters.push_back("SMTPUTF8");
  return parameters;
}

// Everything that can be refused without the server, in the order a reader
// fixes them: the recipients, the extensions, the size, the sender.
Result<PreparedMessage> prepare(Session::State& state, Envelope envelope, MessageSource source) {
  if (state.broken) return core::fail(session_broken_error());
  if (envelope.recipients.empty()) {
    return core::fail(ErrorClass::Config, "smtp.no_recipients", "the message has no recipients",
                      "give it at least one envelope recipient");
  }
  PreparedMessage message{std::move(source), {}, {}, {}, false};
  std::vector<CommandLine> rcpts;
  for (const std::string& recipient : envelope.recipients) {
    auto line = rcpt_command(recipient, {});
    if (!line) return core::fail(line.error());
    rcpts.push_back(std::move(*line));
    if (has_non_ascii(recipient)) envelope.needs_smtputf8 = true;
  }
  if (auto checked = check_word(WordKind::Mailbox, "the sender address", envelope.from); !checked) {
    return core::fail(checked.error());
  }
  if (has_non_ascii(envelope.from)) envelope.needs_smtputf8 = true;
  if (auto checked = check_extensions(state, envelope); !checked) {
    return core::fail(checked.error());
  }
  auto facts = message.source.facts();
  if (!facts) return core::fail(facts.error());
  message.facts = *facts;
  if (auto limit = state.capabilities.size_limit(); limit && facts->wire_size > *limit) {
    return core::fail(
        ErrorClass::Permanent, "smtp.message_too_large",
        fmt::format("the message is {} bytes; {} takes at most {} (its SIZE)", facts->wire_size,
                    state.stream.peer(), *limit),
        "send smaller attachments (a link instead of the file); Exchange Online's default limit "
        "is 35 MB including base64's third");
  }
  auto mail = mail_command(envelope.from, mail_parameters(state, envelope, *facts));
  if (!mail) return core::fail(mail.error());
  message.lines.push_back(std::move(*mail));
  std::move(rcpts.begin(), rcpts.end(), std::back_inserter(message.lines));
  message.recipients = std::move(envelope.recipients);
  message.bdat = state.settings.chunking && state.capabilities.has("CHUNKING");
  if (state.capabilities.has("PIPELINING") && !message.bdat) {
    message.lines.push_back(simple_command(Verb::Data));
  }
  return message;
}

std::size_t group_size(const Session::State& state, std::size_t left) {
  return state.capabilities.has("PIPELINING") ? std::min(kPipelineBatch, left) : 1;
}

std::string_view verb_of(const CommandLine& line) {
  return std::string_view(line.text()).substr(0, 4);
}

// MAIL, the RCPTs and DATA, a group per write; `first_group_sent`: the first
// group went out with the previous message's content. `data_start` is then
// DATA's reply (354, or the refusal when no recipient was accepted).
asio::awaitable<Result<void>> envelope_commands(Session::State& state, PreparedMessage& message,
                                                bool first_group_sent, SendReport& report,
                                                std::optional<Reply>& data_start) {
  const bool pipelining = state.capabilities.has("PIPELINING");
  const std::vector<CommandLine>& lines = message.lines;
  state.in_transaction = true;
  std::size_t next = 0;
  while (next < lines.size()) {
    const std::size_t batch = group_size(state, lines.size() - next);
    if (next != 0 || !first_group_sent) {
      const std::string bytes =
          command_bytes(state, std::span<const CommandLine>(lines).subspan(next, batch));
      auto written = co_await write_bytes(
          state, bytes, Deadline::after(state.settings.timeouts.command), "sending the envelope");
      if (!written) co_return core::fail(written.error());
    }
    for (std::size_t i = next; i < next + batch; ++i) {
      auto reply = co_await read_reply(state, state.settings.timeouts.command,
                                       fmt::format("the reply to {}", verb_of(lines[i])));
      if (!reply) co_return core::fail(reply.error());
      if (i == 0) {
        report.mail_reply = std::move(*reply);
        if (report.mail_reply.code / 100 != 2 && !pipelining) co_return Result<void>();
      } else if (i == message.recipients.size() + 1) {
        data_start = std::move(*reply);
      } else {
        report.recipients.push_back({message.recipients[i - 1], std::move(*reply)});
      }
    }
    next += batch;
  }
  co_return Result<void>();
}

// After the envelope: the report when the message cannot go on (MAIL or every
// RCPT or DATA refused), the transaction cleaned up; nullopt to go on.
asio::awaitable<Result<std::optional<SendReport>>> settle_refusal(Session::State& state,
                                                                  SendReport& report,
                                                                  std::optional<Reply>& start) {
  using Settled = std::optional<SendReport>;
  const bool refused = report.mail_reply.code / 100 != 2 || report.accepted_count() == 0;
  if (refused && start && start->code == 354) {
    // A server that says 354 with no recipient (RFC 2920 forbids it): end the
    // empty message at once; it goes nowhere.
    trace(state, TraceDirection::Sent, ".");
    auto ended =
        co_await write_bytes(state, ".\r\n", Deadline::after(state.settings.timeouts.command),
                             "ending an empty message");
    if (!ended) co_return core::fail(ended.error());
    auto discarded = co_await read_reply(state, state.settings.timeouts.final_reply,
                                         "the reply to an empty message");
    if (!discarded) co_return core::fail(discarded.error());
  }
  if (report.mail_reply.code / 100 != 2) {
    state.in_transaction = false;
    co_return Settled(std::move(report));
  }
  if (report.accepted_count() == 0 || (start && start->code != 354)) {
    if (start && start->code != 354 && report.accepted_count() != 0) {
      report.data_start_reply = std::move(*start);
    }
    auto reset = co_await reset_state(state);
    if (!reset) co_return core::fail(reset.error());
    co_return Settled(std::move(report));
  }
  co_return Settled();
}

// One message. `next`: the message after it in a batch (or null); its first
// group is sent with this one's content when the server pipelines, and
// `next_group_sent` says so.
asio::awaitable<Result<SendReport>> transact(Session::State& state, PreparedMessage& message,
                                             bool first_group_sent, PreparedMessage* next,
                                             bool& next_group_sent) {
  next_group_sent = false;
  if (!first_group_sent && state.in_transaction) {
    auto reset = co_await reset_state(state);
    if (!reset) co_return core::fail(reset.error());
  }
  SendReport report;
  std::optional<Reply> start;
  auto sent = co_await envelope_commands(state, message, first_group_sent, report, start);
  if (!sent) co_return core::fail(sent.error());
  if (!message.bdat && !start && report.mail_reply.code / 100 == 2 &&
      report.accepted_count() != 0) {
    auto go_ahead = co_await command(state, simple_command(Verb::Data));
    if (!go_ahead) co_return core::fail(go_ahead.error());
    start = std::move(*go_ahead);
  }
  auto settled = co_await settle_refusal(state, report, start);
  if (!settled) co_return core::fail(settled.error());
  if (*settled) co_return std::move(**settled);

  std::span<const CommandLine> tail;
  if (next != nullptr && state.settings.pipeline_messages && state.capabilities.has("PIPELINING")) {
    tail = std::span<const CommandLine>(next->lines).first(group_size(state, next->lines.size()));
  }
  Result<ContentOutcome> content = core::fail(session_broken_error());
  if (message.bdat) {
    auto chunks = co_await send_bdat_content(state, message.source, message.facts, tail);
    content = std::move(chunks);
  } else {
    auto data = co_await send_data_content(state, message.source, message.facts, tail);
    content = std::move(data);
  }
  if (!content) co_return core::fail(content.error());
  next_group_sent = content->tail_sent;
  state.in_transaction = !content->completed;
  report.queue_id = queue_id_from(content->final_reply);
  report.data_reply = std::move(content->final_reply);
  co_return report;
}

}  // namespace

asio::awaitable<Result<SendReport>> run_envelope_probe(Session::State& state, Envelope envelope) {
  if (state.broken) co_return core::fail(session_broken_error());
  if (envelope.recipients.empty()) {
    co_return core::fail(ErrorClass::Config, "smtp.no_recipients", "no recipient to probe",
                         "give at least one envelope recipient");
  }
  if (state.in_transaction) {
    auto reset = co_await reset_state(state);
    if (!reset) co_return core::fail(reset.error());
  }
  // The envelope checked as for a message, but with no content and no DATA.
  PreparedMessage probe{MessageSource::from_buffer(std::string()), {}, {}, {}, false};
  auto mail = mail_command(envelope.from, {});
  if (!mail) co_return core::fail(mail.error());
  probe.lines.push_back(std::move(*mail));
  for (const std::string& recipient : envelope.recipients) {
    auto line = rcpt_command(recipient, {});
    if (!line) co_return core::fail(line.error());
    probe.lines.push_back(std::move(*line));
  }
  probe.recipients = std::move(envelope.recipients);
  SendReport report;
  std::optional<Reply> start;  // stays empty: there is no DATA among the lines
  auto sent = co_await envelope_commands(state, probe, false, report, start);
  if (!sent) co_return core::fail(sent.error());
  if (report.mail_reply.code / 100 != 2) {
    state.in_transaction = false;
    co_return report;
  }
  auto reset = co_await reset_state(state);
  if (!reset) co_return core::fail(reset.error());
  co_return report;
}

asio::awaitable<std::vector<Result<SendReport>>> run_batch(Session::State& state,
                                                           std::vector<Transaction> transactions) {
  std::vector<Result<SendReport>> results;
  if (transactions.empty()) co_return results;
  Result<PreparedMessage> current =
      prepare(state, std::move(transactions[0].envelope), std::move(transactions[0].message));
  bool current_group_sent = false;
  for (std::size_t i = 0; i < transactions.size(); ++i) {
    std::optional<Result<PreparedMessage>> next;
    if (i + 1 < transactions.size() && !state.broken) {
      next = prepare(state, std::move(transactions[i + 1].envelope),
                     std::move(transactions[i + 1].message));
    }
    if (i > 0 && state.broken) {
      results.push_back(core::fail(ErrorClass::Temporary, "smtp.session_broken",
                                   "not sent: the connection was lost on an earlier message"));
    } else if (!current) {
      results.push_back(core::fail(current.error()));
      current_group_sent = false;
    } else {
      PreparedMessage* following = next && *next ? &**next : nullptr;
      bool following_sent = false;
      auto report =
          co_await transact(state, *current, current_group_sent, following, following_sent);
      results.push_back(std::move(report));
      current_group_sent = following_sent;
    }
    if (next) current = std::move(*next);
  }
  co_return results;
}

}  // namespace mailoauth::smtp
