// The value tree's constructors, accessors and display form. Display output is
// for logs and error messages, so every string goes through the control
// character escaping the rest of mailoauth uses; literals show as {n} with
// their size, never their content, because a FETCH body may hold anything.
#include "mailoauth/imap/response.hpp"

#include <fmt/format.h>

#include "mailoauth/core/ascii.hpp"
#include "mailoauth/core/log.hpp"

namespace mailoauth::imap {

Value Value::atom(std::string text) {
  Value value;
  value.kind = Kind::Atom;
  value.text = std::move(text);
  return value;
}

Value Value::number_value(std::uint64_t number) {
  Value value;
  value.kind = Kind::Number;
  value.number = number;
  value.text = std::to_string(number);
  return value;
}

Value Value::string(std::string text, bool from_literal) {
  Value value;
  value.kind = Kind::String;
  value.text = std::move(text);
  value.from_literal = from_literal;
  return value;
}

Value Value::nil() {
  return Value();
}

Value Value::list_of(std::vector<Value> elements) {
  Value value;
  value.kind = Kind::List;
  value.list = std::move(elements);
  return value;
}

bool Value::is_atom(std::string_view word) const {
  return kind == Kind::Atom && core::iequals(text, word);
}

std::optional<std::string_view> Value::as_astring() const {
  if (kind == Kind::Atom || kind == Kind::Number || kind == Kind::String) return text;
  return std::nullopt;
}

std::optional<std::optional<std::string_view>> Value::as_nstring() const {
  if (kind == Kind::Nil) return std::optional<std::string_view>();
  if (kind == Kind::String) return std::optional<std::string_view>(text);
  return std::nullopt;
}

std::string to_display(const Value& value) {
  switch (value.kind) {
    case Value::Kind::Atom:
    case Value::Kind::Number:
      return core::escape_control_characters(value.text);
    case Value::Kind::String:
      if (value.from_literal) return fmt::format("{{{}}}", value.text.size());
      return fmt::format("\"{}\"", core::escape_control_characters(value.text));
    case Value::Kind::Nil:
      return "NIL";
    case Value::Kind::List: {
      std::string text = "(";
      for (std::size_t i = 0; i < value.list.size(); ++i) {
        if (i > 0) text += ' ';
        text += to_display(value.list[i]);
      }
      return text + ")";
    }
  }
  return {};
}

std::string_view to_string(Status status) {
  switch (status) {
    case Status::None:
      return "";
    case Status::Ok:
      return "OK";
    case Status::No:
      return "NO";
    case Status::Bad:
      return "BAD";
    case Status::Preauth:
      return "PREAUTH";
    case Status::Bye:
      return "BYE";
  }
  return "";
}

std::string ascii_upper(std::string_view text) {
  std::string result(text);
  for (char& c : result) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  }
  return result;
}

bool Response::is_data(std::string_view data_name) const {
  return kind == ResponseKind::Untagged && status == Status::None && core::iequals(name, data_name);
}

}  // namespace mailoauth::imap
