// How `mailoauth queue list` and `show` print what queue_listing read, with
// no I/O: a table for people, shaped like postqueue -p's (id, size, arrival,
// state and sender on one line, then each recipient with its state, attempts
// and the upstream's last reply), and JSON for scripts with one stable schema
// (docs/queue.md, "JSON"): version 1, fields only ever added. Everything a
// client or an upstream wrote (addresses, replies, HELO names) has its control
// characters escaped in the table, so a hostile address cannot forge a line
// of the listing; JSON escapes them by its own rules.
#pragma once

#include <string>
#include <vector>

#include "mailoauth/queue/queue_listing.hpp"

namespace mailoauth::queue {

inline constexpr int kQueueJsonVersion = 1;

std::string format_queue_table(const std::vector<ListedMessage>& messages);
std::string format_queue_json(const std::vector<ListedMessage>& messages);

std::string format_message_details(const ListedMessage& message, WallTime now);
std::string format_message_json(const ListedMessage& message);

// "2026-12-05 01:02:03" (UTC, for the table).
std::string format_table_time(WallTime time);

}  // namespace mailoauth::queue
