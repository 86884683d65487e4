#!/usr/bin/env bash
# tests/cli/common.sh itself: a script whose checks all pass exits 0, one with
# a failed check exits 1 even when others passed or were skipped, one with a
# skipped check and no failure exits 77 (ctest's SKIP_RETURN_CODE: skipped is
# not passed), one that ran no check fails; `check` runs its command without
# eval (a value with $(...) or quotes is data), `not` inverts, `matches` is an
# extended regex, and a FAIL line shows the description, never the command
# (which may hold a secret).
set -u
source "${BASH_SOURCE%/*}/../common.sh"
helpers="${BASH_SOURCE%/*}/../common.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Runs a script body after sourcing common.sh; output in $tmp/out, exit code in $rc.
script() {
  printf 'set -u\nsource %q\n%s\n' "$helpers" "$1" >"$tmp/script.sh"
  bash "$tmp/script.sh" >"$tmp/out" 2>&1
  rc=$?
}

script 'check "true passes" true; finish'
check "all passed: exit 0" test "$rc" -eq 0
check "all passed: the tally" grep -qx "checks: 1 passed, 0 failed, 0 skipped" "$tmp/out"

script 'check "one" true; check "two" false; skip "three" "no server here"; finish'
check "a failure among passes and skips: exit 1" test "$rc" -eq 1
check "the failure is named" grep -qx "FAIL: two" "$tmp/out"
check "the skip is reported as a skip, with its reason" grep -qx "SKIP: three (no server here)" "$tmp/out"

script 'check "one" true; skip "two" "needs IPv6"; finish'
check "a skip and no failure: exit 77, not 0" test "$rc" -eq 77
check "skipped is counted apart from passed" grep -qx "checks: 1 passed, 0 failed, 1 skipped" "$tmp/out"

script 'finish'
check "no check at all: a failure" test "$rc" -eq 1

# The old copies ran `eval "$2"`: a string holding $(...) was executed.
script 'code="\$(touch '"$tmp"'/evaluated)"; check "a string is not code" "$code" 2>/dev/null; finish'
check "check does not eval its arguments" test ! -e "$tmp/evaluated"
check "... the string was taken as a command name, which failed" test "$rc" -eq 1

script 'secret=hunter2; check "the password is not shown" grep -q "$secret" /dev/null; finish'
check "a FAIL line has the description only, never the command's arguments" not grep -q hunter2 "$tmp/out"

script 'check "not inverts" not false; check "matches is an ERE" matches "mailoauth 1.2.3" "^mailoauth [0-9.]+$"; check "matches refuses" not matches "x" "^y$"; finish'
check "not and matches" test "$rc" -eq 0
finish
