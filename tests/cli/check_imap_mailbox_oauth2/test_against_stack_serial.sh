#!/usr/bin/env bash
# check_imap_mailbox_oauth2 against the stack (oidc-provider + Dovecot's
# XOAUTH2/OAUTHBEARER): the status line names the shared mailbox (check-mail
# prints an empty account); the first run asks for a token and the next ones
# reuse it from the cache (grants counted in the server's log, so this runs
# alone: "serial"), also when eight start at once on an empty state
# directory; -no-cache asks every run; OAUTHBEARER, a secret file and
# certificate credentials work; a wrong secret is CRITICAL with the identity
# server's words; a revoked (cached) token is renewed once and the check goes
# on, a token refused again is CRITICAL with Dovecot's words; -account uses a
# native account; an unusable cache is worked around (said in the long
# output), an unusable store of a native account is "Token store error
# occurred"; the trace log carries neither secret nor token (no HOME:
# tests/cli/nagios).
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
plugin="$MAILOAUTH_BIN_DIR/check_imap_mailbox_oauth2"
append="$MAILOAUTH_TEST_TOOLS/imap_append_tool"
tmp=$(mktemp -d)
export MAILOAUTH_STATE_DIR="$tmp/state" MAILOAUTH_CONFIG="$tmp/config.toml"
folder="Check-oauth2-$$"
imap() { curl -s --max-time 5 --cacert "$CA_FILE" -u "$CC_MAILBOX:$USER1_PASSWORD" "imaps://$IMAP_HOST:$IMAPS_PORT/" -X "$1"; }
trap 'imap "DELETE $folder" >/dev/null; rm -rf "$tmp"' EXIT
grants() { grep -c "grant.success client=$1\$" "$OIDC_LOG" || true; }
line() { head -n 1 "$tmp/out" | sed -E "s/'time'=[0-9]+ms/'time'=Nms/"; }
printf '%s\n' "$CC_CLIENT_SECRET" >"$tmp/secret"
common=(-folders "$folder" -server "$IMAP_HOST" -port "$IMAPS_PORT" -ca-file "$CA_FILE"
        -scopes "$MAIL_SCOPE" -shared-mailbox "$CC_MAILBOX" -token-url "$OIDC_TOKEN_URL")
run() { "$plugin" "${common[@]}" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }

imap "CREATE $folder" >/dev/null
"$append" "$IMAP_HOST" "$IMAPS_PORT" "$CA_FILE" "$CC_MAILBOX" "$USER1_PASSWORD" "$folder" append 60 "one" ||
  { echo "FAIL: APPEND"; exit 1; }

before=$(grants "$CC_CLIENT_ID")
run -client-id "$CC_CLIENT_ID" -client-secret-file "$tmp/secret"
check "first run: WARNING naming the shared mailbox [1/2]" test $rc -eq 1
check "first run: WARNING naming the shared mailbox [2/2]" test "$(line)" = "WARNING: $CC_MAILBOX: 1 messages found: $folder(1) | 'time'=Nms;;;; "
for _ in 2 3 4 5; do run -client-id "$CC_CLIENT_ID" -client-secret-file "$tmp/secret"; done
after=$(grants "$CC_CLIENT_ID")
echo "grants for 5 runs: $((after - before))"
check "5 runs, one grant at the server (the token is cached) [1/2]" test $rc -eq 1
check "5 runs, one grant at the server (the token is cached) [2/2]" test $((after - before)) -eq 1

# Eight checks at once on an empty state directory (Nagios starts its checks
# in parallel): they agree on one store key and ask for one token between them.
before=$(grants "$CC_CLIENT_ID")
for n in 1 2 3 4 5 6 7 8; do
  MAILOAUTH_STATE_DIR="$tmp/fresh" "$plugin" "${common[@]}" -client-id "$CC_CLIENT_ID" \
    -client-secret-file "$tmp/secret" >"$tmp/fresh.$n" 2>&1 &
