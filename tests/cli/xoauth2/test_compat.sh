#!/usr/bin/env bash
# `xoauth2` as a drop-in for check-mail's: byte-for-byte output for the raw and
# --encode forms (no trailing newline), check-mail's "missing account!" /
# "missing token!" messages on stdout with exit 1, Go flag errors with exit 2,
# help on stderr with exit 0; plus what it does better: complete base64 for any
# length (coreutils base64 is the reference), --token-file from a file or stdin
# with the trailing newline dropped, and refusal of tokens SASL cannot carry.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
bin="$MAILOAUTH_BIN_DIR/xoauth2"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

"$bin" -account someuser@example.com -token ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg >"$tmp/raw"; rc=$?
printf 'user=someuser@example.com\001auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\001\001' >"$tmp/raw.expected"
check "raw form, exit 0" test $rc -eq 0
check "raw form byte for byte, no newline" cmp -s "$tmp/raw" "$tmp/raw.expected"

out=$("$bin" --account=someuser@example.com --token=ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg --encode)
check "--encode matches Google's documented example" \
  test "$out" = "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ=="

for token in t tok toke token; do  # every length modulo 3
  expected=$(printf 'user=a@b\001auth=Bearer %s\001\001' "$token" | base64 -w0)
  out=$("$bin" -account a@b -token "$token" -encode)
  check "--encode complete for token '$token' (check-mail truncates)" test "$out" = "$expected"
done

"$bin" -token t >"$tmp/out" 2>"$tmp/err"; rc=$?
check "missing account: exit 1" test $rc -eq 1
check "missing account: check-mail's stdout" test "$(cat "$tmp/out")" = "$(printf "missing account!\n\nUsage:")"
check "missing account: flag list on stderr" grep -q "^  -account string$" "$tmp/err"

"$bin" -account a@b >"$tmp/out" 2>/dev/null; rc=$?
check "missing token: exit 1" test $rc -eq 1
check "missing token: the message" test "$(head -1 "$tmp/out")" = "missing token!"

"$bin" -nope >"$tmp/out" 2>"$tmp/err"; rc=$?
check "unknown flag: exit 2 (Go ExitOnError)" test $rc -eq 2
check "unknown flag: Go's message first" test "$(head -1 "$tmp/err")" = "flag provided but not defined: -nope"
check "unknown flag: nothing on stdout" test ! -s "$tmp/out"

"$bin" -h >"$tmp/out" 2>"$tmp/err"; rc=$?
check "-h: exit 0" test $rc -eq 0
check "-h: nothing on stdout" test ! -s "$tmp/out"
check "-h: usage on stderr" grep -q "^Usage of .*xoauth2:$" "$tmp/err"
check "-h: a blank line first" test -z "$(sed -n 1p "$tmp/err")"
check "-h: then the version line" grep -q "^xoauth2 (mailoauth " <(sed -n 2p "$tmp/err")

printf 'file-token\n' >"$tmp/token"
out=$("$bin" -account a@b -token-file "$tmp/token")
check "--token-file drops the trailing newline" test "$out" = "$(printf "user=a@b\001auth=Bearer file-token\001\001")"
out=$(printf 'stdin-token\r\n' | "$bin" -account a@b -token-file -)
check "--token-file - reads stdin, drops CRLF" test "$out" = "$(printf "user=a@b\001auth=Bearer stdin-token\001\001")"

printf 'bad\001token' >"$tmp/bad"
"$bin" -account a@b -token-file "$tmp/bad" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "0x01 in the token is refused with exit 1" test $rc -eq 1
check "0x01 in the token: nothing on stdout" test ! -s "$tmp/out"
check "the refusal names the problem" grep -q "access token contains a 0x01 byte" "$tmp/err"
check "the refusal does not show the token" not grep -q "bad" "$tmp/err"

"$bin" -account a@b -token-file "$tmp/missing" >/dev/null 2>"$tmp/err"; rc=$?
check "unreadable token file: exit 1" test $rc -eq 1
check "unreadable token file: path named" grep -qF "$tmp/missing" "$tmp/err"
finish
