# Shared helpers for the shell CLI tests (tests/cli/<tool>/test_*.sh), sourced
# as `source "${BASH_SOURCE%/*}/../common.sh"` right after `set -u`.
#
# A check runs a command as given (argument vector, no `eval`, so values such
# as folder names or tokens are never parsed as shell a second time) and
# reports `ok:` or `FAIL:` with its description only: the command line is not
# printed, because it may hold a token or a password. A condition with several
# parts is several checks, each failing under its own name.
#
#   check DESCRIPTION COMMAND [ARG...]   passes when COMMAND exits 0; returns
#                                        its verdict, so `check ... || show f`
#   not COMMAND [ARG...]                 inverts COMMAND (`!` is shell syntax
#                                        and cannot be passed as an argument)
#   matches STRING ERE                   STRING matches the extended regex
#   skip DESCRIPTION REASON              a check that could not run here
#   show FILE                            prints FILE under a `--- FILE` line,
#                                        the evidence after a failed check
#   finish                               prints the tally and exits
#
# A skipped check is not a passing one: `finish` exits 1 when any check failed,
# else 77 when any was skipped (ctest's SKIP_RETURN_CODE for these scripts, so
# ctest reports the script as skipped, not passed), else 0.

[ -n "${DEBUG_TEST:-}" ] && set -x

checks_passed=0
checks_failed=0
checks_skipped=0

check() {
  local description=$1
  shift
  if "$@"; then
    echo "ok: $description"
    checks_passed=$((checks_passed + 1))
    return 0
  fi
  echo "FAIL: $description"
  checks_failed=$((checks_failed + 1))
  return 1
}

not() { ! "$@"; }

matches() { [[ $1 =~ $2 ]]; }

show() {
  echo "--- $1"
  cat "$1"
}

skip() {
  echo "SKIP: $1 ($2)"
  checks_skipped=$((checks_skipped + 1))
}

finish() {
  echo "checks: $checks_passed passed, $checks_failed failed, $checks_skipped skipped"
  [ "$checks_failed" -eq 0 ] || exit 1
  [ "$checks_skipped" -eq 0 ] || exit 77
  [ "$checks_passed" -gt 0 ] || { echo "FAIL: no check ran"; exit 1; }
  exit 0
}
