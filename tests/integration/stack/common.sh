# Helpers shared by the stack proof tests (tests/integration/stack/test_*.sh);
# sourced, never run.
#
# The proof tests show that the test stack really behaves like the servers
# mailoauth will meet, using only clients nobody on this project wrote (curl,
# swaks, openssl s_client). Every test is standalone: it reads the stack's
# environment file from $MAILOAUTH_STACK_ENV, asserts on real server responses,
# bounds every wait, and never prints a token, secret or password (only their
# lengths; protocol traces pass through `redact` first).

set -euo pipefail

TEST_NAME=$(basename "$0" .sh)
# A command that fails outside fail() ends the test through set -e: say where,
# so a failure is never silent (one was seen once, under load, with no output).
trap 'printf "%s: FAIL line %s: %s (exit %s)\n" "$TEST_NAME" "$LINENO" "$BASH_COMMAND" "$?" >&2' ERR

note() { printf '%s: %s\n' "$TEST_NAME" "$*"; }
ok() { printf '%s: ok   %s\n' "$TEST_NAME" "$*"; }
fail() {
    printf '%s: FAIL %s\n' "$TEST_NAME" "$1" >&2
    if [ -n "${2:-}" ]; then
        printf '%s\n' "$2" | redact | tail -n 25 | sed 's/^/    | /' >&2
    fi
    exit 1
}

# Hide anything that looks like a token, a secret or a base64 SASL response
# (40+ characters of base64/base64url/hex), and the known passwords.
redact() {
    local sed_args=(-E -e 's/[A-Za-z0-9+/=_.~-]{40,}/<redacted>/g')
    local p
    for p in "${USER1_PASSWORD:-}" "${USER2_PASSWORD:-}"; do
        [ -n "$p" ] && sed_args+=(-e "s/$p/<password>/g")
    done
    sed "${sed_args[@]}"
}

if [ -z "${MAILOAUTH_STACK_ENV:-}" ] || [ ! -r "$MAILOAUTH_STACK_ENV" ]; then
    printf '%s: FAIL MAILOAUTH_STACK_ENV must name a readable stack.env (run tests/stack/start first)\n' "$TEST_NAME" >&2
    exit 2
fi
set -a
# shellcheck disable=SC1090
source "$MAILOAUTH_STACK_ENV"
set +a

# json_get KEY: the string (or number/boolean) value of KEY in a flat JSON
# object on stdin. Enough for token endpoint answers; no jq needed.
json_get() {
    sed -n -E "s/.*\"$1\":(\"([^\"]*)\"|([0-9a-z.]+)).*/\2\3/p" | head -n 1
}

# token_request ARGS...: POST to the token endpoint; prints the JSON body.
token_request() {
    curl -sS --max-time 5 "$@" "$OIDC_TOKEN_URL"
}

# cc_token CLIENT_ID SECRET AUTH_METHOD [SCOPE]: a client-credentials access
# token, or a failure naming the server's error.
cc_token() {
    local id=$1 secret=$2 method=$3 scope=${4-$MAIL_SCOPE} body token
    local args=(-d grant_type=client_credentials)
    [ -n "$scope" ] && args+=(-d "scope=$scope")
    if [ "$method" = client_secret_basic ]; then
        args+=(-u "$id:$secret")
    else
        args+=(-d "client_id=$id" -d "client_secret=$secret")
    fi
    body=$(token_request "${args[@]}") || fail "token endpoint unreachable for $id"
    token=$(printf '%s' "$body" | json_get access_token)
    [ -n "$token" ] || fail "no access_token for $id: $(printf '%s' "$body" | json_get error)" "$body"
    printf '%s\n' "$token"
}

# curl_bearer TOKEN ARGS...: curl with --oauth2-bearer given through a config on
# stdin, so the token is neither on the command line nor in the output we keep
# (the -v trace passes through redact). Sets CURL_OUT (trace) and returns
# curl's exit status.
CURL_OUT=""
curl_bearer() {
    local token=$1 rc=0; shift
    CURL_OUT=$(printf 'oauth2-bearer = "%s"\n' "$token" \
        | curl -v -sS -K - --max-time 10 --cacert "$CA_FILE" "$@" 2>&1) || rc=$?
    CURL_OUT=$(printf '%s\n' "$CURL_OUT" | tr -d '\r' | redact)
    return $rc
}

# imap_oauthbearer URL USER TOKEN: an OAUTHBEARER login then CAPABILITY.
# STARTTLS is demanded (--ssl-reqd) on imap:// URLs.
imap_oauthbearer() {
    local url=$1 user=$2 token=$3
    curl_bearer "$token" --ssl-reqd --login-options AUTH=OAUTHBEARER -u "$user:" "$url" -X CAPABILITY
}

# expect_login_ok WHAT: after imap_oauthbearer returned 0.
expect_imap_ok() {
    grep -qE '^< A[0-9]+ OK Logged in' <<<"$CURL_OUT" || fail "$1: no 'OK Logged in' from the server" "$CURL_OUT"
    ok "$1"
}

# expect_imap_refused WHAT RC: the login must fail with Dovecot's real answer.
expect_imap_refused() {
    local what=$1 rc=$2
    [ "$rc" -ne 0 ] || fail "$what: login succeeded but must be refused" "$CURL_OUT"
    grep -qE '^< A[0-9]+ NO \[AUTHENTICATIONFAILED\] Authentication failed\.' <<<"$CURL_OUT" \
        || fail "$what: expected 'NO [AUTHENTICATIONFAILED] Authentication failed.' (curl exit $rc)" "$CURL_OUT"
    ok "$what: refused with NO [AUTHENTICATIONFAILED] (curl exit $rc)"
}
