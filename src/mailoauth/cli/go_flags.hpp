// Command-line parsing with the rules of Go's `flag` package, for the tools that
// stand in for atc0005/check-mail (check_imap_mailbox_*, lsimap, list-emails,
// xoauth2, fetch-token, read-token). Scripts and Nagios command definitions were
// written against check-mail, so these must accept exactly what Go accepts:
//   -name value, -name=value, --name value, --name=value;
//   booleans only as -name or -name=false (a following "false" is an argument);
//   parsing stops at the first non-flag argument, at "-" and after "--";
//   later occurrences override earlier ones, list flags append (check-mail's
//   multiValueFlag: comma-separated, each part trimmed).
// Error messages are Go's, word for word, because users grep for them, and
// defaults() renders the help exactly as Go's FlagSet.PrintDefaults does.
// CLI11 serves the native `mailoauth` command; this is the one place for Go rules.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/error.hpp"

namespace mailoauth::cli {

class GoFlagSet {
 public:
  explicit GoFlagSet(std::string program) : program_(std::move(program)) {}

  // Targets must outlive the flag set. A back-quoted word in `usage` names the
  // value in the help ("a `file` to read" -> "-x file"), as in Go.
  void add_string(std::string name, std::string* target, std::string default_value,
                  std::string usage);
  void add_bool(std::string name, bool* target, bool default_value, std::string usage);
  void add_int(std::string name, std::int64_t* target, std::int64_t default_value,
               std::string usage);
  // check-mail's multiValueFlag: each occurrence is split on ',' and trimmed.
  // With split = false each occurrence is one value, as given (Go's flag.Func
  // appending): for names that may contain a comma.
  void add_list(std::string name, std::vector<std::string>* target, std::string usage,
                bool split = true);

  // Parses arguments (without the program name) and returns the positional
  // arguments left over. Errors are Config errors carrying Go's message text.
  core::Result<std::vector<std::string>> parse(std::span<const std::string> arguments);

  // Names of the flags the user actually gave, for "was it set?" checks.
  bool was_set(std::string_view name) const;

  // Go's PrintDefaults output: one entry per flag, sorted by name.
  std::string defaults() const;

  const std::string& program() const { return program_; }

 private:
  enum class Kind { String, Bool, Int, List };
  struct Flag {
    Kind kind;
    std::string usage;
    std::string default_text;  // as Go's DefValue
    std::string* string_target = nullptr;
    bool* bool_target = nullptr;
    std::int64_t* int_target = nullptr;
    std::vector<std::string>* list_target = nullptr;
    bool split = true;  // List: split on ',' and trim
  };

  core::Result<void> set(const std::string& name, Flag& flag, std::string_view value);

  std::string program_;
  std::map<std::string, Flag, std::less<>> flags_;  // sorted, as Go prints them
  std::vector<std::string> set_;
};

// Go's strconv.ParseBool and ParseInt(s, 0, 64) (with 0x/0o/0b prefixes and
// underscores between digits of a prefixed number), exposed for tests.
bool parse_go_bool(std::string_view text, bool* value);
bool parse_go_int(std::string_view text, std::int64_t* value, bool* out_of_range);

}  // namespace mailoauth::cli
