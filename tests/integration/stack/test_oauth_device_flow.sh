#!/usr/bin/env bash
# Proof: the stack's oidc-provider runs the device authorization grant
# (RFC 8628) unattended, as mailoauth's `token get --device` will use it:
# device authorization request -> polling answers authorization_pending ->
# the test-only approval endpoint stands in for the user typing the code ->
# polling returns access and refresh tokens; the device code then works no
# more. The confidential client (client_secret_basic) is used, so client
# authentication at the device and token endpoints is covered too. A second
# request is denied through the same endpoint and polling must say
# access_denied. Client: curl 7.88.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

GRANT=urn:ietf:params:oauth:grant-type:device_code
auth=(-u "$CONF_CLIENT_ID:$CONF_CLIENT_SECRET")

device_authorize() {
    curl -sS --max-time 5 "${auth[@]}" --data-urlencode "scope=openid email offline_access $MAIL_SCOPE" "$OIDC_DEVICE_URL"
}
poll() { token_request "${auth[@]}" -d "grant_type=$GRANT" --data-urlencode "device_code=$1"; }
approve() { curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "$@" "$OIDC_TEST_DEVICE_APPROVE_URL"; }

body=$(device_authorize)
device_code=$(printf '%s' "$body" | json_get device_code)
user_code=$(printf '%s' "$body" | json_get user_code)
verification_uri=$(printf '%s' "$body" | json_get verification_uri)
[ -n "$device_code" ] && [ -n "$user_code" ] && [ -n "$verification_uri" ] \
    || fail "device authorization response lacks device_code/user_code/verification_uri" "$body"
interval=$(printf '%s' "$body" | json_get interval)
ok "device authorization: user_code ${#user_code} chars, verification_uri $verification_uri, interval ${interval:-absent (RFC 8628 default 5 s)}"

body=$(poll "$device_code")
[ "$(printf '%s' "$body" | json_get error)" = authorization_pending ] || fail "first poll: expected authorization_pending" "$body"
ok "polling before approval: authorization_pending"

status=$(approve --data-urlencode "user_code=$user_code" --data-urlencode "login_hint=$USER2")
[ "$status" = 200 ] || fail "test-only approval endpoint answered HTTP $status"
ok "approved through the test-only endpoint as $USER2"

# Bounded polling: at most 10 polls, 0.2 s apart.
access=""
for ((i = 0; i < 10; i++)); do
    body=$(poll "$device_code")
    access=$(printf '%s' "$body" | json_get access_token)
    [ -n "$access" ] && break
    [ "$(printf '%s' "$body" | json_get error)" = authorization_pending ] || fail "poll $i: unexpected answer" "$body"
    sleep 0.2
done
[ -n "$access" ] || fail "no tokens after 10 polls" "$body"
refresh=$(printf '%s' "$body" | json_get refresh_token)
[ -n "$refresh" ] || fail "device flow returned no refresh token" "$body"
ok "polling after approval: access (${#access}) and refresh (${#refresh}) tokens"

rc=0; imap_oauthbearer "imaps://$IMAP_HOST:$IMAPS_PORT/" "$USER2" "$access" || rc=$?
[ $rc -eq 0 ] || fail "the device-flow access token does not open $USER2's mailbox (curl exit $rc)" "$CURL_OUT"
expect_imap_ok "device-flow access token logs in to IMAP as $USER2"

body=$(token_request "${auth[@]}" -d grant_type=refresh_token --data-urlencode "refresh_token=$refresh")
new_refresh=$(printf '%s' "$body" | json_get refresh_token)
[ -n "$new_refresh" ] && [ "$new_refresh" != "$refresh" ] || fail "refresh with the confidential client did not rotate" "$body"
ok "refresh (client_secret_basic) returns a new refresh token"

# Replaying the device code fails (and, as with codes, revokes the grant).
body=$(poll "$device_code")
[ "$(printf '%s' "$body" | json_get error)" = invalid_grant ] || fail "a used device code was accepted again" "$body"
ok "the device code works once (then invalid_grant)"

# A denial must surface as access_denied.
body=$(device_authorize)
device_code=$(printf '%s' "$body" | json_get device_code)
user_code=$(printf '%s' "$body" | json_get user_code)
status=$(approve --data-urlencode "user_code=$user_code" -d deny=1)
[ "$status" = 200 ] || fail "test-only deny answered HTTP $status"
body=$(poll "$device_code")
[ "$(printf '%s' "$body" | json_get error)" = access_denied ] || fail "denied request: expected access_denied" "$body"
ok "a denied device request polls as access_denied"

note "PASS"
