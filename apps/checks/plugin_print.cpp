// plugin_print.hpp: rendering, writing, exit code.
#include "plugin_print.hpp"

#include <cstdio>
#include <string>

namespace mailoauth::checks {

int print_plugin_output(const monitor::PluginOutput& output) {
  const std::string text = monitor::render_standard(output);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  return output.exit_code();
}

int print_unknown(std::string_view message) {
  monitor::PluginOutput output;
  output.state = core::NagiosState::Unknown;
  output.service_output = monitor::status_line(core::NagiosState::Unknown, message);
  return print_plugin_output(output);
}

}  // namespace mailoauth::checks
