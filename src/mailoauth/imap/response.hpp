// What an IMAP server says, as the response parser hands it over: one Response
// per tagged, untagged or continuation line (with its literals), and the values
// inside it as a small tree (RFC 3501 section 9: atom, number, string, NIL,
// parenthesised list). The tree is deliberately generic: the grammar of each
// kind of data (CAPABILITY, LIST, STATUS, FETCH, ...) is read from it by small
// helpers next to this file, so the parser itself knows only the framing and
// stays short enough to fuzz and to trust. Strings keep their bytes exactly
// (quoted strings unescaped, literals as sent); atoms keep their case.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailoauth::imap {

struct Value {
  enum class Kind {
    Atom,    // CAPABILITY words, flags (\Seen), BODY[HEADER.FIELDS (SUBJECT)]<0>, 1:3,5
    Number,  // a run of digits that fits 64 bits (text keeps the digits)
    String,  // quoted or literal; text is the content
    Nil,     // NIL
    List,    // ( ... ), elements in list
  };

  Kind kind = Kind::Nil;
  std::string text;           // Atom, Number, String
  std::uint64_t number = 0;   // Number
  std::vector<Value> list;    // List
  bool from_literal = false;  // String sent as {n}, {n+} or ~{n}

  static Value atom(std::string text);
  static Value number_value(std::uint64_t number);
  static Value string(std::string text, bool from_literal = false);
  static Value nil();
  static Value list_of(std::vector<Value> elements);

  bool is_list() const { return kind == Kind::List; }
  bool is_nil() const { return kind == Kind::Nil; }
  // An atom equal to `word`, ignoring ASCII case ("ok" is OK).
  bool is_atom(std::string_view word) const;
  // astring (atom, number or string): the text; otherwise nothing.
  std::optional<std::string_view> as_astring() const;
  // nstring (string or NIL): the text, an empty optional for NIL, nothing for others.
  std::optional<std::optional<std::string_view>> as_nstring() const;

  bool operator==(const Value&) const = default;
};

// "(\Seen \Draft) "x" {3}" style rendering for messages and test failures;
// strings quoted (control characters escaped), literals shown as {n}.
std::string to_display(const Value& value);

enum class ResponseKind {
  Tagged,        // A1 OK ...
  Untagged,      // * ...
  Continuation,  // + ...
};

// The status of a status response; None for data and continuations.
enum class Status { None, Ok, No, Bad, Preauth, Bye };

std::string_view to_string(Status status);

// How names are normalised (response names, code names, FETCH item names):
// ASCII upper case, other bytes untouched.
std::string ascii_upper(std::string_view text);

// A bracketed response code: [UIDVALIDITY 3857529045], [CAPABILITY IMAP4rev1 ...].
struct ResponseCode {
  std::string name;              // upper case: "ALERT", "CAPABILITY", "UIDNEXT"
  std::vector<Value> arguments;  // the values after the name, when they parse as values
  std::string text;              // the raw text after the name, up to ']'

  bool operator==(const ResponseCode&) const = default;
};

struct Response {
  ResponseKind kind = ResponseKind::Untagged;
  std::string tag;                      // Tagged only
  Status status = Status::None;         // status responses (tagged, or untagged OK/NO/...)
  std::optional<std::uint64_t> number;  // "* 23 EXISTS", "* 5 FETCH (...)"
  std::string name;                     // untagged data: "CAPABILITY", "FETCH" (upper case)
  std::vector<Value> values;            // untagged data: everything after the name
  std::optional<ResponseCode> code;     // status responses: the [code], if any
  std::string text;  // status responses: the human part; continuations: all after "+ "

  bool is_status() const { return status != Status::None; }
  // An untagged data response with this name ("FETCH"), ignoring case.
  bool is_data(std::string_view data_name) const;

  bool operator==(const Response&) const = default;
};

}  // namespace mailoauth::imap
