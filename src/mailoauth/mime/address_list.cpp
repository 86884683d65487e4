// The address-list scanner; see address_list.hpp. One pass over the text
// with a small state: the text of the current element outside quotes and
// comments, and the angle address if one was seen. ',' and ';' end an
// element, ':' (outside an angle address) opens a group and drops what came
// before it (the group's name).
#include "mailoauth/mime/address_list.hpp"

#include <fmt/format.h>

namespace mailoauth::mime {

namespace {

core::Error bad_list(std::string_view what) {
  return core::Error(core::ErrorClass::Config, "mime.bad_address_list",
                     fmt::format("the address list {}", what),
                     "write addresses as user@example.com or \"Name\" <user@example.com>, "
                     "separated by commas");
}

std::string trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return std::string(text.substr(first, last - first + 1));
}

// From `<...>`: the addr-spec after an obsolete route ("@a,@b:").
std::string without_route(std::string_view angle) {
  std::string inside = trimmed(angle);
  if (!inside.empty() && inside.front() == '@') {
    const auto colon = inside.find(':');
    inside = colon == std::string::npos ? std::string() : trimmed(inside.substr(colon + 1));
  }
  return inside;
}

class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  core::Result<std::vector<std::string>> run() {
    while (at_ < text_.size()) {
      const char c = text_[at_];
      if (c == '"') {
        if (!quoted(bare_)) return std::unexpected(bad_list("has an unterminated quoted string"));
      } else if (c == '(') {
        if (!comment()) return std::unexpected(bad_list("has an unterminated comment"));
        bare_ += ' ';
      } else if (c == '<') {
        if (!angle()) return std::unexpected(bad_list("has an unterminated <address>"));
      } else if (c == ':') {
        bare_.clear();  // a group's display name
        ++at_;
      } else if (c == ',' || c == ';') {
        finish();
        ++at_;
      } else {
        bare_ += c;
        ++at_;
      }
    }
    finish();
    return std::move(addresses_);
  }

 private:
  // A quoted string, quotes and escapes kept (a quoted local part stays quoted).
  bool quoted(std::string& out) {
    out += '"';
    for (++at_; at_ < text_.size(); ++at_) {
      const char c = text_[at_];
      if (c == '\\' && at_ + 1 < text_.size()) {
        out += c;
        out += text_[++at_];
      } else if (c == '"') {
        out += c;
        ++at_;
        return true;
      } else {
        out += c;
      }
    }
    return false;
  }

  bool comment() {
    int depth = 0;
    for (; at_ < text_.size(); ++at_) {
      const char c = text_[at_];
      if (c == '\\') {
        ++at_;
      } else if (c == '(') {
        ++depth;
      } else if (c == ')' && --depth == 0) {
        ++at_;
        return true;
      }
    }
    return false;
  }

  bool angle() {
    std::string inside;
    for (++at_; at_ < text_.size();) {
      const char c = text_[at_];
      if (c == '"') {
        if (!quoted(inside)) return false;
      } else if (c == '(') {
        if (!comment()) return false;
      } else if (c == '>') {
        ++at_;
        angle_ = without_route(inside);
        seen_angle_ = true;
        return true;
      } else {
        inside += c;
        ++at_;
      }
    }
    return false;
  }

  void finish() {
    std::string address = seen_angle_ ? angle_ : trimmed(bare_);
    if (!address.empty()) addresses_.push_back(std::move(address));
    bare_.clear();
    angle_.clear();
    seen_angle_ = false;
  }

  std::string_view text_;
  std::size_t at_ = 0;
  std::string bare_;
  std::string angle_;
  bool seen_angle_ = false;
  std::vector<std::string> addresses_;
};

}  // namespace

core::Result<std::vector<std::string>> address_list_addresses(std::string_view text) {
  if (text.size() > kMaxAddressListSize) {
    return core::fail(bad_list(fmt::format("is longer than {} bytes", kMaxAddressListSize)));
  }
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t') || byte == 0x7f) {
      return core::fail(bad_list("contains a control character (CR, LF, NUL, ...)"));
    }
  }
  return Scanner(text).run();
}

}  // namespace mailoauth::mime
