#!/usr/bin/env bash
# `mailoauth queue list` on a big spool: COUNT messages (100,000 by default)
# written by the spool's own writer (bench/queue_fill_tool: every 10th deferred
# with a state file, every 100th held, every 1000th failed), then the median
# wall and CPU time over RUNS runs (5) of: the table, --json, --state hold,
# and --route (every envelope read, nothing printed), page cache warm (one run
# first). The machine's load average is recorded beside them. Writes
# bench/results/queue_list.md with the command that produced it.
# Usage: bench/queue_list.sh [BUILD_DIR]   (COUNT=100000 RUNS=5)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
count=${COUNT:-100000}
runs=${RUNS:-5}
# shellcheck source=bench/lib.sh
source "$here/bench/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
queue_bin=$build/apps/mailoauth-queue
fill_start=$(date +%s%N)
"$build/bench/queue_fill_tool" "$tmp/spool" "$count"
fill_ms=$((($(date +%s%N) - fill_start) / 1000000))

# The median over RUNS runs of the command given: "WALL_MS CPU_MS" (CPU =
# user + system of the process and its threads, which the machine's load
# does not inflate; wall time on a shared machine it does).
measure() {
  local i
  "$@" >/dev/null  # warm the page cache
  for i in $(seq 1 "$runs"); do
    /usr/bin/time -f "%e %U %S" -o "$tmp/time" "$@" >/dev/null
    awk '{printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000}' "$tmp/time"
  done >"$tmp/samples"
  echo "$(cut -d' ' -f1 "$tmp/samples" | median) ms | $(cut -d' ' -f2 "$tmp/samples" | median) ms"
}
# Run with NICE=-20 (root) to measure as if the machine were not shared.
nice_level=${NICE:-0}
list=(nice -n "$nice_level" "$queue_bin" queue --spool "$tmp/spool" list)
load_before=$(cut -d' ' -f1 /proc/loadavg)
# The first listing finds no listing.cache: it opens every message and writes
# the cache (median of RUNS, the cache removed before each).
"${list[@]}" >/dev/null  # warm the page cache
for _ in $(seq 1 "$runs"); do
  rm -f "$tmp/spool/listing.cache"
  /usr/bin/time -f "%e %U %S" -o "$tmp/time" "${list[@]}" >/dev/null
  awk '{printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000}' "$tmp/time"
done >"$tmp/samples"
first="$(cut -d' ' -f1 "$tmp/samples" | median) ms | $(cut -d' ' -f2 "$tmp/samples" | median) ms"
table=$(measure "${list[@]}")
json=$(measure "${list[@]}" --json)
hold=$(measure "${list[@]}" --state hold)
route=$(measure "${list[@]}" --route nowhere)
load_after=$(cut -d' ' -f1 /proc/loadavg)
lines=$("${list[@]}" | wc -l)
json_bytes=$("${list[@]}" --json | wc -c)
files=$(find "$tmp/spool" -type f | wc -l)

mkdir -p "$here/bench/results"
{
  echo "# mailoauth queue list on $count queued messages"
  echo
  echo "Command: \`COUNT=$count RUNS=$runs bench/queue_list.sh $build\`"
  echo
  bench_machine_lines
  echo "- spool: $count messages ($files files: content, and a state file for every 10th),"
  echo "  written by queue::Spool (fsync skipped) in $fill_ms ms on $(df --output=fstype "$tmp" | tail -1)"
  echo
  echo "- load average (1 min) $load_before before, $load_after after; nice $nice_level"
  echo
  echo "| listing (median of $runs, page cache warm) | wall time | CPU (user + system) |"
  echo "|---|---|---|"
  echo "| \`queue list\`, no listing.cache yet (every message opened; writes it) | $first |"
  echo "| \`queue list\` (table, $lines lines) | $table |"
  echo "| \`queue list --json\` ($json_bytes bytes) | $json |"
  echo "| \`queue list --state hold\` | $hold |"
  echo "| \`queue list --route nowhere\` (every envelope read, nothing printed) | $route |"
  echo
  echo "The listing takes each message's envelope from <spool>/listing.cache (kept by"
  echo "the tool; docs/queue.md), opens a message only when the cache does not know it"
  echo "(then reads its first 4 KiB), reads a state file only where the directory has"
  echo "one, on two threads; message bodies are never read."
  echo "Wall time on a shared, loaded machine is mostly waiting for a core: the CPU"
  echo "column is the work itself (split over two threads, so on an idle two-core"
  echo "machine the wall time is about half of it plus the sort and the output)."
} >"$here/bench/results/queue_list.md"
cat "$here/bench/results/queue_list.md"
