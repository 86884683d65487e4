// The entries are built from the five tables once; explain() then scores
// every entry against what it finds in the text. Each catalogue is matched
// the way its program matches: where the text can be made into what the
// program sees (an SMTP Reply, an IMAP Response, a token endpoint's error,
// a Graph code and message), the program's own lookup decides the entry it
// would use ("used", ranked first); the other candidates come from the
// fields each entry names (code, enhanced status, response code, fragment),
// so that a bare "5.7.139" lists every 5.7.139 entry, the general one first.
#include "mailoauth/catalogue/explain.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mailoauth/core/ascii.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/graph/error_catalogue.hpp"
#include "mailoauth/imap/command_error.hpp"
#include "mailoauth/oauth2/error_catalogue.hpp"
#include "mailoauth/smtp/reply_catalogue.hpp"
#include "mailoauth/smtp/reply_parser.hpp"

namespace mailoauth::catalogue {

namespace {

// Lower case, runs of anything but letters and digits made one '_'.
std::string slug(std::string_view text) {
  std::string out;
  for (char c : text) {
    const bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (word) {
      out.push_back(core::ascii_lower(c));
    } else if (!out.empty() && out.back() != '_') {
      out.push_back('_');
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

std::string smtp_pattern(const smtp::ReplyCatalogueEntry& entry) {
  std::string pattern = entry.code != 0 ? std::to_string(entry.code) : "any code";
  if (!entry.enhanced_status.empty()) pattern += fmt::format(" {}", entry.enhanced_status);
  if (!entry.text_fragment.empty()) pattern += fmt::format(" \"...{}...\"", entry.text_fragment);
  return pattern;
}

std::string imap_pattern(const imap::RefusalEntry& entry) {
  using Match = imap::RefusalEntry::Match;
  switch (entry.match) {
    case Match::Status:
      return fmt::format("{} (any other)", entry.key);
    case Match::Code:
      return fmt::format("NO/BAD [{}]", entry.key);
    case Match::Text:
      return fmt::format("\"...{}...\"", entry.key);
    case Match::MailboxText:
      return fmt::format("NO \"...{}...\" to a command naming a mailbox", entry.key);
  }
  return {};
}

std::string imap_id(const imap::RefusalEntry& entry) {
  using Match = imap::RefusalEntry::Match;
  switch (entry.match) {
    case Match::Status:
      return "imap.status." + slug(entry.key);
    case Match::Code:
      return "imap.code." + slug(entry.key);
    case Match::Text:
      return "imap.text." + slug(entry.key);
    case Match::MailboxText:
      return "imap.mailbox_text." + slug(entry.key);
  }
  return {};
}

std::vector<Entry> build_entries() {
  std::vector<Entry> all;
  for (const auto& entry : smtp::reply_catalogue()) {
    all.push_back({Kind::Smtp, fmt::format("smtp.{}", entry.name),
                   fmt::format("smtp.{}", entry.name), smtp_pattern(entry), entry.error_class,
                   entry.meaning, entry.remedy, entry.example});
  }
  for (const auto& entry : imap::refusal_catalogue()) {
    all.push_back({Kind::Imap, imap_id(entry), std::string(entry.error_code), imap_pattern(entry),
                   entry.error_class, entry.meaning, entry.remedy, entry.example});
  }
  for (const auto& entry : graph::graph_error_catalogue()) {
    std::string id = fmt::format("graph.{}", entry.code);
    if (!entry.fragment.empty()) id += "." + slug(entry.fragment);
    std::string pattern(entry.code);
    if (entry.status != 0) pattern = fmt::format("HTTP {} {}", entry.status, pattern);
    if (!entry.fragment.empty()) pattern += fmt::format(" \"...{}...\"", entry.fragment);
    all.push_back({Kind::Graph, std::move(id), fmt::format("graph.{}", entry.code),
                   std::move(pattern), entry.error_class, entry.meaning, entry.remedy,
                   entry.example});
  }
  for (const auto& entry : oauth2::oauth_catalogue()) {
    all.push_back({Kind::OAuth,
                   fmt::format("oauth.{}", entry.key),
                   fmt::format("oauth2.{}", entry.key),
                   fmt::format("error={}", entry.key),
                   entry.error_class,
                   entry.meaning,
                   entry.remedy,
                   {}});
  }
  for (const auto& entry : oauth2::aadsts_catalogue()) {
    const std::string_view number = entry.key.substr(6);  // after "AADSTS"
    all.push_back({Kind::Aadsts,
                   fmt::format("aadsts.{}", number),
                   "oauth2.<error>",
                   std::string(entry.key),
                   entry.error_class,
                   entry.meaning,
                   entry.remedy,
                   {}});
  }
  return all;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_word(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

// Control characters (CR, LF, NUL, ...) become spaces, runs of spaces one.
std::string normalise(std::string_view bytes) {
  std::string text;
  text.reserve(bytes.size());
  for (char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    const char out = (byte < 0x20 || byte == 0x7f) ? ' ' : c;
    if (out == ' ' && (text.empty() || text.back() == ' ')) continue;
    text.push_back(out);
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

// What the text says, as far as the catalogues care.
struct Features {
  std::string text;  // normalised
  // SMTP: the first reply code ("535" or "535-") and the enhanced status.
  std::optional<int> reply_code;
  std::string reply_text;  // after the code (what Reply::lines holds)
  std::string enhanced_status;
  bool has_words = false;  // letters beyond the codes: fragments can be checked
  // IMAP: a status word after an optional tag, its [CODE] and text.
  imap::Status imap_status = imap::Status::None;
  std::string imap_code;
  std::string imap_text;
  // OAuth and AADSTS.
  bool token_json = false;  // a token endpoint's error body
  std::string oauth_error;
  std::vector<std::int64_t> aadsts;  // in order of appearance
  bool bare_number = false;          // the text is only a number (an AADSTS number without prefix)
  // Graph.
  bool graph_json = false;
  std::string graph_code;
  std::string graph_message;
  std::vector<std::string> words;  // the text's words, for codes named alone
};

std::optional<std::string> enhanced_status_at(std::string_view text, std::size_t at) {
  // class "." 1*3digit "." 1*3digit, not inside a longer word or number.
  if (at > 0 && (is_word(text[at - 1]) || text[at - 1] == '.')) return std::nullopt;
  if (at + 5 > text.size()) return std::nullopt;
  const char status_class = text[at];
  if ((status_class != '2' && status_class != '4' && status_class != '5') || text[at + 1] != '.')
    return std::nullopt;
  std::size_t i = at + 2;
  std::size_t digits = 0;
  while (i < text.size() && is_digit(text[i]) && digits < 4) ++i, ++digits;
  if (digits == 0 || digits > 3 || i >= text.size() || text[i] != '.') return std::nullopt;
  ++i;
  digits = 0;
  while (i < text.size() && is_digit(text[i]) && digits < 4) ++i, ++digits;
  if (digits == 0 || digits > 3) return std::nullopt;
  if (i < text.size() && (is_word(text[i]) || text[i] == '.')) {
    // "5.7.3." at a sentence's end is still a status; "5.7.3.1" is not.
    if (!(text[i] == '.' && (i + 1 == text.size() || text[i + 1] == ' '))) return std::nullopt;
  }
  return std::string(text.substr(at, i - at));
}

void find_smtp(Features& features) {
  const std::string_view text = features.text;
  for (std::size_t i = 0; i + 3 <= text.size(); ++i) {
    if (i > 0 && (is_word(text[i - 1]) || text[i - 1] == '.')) continue;
    if (!(text[i] >= '2' && text[i] <= '5' && is_digit(text[i + 1]) && is_digit(text[i + 2])))
      continue;
    if (i + 3 < text.size() && text[i + 3] != ' ' && text[i + 3] != '-') continue;
    features.reply_code = (text[i] - '0') * 100 + (text[i + 1] - '0') * 10 + (text[i + 2] - '0');
    features.reply_text = std::string(text.substr(std::min(i + 4, text.size())));
    break;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (auto status = enhanced_status_at(text, i)) {
      features.enhanced_status = std::move(*status);
      break;
    }
  }
}

void find_imap(Features& features) {
  // [tag] NO|BAD|BYE [ "[" CODE ... "]" ] text
  std::string_view text = features.text;
  const auto next_word = [&text]() {
    const std::size_t end = std::min(text.find(' '), text.size());
    std::string_view word = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    return word;
  };
  for (int position = 0; position < 2 && !text.empty(); ++position) {
    const std::string_view word = next_word();
    imap::Status status = imap::Status::None;
    if (word == "NO") status = imap::Status::No;
    if (word == "BAD") status = imap::Status::Bad;
    if (word == "BYE") status = imap::Status::Bye;
    if (status == imap::Status::None) continue;
    features.imap_status = status;
    if (!text.empty() && text.front() == '[') {
      const std::size_t close = text.find(']');
      if (close != std::string_view::npos) {
        const std::string_view inside = text.substr(1, close - 1);
        features.imap_code = imap::ascii_upper(inside.substr(0, inside.find(' ')));
        text.remove_prefix(close + 1);
        if (!text.empty() && text.front() == ' ') text.remove_prefix(1);
      }
    }
    features.imap_text = std::string(text);
    return;
  }
}

void find_json(std::string_view bounded, Features& features) {
  const std::size_t first = bounded.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || bounded[first] != '{') return;
  const nlohmann::json json = nlohmann::json::parse(bounded, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return;
  const auto error = json.find("error");
  if (error == json.end()) return;
  const auto text_of = [](const nlohmann::json& object, const char* key) {
    const auto found = object.find(key);
    return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
  };
  if (error->is_string()) {
    features.token_json = true;
    features.oauth_error = error->get<std::string>();
    if (const auto codes = json.find("error_codes"); codes != json.end() && codes->is_array()) {
      for (const auto& code : *codes) {
        if (code.is_number_integer() && features.aadsts.size() < 8)
          features.aadsts.push_back(code.get<std::int64_t>());
      }
    }
  } else if (error->is_object()) {
    features.graph_json = true;
    features.graph_code = text_of(*error, "code");
    features.graph_message = normalise(text_of(*error, "message"));
  }
}

void find_words(Features& features) {
  const std::string_view text = features.text;
  std::size_t i = 0;
  while (i < text.size() && features.words.size() < 4096) {
    while (i < text.size() && !is_word(text[i])) ++i;
    const std::size_t start = i;
    while (i < text.size() && is_word(text[i])) ++i;
    if (i > start) features.words.emplace_back(text.substr(start, i - start));
  }
  for (const auto& word : features.words) {
    if (word.size() > 6 && core::istarts_with(word, "AADSTS")) {
      const std::string_view digits = std::string_view(word).substr(6);
      if (!digits.empty() && digits.size() <= 9 &&
          std::all_of(digits.begin(), digits.end(), is_digit) && features.aadsts.size() < 8) {
        const std::int64_t number = std::stoll(std::string(digits));
        if (std::find(features.aadsts.begin(), features.aadsts.end(), number) ==
            features.aadsts.end()) {
          features.aadsts.push_back(number);
        }
      }
    }
    for (char c : word) {
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        features.has_words = true;
        break;
      }
    }
  }
  if (features.words.size() == 1 && features.words[0].size() >= 5 &&
      features.words[0].size() <= 9 && features.words[0].size() == text.size() &&
      std::all_of(text.begin(), text.end(), is_digit)) {
    features.bare_number = true;
    features.aadsts.push_back(std::stoll(features.words[0]));
  }
}

Features features_of(std::string_view bounded) {
  Features features;
  features.text = normalise(bounded);
  find_json(bounded, features);
  find_smtp(features);
  find_imap(features);
  find_words(features);
  // The words of an SMTP reply are those after the codes.
  return features;
}

bool has_word(const Features& features, std::string_view word, bool ignore_case) {
  for (const auto& candidate : features.words) {
    if (ignore_case ? core::iequals(candidate, word) : candidate == word) return true;
  }
  return false;
}

struct Scorer {
  const Features& features;
  std::vector<Candidate> candidates;

  Candidate& add(std::size_t index, int score, std::string why) {
    for (auto& candidate : candidates) {
      if (candidate.entry == index) {
        candidate.score += score;
        if (!why.empty()) candidate.matched.push_back(std::move(why));
        return candidate;
      }
    }
    candidates.push_back({index, score, false, {}});
    if (!why.empty()) candidates.back().matched.push_back(std::move(why));
    return candidates.back();
  }
};

// The text of an example after its codes: "Authentication unsuccessful".
std::string_view example_words(std::string_view example) {
  std::size_t i = 0;
  while (i < example.size() &&
         !((example[i] >= 'a' && example[i] <= 'z') || (example[i] >= 'A' && example[i] <= 'Z'))) {
    ++i;
  }
  return example.substr(i);
}

// The pasted text and the example share a sentence: one holds the other's
// first 24 letters (or the whole of a shorter one, at least 12).
bool resembles(std::string_view text, std::string_view example) {
  std::string_view words = example_words(example);
  if (words.size() > 24) words = words.substr(0, 24);
  if (words.size() >= 12 && core::icontains(text, words)) return true;
  const std::string_view pasted = example_words(text);
  return pasted.size() >= 12 && pasted.size() <= 200 && core::icontains(example, pasted);
}

void score_smtp(Scorer& scorer, std::size_t base) {
  const Features& f = scorer.features;
  const auto catalogue = smtp::reply_catalogue();
  const smtp::ReplyCatalogueEntry* used = nullptr;
  if (f.reply_code) {
    smtp::Reply reply;
    reply.code = *f.reply_code;
    reply.lines = {f.reply_text};
    reply.enhanced_status = smtp::parse_enhanced_status(f.reply_text, reply.code);
    used = smtp::find_reply_entry(reply);
  }
  for (std::size_t i = 0; i < catalogue.size(); ++i) {
    const auto& entry = catalogue[i];
    int score = 0;
    bool unverified = false;
    std::vector<std::string> why;
    if (entry.code != 0) {
      if (f.reply_code && *f.reply_code != entry.code) continue;
      if (f.reply_code) {
        score += 10;
        why.push_back(fmt::format("reply code {}", entry.code));
      } else {
        unverified = true;
      }
    }
    if (!entry.enhanced_status.empty()) {
      if (!f.enhanced_status.empty() && f.enhanced_status != entry.enhanced_status) continue;
      if (!f.enhanced_status.empty()) {
        score += 30;
        why.push_back(fmt::format("enhanced status {}", entry.enhanced_status));
      } else {
        unverified = true;
      }
    }
    if (!entry.text_fragment.empty()) {
      if (core::icontains(f.text, entry.text_fragment)) {
        score += 40;
        why.push_back(fmt::format("the words \"{}\"", entry.text_fragment));
      } else if (f.has_words) {
        continue;
      } else {
        unverified = true;
      }
    } else if (!f.reply_code && f.enhanced_status.empty() && f.has_words &&
               !entry.example.empty() && resembles(f.text, entry.example)) {
      // Words alone ("Client not authenticated to send mail"): the provider's sentence.
      score += 25;
      why.push_back("the words of the provider's reply");
    }
    if (score == 0) continue;
    if (!unverified) score += 5;
    Candidate& candidate = scorer.add(base + i, score, {});
    candidate.matched = std::move(why);
    if (&entry == used) {
      candidate.score += 100;
      candidate.used = true;
    }
  }
}

void score_imap(Scorer& scorer, std::size_t base) {
  using Match = imap::RefusalEntry::Match;
  const Features& f = scorer.features;
  const auto catalogue = imap::refusal_catalogue();
  const imap::RefusalEntry* used = nullptr;
  const imap::RefusalEntry* used_for_mailbox = nullptr;
  if (f.imap_status != imap::Status::None) {
    imap::Response response;
    response.status = f.imap_status;
    if (!f.imap_code.empty()) response.code = imap::ResponseCode{f.imap_code, {}, {}};
    response.text = f.imap_text;
    used = imap::find_refusal_entry(response, false);
    used_for_mailbox = imap::find_refusal_entry(response, true);
  }
  for (std::size_t i = 0; i < catalogue.size(); ++i) {
    const auto& entry = catalogue[i];
    int score = 0;
    std::string why;
    switch (entry.match) {
      case Match::Status:
        break;  // only as what the program would use
      case Match::Code:
        if (f.imap_code == entry.key) {
          score = 50;
          why = fmt::format("response code [{}]", entry.key);
        } else if (has_word(f, entry.key, false) && entry.key.size() >= 6) {
          score = 40;
          why = fmt::format("response code {}", entry.key);
        }
        break;
      case Match::Text:
        if (core::icontains(f.text, entry.key)) {
          score = 45;
          why = fmt::format("the words \"{}\"", entry.key);
        }
        break;
      case Match::MailboxText:
        break;  // too common words to match outside a NO
    }
    Candidate* candidate = nullptr;
    if (score > 0) candidate = &scorer.add(base + i, score, std::move(why));
    if (&entry == used) {
      candidate = &scorer.add(base + i, 100, "the IMAP response mailoauth explains with it");
      candidate->used = true;
    } else if (&entry == used_for_mailbox) {
      scorer.add(base + i, 60, "the same response to a command that names a mailbox");
    }
  }
}

void score_graph(Scorer& scorer, std::size_t base) {
  const Features& f = scorer.features;
  const auto catalogue = graph::graph_error_catalogue();
  const std::string_view message = f.graph_json ? std::string_view(f.graph_message) : f.text;
  for (std::size_t i = 0; i < catalogue.size(); ++i) {
    const auto& entry = catalogue[i];
    const bool code =
        f.graph_json ? f.graph_code == entry.code : has_word(f, entry.code, /*ignore_case=*/true);
    int score = 0;
    std::vector<std::string> why;
    bool unverified = false;
    if (code) {
      score += 50;
      why.push_back(fmt::format("Graph error code {}", entry.code));
    }
    if (!entry.fragment.empty()) {
      if (message.find(entry.fragment) != std::string_view::npos) {
        score += code ? 40 : 35;
        why.push_back(fmt::format("the words \"{}\"", entry.fragment));
      } else if (!code || f.graph_json || f.words.size() > 1) {
        continue;
      } else {
        unverified = true;
      }
    } else if (!code) {
      continue;
    }
    if (entry.status != 0) unverified = true;  // the status is not in pasted text
    if (!unverified) score += 5;
    Candidate& candidate = scorer.add(base + i, score, {});
    candidate.matched = std::move(why);
  }
  // A whole body: what send_mail's explain_graph_error would pick, status unknown.
  if (f.graph_json) {
    for (long status : {403L, 404L, 413L, 0L}) {
      if (const auto* entry = graph::find_graph_error(status, f.graph_code, f.graph_message)) {
        const auto index = static_cast<std::size_t>(entry - catalogue.data());
        if (entry->status == status) {
          scorer.add(base + index, 100, "the Graph error body mailoauth explains with it").used =
              true;
          break;
        }
      }
    }
  }
}

std::size_t index_by_key(std::span<const oauth2::CatalogueEntry> table, std::string_view key) {
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (table[i].key == key) return i;
  }
  return 0;  // unreachable: every entry found is in its table
}

void score_oauth(Scorer& scorer, std::size_t oauth_base, std::size_t aadsts_base,
                 std::string& unknown) {
  const Features& f = scorer.features;
  const auto oauth = oauth2::oauth_catalogue();
  const auto aadsts = oauth2::aadsts_catalogue();
  for (std::size_t i = 0; i < oauth.size(); ++i) {
    if ((f.token_json && f.oauth_error == oauth[i].key) ||
        (!f.token_json && has_word(f, oauth[i].key, true))) {
      scorer.add(oauth_base + i, 60, fmt::format("OAuth error code {}", oauth[i].key));
    }
  }
  for (std::int64_t number : f.aadsts) {
    const oauth2::CatalogueEntry* entry = oauth2::find_aadsts(number);
    if (entry == nullptr) {
      if (unknown.empty()) unknown = fmt::format("AADSTS{}", number);
      continue;
    }
    const auto index = index_by_key(aadsts, entry->key);
    scorer.add(aadsts_base + index, f.bare_number ? 50 : 80,
               f.bare_number ? fmt::format("the number {} (AADSTS{})", number, number)
                             : fmt::format("Entra error AADSTS{}", number));
  }
  if (f.token_json) {
    if (const auto* entry = oauth2::find_token_error(f.oauth_error, f.aadsts)) {
      // The key tells the table (find_aadsts's pointers are not into aadsts_catalogue()).
      const bool is_aadsts = entry->key.starts_with("AADSTS");
      const std::size_t index = is_aadsts ? aadsts_base + index_by_key(aadsts, entry->key)
                                          : oauth_base + index_by_key(oauth, entry->key);
      scorer.add(index, 100, "the token endpoint's answer mailoauth explains with it").used = true;
    } else if (unknown.empty() && !f.oauth_error.empty()) {
      unknown =
          fmt::format("error={}", core::escape_control_characters(f.oauth_error.substr(0, 64)));
    }
  }
  if (f.graph_json && unknown.empty() && !f.graph_code.empty()) {
    unknown = core::escape_control_characters(f.graph_code.substr(0, 64));
  }
}

}  // namespace

std::string_view to_string(Kind kind) {
  switch (kind) {
    case Kind::Smtp:
      return "smtp";
    case Kind::Imap:
      return "imap";
    case Kind::Graph:
      return "graph";
    case Kind::OAuth:
      return "oauth";
    case Kind::Aadsts:
      return "aadsts";
  }
  return "unknown";
}

std::string_view describe(Kind kind) {
  switch (kind) {
    case Kind::Smtp:
      return "SMTP reply";
    case Kind::Imap:
      return "IMAP response";
    case Kind::Graph:
      return "Microsoft Graph error";
    case Kind::OAuth:
      return "OAuth error code";
    case Kind::Aadsts:
      return "Microsoft Entra error (AADSTS)";
  }
  return "unknown";
}

std::span<const Entry> entries() {
  static const std::vector<Entry> all = build_entries();
  return all;
}

Explanation explain(std::string_view pasted) {
  Explanation explanation;
  explanation.input_size = pasted.size();
  explanation.truncated = pasted.size() > kMaxInputBytes;
  const std::string_view bounded = pasted.substr(0, kMaxInputBytes);
  explanation.shown_input = core::escape_control_characters(pasted.substr(0, kShownInputBytes));
  if (pasted.size() > kShownInputBytes) explanation.shown_input += "...";

  const Features features = features_of(bounded);
  if (features.text.empty()) return explanation;
  const auto all = entries();
  std::size_t offsets[5] = {};
  for (std::size_t i = all.size(); i-- > 0;) offsets[static_cast<int>(all[i].kind)] = i;

  Scorer scorer{features, {}};
  score_smtp(scorer, offsets[static_cast<int>(Kind::Smtp)]);
  score_imap(scorer, offsets[static_cast<int>(Kind::Imap)]);
  score_graph(scorer, offsets[static_cast<int>(Kind::Graph)]);
  score_oauth(scorer, offsets[static_cast<int>(Kind::OAuth)],
              offsets[static_cast<int>(Kind::Aadsts)], explanation.unknown_code);

  auto& candidates = scorer.candidates;
  std::stable_sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
    return a.score != b.score ? a.score > b.score : a.entry < b.entry;
  });
  if (!candidates.empty()) {
    // Far weaker candidates than the best only add noise.
    const int floor = candidates.front().score / 4;
    std::erase_if(candidates, [floor](const Candidate& c) { return c.score < floor; });
    if (candidates.size() > kMaxCandidates) candidates.resize(kMaxCandidates);
  }
  explanation.candidates = std::move(candidates);
  return explanation;
}

}  // namespace mailoauth::catalogue