done
wait
after=$(grants "$CC_CLIENT_ID")
check "8 checks at once on a fresh cache: all WARNING through the cache, one grant [1/3]" test "$(grep -l "1 messages found" "$tmp"/fresh.? | wc -l)" = 8
check "8 checks at once on a fresh cache: all WARNING through the cache, one grant [2/3]" not grep -q "token cache" "$tmp"/fresh.?
check "8 checks at once on a fresh cache: all WARNING through the cache, one grant [3/3]" test $((after - before)) -eq 1

before=$(grants "$CC_CLIENT_ID")
run -client-id "$CC_CLIENT_ID" -client-secret-file "$tmp/secret" -no-cache
run -client-id "$CC_CLIENT_ID" -client-secret-file "$tmp/secret" -no-cache
after=$(grants "$CC_CLIENT_ID")
check "-no-cache: one grant per run [1/2]" test $rc -eq 1
check "-no-cache: one grant per run [2/2]" test $((after - before)) -eq 2

run -client-id "$CC_CLIENT_ID" -client-secret "$CC_CLIENT_SECRET" -auth-mechanism oauthbearer
check "-auth-mechanism oauthbearer [1/2]" test $rc -eq 1
check "-auth-mechanism oauthbearer [2/2]" grep -q "1 messages found" <(line)
run -client-id "$CC_CLIENT_ID" -client-secret-file "$tmp/secret" -auth-mechanism plain
check "-auth-mechanism plain: UNKNOWN" test $rc -eq 3

run -client-id "$CERT_CLIENT_ID" -certificate-file "$CERT_CLIENT_CERT_FILE" -private-key-file "$CERT_CLIENT_KEY_FILE"
check "certificate credentials [1/2]" test $rc -eq 1
check "certificate credentials [2/2]" grep -q "1 messages found" <(line)

run -client-id "$CC_CLIENT_ID" -client-secret NOT-THE-SECRET
check "wrong secret: CRITICAL Login error with the identity server's words [1/3]" test $rc -eq 2
check "wrong secret: CRITICAL Login error with the identity server's words [2/3]" test "$(line)" = "CRITICAL: Login error occurred "
check "wrong secret: CRITICAL Login error with the identity server's words [3/3]" grep -q invalid_client "$tmp/out"

# Revoke the cached token behind the plugin's back: the next run presents it and Dovecot refuses.
token=$("$MAILOAUTH_BIN_DIR/fetch-token" -client-id "$CC_CLIENT_ID" -client-secret-file "$tmp/secret" \
          -scopes "$MAIL_SCOPE" -token-url "$OIDC_TOKEN_URL")
code=$(printf 'token=%s&token_type_hint=access_token&client_id=%s&client_secret=%s' \
         "$token" "$CC_CLIENT_ID" "$CC_CLIENT_SECRET" |
       curl -sS --max-time 5 -o /dev/null -w '%{http_code}' --data-binary @- "$OIDC_REVOKE_URL")
before=$(grants "$CC_CLIENT_ID")
run -client-id "$CC_CLIENT_ID" -client-secret-file "$tmp/secret"
after=$(grants "$CC_CLIENT_ID")
check "revoked cached token: renewed once, the check goes on [1/4]" test "$code" = 200
check "revoked cached token: renewed once, the check goes on [2/4]" test $rc -eq 1
check "revoked cached token: renewed once, the check goes on [3/4]" grep -q "1 messages found" <(line)
check "revoked cached token: renewed once, the check goes on [4/4]" test $((after - before)) -eq 1
check "the token is not in the output" not grep -qF "$token" "$tmp/out"
# A token refused again after the renewal (it is not for this mailbox) is final.
run -client-id "$CC_CLIENT_ID" -client-secret-file "$tmp/secret" -shared-mailbox "$USER2"
check "a token refused twice: CRITICAL Login error with Dovecot's words [1/3]" test $rc -eq 2
check "a token refused twice: CRITICAL Login error with Dovecot's words [2/3]" test "$(line)" = "CRITICAL: Login error occurred "
check "a token refused twice: CRITICAL Login error with Dovecot's words [3/3]" grep -q "AUTHENTICATIONFAILED" "$tmp/out"

