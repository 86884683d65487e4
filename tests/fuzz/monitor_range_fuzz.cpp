// Fuzz target for Nagios ranges and the things built on them: a range parses
// or is refused with a one-line message; a parsed range keeps its text, has
// start <= end, and agrees with itself (an @ range alerts exactly where the
// same range without @ does not); perfdata built from it validates; age
// durations parse or are refused without crashing.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mailoauth/monitor/age_duration.hpp"
#include "mailoauth/monitor/nagios_range.hpp"
#include "mailoauth/monitor/perfdata.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mailoauth::monitor;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto range = Range::parse(input, "-w");
  if (!range) {
    if (range.error().message().find_first_of("\r\n") != std::string::npos) std::abort();
  } else {
    if (range->text() != input) std::abort();
    if (range->start() && range->end() && *range->start() > *range->end()) std::abort();
    const double probes[] = {-1e9, -1, -0.5, 0, 0.5, 1, 9.99, 10, 10.01, 1e9};
    const std::string plain_text = range->inside() ? std::string(input.substr(1)) : std::string();
    for (double probe : probes) {
      const bool alerts = range->alerts(probe);
      if (range->inside()) {
        auto plain = Range::parse(plain_text);
        if (!plain || plain->alerts(probe) == alerts) std::abort();
      }
      (void)evaluate_thresholds(probe, *range, *range);
    }
    if (!PerfData::make("x", "1", "", range->text(), range->text())) std::abort();
  }
  auto age = parse_age_duration(input);
  if (age && age->count() < 0) std::abort();
  if (age) (void)format_age(*age);
  const std::string label = perfdata_label_from_name(input);
  if (!PerfData::make(label, "0")) std::abort();  // any name becomes a valid label
  return 0;
}
