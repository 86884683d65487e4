#!/usr/bin/env bash
# The browser sign-in with a registered redirect path (issue 11): identity
# servers such as Keycloak and Okta register `http://127.0.0.1/callback` and
# refuse `/`. With `redirect_uri = "http://127.0.0.1/callback"` in the account,
# the authorization URL carries that path on a free port (RFC 8252 7.3),
# the listener answers only there (`/` gets a 404), and the sign-in completes
# against oidc-provider, whose native client registers that path (curl plays
# the browser through the test-only login and consent).
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
m="$MAILOAUTH_BIN_DIR/mailoauth"
tmp=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
export MAILOAUTH_CONFIG="$tmp/config.toml" MAILOAUTH_STATE_DIR="$tmp/state"
unset BROWSER DISPLAY WAYLAND_DISPLAY

"$m" account add kc --provider generic --issuer "$OIDC_ISSUER" --authorize-url "$OIDC_AUTHORIZE_URL" \
  --token-url "$OIDC_TOKEN_URL" --client-id "$PUBLIC_CLIENT_ID" --scope openid \
  --scope offline_access --scope "$MAIL_SCOPE" --login-hint "$USER1" --mailbox "$USER1" \
  --redirect-uri "http://127.0.0.1/callback" >/dev/null
check "account add --redirect-uri writes the key" grep -q '^redirect_uri = "http://127.0.0.1/callback"$' "$tmp/config.toml"

check "account show names the redirect and says the port is chosen at sign-in" \
  grep -q "^redirect       http://127.0.0.1/callback  (port chosen at sign-in)$" <("$m" account show kc)

"$m" token login kc --no-browser --timeout 20 >"$tmp/login.out" 2>"$tmp/login.err" &
login=$!
for _ in $(seq 100); do grep -q "^  http" "$tmp/login.err" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^  \(http.*\)$/\1/p' "$tmp/login.err" | head -1)
port=$(printf '%s' "$url" | sed -n 's/.*redirect_uri=http%3A%2F%2F127.0.0.1%3A\([0-9]*\)%2Fcallback.*/\1/p')
check "the authorization URL names the registered path on a free port" matches "$port" '^[1-9][0-9]*$'
root=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/?code=x&state=y")
check "the listener answers 404 on / (only the registered path is the redirect)" test "$root" = 404
curl -s -L -b "$tmp/jar" -c "$tmp/jar" --max-time 20 "$url" >"$tmp/page"
wait $login; rc=$?
check "the sign-in through /callback completes (exit 0) [1/3]" test $rc -eq 0
check "the sign-in through /callback completes (exit 0) [2/3]" grep -q "return to the terminal" "$tmp/page"
check "the sign-in through /callback completes (exit 0) [3/3]" grep -q "signed in" "$tmp/login.out"
check "token get then answers from the store" test -n "$("$m" token get kc)"

sed -i 's|^redirect_uri = .*|redirect_uri = "https://127.0.0.1/callback"|' "$tmp/config.toml"
"$m" token get kc >"$tmp/out" 2>"$tmp/err"; rc=$?
check "a redirect_uri that is not http loopback is a configuration error naming the key [1/2]" test $rc -eq 78
check "a redirect_uri that is not http loopback is a configuration error naming the key [2/2]" \
  grep -q 'redirect_uri "https://127.0.0.1/callback": it must start with http://' "$tmp/err"
finish
