#!/usr/bin/env bash
# `mailoauth account` and `mailoauth token` against the real OAuth2 server and
# Dovecot, as a user runs them: an app-only account's token in every format
# (and the XOAUTH2 form accepted by Dovecot's IMAP); a delegated account
# signed in with the browser flow (curl plays the browser: it follows the
# provider's redirects, the test-only login/consent and finally the redirect
# to mailoauth's loopback listener) and with the device flow; `token get`
# refreshing ahead of expiry with rotation (the old refresh token then
# refused by the server); status JSON; revocation at the server; errors with
# the right exit codes; no token or secret on stderr at trace level; nothing
# in clear in the store; twenty processes asking at once for an account with
# no token cause exactly one grant at the server. Grants are counted in the
# server's log, so this test runs alone (RUN_SERIAL, "serial" in its name).
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
m="$MAILOAUTH_BIN_DIR/mailoauth"
tmp=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
export MAILOAUTH_CONFIG="$tmp/config.toml" MAILOAUTH_STATE_DIR="$tmp/state"
unset BROWSER DISPLAY WAYLAND_DISPLAY
printf '%s\n' "$CC_CLIENT_SECRET" > "$tmp/cc.secret"; chmod 600 "$tmp/cc.secret"

# --- app-only -----------------------------------------------------------------
"$m" account add app --provider generic --flow app --token-url "$OIDC_TOKEN_URL" \
  --client-id "$CC_CLIENT_ID" --client-secret-file "$tmp/cc.secret" --scope "$MAIL_SCOPE" \
  --mailbox "$USER1" >"$tmp/out" 2>&1
