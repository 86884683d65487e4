// Performance data as the Monitoring Plugins guidelines define it:
// `'label'=value[UOM];[warn];[crit];[min];[max]`. A label is always quoted (as
// go-nagios writes it, so check-mail's `'time'=812ms;;;;` comes out the same)
// and a single quote inside it is doubled; `=` cannot be carried, so it is
// refused (`make`) or replaced (`perfdata_label_from_name`, for folder names).
// Units are the guidelines' list; warn and crit must be valid ranges; value,
// min and max decimal numbers (or `U` for an unknown value). No I/O.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mailoauth/core/error.hpp"
#include "mailoauth/monitor/nagios_range.hpp"

namespace mailoauth::monitor {

struct PerfData {
  std::string label;  // unquoted
  std::string value;  // "812", "-1.5", "U"
  std::string unit;   // "", "s", "ms", "us", "%", "B", "KB", "MB", "TB", "c"
  std::string warning;
  std::string critical;
  std::string minimum;
  std::string maximum;

  // Checks every field; error code `nagios.bad_perfdata` (Bug: our own code builds these).
  static core::Result<PerfData> make(std::string label, std::string value, std::string unit = {},
                                     std::string warning = {}, std::string critical = {},
                                     std::string minimum = {}, std::string maximum = {});

  // ` 'label'=valueUOM;warn;crit;min;max` with the leading space go-nagios writes
  // before each item. Fields are not checked here: call make() or validate().
  std::string render() const;
  core::Result<void> validate() const;
};

// 'time'=<ms>ms;;;; as go-nagios adds it to every check-mail plugin output.
PerfData time_metric(std::chrono::milliseconds elapsed);

// A counter with the thresholds' texts and a minimum of 0: 'Inbox'=2;5;10;0;
PerfData count_metric(std::string label, std::uint64_t count, const std::optional<Range>& warning,
                      const std::optional<Range>& critical);

// Any name (a folder) made into a label perfdata can carry: `=` becomes `_`,
// control characters become `_`, an empty name becomes `_`.
std::string perfdata_label_from_name(std::string_view name);

// The guidelines' unit list.
bool is_valid_unit(std::string_view unit);

// ` 'a''b'` quoting rule alone: "a'b" → "'a''b'".
std::string quote_label(std::string_view label);

}  // namespace mailoauth::monitor
