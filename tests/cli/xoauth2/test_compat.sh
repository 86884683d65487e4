#!/usr/bin/env bash
# `xoauth2` as a drop-in for check-mail's: byte-for-byte output for the raw and
# --encode forms (no trailing newline), check-mail's "missing account!" /
# "missing token!" messages on stdout with exit 1, Go flag errors with exit 2,
# help on stderr with exit 0; plus what it does better: complete base64 for any
# length (coreutils base64 is the reference), --token-file from a file or stdin
# with the trailing newline dropped, and refusal of tokens SASL cannot carry.
set -u
bin="$MAILOAUTH_BIN_DIR/xoauth2"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
status=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; status=1; fi; }

"$bin" -account someuser@example.com -token ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg >"$tmp/raw"; rc=$?
printf 'user=someuser@example.com\001auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\001\001' >"$tmp/raw.expected"
check "raw form, exit 0" '[ $rc -eq 0 ]'
check "raw form byte for byte, no newline" 'cmp -s "$tmp/raw" "$tmp/raw.expected"'

out=$("$bin" --account=someuser@example.com --token=ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg --encode)
check "--encode matches Google's documented example" \
  '[ "$out" = "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==" ]'

for token in t tok toke token; do  # every length modulo 3
  expected=$(printf 'user=a@b\001auth=Bearer %s\001\001' "$token" | base64 -w0)
  out=$("$bin" -account a@b -token "$token" -encode)
  check "--encode complete for token '$token' (check-mail truncates)" '[ "$out" = "$expected" ]'
done

"$bin" -token t >"$tmp/out" 2>"$tmp/err"; rc=$?
check "missing account: exit 1" '[ $rc -eq 1 ]'
check "missing account: check-mail's stdout" '[ "$(cat "$tmp/out")" = "$(printf "missing account!\n\nUsage:")" ]'
check "missing account: flag list on stderr" 'grep -q "^  -account string$" "$tmp/err"'

"$bin" -account a@b >"$tmp/out" 2>/dev/null; rc=$?
check "missing token: exit 1 and message" '[ $rc -eq 1 ] && head -1 "$tmp/out" | grep -qx "missing token!"'

"$bin" -nope >"$tmp/out" 2>"$tmp/err"; rc=$?
check "unknown flag: exit 2 (Go ExitOnError)" '[ $rc -eq 2 ]'
check "unknown flag: Go's message first" '[ "$(head -1 "$tmp/err")" = "flag provided but not defined: -nope" ]'
check "unknown flag: nothing on stdout" '[ ! -s "$tmp/out" ]'

"$bin" -h >"$tmp/out" 2>"$tmp/err"; rc=$?
check "-h: exit 0, usage on stderr" '[ $rc -eq 0 ] && [ ! -s "$tmp/out" ] && grep -q "^Usage of .*xoauth2:$" "$tmp/err"'
check "-h: version line after a blank line" '[ -z "$(sed -n 1p "$tmp/err")" ] && sed -n 2p "$tmp/err" | grep -q "^xoauth2 (mailoauth "'

printf 'file-token\n' >"$tmp/token"
out=$("$bin" -account a@b -token-file "$tmp/token")
check "--token-file drops the trailing newline" '[ "$out" = "$(printf "user=a@b\001auth=Bearer file-token\001\001")" ]'
out=$(printf 'stdin-token\r\n' | "$bin" -account a@b -token-file -)
check "--token-file - reads stdin, drops CRLF" '[ "$out" = "$(printf "user=a@b\001auth=Bearer stdin-token\001\001")" ]'

printf 'bad\001token' >"$tmp/bad"
"$bin" -account a@b -token-file "$tmp/bad" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "0x01 in the token is refused with exit 1" '[ $rc -eq 1 ] && [ ! -s "$tmp/out" ]'
check "the refusal names the problem, not the token" 'grep -q "access token contains a 0x01 byte" "$tmp/err" && ! grep -q "bad" "$tmp/err"'

"$bin" -account a@b -token-file "$tmp/missing" >/dev/null 2>"$tmp/err"; rc=$?
check "unreadable token file: exit 1, path named" '[ $rc -eq 1 ] && grep -q "$tmp/missing" "$tmp/err"'
exit $status
