#!/usr/bin/env bash
# Proof: Dovecot accepts OAUTHBEARER (RFC 7628) with tokens from the stack's
# oidc-provider, over STARTTLS and implicit TLS, and refuses the tokens it must:
# garbage, revoked, without the mail scope, or presented for another mailbox.
#
# Client: curl 7.88 (--oauth2-bearer selects OAUTHBEARER in this version).
# This is the path every mailoauth IMAP test relies on: token endpoint ->
# client credentials -> Dovecot -> introspection. The expired-token case lives
# in test_imap_token_expiry.sh because it has to sleep.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

imap=imap://$IMAP_HOST:$IMAP_PORT/
imaps=imaps://$IMAP_HOST:$IMAPS_PORT/

alice=$(cc_token "$CC_CLIENT_ID" "$CC_CLIENT_SECRET" "$CC_CLIENT_AUTH_METHOD")
note "client-credentials token for $CC_CLIENT_ID ($CC_CLIENT_AUTH_METHOD): ${#alice} characters"
bob=$(cc_token "$CC_BOB_CLIENT_ID" "$CC_BOB_CLIENT_SECRET" "$CC_BOB_CLIENT_AUTH_METHOD")
note "client-credentials token for $CC_BOB_CLIENT_ID ($CC_BOB_CLIENT_AUTH_METHOD): ${#bob} characters"

rc=0; imap_oauthbearer "$imap" "$USER1" "$alice" || rc=$?
[ $rc -eq 0 ] || fail "OAUTHBEARER over STARTTLS as $USER1 failed (curl exit $rc)" "$CURL_OUT"
grep -q '^> A[0-9]* STARTTLS' <<<"$CURL_OUT" || fail "curl did not use STARTTLS" "$CURL_OUT"
expect_imap_ok "OAUTHBEARER over STARTTLS on port $IMAP_PORT as $USER1"

rc=0; imap_oauthbearer "$imaps" "$USER1" "$alice" || rc=$?
[ $rc -eq 0 ] || fail "OAUTHBEARER over implicit TLS as $USER1 failed (curl exit $rc)" "$CURL_OUT"
expect_imap_ok "OAUTHBEARER over implicit TLS on port $IMAPS_PORT as $USER1"

rc=0; imap_oauthbearer "$imaps" "$USER2" "$bob" || rc=$?
[ $rc -eq 0 ] || fail "OAUTHBEARER as $USER2 failed (curl exit $rc)" "$CURL_OUT"
expect_imap_ok "OAUTHBEARER as $USER2 with the $CC_BOB_CLIENT_ID token"

rc=0; imap_oauthbearer "$imaps" "$USER2" "$alice" || rc=$?
expect_imap_refused "$USER1's token presented as $USER2" $rc

rc=0; imap_oauthbearer "$imap" "$USER1" "not-a-token-$RANDOM$RANDOM" || rc=$?
expect_imap_refused "garbage token" $rc
grep -q '^< + ' <<<"$CURL_OUT" || fail "no RFC 7628 error challenge before the NO" "$CURL_OUT"
ok "server sent the RFC 7628 error challenge and curl answered it"

noscope=$(cc_token "$CC_CLIENT_ID" "$CC_CLIENT_SECRET" "$CC_CLIENT_AUTH_METHOD" "")
rc=0; imap_oauthbearer "$imaps" "$USER1" "$noscope" || rc=$?
expect_imap_refused "token without the '$MAIL_SCOPE' scope" $rc

# Revocation (RFC 7009): the token works, is revoked, then is refused.
victim=$(cc_token "$CC_CLIENT_ID" "$CC_CLIENT_SECRET" "$CC_CLIENT_AUTH_METHOD")
rc=0; imap_oauthbearer "$imaps" "$USER1" "$victim" || rc=$?
[ $rc -eq 0 ] || fail "fresh token refused before revocation (curl exit $rc)" "$CURL_OUT"
status=$(printf 'token=%s&token_type_hint=access_token&client_id=%s&client_secret=%s' \
    "$victim" "$CC_CLIENT_ID" "$CC_CLIENT_SECRET" \
    | curl -sS --max-time 5 -o /dev/null -w '%{http_code}' --data-binary @- "$OIDC_REVOKE_URL")
[ "$status" = 200 ] || fail "revocation endpoint answered HTTP $status, expected 200"
ok "revocation endpoint answered 200"
active=$(printf 'token=%s' "$victim" | curl -sS --max-time 5 -u "$INTROSPECT_CLIENT_ID:$INTROSPECT_CLIENT_SECRET" \
    --data-binary @- "$OIDC_INTROSPECT_URL" | json_get active)
[ "$active" = false ] || fail "introspection of the revoked token says active=$active"
ok "introspection of the revoked token says active=false"
rc=0; imap_oauthbearer "$imaps" "$USER1" "$victim" || rc=$?
expect_imap_refused "revoked token" $rc

note "PASS"
