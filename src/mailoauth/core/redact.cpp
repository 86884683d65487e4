// Credential redaction for wire traces: a few fixed shapes recognised by hand
// (no regex: it runs on every traced line and must not choke on hostile input).
// The result never contains a byte of a redacted span.
#include "mailoauth/core/redact.hpp"

#include <array>
#include <cctype>
#include <vector>

#include "mailoauth/core/ascii.hpp"
#include "mailoauth/core/secret.hpp"

namespace mailoauth::core {

namespace {

struct Word {
  std::size_t begin;
  std::size_t end;
};

// Words separated by single or multiple spaces; stops after `limit` words.
std::vector<Word> split_words(std::string_view line, std::size_t limit) {
  std::vector<Word> words;
  std::size_t i = 0;
  while (i < line.size() && words.size() < limit) {
    while (i < line.size() && line[i] == ' ') ++i;
    if (i >= line.size()) break;
    const std::size_t begin = i;
    while (i < line.size() && line[i] != ' ') ++i;
    words.push_back({begin, i});
  }
  return words;
}

std::string_view word_text(std::string_view line, const Word& word) {
  return line.substr(word.begin, word.end - word.begin);
}

std::string redact_from(std::string_view line, std::size_t from) {
  std::string out(line.substr(0, from));
  out += redacted_size(line.size() - from);
  return out;
}

// End of an IMAP astring starting at `begin`: a quoted string with escapes, or an atom.
std::size_t astring_end(std::string_view line, std::size_t begin) {
  if (begin < line.size() && line[begin] == '"') {
    std::size_t i = begin + 1;
    while (i < line.size()) {
      if (line[i] == '\\' && i + 1 < line.size()) {
        i += 2;
        continue;
      }
      if (line[i] == '"') return i + 1;
      ++i;
    }
    return line.size();
  }
  std::size_t i = begin;
  while (i < line.size() && line[i] != ' ') ++i;
  return i;
}

struct SensitiveKey {
  std::string_view name;
  bool in_json;  // "code" is secret in a form (authorization code), not in Graph's error JSON
};

constexpr std::array<SensitiveKey, 10> kSensitiveKeys = {{
    {"access_token", true},
    {"refresh_token", true},
    {"id_token", true},
    {"client_secret", true},
    {"client_assertion", true},
    {"assertion", true},
    {"password", true},
    {"code", false},
    {"code_verifier", true},
    {"device_code", true},
}};

bool is_key_boundary(char c) {
  return c == '&' || c == '?' || c == ' ' || c == ',';
}

// Replaces form values (`key=value` up to & or space) and JSON string values
// (`"key": "value"`) of the sensitive keys.
std::string redact_fields(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  std::size_t i = 0;
  while (i < line.size()) {
    bool replaced = false;
    for (const auto& [key, in_json] : kSensitiveKeys) {
      // form: key=value
      if (line.compare(i, key.size(), key) == 0 && i + key.size() < line.size() &&
          line[i + key.size()] == '=' && (i == 0 || is_key_boundary(line[i - 1]))) {
        std::size_t value_begin = i + key.size() + 1;
        std::size_t value_end = value_begin;
        while (value_end < line.size() && line[value_end] != '&' && line[value_end] != ' ') {
          ++value_end;
        }
        out.append(line.substr(i, value_begin - i));
        out += redacted_size(value_end - value_begin);
        i = value_end;
        replaced = true;
        break;
      }
      // JSON: "key" : "value"
      if (in_json && line[i] == '"' && line.compare(i + 1, key.size(), key) == 0 &&
          i + 1 + key.size() < line.size() && line[i + 1 + key.size()] == '"') {
        std::size_t j = i + key.size() + 2;
        while (j < line.size() && line[j] == ' ') ++j;
        if (j >= line.size() || line[j] != ':') continue;
        ++j;
        while (j < line.size() && line[j] == ' ') ++j;
        if (j >= line.size() || line[j] != '"') continue;
        const std::size_t value_begin = j + 1;
        std::size_t value_end = value_begin;
        while (value_end < line.size() && line[value_end] != '"') {
          value_end += (line[value_end] == '\\' && value_end + 1 < line.size()) ? 2 : 1;
        }
        if (value_end > line.size()) value_end = line.size();
        out.append(line.substr(i, value_begin - i));
        out += redacted_size(value_end - value_begin);
        i = value_end;
        replaced = true;
        break;
      }
    }
    if (!replaced) out.push_back(line[i++]);
  }
  return out;
}

}  // namespace

std::string redact_wire_line(std::string_view line, WireContent content) {
  // Keep the line ending visible but outside the redacted span.
  std::size_t body_end = line.size();
  while (body_end > 0 && (line[body_end - 1] == '\n' || line[body_end - 1] == '\r')) --body_end;
  const std::string_view ending = line.substr(body_end);
  const std::string_view body = line.substr(0, body_end);

  if (content == WireContent::Credentials) return redacted_size(body.size()) + std::string(ending);

  const auto words = split_words(body, 4);
  if (words.size() >= 3 && iequals(word_text(body, words[0]), "AUTH")) {
    // SMTP/POP3: AUTH MECH initial-response ("=" is the empty response, not a secret)
    if (word_text(body, words[2]) != "=") return redact_from(body, words[2].begin) += ending;
  }
  if (words.size() >= 4 && iequals(word_text(body, words[1]), "AUTHENTICATE")) {
    if (word_text(body, words[3]) != "=") return redact_from(body, words[3].begin) += ending;
  }
  if (words.size() >= 3 && iequals(word_text(body, words[1]), "LOGIN")) {
    const std::size_t user_end = astring_end(body, words[2].begin);
    std::size_t password_begin = user_end;
    while (password_begin < body.size() && body[password_begin] == ' ') ++password_begin;
    if (password_begin < body.size()) return redact_from(body, password_begin) += ending;
  }
  if (words.size() >= 2 && iequals(word_text(body, words[0]), "PASS")) {
    return redact_from(body, words[1].begin) += ending;
  }
  if (words.size() >= 3 && (iequals(word_text(body, words[0]), "Authorization:") ||
                            iequals(word_text(body, words[0]), "Proxy-Authorization:"))) {
    return redact_from(body, words[2].begin) += ending;
  }
  return redact_fields(body) += ending;
}

}  // namespace mailoauth::core
