#!/usr/bin/env bash
# The `mailoauth` executable is a launcher (apps/mailoauth/launcher.cpp): it
# links nothing but libc, so `mailoauth send` reaches mailoauth-send without
# first loading the whole CLI (libstdc++, SQLite, libsodium: ~1.6 ms of CPU per
# send, bench/results/send.md). Checked here: it needs no shared library but
# libc; it hands each command word to its program, skipping every global
# option that takes a value (the set --help lists, so a new one cannot be
# missed) with its value, never taking a value for the command; `check token`
# and `check roundtrip` run the check plugins without those two words; it finds a
# program next to itself, else on PATH; and it says what it could not run.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
m="$MAILOAUTH_BIN_DIR/mailoauth"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if command -v readelf >/dev/null; then
  needed=$(readelf -d "$m" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | grep -Ev '^lib(c|asan|ubsan)\.so' || true)
  check "mailoauth needs no shared library but libc (and the sanitizers')" test -z "$needed" || echo "$needed"
else
  skip "mailoauth needs no shared library but libc" "readelf is not installed"
fi

# A copy of the launcher among fake programs that print their name and words.
mkdir "$tmp/bin" "$tmp/path"
cp "$m" "$tmp/bin/mailoauth"
for program in mailoauth-send mailoauth-imap mailoauth-relay mailoauth-queue mailoauth-doctor mailoauth-cli \
               check_oauth_token check_mail_roundtrip; do
  printf '#!/bin/sh\necho "%s $*"\n' "$program" >"$tmp/bin/$program"
  chmod +x "$tmp/bin/$program"
done
runs() {  # EXPECTED WORD...: the launcher runs EXPECTED with the words unchanged
  local expected=$1 out
  shift
  out=$("$tmp/bin/mailoauth" "$@" 2>&1)
  [ "$out" = "$expected $*" ] || { echo "got: $out"; return 1; }
}

check "send runs mailoauth-send" runs mailoauth-send send --to a@example.com
check "sendmail runs mailoauth-send" runs mailoauth-send sendmail -t -i
check "imap runs mailoauth-imap" runs mailoauth-imap imap check work
check "relay runs mailoauth-relay" runs mailoauth-relay relay run
check "queue runs mailoauth-queue" runs mailoauth-queue queue list
check "doctor runs mailoauth-doctor" runs mailoauth-doctor doctor work --imap
check "token runs mailoauth-cli" runs mailoauth-cli token get work
check "explain runs mailoauth-cli" runs mailoauth-cli explain 5.7.139
check "no word runs mailoauth-cli" runs mailoauth-cli
check "an option alone runs mailoauth-cli" runs mailoauth-cli --help
check "-v before send is skipped" runs mailoauth-send -v send
check "an unknown option before send is skipped" runs mailoauth-send --frob send
# The check plugins take their own arguments: the words `check token` are taken out.
hands() {  # EXPECTED-LINE WORD...: the launcher's output for these words
  local expected=$1 out
  shift
  out=$("$tmp/bin/mailoauth" "$@" 2>&1)
  [ "$out" = "$expected" ] || { echo "got: $out"; return 1; }
}
check "check token runs check_oauth_token without the two words" hands "check_oauth_token work -w 30 -c 7" check token work -w 30 -c 7
check "check roundtrip runs check_mail_roundtrip, global options kept" hands "check_mail_roundtrip --config c.toml work -t 60" --config c.toml check roundtrip work -t 60
check "check with another word runs mailoauth-cli" runs mailoauth-cli check frob

value_options=$("$m" --help | sed -n 's/^ *\(-[a-zA-Z],\)\?\(--[a-z-]*\) [A-Z]\+ .*/\2/p')
check "--help lists the global options that take a value" test -n "$value_options"
for option in $value_options; do
  check "$option VALUE before send is skipped" runs mailoauth-send "$option" x send
  check "$option=VALUE before imap is skipped" runs mailoauth-imap "$option=x" imap
  check "$option's value is never the command" runs mailoauth-cli "$option" send token
done

# Not next to it: the first on PATH; nowhere: a reason and 78 (configuration).
mkdir "$tmp/alone"
cp "$m" "$tmp/alone/mailoauth"
mv "$tmp/bin/mailoauth-send" "$tmp/path/"
out=$(PATH="$tmp/path" "$tmp/alone/mailoauth" send 2>&1)
check "a program not next to mailoauth is taken from PATH" test "$out" = "mailoauth-send send"
out=$(PATH="$tmp/nowhere" "$tmp/alone/mailoauth" token get work 2>&1); rc=$?
check "a missing program exits 78" test $rc -eq 78
check "a missing program is named with the reason" grep -qF \
  "mailoauth: cannot run mailoauth-cli (No such file or directory)" <<<"$out"

finish
