// Each response that can describe the open mailbox, matched by name or code;
// an EXPUNGE lowers EXISTS by one (never below zero).
#include "mailoauth/imap/selected_mailbox.hpp"

namespace mailoauth::imap {

namespace {

std::optional<std::uint64_t> code_number(const ResponseCode& code) {
  if (code.arguments.empty() || code.arguments[0].kind != Value::Kind::Number) return {};
  return code.arguments[0].number;
}

std::vector<std::string> atoms_of(const Value& list) {
  std::vector<std::string> out;
  for (const Value& value : list.list) {
    if (value.kind == Value::Kind::Atom) out.push_back(value.text);
  }
  return out;
}

}  // namespace

bool apply_to_selected(SelectedMailbox& mailbox, const Response& response) {
  if (response.kind == ResponseKind::Continuation) return false;
  if (response.code && (response.status == Status::Ok || response.status == Status::No)) {
    const ResponseCode& code = *response.code;
    if (code.name == "READ-ONLY") {
      mailbox.read_only = true;
      return true;
    }
    if (code.name == "READ-WRITE") {
      mailbox.read_only = false;
      return true;
    }
    if (code.name == "PERMANENTFLAGS") {
      mailbox.permanent_flags.clear();
      if (!code.arguments.empty() && code.arguments[0].is_list()) {
        mailbox.permanent_flags = atoms_of(code.arguments[0]);
      }
      return true;
    }
    const auto number = code_number(code);
    if (!number) return false;
    if (code.name == "UIDVALIDITY")
      mailbox.uidvalidity = number;
    else if (code.name == "UIDNEXT")
      mailbox.uidnext = number;
    else if (code.name == "UNSEEN")
      mailbox.first_unseen = number;
    else if (code.name == "HIGHESTMODSEQ")
      mailbox.highest_modseq = number;
    else
      return false;
    return true;
  }
  if (response.kind != ResponseKind::Untagged || response.is_status()) return false;
  if (response.number) {
    if (response.name == "EXISTS")
      mailbox.exists = *response.number;
    else if (response.name == "RECENT")
      mailbox.recent = *response.number;
    else if (response.name == "EXPUNGE")
      mailbox.exists -= mailbox.exists > 0 ? 1 : 0;
    else
      return false;
    return true;
  }
  if (response.name == "FLAGS" && !response.values.empty() && response.values[0].is_list()) {
    mailbox.flags = atoms_of(response.values[0]);
    return true;
  }
  return false;
}

}  // namespace mailoauth::imap
