#!/usr/bin/env bash
# `fetch-token` and `read-token` as drop-ins for check-mail's, against the real
# OAuth2 server of the test stack: the raw token on stdout with no newline,
# Go's token JSON layout, the 0600 file, check-mail's validation messages (but a
# non-zero exit), a refusal explained, read-token's JSON/plain handling and its
# 10-second validity margin, help and version on stdout. Tokens are compared,
# never printed.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
fetch="$MAILOAUTH_BIN_DIR/fetch-token"
read_token="$MAILOAUTH_BIN_DIR/read-token"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export MAILOAUTH_STATE_DIR="$tmp/state"  # the token cache of this test alone
printf '%s' "$CC_CLIENT_SECRET" > "$tmp/secret"
common=(-client-id "$CC_CLIENT_ID" -client-secret-file "$tmp/secret" -scopes "$MAIL_SCOPE" -token-url "$OIDC_TOKEN_URL")

"$fetch" "${common[@]}" >"$tmp/raw" 2>"$tmp/err"; rc=$?
check "raw token: exit 0" test $rc -eq 0
check "raw token: no trailing newline, no JSON [1/3]" test -s "$tmp/raw"
check "raw token: no trailing newline, no JSON [2/3]" test "$(tail -c1 "$tmp/raw" | od -An -c | tr -d " ")" != "\n"
check "raw token: no trailing newline, no JSON [3/3]" not grep -q "{" "$tmp/raw"
check "raw token: nothing on stderr at info level" test ! -s "$tmp/err"
check "the token works at the introspection endpoint" test "$(printf "token=%s&client_id=%s&client_secret=%s" "$(cat "$tmp/raw")" "$INTROSPECT_CLIENT_ID" "$INTROSPECT_CLIENT_SECRET" | curl -s --max-time 5 --data @- "$OIDC_INTROSPECT_URL" | grep -o "\"active\":true")" = "\"active\":true"

"$fetch" "${common[@]}" -json-output -filename "$tmp/token.json"; rc=$?
check "JSON to file: exit 0, mode 0600 [1/2]" test $rc -eq 0
check "JSON to file: exit 0, mode 0600 [2/2]" test "$(stat -c %a "$tmp/token.json")" = 600
check "JSON layout: Go MarshalIndent with tabs, fields in Go's order" awk "NR==1{ok=(\$0==\"{\")} NR==2{ok=ok&&(\$0~/^\t\"access_token\": \"[^\"]+\",$/)} NR==3{ok=ok&&(\$0==\"\t\\\"token_type\\\": \\\"Bearer\\\",\")} NR==4{ok=ok&&(\$0~/^\t\"expiry\": \"20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:.]+(Z|[+-][0-9][0-9]:[0-9][0-9])\",$/)} NR==5{ok=ok&&(\$0~/^\t\"expires_in\": [0-9]+$/)} NR==6{ok=ok&&(\$0==\"}\")} END{exit !(ok&&NR==6)}" "$tmp/token.json"
check "JSON file has no trailing newline" test "$(tail -c1 "$tmp/token.json")" = "}"

out=$("$read_token" -filename "$tmp/token.json"); rc=$?
check "read-token: the access token from the JSON, exit 0 [1/3]" test $rc -eq 0
check "read-token: the access token from the JSON, exit 0 [2/3]" test -n "$out"
check "read-token: the access token from the JSON, exit 0 [3/3]" grep -qF "\"access_token\": \"$out\"" "$tmp/token.json"
printf 'plain-token-text\n' > "$tmp/plain"
out=$("$read_token" -filename "$tmp/plain" | od -An -c | tr -s " " | tr -d "\n")
check "read-token: a non-JSON file is echoed as is (newline included)" test "$out" = " p l a i n - t o k e n - t e x t \\n"
sed 's/"expiry": "[^"]*"/"expiry": "2020-01-01T00:00:00Z"/' "$tmp/token.json" > "$tmp/expired.json"
"$read_token" -filename "$tmp/expired.json" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "read-token: expired token → exit 1, nothing on stdout [1/2]" test $rc -eq 1
check "read-token: expired token → exit 1, nothing on stdout [2/2]" test ! -s "$tmp/out"
check "read-token: says the token is not valid" grep -q "Token is NOT valid" "$tmp/err"
"$read_token" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "read-token without -filename: non-zero exit, check-mail's words [1/2]" test $rc -eq 2
check "read-token without -filename: non-zero exit, check-mail's words [2/2]" grep -q "filename not provided" "$tmp/err"

"$fetch" -client-secret x -scopes "$MAIL_SCOPE" -token-url "$OIDC_TOKEN_URL" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "missing client id: exit 2 with check-mail's message [1/3]" test $rc -eq 2
check "missing client id: exit 2 with check-mail's message [2/3]" grep -q "configuration validation failed: client ID not provided" "$tmp/err"
check "missing client id: exit 2 with check-mail's message [3/3]" test ! -s "$tmp/out"
"$fetch" -client-id x -client-secret y -token-url "$OIDC_TOKEN_URL" >/dev/null 2>"$tmp/err"; rc=$?
check "missing scopes: exit 2 [1/2]" test $rc -eq 2
check "missing scopes: exit 2 [2/2]" grep -q "scopes not provided" "$tmp/err"
"$fetch" -client-id "$CC_CLIENT_ID" -client-secret NOT-THE-SECRET-4711 -scopes "$MAIL_SCOPE" -token-url "$OIDC_TOKEN_URL" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "wrong secret: exit 1, explained, nothing on stdout [1/4]" test $rc -eq 1
check "wrong secret: exit 1, explained, nothing on stdout [2/4]" test ! -s "$tmp/out"
check "wrong secret: exit 1, explained, nothing on stdout [3/4]" grep -q "invalid_client" "$tmp/err"
check "wrong secret: exit 1, explained, nothing on stdout [4/4]" grep -q "remedy" "$tmp/err"
check "wrong secret: the secret is not in the message" not grep -q "NOT-THE-SECRET-4711" "$tmp/err"
"$fetch" -bogus >"$tmp/out" 2>"$tmp/err"; rc=$?
check "unknown flag: exit 2, Go's message then usage on stdout [1/3]" test $rc -eq 2
check "unknown flag: exit 2, Go's message then usage on stdout [2/3]" test "$(head -1 "$tmp/out")" = "flag provided but not defined: -bogus"
check "unknown flag: exit 2, Go's message then usage on stdout [3/3]" grep -q "^Usage of " "$tmp/out"

"$fetch" -h >"$tmp/out" 2>&1; rc=$?
check "-h: exit 0, check-mail's help layout on stdout [1/5]" test $rc -eq 0
check "-h: exit 0, check-mail's help layout on stdout [2/5]" test -z "$(sed -n 1p "$tmp/out")"
check "-h: exit 0, check-mail's help layout on stdout [3/5]" grep -q "^fetch-token (mailoauth " <(sed -n 2p "$tmp/out")
check "-h: exit 0, check-mail's help layout on stdout [4/5]" grep -q "^  -max-attempts int$" "$tmp/out"
check "-h: exit 0, check-mail's help layout on stdout [5/5]" grep -q "(default 3)$" "$tmp/out"
out=$("$fetch" -version); rc=$?
check "-version: one line on stdout, exit 0 [1/2]" test $rc -eq 0
check "-version: one line on stdout, exit 0 [2/2]" matches "$out" '^fetch-token \(mailoauth [0-9.]+, compatible with check-mail\)$'
finish
