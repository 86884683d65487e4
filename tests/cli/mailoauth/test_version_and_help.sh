#!/usr/bin/env bash
# The `mailoauth` binary as a user meets it: --version prints exactly one line
# with the project version, --help answers on stdout with exit 0, and a wrong
# invocation explains itself on stderr with EX_USAGE (64), printing nothing on
# stdout (scripts read stdout).
set -u
source "${BASH_SOURCE%/*}/../common.sh"
bin="$MAILOAUTH_BIN_DIR/mailoauth"

out=$("$bin" --version); rc=$?
check "--version exits 0" test $rc -eq 0
check "--version prints 'mailoauth X.Y.Z'" matches "$out" '^mailoauth [0-9]+\.[0-9]+\.[0-9]+$'

out=$("$bin" --help); rc=$?
check "--help exits 0" test $rc -eq 0
check "--help shows usage" grep -q "^Usage:" <<<"$out"

out=$("$bin" --bogus 2>/tmp/mailoauth-cli-err.$$); rc=$?
err=$(cat /tmp/mailoauth-cli-err.$$); rm -f /tmp/mailoauth-cli-err.$$
check "unknown option exits 64" test $rc -eq 64
check "unknown option prints nothing on stdout" test -z "$out"
check "unknown option names itself" grep -qF 'mailoauth: unknown option "--bogus"' <<<"$err"
check "unknown option: the remedy" grep -qF 'Run `mailoauth --help`.' <<<"$err"
finish
