#!/usr/bin/env bash
# fetch-token's token cache against the real OAuth2 server: 100 runs in a row
# cause exactly one grant at the server (check-mail's fetch-token causes 100),
# -no-cache asks every time, a wrong secret is never answered from the cache,
# and the cache files are private. Grants are counted in the server's own log,
# so this test runs alone (RUN_SERIAL) for cc-alice's count to be exact.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
fetch="$MAILOAUTH_BIN_DIR/fetch-token"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export MAILOAUTH_STATE_DIR="$tmp/state"
grants() { grep -c "grant.success client=$CC_CLIENT_ID\$" "$OIDC_LOG" || true; }
printf '%s' "$CC_CLIENT_SECRET" > "$tmp/secret"
args=(-client-id "$CC_CLIENT_ID" -client-secret-file "$tmp/secret" -scopes "$MAIL_SCOPE" -token-url "$OIDC_TOKEN_URL")

before=$(grants)
first=$("$fetch" "${args[@]}")
failures=0
for _ in $(seq 2 100); do
  token=$("$fetch" "${args[@]}") || failures=$((failures + 1))
  [ "$token" = "$first" ] || failures=$((failures + 1))
done
after=$(grants)
echo "grants at the server for 100 runs: $((after - before))"
check "100 runs succeed with the same token [1/2]" test $failures -eq 0
check "100 runs succeed with the same token [2/2]" test -n "$first"
check "100 runs cause exactly one grant at the server" test $((after - before)) -eq 1

before=$(grants)
for _ in 1 2 3 4 5; do "$fetch" "${args[@]}" -no-cache >/dev/null || failures=$((failures + 1)); done
after=$(grants)
check "-no-cache asks the server every run (5 runs, 5 grants) [1/2]" test $((after - before)) -eq 5
check "-no-cache asks the server every run (5 runs, 5 grants) [2/2]" test $failures -eq 0

loads_curl() { LD_DEBUG=files "$fetch" "${args[@]}" "$@" 2>&1 >/dev/null | grep -c "file=libcurl" || true; }
check "a cached run does not even load libcurl (~18 ms of libraries)" test "$(loads_curl)" = 0
check "a run that asks the server loads libcurl" test "$(loads_curl -no-cache)" -gt 0

"$fetch" -client-id "$CC_CLIENT_ID" -client-secret NOT-THE-SECRET-4711 -scopes "$MAIL_SCOPE" -token-url "$OIDC_TOKEN_URL" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "a wrong secret is refused, not served from the cache [1/3]" test $rc -eq 1
check "a wrong secret is refused, not served from the cache [2/3]" test ! -s "$tmp/out"
check "a wrong secret is refused, not served from the cache [3/3]" grep -q invalid_client "$tmp/err"

check "cache directory 0700, database and key 0600 [1/3]" test "$(stat -c %a "$tmp/state")" = 700

check "cache directory 0700, database and key 0600 [2/3]" test "$(stat -c %a "$tmp/state/tokens.db")" = 600

check "cache directory 0700, database and key 0600 [3/3]" test "$(stat -c %a "$tmp/state/store.key")" = 600
check "the token is not in the cache files in clear" not grep -qaF -e "$first" "$tmp/state/tokens.db" "$tmp/state/tokens.db-wal" 2>/dev/null
finish
