// go-nagios's section order and spacing, reproduced from its sections.go and
// nagios.go (v0.20.0, vendored by check-mail v0.8.20).
#include "mailoauth/monitor/plugin_output.hpp"

#include <algorithm>
#include <map>

namespace mailoauth::monitor {
namespace {

std::string lower(std::string_view text) {
  std::string result(text);
  for (char& c : result) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return result;
}

bool is_blank(std::string_view text) {
  return text.find_first_not_of(" \t\n\r\v\f") == std::string_view::npos;
}

}  // namespace

std::string status_line(core::NagiosState state, std::string_view text) {
  std::string line(core::to_string(state));
  line += ": ";
  line += text;
  return line;
}

std::string render(const PluginOutput& output) {
  constexpr std::string_view eol = kOutputLineEnd;
  std::string out;

  std::string_view service = output.service_output;
  if (output.long_output.empty()) {
    const std::size_t keep = service.find_last_not_of(" \t\n");
    service = keep == std::string_view::npos ? std::string_view() : service.substr(0, keep + 1);
  }
  out += service;

  const bool errors_shown = !output.errors.empty();
  if (errors_shown) {
    out.append(eol).append(eol).append("**ERRORS**").append(eol).append(eol);
    for (const auto& error : output.errors) out.append("* ").append(error).append(eol);
  }

  const bool thresholds_set =
      !output.warning_threshold.empty() || !output.critical_threshold.empty();
  if (!output.long_output.empty() && thresholds_set) {
    out.append(eol).append("**THRESHOLDS**").append(eol).append(eol);
    if (!output.critical_threshold.empty()) {
      out.append("* CRITICAL: ").append(output.critical_threshold).append(eol);
    }
    if (!output.warning_threshold.empty()) {
      out.append("* WARNING: ").append(output.warning_threshold).append(eol);
    }
  }

  if (!output.long_output.empty()) {
    if (thresholds_set || errors_shown) {
      out.append(eol).append("**DETAILED INFO**").append(eol);
    } else {
      out.append(eol);
    }
    out.append(eol).append(output.long_output).append(eol);
  }

  if (output.branding) out.append(eol).append(*output.branding).append(eol);

  // go-nagios skips perfdata (and the time metric) when ServiceOutput is blank.
  if (is_blank(output.service_output)) return out;
  std::map<std::string, const PerfData*> sorted;  // keyed as go-nagios's map: lower-cased
  for (const auto& item : output.perfdata) sorted[lower(item.label)] = &item;
  PerfData time;
  if (output.elapsed && !sorted.contains("time")) {
    time = time_metric(*output.elapsed);
    sorted["time"] = &time;
  }
  if (sorted.empty()) return out;
  out += " |";
  for (const auto& [key, item] : sorted) out += item->render();
  out.append(eol);
  return out;
}

std::string render_standard(const PluginOutput& output) {
  std::string out = output.service_output;
  while (!out.empty() && (out.back() == ' ' || out.back() == '\n')) out.pop_back();
  std::vector<PerfData> items = output.perfdata;
  const bool has_time = std::any_of(
      items.begin(), items.end(), [](const PerfData& item) { return lower(item.label) == "time"; });
  if (output.elapsed && !has_time) items.push_back(time_metric(*output.elapsed));
  if (!items.empty()) {
    out += " |";
    for (const auto& item : items) out += item.render();
  }
  out += '\n';
  for (const auto& error : output.errors) out.append("* ").append(error).append("\n");
  if (!output.long_output.empty()) out.append(output.long_output).append("\n");
  return out;
}

}  // namespace mailoauth::monitor
