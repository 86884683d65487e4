#!/usr/bin/env bash
# Proof: the stack's oidc-provider runs the authorization code grant with PKCE
# (S256) unattended, the way mailoauth's loopback login will drive it:
#   authorize URL -> test-only interaction (logs in login_hint, consents) ->
#   redirect to http://127.0.0.1:<any port>/callback?code&state&iss, caught
#   here by NOT following the last redirect (no listener needed) ->
#   code + verifier at the token endpoint -> access, refresh and ID tokens.
# Then: the access token opens alice's IMAP mailbox; refreshing returns a NEW
# refresh token and the old one fails with invalid_grant (rotation, like
# Microsoft's; replaying the old one revokes the grant); a code works once; a wrong
# verifier fails; an authorization request without code_challenge is refused
# (PKCE required). Client: curl 7.88.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

jar=$(mktemp)
trap 'rm -f "$jar"' EXIT
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
# A loopback port nobody listens on: the provider must accept any port.
redirect_uri=http://127.0.0.1:$((20000 + RANDOM % 20000))/callback
scope="openid email offline_access $MAIL_SCOPE"

LOCATION=""
# authorize ARGS...: start at the authorize endpoint with ARGS (curl -G
# --data-urlencode pairs) and follow the provider's own redirects (at most 10
# hops, 5 s each) until one points at redirect_uri; LOCATION is that URL.
authorize() {
    local url hops headers status
    headers=$(curl -sS --max-time 5 -G -o /dev/null -D - -b "$jar" -c "$jar" "$@" "$OIDC_AUTHORIZE_URL") \
        || fail "authorize endpoint unreachable"
    for ((hops = 0; hops < 10; hops++)); do
        status=$(printf '%s' "$headers" | head -n 1 | tr -d '\r')
        url=$(printf '%s' "$headers" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
        [ -n "$url" ] || fail "authorization flow stopped without a redirect ($status)" "$headers"
        case $url in
            "$redirect_uri"*) LOCATION=$url; return 0 ;;
            /*) url=$OIDC_ISSUER$url ;;
        esac
        headers=$(curl -sS --max-time 5 -o /dev/null -D - -b "$jar" -c "$jar" "$url") \
            || fail "redirect hop $hops to the provider failed"
    done
    fail "more than 10 redirects without reaching $redirect_uri"
}
query_param() { printf '%s' "$LOCATION" | sed -n -E "s/.*[?&]$1=([^&]*).*/\\1/p"; }

# --- 1. Authorization code with PKCE S256 --------------------------------------
verifier=$(openssl rand -hex 32)
challenge=$(printf '%s' "$verifier" | openssl dgst -sha256 -binary | b64url)
state=st$(openssl rand -hex 8)
authorize --data-urlencode "client_id=$PUBLIC_CLIENT_ID" --data-urlencode response_type=code \
    --data-urlencode "redirect_uri=$redirect_uri" --data-urlencode "scope=$scope" \
    --data-urlencode "state=$state" --data-urlencode "code_challenge=$challenge" \
    --data-urlencode code_challenge_method=S256 --data-urlencode "login_hint=$USER1"
code=$(query_param code)
[ -n "$code" ] || fail "redirect carries no code: error=$(query_param error) $(query_param error_description)"
[ "$(query_param state)" = "$state" ] || fail "state in the redirect does not match the one sent"
ok "authorize -> test interaction -> redirect to $redirect_uri with code (${#code} chars) and the same state"

body=$(token_request -d grant_type=authorization_code -d "client_id=$PUBLIC_CLIENT_ID" \
    --data-urlencode "code=$code" --data-urlencode "redirect_uri=$redirect_uri" -d "code_verifier=$verifier")
access=$(printf '%s' "$body" | json_get access_token)
refresh=$(printf '%s' "$body" | json_get refresh_token)
id_token=$(printf '%s' "$body" | json_get id_token)
[ -n "$access" ] && [ -n "$refresh" ] && [ -n "$id_token" ] \
    || fail "code exchange did not return access, refresh and ID tokens: $(printf '%s' "$body" | json_get error)" "$body"
ok "code + verifier -> access (${#access}), refresh (${#refresh}) and ID (${#id_token}) tokens"

rc=0; imap_oauthbearer "imaps://$IMAP_HOST:$IMAPS_PORT/" "$USER1" "$access" || rc=$?
[ $rc -eq 0 ] || fail "the auth-code access token does not open $USER1's mailbox (curl exit $rc)" "$CURL_OUT"
expect_imap_ok "auth-code access token logs in to IMAP as $USER1"

# --- 2. Refresh token rotation ---------------------------------------------------
body=$(token_request -d grant_type=refresh_token -d "client_id=$PUBLIC_CLIENT_ID" --data-urlencode "refresh_token=$refresh")
new_refresh=$(printf '%s' "$body" | json_get refresh_token)
[ -n "$(printf '%s' "$body" | json_get access_token)" ] || fail "refresh did not return an access token" "$body"
[ -n "$new_refresh" ] || fail "refresh did not return a refresh token" "$body"
[ "$new_refresh" != "$refresh" ] || fail "refresh returned the same refresh token (no rotation)"
ok "refresh returns a new access token and a NEW refresh token (${#new_refresh} chars)"
body=$(token_request -d grant_type=refresh_token -d "client_id=$PUBLIC_CLIENT_ID" --data-urlencode "refresh_token=$refresh")
[ "$(printf '%s' "$body" | json_get error)" = invalid_grant ] || fail "the rotated-out refresh token still works" "$body"
ok "the old refresh token now fails with invalid_grant"
# oidc-provider treats a replayed refresh token as theft and revokes the whole
# grant: the new refresh token dies too. Clients must never reuse an old one.
body=$(token_request -d grant_type=refresh_token -d "client_id=$PUBLIC_CLIENT_ID" --data-urlencode "refresh_token=$new_refresh")
[ "$(printf '%s' "$body" | json_get error)" = invalid_grant ] || fail "the new refresh token survived the replay of the old one" "$body"
ok "replaying the old refresh token revoked the grant: the new one fails with invalid_grant too"

# A code works once (RFC 6749 4.1.2).
again=$(token_request -d grant_type=authorization_code -d "client_id=$PUBLIC_CLIENT_ID" \
    --data-urlencode "code=$code" --data-urlencode "redirect_uri=$redirect_uri" -d "code_verifier=$verifier")
[ "$(printf '%s' "$again" | json_get error)" = invalid_grant ] || fail "a used code was accepted again" "$again"
ok "a code works once: the second exchange gets invalid_grant"

# --- 3. PKCE is enforced ------------------------------------------------------------
verifier2=$(openssl rand -hex 32)
authorize --data-urlencode "client_id=$PUBLIC_CLIENT_ID" --data-urlencode response_type=code \
    --data-urlencode "redirect_uri=$redirect_uri" --data-urlencode "scope=$scope" --data-urlencode state=s2 \
    --data-urlencode "code_challenge=$(printf '%s' "$verifier2" | openssl dgst -sha256 -binary | b64url)" \
    --data-urlencode code_challenge_method=S256
code2=$(query_param code)
[ -n "$code2" ] || fail "second authorization returned no code"
body=$(token_request -d grant_type=authorization_code -d "client_id=$PUBLIC_CLIENT_ID" \
    --data-urlencode "code=$code2" --data-urlencode "redirect_uri=$redirect_uri" -d "code_verifier=$(openssl rand -hex 32)")
[ "$(printf '%s' "$body" | json_get error)" = invalid_grant ] || fail "a wrong code_verifier was accepted" "$body"
ok "a wrong code_verifier fails with invalid_grant"

authorize --data-urlencode "client_id=$PUBLIC_CLIENT_ID" --data-urlencode response_type=code \
    --data-urlencode "redirect_uri=$redirect_uri" --data-urlencode "scope=$scope" --data-urlencode state=s3
[ -z "$(query_param code)" ] || fail "an authorization request without code_challenge got a code"
error=$(query_param error)
description=$(query_param error_description | sed 's/+/ /g; s/%20/ /g')
[ "$error" = invalid_request ] || fail "without code_challenge: expected error=invalid_request, got '$error'"
grep -qi 'PKCE' <<<"$description" || fail "error_description does not mention PKCE: $description"
ok "without code_challenge: redirected with error=invalid_request ($description)"

note "PASS"
