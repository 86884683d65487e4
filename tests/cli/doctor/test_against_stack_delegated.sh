#!/usr/bin/env bash
# `mailoauth doctor` with delegated accounts (the stack's public client,
# signed in by the device flow, approved through the stack's test-only
# endpoint): a token without the `mail` scope is accepted by the identity
# server and refused by Dovecot: authentication fails (exit 69); a grant
# revoked at the server: the stored token is refused and its renewal fails
# with invalid_grant, both named, exit 69.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
source "${BASH_SOURCE%/*}/doctor_lib.sh"
trap doctor_cleanup EXIT

delegated() {  # NAME SCOPE...: a delegated account for alice, signed in by the device flow
  local name=$1 scope args=()
  shift
  for scope in "$@"; do args+=(--scope "$scope"); done
  "$m" account add "$name" --provider generic --issuer "$OIDC_ISSUER" \
    --authorize-url "$OIDC_AUTHORIZE_URL" --token-url "$OIDC_TOKEN_URL" --device-url "$OIDC_DEVICE_URL" \
    --revocation-url "$OIDC_REVOKE_URL" --client-id "$PUBLIC_CLIENT_ID" "${args[@]}" \
    --login-hint "$USER1" --mailbox "$USER1" >/dev/null || return 1
  server_keys >>"$tmp/config.toml"
  echo "ca_file = \"$CA_FILE\"" >>"$tmp/config.toml"
  "$m" token login "$name" --device >"$tmp/$name.out" 2>"$tmp/$name.err" &
  local login=$! code=
  for _ in $(seq 100); do
    code=$(sed -n 's/.*enter the code \([A-Z0-9-]*\).*/\1/p' "$tmp/$name.err")
    [ -n "$code" ] && break
    sleep 0.1
  done
  [ -n "$code" ] || { echo "no device code within 10 s"; cat "$tmp/$name.err"; return 1; }
  curl -sf --max-time 5 -d "user_code=$code" -d "login_hint=$USER1" "$OIDC_TEST_DEVICE_APPROVE_URL" >/dev/null
  wait $login
}

check "a delegated account with the mail scope signs in" delegated dev openid offline_access "$MAIL_SCOPE"
doctor dev
check "delegated: every step passes (exit 0)" test $rc -eq 0 || show "$tmp/out"
check "delegated: mailbox passed" step_is 8 mailbox ok

# --- Wrong scope: the token is issued, the mail server refuses it ------------------
check "a delegated account without the mail scope signs in" delegated nomail openid offline_access
doctor nomail
check "wrong scope (delegated): exit 69" test $rc -eq 69
check "wrong scope (delegated): the token step passed" step_is 6 token ok || show "$tmp/out"
check "wrong scope (delegated): authentication failed" step_is 7 authentication FAILED
check "wrong scope (delegated): the server's 535 quoted" grep -q "^   cause: .*535" "$tmp/out"
doctor nomail --imap
check "wrong scope (delegated, IMAP): authentication failed, exit 69 [1/2]" test $rc -eq 69
check "wrong scope (delegated, IMAP): authentication failed, exit 69 [2/2]" step_is 7 authentication FAILED || show "$tmp/out"

# --- Revoked grant: the stored token refused, the renewal refused too ------------------
"$m" token revoke dev --keep-local >/dev/null
doctor dev
check "revoked grant: exit 69" test $rc -eq 69
check "revoked grant: authentication failed" step_is 7 authentication FAILED || show "$tmp/out"
check "revoked grant: the renewal's invalid_grant named" grep -q "found: renewing the token failed too: .*invalid_grant" "$tmp/out"
finish
