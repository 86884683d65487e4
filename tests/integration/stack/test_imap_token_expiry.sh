#!/usr/bin/env bash
# Proof: an access token stops working at IMAP once it expires. The stack's
# cc-alice-short client gets tokens that live CC_SHORT_TOKEN_TTL (~3) seconds:
# the token logs in while fresh, and after sleeping past its expiry Dovecot's
# introspection finds it inactive and the login fails with the real
# `NO [AUTHENTICATIONFAILED]`. This is what mailoauth's "refresh before expiry"
# logic is tested against. Client: curl 7.88 (OAUTHBEARER over implicit TLS).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

imaps=imaps://$IMAP_HOST:$IMAPS_PORT/
body=$(token_request -d grant_type=client_credentials -d "scope=$MAIL_SCOPE" \
    -d "client_id=$CC_SHORT_CLIENT_ID" -d "client_secret=$CC_SHORT_CLIENT_SECRET")
token=$(printf '%s' "$body" | json_get access_token)
expires_in=$(printf '%s' "$body" | json_get expires_in)
[ -n "$token" ] || fail "no token for $CC_SHORT_CLIENT_ID" "$body"
[ "$expires_in" = "$CC_SHORT_TOKEN_TTL" ] || fail "expires_in is '$expires_in', expected $CC_SHORT_TOKEN_TTL"
ok "short-lived token: ${#token} characters, expires_in=$expires_in s"

rc=0; imap_oauthbearer "$imaps" "$USER1" "$token" || rc=$?
[ $rc -eq 0 ] || fail "fresh short-lived token refused (curl exit $rc)" "$CURL_OUT"
expect_imap_ok "fresh short-lived token logs in"

wait_s=$((expires_in + 1))
note "sleeping ${wait_s}s, past the token's expiry"
sleep "$wait_s"
rc=0; imap_oauthbearer "$imaps" "$USER1" "$token" || rc=$?
expect_imap_refused "expired token" $rc

note "PASS"
