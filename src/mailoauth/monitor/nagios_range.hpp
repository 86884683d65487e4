// Nagios threshold ranges as the Monitoring Plugins development guidelines
// define them: `[@][start][:end]`, where a missing start is 0, `~` is minus
// infinity, a missing end after `:` is plus infinity, and `@` alerts inside the
// range instead of outside it (`10` alerts outside 0..10, `10:` below 10, `~:10`
// above 10, `10:20` outside, `@10:20` inside, ends inclusive). Parsing is strict
// (go-nagios accepts garbage such as `1.2.3` and silently reads 0): every
// refusal names the offending text and what a range looks like. No I/O.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "mailoauth/core/error.hpp"

namespace mailoauth::monitor {

class Range {
 public:
  // "10", "10:", "~:10", "10:20", "@10:20", "-5.5:0.25", ":10" (= 0:10).
  // Error code `nagios.bad_range` (Config), message naming `what` ("-w").
  static core::Result<Range> parse(std::string_view text, std::string_view what = "range");

  // True when `value` must raise an alert.
  bool alerts(double value) const;

  // The range as given (for perfdata's warn/crit fields and messages).
  const std::string& text() const { return text_; }
  std::optional<double> start() const { return start_; }  // nullopt: minus infinity
  std::optional<double> end() const { return end_; }      // nullopt: plus infinity
  bool inside() const { return inside_; }

 private:
  std::string text_;
  std::optional<double> start_;
  std::optional<double> end_;
  bool inside_ = false;
};

// Critical first, then warning, as check_* plugins do: the worst matching state.
core::NagiosState evaluate_thresholds(double value, const std::optional<Range>& warning,
                                      const std::optional<Range>& critical);

// The worse of two states: CRITICAL > UNKNOWN > WARNING > OK (a check that
// could not tell is worse than a warning, better than a known failure).
core::NagiosState worst_state(core::NagiosState a, core::NagiosState b);

}  // namespace mailoauth::monitor
