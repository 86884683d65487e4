#!/usr/bin/env bash
# check_imap_mailbox_oauth2 against the stack (oidc-provider + Dovecot's
# XOAUTH2/OAUTHBEARER): the status line names the shared mailbox (check-mail
# prints an empty account); the first run asks for a token and the next ones
# reuse it from the cache (grants counted in the server's log, so this runs
# alone: "serial"); -no-cache asks every run; OAUTHBEARER, a secret file and
# certificate credentials work; a wrong secret is CRITICAL with the identity
# server's words; a revoked (cached) token is renewed once and the check goes
# on, a token refused again is CRITICAL with Dovecot's words; -account uses a
# native account.
set -u
[ -n "${DEBUG_TEST:-}" ] && set -x
source "$MAILOAUTH_STACK_ENV"
plugin="$MAILOAUTH_BIN_DIR/check_imap_mailbox_oauth2"
append="$MAILOAUTH_TEST_TOOLS/imap_append_tool"
tmp=$(mktemp -d)
export MAILOAUTH_STATE_DIR="$tmp/state" MAILOAUTH_CONFIG="$tmp/config.toml"
folder="Check-oauth2-$$"
imap() { curl -s --max-time 5 --cacert "$CA_FILE" -u "$CC_MAILBOX:$USER1_PASSWORD" "imaps://$IMAP_HOST:$IMAPS_PORT/" -X "$1"; }
trap 'imap "DELETE $folder" >/dev/null; rm -rf "$tmp"' EXIT
status=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; status=1; fi; }
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
check "first run: WARNING naming the shared mailbox" \
  "[ \$rc -eq 1 ] && [ \"\$(line)\" = \"WARNING: $CC_MAILBOX: 1 messages found: $folder(1) | 'time'=Nms;;;; \" ]"
for _ in 2 3 4 5; do run -client-id "$CC_CLIENT_ID" -client-secret-file "$tmp/secret"; done
after=$(grants "$CC_CLIENT_ID")
echo "grants for 5 runs: $((after - before))"
check "5 runs, one grant at the server (the token is cached)" '[ $rc -eq 1 ] && [ $((after - before)) -eq 1 ]'

before=$(grants "$CC_CLIENT_ID")
run -client-id "$CC_CLIENT_ID" -client-secret-file "$tmp/secret" -no-cache
run -client-id "$CC_CLIENT_ID" -client-secret-file "$tmp/secret" -no-cache
after=$(grants "$CC_CLIENT_ID")
check "-no-cache: one grant per run" '[ $rc -eq 1 ] && [ $((after - before)) -eq 2 ]'

run -client-id "$CC_CLIENT_ID" -client-secret "$CC_CLIENT_SECRET" -auth-mechanism oauthbearer
check "-auth-mechanism oauthbearer" '[ $rc -eq 1 ] && line | grep -q "1 messages found"'
run -client-id "$CC_CLIENT_ID" -client-secret-file "$tmp/secret" -auth-mechanism plain
check "-auth-mechanism plain: UNKNOWN" '[ $rc -eq 3 ]'

run -client-id "$CERT_CLIENT_ID" -certificate-file "$CERT_CLIENT_CERT_FILE" -private-key-file "$CERT_CLIENT_KEY_FILE"
check "certificate credentials" '[ $rc -eq 1 ] && line | grep -q "1 messages found"'

run -client-id "$CC_CLIENT_ID" -client-secret NOT-THE-SECRET
check "wrong secret: CRITICAL Login error with the identity server's words" \
  '[ $rc -eq 2 ] && [ "$(line)" = "CRITICAL: Login error occurred " ] && grep -q invalid_client "$tmp/out"'

# Revoke the cached token behind the plugin's back: the next run presents it and Dovecot refuses.
token=$("$MAILOAUTH_BIN_DIR/fetch-token" -client-id "$CC_CLIENT_ID" -client-secret-file "$tmp/secret" \
          -scopes "$MAIL_SCOPE" -token-url "$OIDC_TOKEN_URL")
code=$(printf 'token=%s&token_type_hint=access_token&client_id=%s&client_secret=%s' \
         "$token" "$CC_CLIENT_ID" "$CC_CLIENT_SECRET" |
       curl -sS --max-time 5 -o /dev/null -w '%{http_code}' --data-binary @- "$OIDC_REVOKE_URL")
before=$(grants "$CC_CLIENT_ID")
run -client-id "$CC_CLIENT_ID" -client-secret-file "$tmp/secret"
after=$(grants "$CC_CLIENT_ID")
check "revoked cached token: refused, renewed once (one grant), the check goes on" \
  '[ "$code" = 200 ] && [ $rc -eq 1 ] && line | grep -q "1 messages found" && [ $((after - before)) -eq 1 ]'
check "the token is not in the output" '! grep -qF "$token" "$tmp/out"'
# A token refused again after the renewal (it is not for this mailbox) is final.
run -client-id "$CC_CLIENT_ID" -client-secret-file "$tmp/secret" -shared-mailbox "$USER2"
check "a token refused twice: CRITICAL Login error with Dovecot's words" \
  '[ $rc -eq 2 ] && [ "$(line)" = "CRITICAL: Login error occurred " ] && grep -q "AUTHENTICATIONFAILED" "$tmp/out"'

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
check "-account monitor: the native account's server (STARTTLS), mailbox and token" \
  '[ $rc -le 1 ] && line | grep -Eq "^(OK|WARNING): $CC_BOB_MAILBOX: "'
"$plugin" -folders INBOX -account nosuch >"$tmp/out" 2>"$tmp/err"; rc=$?
check "-account with an unknown name: UNKNOWN" '[ $rc -eq 3 ] && grep -q nosuch "$tmp/out"'
[ $status -eq 0 ] || { cat "$tmp/out" "$tmp/err"; }
exit $status
