// How the native checks end: the output in the Monitoring Plugins layout
// (monitor::render_standard) on stdout, flushed, and the state as the exit
// code; a usage error as "UNKNOWN: <why>" and 3. One place, so the two
// checks cannot drift apart in what Nagios reads.
#pragma once

#include <string_view>

#include "mailoauth/monitor/plugin_output.hpp"

namespace mailoauth::checks {

int print_plugin_output(const monitor::PluginOutput& output);

int print_unknown(std::string_view message);

}  // namespace mailoauth::checks
