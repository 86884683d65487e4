#!/usr/bin/env bash
# A fuzzing campaign, outside `make test`: each libFuzzer target of a `make fuzz`
# build runs alone (one core; `nice -n 19` by default, the machine is shared;
# FUZZ_NICE=N sets another niceness, e.g. -5 to hold one core against builds) until it has
# made RUNS executions or spent SECONDS, whichever comes first; then what it
# found that adds coverage is merged (-merge=1) into tests/fuzz/corpus/<target>,
# so the committed corpora only grow by inputs that reach new code. Prints one
# Markdown table row per target (executions, exec/s, corpus files) for
# tests/fuzz/README.md. Any crash, leak or sanitizer finding stops the
# campaign with a non-zero exit and leaves the reproducer in the work dir.
#
#   tests/fuzz/campaign.sh [BUILD_DIR] [RUNS] [SECONDS] [TARGET...]
#   e.g. tests/fuzz/campaign.sh build-fuzz 10000000 300 imap_response smtp_reply
set -u
build=${1:-build-fuzz}
runs=${2:-10000000}
seconds=${3:-300}
niceness=${FUZZ_NICE:-19}
shift $(($# < 3 ? $# : 3))
source_dir=$(cd "$(dirname "$0")" && pwd)
work="$build/campaign"
mkdir -p "$work"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for binary in "$build"/tests/fuzz_*; do targets+=("${binary##*/fuzz_}"); done
fi
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
echo "| target | executions | exec/s | seconds | corpus files before → after |"
echo "|---|---:|---:|---:|---|"
for target in "${targets[@]}"; do
  binary="$build/tests/fuzz_$target"
  corpus="$source_dir/corpus/$target"
  grown="$work/$target"
  mkdir -p "$grown" "$work/artifacts"
  before=$(find "$corpus" -type f | wc -l)
  start=$(date +%s)
  nice -n "$niceness" "$binary" -runs="$runs" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/$target-" "$grown" "$corpus" >"$work/$target.log" 2>&1
  status=$?
  elapsed=$(($(date +%s) - start))
  if [ $status -ne 0 ]; then
    echo "FAIL: $target (exit $status): see $work/$target.log and $work/artifacts/" >&2
    tail -n 30 "$work/$target.log" >&2
    exit 1
  fi
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$target.log")
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$target.log")
  nice -n "$niceness" "$binary" -merge=1 "$corpus" "$grown" >"$work/$target.merge.log" 2>&1 ||
    { echo "FAIL: merging $target: see $work/$target.merge.log" >&2; exit 1; }
  after=$(find "$corpus" -type f | wc -l)
  echo "| $target | $executions | $speed | $elapsed | $before → $after |"
done