cat >"$tmp/config.toml" <<EOC
[accounts.monitor]
provider = "generic"
flow = "app"
token_url = "$OIDC_TOKEN_URL"
client_id = "$CC_BOB_CLIENT_ID"
client_secret_file = "$tmp/bob.secret"
client_authentication = "basic"
scopes = ["$MAIL_SCOPE"]
mailbox = "$CC_BOB_MAILBOX"
imap_server = "$IMAP_HOST"
imap_port = $IMAP_PORT
imap_tls = "starttls"
ca_file = "$CA_FILE"
EOC
printf '%s\n' "$CC_BOB_CLIENT_SECRET" >"$tmp/bob.secret"
chmod 600 "$tmp/config.toml" "$tmp/bob.secret"
"$plugin" -folders INBOX -account monitor >"$tmp/out" 2>"$tmp/err"; rc=$?
check "-account monitor: the native account's server (STARTTLS), mailbox and token [1/2]" test $rc -le 1
check "-account monitor: the native account's server (STARTTLS), mailbox and token [2/2]" grep -Eq "^(OK|WARNING): $CC_BOB_MAILBOX: " <(line)
"$plugin" -folders INBOX -account nosuch >"$tmp/out" 2>"$tmp/err"; rc=$?
check "-account with an unknown name: UNKNOWN [1/2]" test $rc -eq 3
check "-account with an unknown name: UNKNOWN [2/2]" grep -q nosuch "$tmp/out"

# The cache cannot be used (here: a store key that is not a key): the flags'
# token is fetched without it, the check is OK and the long output says why.
MAILOAUTH_STORE_KEY=not-a-key run -client-id "$CC_CLIENT_ID" -client-secret-file "$tmp/secret"
check "unusable token cache: the check still works, the long output names the cache trouble [1/4]" test $rc -eq 1
check "unusable token cache: the check still works, the long output names the cache trouble [2/4]" grep -q "1 messages found" <(line)
check "unusable token cache: the check still works, the long output names the cache trouble [3/4]" grep -q "^token cache not used: .*MAILOAUTH_STORE_KEY" "$tmp/out"
check "unusable token cache: the check still works, the long output names the cache trouble [4/4]" test ! -s "$tmp/err"
# A native account's token lives in the store: that failure is named, not a login error.
MAILOAUTH_STORE_KEY=not-a-key "$plugin" -folders INBOX -account monitor >"$tmp/out" 2>"$tmp/err"; rc=$?
check "-account with an unusable store: CRITICAL Token store error occurred [1/3]" test $rc -eq 2
check "-account with an unusable store: CRITICAL Token store error occurred [2/3]" test "$(line)" = "CRITICAL: Token store error occurred "
check "-account with an unusable store: CRITICAL Token store error occurred [3/3]" grep -q MAILOAUTH_STORE_KEY "$tmp/out"
# -log-level trace: the steps and the dialogue, never the secret or the token.
run -client-id "$CC_CLIENT_ID" -client-secret-file "$tmp/secret" -no-cache -log-level trace
check "-log-level trace: token, login and counts logged; no secret, no token [1/5]" grep -q "Acquiring fresh token" "$tmp/err"
check "-log-level trace: token, login and counts logged; no secret, no token [2/5]" grep -q "AUTHENTICATE XOAUTH2 <redacted [0-9]* bytes>" "$tmp/err"
check "-log-level trace: token, login and counts logged; no secret, no token [3/5]" grep -q "Messages found mailbox=$folder messages=1" "$tmp/err"
check "-log-level trace: token, login and counts logged; no secret, no token [4/5]" grep -q "\"access_token\":\"<redacted" "$tmp/err"
check "-log-level trace: token, login and counts logged; no secret, no token [5/5]" not grep -qF "$CC_CLIENT_SECRET" "$tmp/err"
[ $checks_failed -eq 0 ] || { cat "$tmp/out" "$tmp/err"; }
finish
