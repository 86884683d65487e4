#!/usr/bin/env bash
# Minimises the committed corpora after a campaign (tests/fuzz/campaign.sh
# only adds to them): for each target, a set cover of its corpus
# (-set_cover_merge=1: the fewest inputs that keep every feature) replaces the
# inputs libFuzzer named by their SHA-1; the hand-written seeds and the
# regression-* inputs keep their names and are never removed (a regression
# input stays even if it reaches nothing new), and the cover's copy of any of
# them is dropped. Prints "target: files before → after" per target; stops at
# the first target whose merge fails, leaving its corpus as it was.
#
#   tests/fuzz/minimise.sh [BUILD_DIR] [TARGET...]   (default: every fuzz_* built)
# Runs under `nice -n 19` (FUZZ_NICE=N for another niceness, as campaign.sh).
set -eu
build=${1:-build-fuzz}
niceness=${FUZZ_NICE:-19}
shift $(($# < 1 ? $# : 1))
source_dir=$(cd "$(dirname "$0")" && pwd)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for binary in "$build"/tests/fuzz_*; do targets+=("${binary##*/fuzz_}"); done
fi
mkdir -p "$build/campaign"
for target in "${targets[@]}"; do
  corpus="$source_dir/corpus/$target"
  cover=$(mktemp -d)
  before=$(find "$corpus" -type f | wc -l)
  if ! nice -n "$niceness" "$build/tests/fuzz_$target" -set_cover_merge=1 "$cover" "$corpus" \
    >"$build/campaign/$target.cover.log" 2>&1; then
    echo "FAIL: set cover of $target: see $build/campaign/$target.cover.log" >&2
    rm -rf "$cover"
    exit 1
  fi
  find "$corpus" -maxdepth 1 -type f -regextype posix-extended -regex '.*/[0-9a-f]{40}' -delete
  for named in "$corpus"/*; do
    [ -f "$named" ] || continue
    rm -f "$cover/$(sha1sum <"$named" | cut -c1-40)"
  done
  find "$cover" -maxdepth 1 -type f -exec mv -t "$corpus" {} +
  rmdir "$cover"
  echo "$target: $before → $(find "$corpus" -type f | wc -l)"
done