check "account add writes the account (0600) [1/2]" grep -q "^\[accounts.app\]" "$tmp/config.toml"
check "account add writes the account (0600) [2/2]" test "$(stat -c %a "$tmp/config.toml")" = 600
json=$("$m" token get app --format json)
token=$(printf '%s' "$json" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
check "token get --format json has the token, its expiry and user [1/3]" test -n "$token"
check "token get --format json has the token, its expiry and user [2/3]" grep -q "\"user\":\"$USER1\"" <(printf "%s" "$json")
check "token get --format json has the token, its expiry and user [3/3]" grep -q expires_in <(printf "%s" "$json")
check "token get (raw) prints the same cached token without a newline [1/2]" test "$("$m" token get app)" = "$token"
check "token get (raw) prints the same cached token without a newline [2/2]" test "$("$m" token get app | wc -l)" = 0
check "xoauth2-base64 is the SASL string" test "$("$m" token get app --format xoauth2-base64 | base64 -d | tr "\001" "|")" = "user=$USER1|auth=Bearer $token||"
check "oauthbearer-base64 is the RFC 7628 string" test "$("$m" token get app --format oauthbearer-base64 | base64 -d | tr "\001" "|")" = "n,a=$USER1,|auth=Bearer $token||"
printf 'oauth2-bearer = "%s"\n' "$("$m" token get app)" | curl -sf --max-time 5 -K - --ssl-reqd --cacert "$CA_FILE" \
  --login-options AUTH=OAUTHBEARER -u "$USER1:" "imap://$IMAP_HOST:$IMAP_PORT/" -X CAPABILITY >"$tmp/imap" 2>&1; curl_rc=$?
imap_accepted() { [ $curl_rc -eq 0 ] || grep -q IMAP4rev1 "$tmp/imap"; }
check "Dovecot accepts the token over IMAP (OAUTHBEARER)" imap_accepted

loads() { LD_DEBUG=files "$m" token get app 2>&1 >/dev/null | grep -c "file=$1" || true; }
check "a cached token get loads neither libcurl nor libcrypto [1/2]" test "$(loads libcurl)" = 0
check "a cached token get loads neither libcurl nor libcrypto [2/2]" test "$(loads libcrypto)" = 0

# --- twenty processes at once, no token stored yet: one grant ---------------------
"$m" account add crowd --provider generic --flow app --token-url "$OIDC_TOKEN_URL" \
  --client-id "$CC_CLIENT_ID" --client-secret-file "$tmp/cc.secret" --scope "$MAIL_SCOPE" \
  --mailbox "$USER1" >/dev/null
before=$(grep -c "grant.success client=$CC_CLIENT_ID\$" "$OIDC_LOG")
for i in $(seq 20); do "$m" token get crowd >"$tmp/crowd.$i" 2>&1 & done
wait
after=$(grep -c "grant.success client=$CC_CLIENT_ID\$" "$OIDC_LOG")
distinct=$(cat "$tmp"/crowd.* | sort -u | wc -l)
echo "grants for 20 concurrent first token gets: $((after - before)); distinct outputs: $distinct"
check "20 concurrent token gets: exactly one grant, all 20 get the same token [1/3]" test $((after - before)) -eq 1
check "20 concurrent token gets: exactly one grant, all 20 get the same token [2/3]" test "$distinct" = 1
check "20 concurrent token gets: exactly one grant, all 20 get the same token [3/3]" test -s "$tmp/crowd.1"

# --- errors and exit codes ------------------------------------------------------
"$m" token get nosuch >"$tmp/out" 2>"$tmp/err"; rc=$?
check "unknown account: exit 78 and the known accounts named [1/2]" test $rc -eq 78
check "unknown account: exit 78 and the known accounts named [2/2]" grep -q "known accounts: app" "$tmp/err"
"$m" token get app --format yaml >"$tmp/out" 2>"$tmp/err"; rc=$?
check "bad format: exit 78 naming the formats [1/2]" test $rc -eq 78
check "bad format: exit 78 naming the formats [2/2]" grep -q oauthbearer-base64 "$tmp/err"
"$m" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "no subcommand: exit 64 (usage)" test $rc -eq 64
"$m" token get app --bogus >"$tmp/out" 2>"$tmp/err"; rc=$?
check "unknown option: exit 64 [1/2]" test $rc -eq 64
check "unknown option: exit 64 [2/2]" grep -q -- "--help" "$tmp/err"
"$m" account add app --provider generic --token-url "$OIDC_TOKEN_URL" --client-id x >"$tmp/out" 2>"$tmp/err"; rc=$?
check "adding an existing account is refused, the file unchanged [1/2]" test $rc -eq 78
check "adding an existing account is refused, the file unchanged [2/2]" test "$(grep -c "^\[accounts.app\]" "$tmp/config.toml")" = 1
printf 'WRONG-SECRET\n' > "$tmp/wrong.secret"
"$m" account add wrong --provider generic --flow app --token-url "$OIDC_TOKEN_URL" --client-id "$CC_CLIENT_ID" \
  --client-secret-file "$tmp/wrong.secret" --scope "$MAIL_SCOPE" --mailbox "$USER1" >/dev/null
"$m" token get wrong >"$tmp/out" 2>"$tmp/err"; rc=$?
check "a wrong secret: exit 69 (refused for good) with invalid_client [1/3]" test $rc -eq 69
check "a wrong secret: exit 69 (refused for good) with invalid_client [2/3]" grep -q invalid_client "$tmp/err"
check "a wrong secret: exit 69 (refused for good) with invalid_client [3/3]" test ! -s "$tmp/out"

# --- delegated: browser sign-in -------------------------------------------------
"$m" account add dev --provider generic --issuer "$OIDC_ISSUER" --authorize-url "$OIDC_AUTHORIZE_URL" \
  --token-url "$OIDC_TOKEN_URL" --device-url "$OIDC_DEVICE_URL" --revocation-url "$OIDC_REVOKE_URL" \
  --client-id "$PUBLIC_CLIENT_ID" --scope openid --scope offline_access --scope "$MAIL_SCOPE" \
  --login-hint "$USER1" --mailbox "$USER1" >/dev/null
"$m" token get dev >"$tmp/out" 2>"$tmp/err"; rc=$?
check "before login: token get exits 78 and names token login, without waiting [1/2]" test $rc -eq 78
check "before login: token get exits 78 and names token login, without waiting [2/2]" grep -q "mailoauth token login dev" "$tmp/err"
"$m" --log-level trace token login dev --no-browser --timeout 20 >"$tmp/login.out" 2>"$tmp/login.err" &
login=$!
for _ in $(seq 100); do grep -q "^  http" "$tmp/login.err" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^  \(http.*\)$/\1/p' "$tmp/login.err" | head -1)
check "login prints an authorization URL with PKCE S256 and a state [1/3]" grep -q "code_challenge_method=S256" <(printf "%s" "$url")
check "login prints an authorization URL with PKCE S256 and a state [2/3]" grep -q "state=" <(printf "%s" "$url")
check "login prints an authorization URL with PKCE S256 and a state [3/3]" grep -q "redirect_uri=http%3A%2F%2F127.0.0.1%3A" <(printf "%s" "$url")
check "the listener is bound to 127.0.0.1 only" not grep -qE "(0\.0\.0\.0|\*|\[::\]):$(printf "%s" "$url" | sed -n "s/.*127.0.0.1%3A\([0-9]*\).*/\1/p")\b" <(ss -ltn 2>/dev/null)
curl -s -L -b "$tmp/jar" -c "$tmp/jar" --max-time 20 "$url" >"$tmp/page"
wait $login; rc=$?
check "the browser sign-in completes (exit 0) and the page says to go back [1/3]" test $rc -eq 0
check "the browser sign-in completes (exit 0) and the page says to go back [2/3]" grep -q "return to the terminal" "$tmp/page"
check "the browser sign-in completes (exit 0) and the page says to go back [3/3]" grep -q "signed in" "$tmp/login.out"
access1=$("$m" token get dev)
check "token get after login answers from the store" test -n "$access1"
refresh_before=$(grep -c "grant.success client=$PUBLIC_CLIENT_ID" "$OIDC_LOG")
access2=$("$m" token get dev --min-valid 7200)
refresh_after=$(grep -c "grant.success client=$PUBLIC_CLIENT_ID" "$OIDC_LOG")
check "a token that would not last --min-valid is refreshed (one grant) [1/3]" test -n "$access2"
check "a token that would not last --min-valid is refreshed (one grant) [2/3]" test "$access2" != "$access1"
check "a token that would not last --min-valid is refreshed (one grant) [3/3]" test $((refresh_after - refresh_before)) -eq 1
check "status --json shows the refresh token and no error [1/2]" grep -q "\"has_refresh_token\": true" <("$m" token status dev --json)
check "status --json shows the refresh token and no error [2/2]" not grep -q last_error <("$m" token status dev --json)

# --- secrets never printed, nothing in clear -------------------------------------
check "no token or secret on stderr at trace level [1/2]" not grep -qF -e "$access1" "$tmp/login.err"
check "no token or secret on stderr at trace level [2/2]" not grep -qF -e "$CC_CLIENT_SECRET" "$tmp/login.err"
"$m" --log-level trace token get app --min-valid 999999 >/dev/null 2>"$tmp/trace.err"
check "a traced client-credentials request shows no secret [1/3]" test -s "$tmp/trace.err"
check "a traced client-credentials request shows no secret [2/3]" not grep -qF -e "$CC_CLIENT_SECRET" "$tmp/trace.err"
check "a traced client-credentials request shows no secret [3/3]" not grep -qF -e "$token" "$tmp/trace.err"
check "the store holds no token in clear [1/2]" not grep -qaF -e "$access2" "$tmp/state/tokens.db" "$tmp/state/tokens.db-wal" 2>/dev/null
check "the store holds no token in clear [2/2]" not grep -qaF -e "$token" "$tmp/state/tokens.db" "$tmp/state/tokens.db-wal" 2>/dev/null

# --- export to another host, import there ----------------------------------------
printf 'a long export passphrase\n' > "$tmp/pass"
"$m" token export dev app --file "$tmp/tokens.export" --passphrase-file "$tmp/pass" >"$tmp/out" 2>&1; rc=$?
check "token export writes a 0600 file with no token in clear [1/4]" test $rc -eq 0
check "token export writes a 0600 file with no token in clear [2/4]" test "$(stat -c %a "$tmp/tokens.export")" = 600
check "token export writes a 0600 file with no token in clear [3/4]" not grep -qF -e "$access2" "$tmp/tokens.export"
check "token export writes a 0600 file with no token in clear [4/4]" grep -q "mailoauth token export v1" <(head -1 "$tmp/tokens.export")
MAILOAUTH_STATE_DIR="$tmp/other-host" "$m" token import --file "$tmp/tokens.export" --passphrase-file "$tmp/pass" >"$tmp/out" 2>&1; rc=$?
check "token import on another host; token get there answers the same token [1/2]" test $rc -eq 0
check "token import on another host; token get there answers the same token [2/2]" test "$(MAILOAUTH_STATE_DIR="$tmp/other-host" "$m" token get dev)" = "$access2"
MAILOAUTH_STATE_DIR="$tmp/other-host" "$m" token import --file "$tmp/tokens.export" --passphrase-file "$tmp/pass" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "a second import without --replace changes nothing (exit 78) [1/2]" test $rc -eq 78
check "a second import without --replace changes nothing (exit 78) [2/2]" grep -q -- "--replace" "$tmp/err"
printf 'the wrong passphrase\n' > "$tmp/wrong.pass"
MAILOAUTH_STATE_DIR="$tmp/third-host" "$m" token import --file "$tmp/tokens.export" --passphrase-file "$tmp/wrong.pass" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "a wrong passphrase imports nothing and says so [1/3]" test $rc -eq 78
check "a wrong passphrase imports nothing and says so [2/3]" grep -q "wrong passphrase" "$tmp/err"
check "a wrong passphrase imports nothing and says so [3/3]" not grep -q "access token" <(MAILOAUTH_STATE_DIR="$tmp/third-host" "$m" token status dev)

# --- a refresh token revoked elsewhere: Permanent, with the remedy ---------------------
# The other host imported dev's refresh token; revoking it here kills it there.
"$m" token revoke dev --keep-local >/dev/null
MAILOAUTH_STATE_DIR="$tmp/other-host" "$m" token get dev --min-valid 7200 >"$tmp/out" 2>"$tmp/err"; rc=$?
check "a revoked refresh token: exit 69 (refused for good), invalid_grant, and token login named [1/4]" test $rc -eq 69
check "a revoked refresh token: exit 69 (refused for good), invalid_grant, and token login named [2/4]" grep -q invalid_grant "$tmp/err"
check "a revoked refresh token: exit 69 (refused for good), invalid_grant, and token login named [3/4]" grep -q "token login" "$tmp/err"
check "a revoked refresh token: exit 69 (refused for good), invalid_grant, and token login named [4/4]" test ! -s "$tmp/out"
check "the failure is kept for token status" grep -q "last error: .*invalid_grant" <(MAILOAUTH_STATE_DIR="$tmp/other-host" "$m" token status dev)

# --- device flow ------------------------------------------------------------------
"$m" token login dev --device >"$tmp/device.out" 2>"$tmp/device.err" &
login=$!
for _ in $(seq 100); do grep -q "enter the code" "$tmp/device.err" 2>/dev/null && break; sleep 0.1; done
code=$(sed -n 's/.*enter the code \([A-Z0-9-]*\).*/\1/p' "$tmp/device.err")
curl -sf --max-time 5 -d "user_code=$code" -d "login_hint=$USER1" "$OIDC_TEST_DEVICE_APPROVE_URL" >/dev/null
wait $login; rc=$?
check "device sign-in: code shown, approved elsewhere, exit 0 [1/3]" test -n "$code"
check "device sign-in: code shown, approved elsewhere, exit 0 [2/3]" test $rc -eq 0
check "device sign-in: code shown, approved elsewhere, exit 0 [3/3]" grep -q "signed in" "$tmp/device.out"

# --- revocation ---------------------------------------------------------------------
"$m" token revoke dev >"$tmp/out" 2>"$tmp/err"; rc=$?
check "token revoke revokes at the server and deletes the local tokens [1/3]" test $rc -eq 0
check "token revoke revokes at the server and deletes the local tokens [2/3]" grep -q "revoked at the provider" "$tmp/out"
check "token revoke revokes at the server and deletes the local tokens [3/3]" grep -q "no token yet" <("$m" token status dev)

# --- a generic account with only its issuer: endpoints by OIDC discovery --------------
"$m" account add disc --provider generic --issuer "$OIDC_ISSUER" --client-id "$PUBLIC_CLIENT_ID" \
  --scope openid --scope offline_access --scope "$MAIL_SCOPE" --login-hint "$USER2" >/dev/null
"$m" token login disc --device >"$tmp/disc.out" 2>"$tmp/disc.err" &
login=$!
for _ in $(seq 100); do grep -q "enter the code" "$tmp/disc.err" 2>/dev/null && break; sleep 0.1; done
code=$(sed -n 's/.*enter the code \([A-Z0-9-]*\).*/\1/p' "$tmp/disc.err")
curl -sf --max-time 5 -d "user_code=$code" -d "login_hint=$USER2" "$OIDC_TEST_DEVICE_APPROVE_URL" >/dev/null
wait $login; rc=$?
check "issuer only: the device endpoint is discovered and the sign-in completes [1/2]" test -n "$code"
check "issuer only: the device endpoint is discovered and the sign-in completes [2/2]" test $rc -eq 0
check "issuer only: renewal finds the token endpoint by discovery" test -n "$("$m" token get disc --min-valid 7200)"
"$m" token revoke disc >"$tmp/out" 2>"$tmp/err"; rc=$?
check "issuer only: the revocation endpoint is discovered [1/2]" test $rc -eq 0
check "issuer only: the revocation endpoint is discovered [2/2]" grep -q "revoked at the provider" "$tmp/out"

# --- a short-lived token is renewed ahead of its expiry ----------------------------
"$m" account add short --provider generic --flow app --token-url "$OIDC_TOKEN_URL" \
  --client-id "$CC_SHORT_CLIENT_ID" --client-secret-env SHORT_SECRET --scope "$MAIL_SCOPE" \
  --mailbox "$USER1" >/dev/null
export SHORT_SECRET=$CC_SHORT_CLIENT_SECRET
s1=$("$m" token get short --min-valid 2); s2=$("$m" token get short --min-valid 2)
sleep 1.5  # the token (3 s) is still valid, but not for 2 s more
s3=$("$m" token get short --min-valid 2)
check "a short-lived token is reused while it lasts --min-valid, renewed before it expires [1/4]" test -n "$s1"
check "a short-lived token is reused while it lasts --min-valid, renewed before it expires [2/4]" test "$s1" = "$s2"
check "a short-lived token is reused while it lasts --min-valid, renewed before it expires [3/4]" test -n "$s3"
check "a short-lived token is reused while it lasts --min-valid, renewed before it expires [4/4]" test "$s3" != "$s1"

# --- account remove ---------------------------------------------------------------
"$m" account remove wrong >/dev/null
check "account remove cuts only that table [1/3]" not grep -q "accounts.wrong" "$tmp/config.toml"
check "account remove cuts only that table [2/3]" grep -q "accounts.app" "$tmp/config.toml"
check "account remove cuts only that table [3/3]" grep -q "accounts.dev" "$tmp/config.toml"
finish
