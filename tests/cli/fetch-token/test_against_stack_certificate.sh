#!/usr/bin/env bash
# `fetch-token -certificate-file/-private-key-file` against the real OAuth2
# server of the test stack (client cc-cert, private_key_jwt): a token the
# server reports active for cc-cert; the key in the certificate's file or in
# its own; the cache reusing the token for the same certificate but never for
# another certificate of the same client (the cache key holds the thumbprint,
# not a secret); a secret and a certificate together, a key without a
# certificate and an encrypted key refused as configuration errors (exit 2)
# with the remedy. Tokens are compared, never printed.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
fetch="$MAILOAUTH_BIN_DIR/fetch-token"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export MAILOAUTH_STATE_DIR="$tmp/state"  # the token cache of this test alone
common=(-client-id "$CERT_CLIENT_ID" -scopes "$MAIL_SCOPE" -token-url "$OIDC_TOKEN_URL")
introspect_client() {
  printf "token=%s&client_id=%s&client_secret=%s" "$(cat "$1")" "$INTROSPECT_CLIENT_ID" "$INTROSPECT_CLIENT_SECRET" \
    | curl -s --max-time 5 --data @- "$OIDC_INTROSPECT_URL" | grep -o '"client_id":"[^"]*"'
}

"$fetch" "${common[@]}" -certificate-file "$CERT_CLIENT_CERT_FILE" -private-key-file "$CERT_CLIENT_KEY_FILE" >"$tmp/first" 2>"$tmp/err"; rc=$?
check "certificate: exit 0, a token, nothing on stderr [1/3]" test $rc -eq 0
check "certificate: exit 0, a token, nothing on stderr [2/3]" test -s "$tmp/first"
check "certificate: exit 0, a token, nothing on stderr [3/3]" test ! -s "$tmp/err"
check "the token is active at introspection, for cc-cert" test "$(introspect_client "$tmp/first")" = "\"client_id\":\"$CERT_CLIENT_ID\""

"$fetch" "${common[@]}" -certificate-file "$CERT_CLIENT_CERT_FILE" -private-key-file "$CERT_CLIENT_KEY_FILE" >"$tmp/second" 2>"$tmp/err"; rc=$?
check "same certificate again: the cached token [1/2]" test $rc -eq 0
check "same certificate again: the cached token [2/2]" cmp -s "$tmp/first" "$tmp/second"

cat "$CERT_CLIENT_KEY_FILE" "$CERT_CLIENT_CERT_FILE" > "$tmp/combined.pem"
"$fetch" "${common[@]}" -certificate-file "$tmp/combined.pem" -no-cache >"$tmp/combined" 2>"$tmp/err"; rc=$?
check "key in the certificate's file, -no-cache: a new token [1/3]" test $rc -eq 0
check "key in the certificate's file, -no-cache: a new token [2/3]" test -s "$tmp/combined"
check "key in the certificate's file, -no-cache: a new token [3/3]" not cmp -s "$tmp/first" "$tmp/combined"

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=other -keyout "$tmp/other.key" -out "$tmp/other.crt" 2>/dev/null
"$fetch" "${common[@]}" -certificate-file "$tmp/other.crt" -private-key-file "$tmp/other.key" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "another certificate of the same client: not served from the cache, refused (exit 1) [1/3]" test $rc -eq 1
check "another certificate of the same client: not served from the cache, refused (exit 1) [2/3]" test ! -s "$tmp/out"
check "another certificate of the same client: not served from the cache, refused (exit 1) [3/3]" grep -q "invalid_client" "$tmp/err"

"$fetch" "${common[@]}" -client-secret x -certificate-file "$CERT_CLIENT_CERT_FILE" >/dev/null 2>"$tmp/err"; rc=$?
check "secret and certificate together: exit 2 [1/2]" test $rc -eq 2
check "secret and certificate together: exit 2 [2/2]" grep -q "not both" "$tmp/err"
"$fetch" "${common[@]}" -private-key-file "$CERT_CLIENT_KEY_FILE" >/dev/null 2>"$tmp/err"; rc=$?
check "a key without a certificate: exit 2 [1/2]" test $rc -eq 2
check "a key without a certificate: exit 2 [2/2]" grep -q "needs -certificate-file" "$tmp/err"
openssl pkey -in "$CERT_CLIENT_KEY_FILE" -aes256 -passout pass:pw -out "$tmp/encrypted.key" 2>/dev/null
"$fetch" "${common[@]}" -certificate-file "$CERT_CLIENT_CERT_FILE" -private-key-file "$tmp/encrypted.key" >/dev/null 2>"$tmp/err"; rc=$?
check "an encrypted key: exit 2, the openssl pkey remedy [1/2]" test $rc -eq 2
check "an encrypted key: exit 2, the openssl pkey remedy [2/2]" grep -q "openssl pkey -in" "$tmp/err"
check "help lists -certificate-file and -private-key-file [1/2]" grep -q "^  -certificate-file file$" <("$fetch" -h 2>&1)
check "help lists -certificate-file and -private-key-file [2/2]" grep -q "^  -private-key-file string$" <("$fetch" -h 2>&1)
finish
