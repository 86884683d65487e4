#!/usr/bin/env bash
# `fetch-token` and `read-token` as drop-ins for check-mail's, against the real
# OAuth2 server of the test stack: the raw token on stdout with no newline,
# Go's token JSON layout, the 0600 file, check-mail's validation messages (but a
# non-zero exit), a refusal explained, read-token's JSON/plain handling and its
# 10-second validity margin, help and version on stdout. Tokens are compared,
# never printed.
set -u
source "$MAILOAUTH_STACK_ENV"
fetch="$MAILOAUTH_BIN_DIR/fetch-token"
read_token="$MAILOAUTH_BIN_DIR/read-token"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export MAILOAUTH_STATE_DIR="$tmp/state"  # the token cache of this test alone
status=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; status=1; fi; }
printf '%s' "$CC_CLIENT_SECRET" > "$tmp/secret"
common=(-client-id "$CC_CLIENT_ID" -client-secret-file "$tmp/secret" -scopes "$MAIL_SCOPE" -token-url "$OIDC_TOKEN_URL")

"$fetch" "${common[@]}" >"$tmp/raw" 2>"$tmp/err"; rc=$?
check "raw token: exit 0" '[ $rc -eq 0 ]'
check "raw token: no trailing newline, no JSON" '[ -s "$tmp/raw" ] && [ "$(tail -c1 "$tmp/raw" | od -An -c | tr -d " ")" != "\n" ] && ! grep -q "{" "$tmp/raw"'
check "raw token: nothing on stderr at info level" '[ ! -s "$tmp/err" ]'
check "the token works at the introspection endpoint" \
  '[ "$(printf "token=%s&client_id=%s&client_secret=%s" "$(cat "$tmp/raw")" "$INTROSPECT_CLIENT_ID" "$INTROSPECT_CLIENT_SECRET" | curl -s --max-time 5 --data @- "$OIDC_INTROSPECT_URL" | grep -o "\"active\":true")" = "\"active\":true" ]'

"$fetch" "${common[@]}" -json-output -filename "$tmp/token.json"; rc=$?
check "JSON to file: exit 0, mode 0600" '[ $rc -eq 0 ] && [ "$(stat -c %a "$tmp/token.json")" = 600 ]'
check "JSON layout: Go MarshalIndent with tabs, fields in Go's order" \
  'awk "NR==1{ok=(\$0==\"{\")} NR==2{ok=ok&&(\$0~/^\t\"access_token\": \"[^\"]+\",$/)} NR==3{ok=ok&&(\$0==\"\t\\\"token_type\\\": \\\"Bearer\\\",\")} NR==4{ok=ok&&(\$0~/^\t\"expiry\": \"20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:.]+(Z|[+-][0-9][0-9]:[0-9][0-9])\",$/)} NR==5{ok=ok&&(\$0~/^\t\"expires_in\": [0-9]+$/)} NR==6{ok=ok&&(\$0==\"}\")} END{exit !(ok&&NR==6)}" "$tmp/token.json"'
check "JSON file has no trailing newline" '[ "$(tail -c1 "$tmp/token.json")" = "}" ]'

out=$("$read_token" -filename "$tmp/token.json"); rc=$?
check "read-token: the access token from the JSON, exit 0" '[ $rc -eq 0 ] && [ -n "$out" ] && grep -qF "\"access_token\": \"$out\"" "$tmp/token.json"'
printf 'plain-token-text\n' > "$tmp/plain"
out=$("$read_token" -filename "$tmp/plain" | od -An -c | tr -s " " | tr -d "\n")
check "read-token: a non-JSON file is echoed as is (newline included)" '[ "$out" = " p l a i n - t o k e n - t e x t \\n" ]'
sed 's/"expiry": "[^"]*"/"expiry": "2020-01-01T00:00:00Z"/' "$tmp/token.json" > "$tmp/expired.json"
"$read_token" -filename "$tmp/expired.json" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "read-token: expired token → exit 1, nothing on stdout" '[ $rc -eq 1 ] && [ ! -s "$tmp/out" ]'
check "read-token: says the token is not valid" 'grep -q "Token is NOT valid" "$tmp/err"'
"$read_token" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "read-token without -filename: non-zero exit, check-mail's words" '[ $rc -eq 2 ] && grep -q "filename not provided" "$tmp/err"'

"$fetch" -client-secret x -scopes "$MAIL_SCOPE" -token-url "$OIDC_TOKEN_URL" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "missing client id: exit 2 with check-mail's message" '[ $rc -eq 2 ] && grep -q "configuration validation failed: client ID not provided" "$tmp/err" && [ ! -s "$tmp/out" ]'
"$fetch" -client-id x -client-secret y -token-url "$OIDC_TOKEN_URL" >/dev/null 2>"$tmp/err"; rc=$?
check "missing scopes: exit 2" '[ $rc -eq 2 ] && grep -q "scopes not provided" "$tmp/err"'
"$fetch" -client-id "$CC_CLIENT_ID" -client-secret NOT-THE-SECRET-4711 -scopes "$MAIL_SCOPE" -token-url "$OIDC_TOKEN_URL" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "wrong secret: exit 1, explained, nothing on stdout" '[ $rc -eq 1 ] && [ ! -s "$tmp/out" ] && grep -q "invalid_client" "$tmp/err" && grep -q "remedy" "$tmp/err"'
check "wrong secret: the secret is not in the message" '! grep -q "NOT-THE-SECRET-4711" "$tmp/err"'
"$fetch" -bogus >"$tmp/out" 2>"$tmp/err"; rc=$?
check "unknown flag: exit 2, Go's message then usage on stdout" '[ $rc -eq 2 ] && [ "$(head -1 "$tmp/out")" = "flag provided but not defined: -bogus" ] && grep -q "^Usage of " "$tmp/out"'

"$fetch" -h >"$tmp/out" 2>&1; rc=$?
check "-h: exit 0, check-mail's help layout on stdout" '[ $rc -eq 0 ] && [ -z "$(sed -n 1p "$tmp/out")" ] && sed -n 2p "$tmp/out" | grep -q "^fetch-token (mailoauth " && grep -q "^  -max-attempts int$" "$tmp/out" && grep -q "(default 3)$" "$tmp/out"'
out=$("$fetch" -version); rc=$?
check "-version: one line on stdout, exit 0" '[ $rc -eq 0 ] && [[ "$out" =~ ^fetch-token\ \(mailoauth\ [0-9.]+,\ compatible\ with\ check-mail\)$ ]]'
exit $status
