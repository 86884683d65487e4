// Reading a finished SMTP transaction: see send_report.hpp.
#include "mailoauth/smtp/send_report.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "mailoauth/core/ascii.hpp"
#include "mailoauth/core/redact.hpp"
#include "mailoauth/smtp/reply_catalogue.hpp"

namespace mailoauth::smtp {

using core::ErrorClass;
using core::Result;

Result<Security> parse_security(std::string_view text) {
  if (core::iequals(text, "implicit") || core::iequals(text, "tls") || core::iequals(text, "ssl")) {
    return Security::Implicit;
  }
  if (core::iequals(text, "starttls")) return Security::StartTls;
  if (core::iequals(text, "none")) return Security::None;
  return core::fail(ErrorClass::Config, "smtp.bad_security",
                    fmt::format("unknown TLS mode \"{}\"", core::redact_wire_line(text)),
                    "use implicit (port 465), starttls (587, 25) or none");
}

std::string_view to_string(Security security) {
  switch (security) {
    case Security::Implicit:
      return "implicit";
    case Security::StartTls:
      return "starttls";
    case Security::None:
      return "none";
  }
  return "?";
}

std::size_t SendReport::accepted_count() const {
  return static_cast<std::size_t>(std::count_if(
      recipients.begin(), recipients.end(), [](const RecipientResult& r) { return r.accepted(); }));
}

Result<void> SendReport::outcome() const {
  if (mail_reply.code / 100 != 2) return core::fail(explain_reply(mail_reply, "MAIL FROM"));
  if (accepted_count() == 0) {
    for (const RecipientResult& recipient : recipients) {
      if (!recipient.accepted()) {
        return core::fail(
            explain_reply(recipient.reply, fmt::format("RCPT TO:<{}>", recipient.address)));
      }
    }
    return core::fail(ErrorClass::Bug, "smtp.no_recipients", "no recipient was tried");
  }
  if (data_start_reply) return core::fail(explain_reply(*data_start_reply, "DATA"));
  if (!data_reply) {
    return core::fail(ErrorClass::Bug, "smtp.no_final_reply", "DATA ended without a reply");
  }
  if (!delivered()) return core::fail(explain_reply(*data_reply, "the end of DATA"));
  return {};
}

std::string queue_id_from(const Reply& reply) {
  const std::string text = reply.text();
  auto word_at = [&](std::size_t start) {
    std::size_t end = text.find_first_of(" \t\n", start);
    return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
  };
  if (std::size_t at = text.find("queued as "); at != std::string::npos) {
    return word_at(at + 10);
  }
  if (std::size_t open = text.find('<'); open != std::string::npos) {  // Exchange: OK <id@host>
    if (std::size_t close = text.find('>', open); close != std::string::npos) {
      return text.substr(open + 1, close - open - 1);
    }
  }
  if (std::size_t gsmtp = text.rfind(" - gsmtp"); gsmtp != std::string::npos) {  // Gmail
    std::size_t start = text.rfind(' ', gsmtp - 1);
    return text.substr(start + 1, gsmtp - start - 1);
  }
  return {};
}

}  // namespace mailoauth::smtp
