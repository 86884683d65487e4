// Internal to the IMAP client (client_*.cpp): how a command is put on the
// wire. A command is a list of chunks; a chunk ends where a synchronising
// literal must wait for the server's "+" (no LITERAL+), and each literal is a
// chunk of its own so the trace can show a password as its size only and a
// message as "<literal N bytes>". Text holding a password passes through the
// builder's buffer, which is wiped when the builder goes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/secret.hpp"
#include "mailoauth/imap/quoting.hpp"

namespace mailoauth::imap::detail {

enum class TraceAs {
  Lines,        // each line through redact_wire_line
  Credentials,  // each line is a credential: only its size is shown
  Summary,      // literal data (a message): one line giving its size
};

// Bytes to send in one write; after it, wait for "+" when asked.
struct Chunk {
  core::Secret bytes;
  TraceAs trace = TraceAs::Lines;
  bool await_continuation = false;
};

// Builds a command's chunks. Text that holds a password is in `current_`
// for a moment, so it is wiped when the builder goes.
class CommandBuilder {
 public:
  CommandBuilder(bool literal_plus, bool literal_minus)
      : literal_plus_(literal_plus), literal_minus_(literal_minus) {}
  CommandBuilder(const CommandBuilder&) = delete;
  CommandBuilder& operator=(const CommandBuilder&) = delete;
  ~CommandBuilder() { core::secure_wipe(current_.data(), current_.size()); }

  void text(std::string_view text) { current_.append(text); }

  // The bytes of a literal, after its "{n}" or "{n+}" marker. Each literal
  // starts a chunk of its own, traced as `trace`, so a password or a message
  // never shares a traced line with the command.
  void literal(std::string_view bytes, TraceAs trace) {
    const bool plus = literal_plus_ || (literal_minus_ && bytes.size() <= 4096);
    current_ += fmt::format("{{{}{}}}\r\n", bytes.size(), plus ? "+" : "");
    cut(!plus);
    current_trace_ = trace;
    current_.append(bytes);
  }

  // An astring: atom or quoted in the line, or a literal.
  core::Result<void> astring(std::string_view value, TraceAs literal_trace) {
    auto quoted = quote_astring(value);
    if (!quoted) return core::fail(quoted.error());
    if (quoted->form == AstringForm::Literal) {
      literal(value, literal_trace);
    } else {
      text(quoted->wire);
    }
    return {};
  }
  core::Result<void> mailbox(std::string_view utf8_name) {
    auto encoded = quote_mailbox(utf8_name);
    if (!encoded) return core::fail(encoded.error());
    if (encoded->form == AstringForm::Literal) {
      const std::string_view wire = encoded->wire;
      literal(wire.substr(wire.find('\n') + 1), TraceAs::Lines);
    } else {
      text(encoded->wire);
    }
    return {};
  }

  std::vector<Chunk> finish() {
    current_ += "\r\n";
    cut(false);
    return std::move(chunks_);
  }

 private:
  void cut(bool await_continuation) {
    chunks_.push_back(
        {core::Secret::take(std::move(current_)), current_trace_, await_continuation});
    current_.clear();
  }

  bool literal_plus_;
  bool literal_minus_;
  std::string current_;
  TraceAs current_trace_ = TraceAs::Lines;
  std::vector<Chunk> chunks_;
};

// A command that is one plain line.
inline std::vector<Chunk> one_line(std::string text) {
  std::vector<Chunk> chunks;
  chunks.push_back({core::Secret::take(text + "\r\n"), TraceAs::Lines, false});
  return chunks;
}

}  // namespace mailoauth::imap::detail
