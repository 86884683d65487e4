#!/usr/bin/env bash
# Proof: Dovecot accepts SASL XOAUTH2 (the mechanism Exchange Online and Gmail
# speak) with the stack's tokens, over STARTTLS and implicit TLS, and refuses a
# bad token the way real servers do: a `+ <base64 JSON>` error challenge, an
# empty client answer, then `NO [AUTHENTICATIONFAILED]`.
#
# curl 7.88 cannot do XOAUTH2, so this drives `openssl s_client` by hand as a
# bash coprocess: it sends `a AUTHENTICATE XOAUTH2 <base64>` itself and reacts
# to each server line, the way mailoauth's own IMAP client must. Every read has
# a timeout and the whole session runs under `timeout`.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# Writing to an s_client that already died must be an error we report, not a
# SIGPIPE that silently kills the test.
trap '' PIPE

TRANSCRIPT=""
CHALLENGE=""
# xoauth2_login MODE(starttls|tls) PORT USER TOKEN: prints nothing; sets
# TRANSCRIPT (server lines, redacted) and CHALLENGE; returns 0 on `a OK`,
# 1 on `a NO`/`a BAD`, 2 on timeout or broken session.
xoauth2_login() {
    local mode=$1 port=$2 user=$3 token=$4 line="" result=2
    local args=(-quiet -connect "$IMAP_HOST:$port" -CAfile "$CA_FILE" -verify_return_error -verify_ip "$IMAP_HOST")
    [ "$mode" = starttls ] && args+=(-starttls imap)
    local ir
    ir=$(printf 'user=%s\001auth=Bearer %s\001\001' "$user" "$token" | base64 -w0)
    TRANSCRIPT=""; CHALLENGE=""
    local errfile
    errfile=$(mktemp)
    coproc IMAP { exec timeout 15 openssl s_client "${args[@]}" 2>"$errfile"; }
    # Bash unsets IMAP and IMAP_PID once the coprocess is reaped: keep copies.
    local from_server=${IMAP[0]} to_server=${IMAP[1]} pid=$IMAP_PID
    if [ "$mode" = tls ]; then
        IFS= read -r -t 5 line <&"$from_server" || { TRANSCRIPT="no greeting"; result=2; }
        TRANSCRIPT+="${line%$'\r'}"$'\n'
    fi
    printf 'a AUTHENTICATE XOAUTH2 %s\r\n' "$ir" 1>&"$to_server" 2>/dev/null || true
    while IFS= read -r -t 5 line <&"$from_server"; do
        line=${line%$'\r'}
        TRANSCRIPT+="$line"$'\n'
        case $line in
            "+ "*) CHALLENGE=${line#+ }; printf '\r\n' 1>&"$to_server" 2>/dev/null || true ;;  # answer the error challenge
            "a OK"*) result=0; break ;;
            "a NO"* | "a BAD"*) result=1; break ;;
        esac
    done
    printf 'z LOGOUT\r\n' 1>&"$to_server" 2>/dev/null || true
    eval "exec $to_server>&-" 2>/dev/null || true   # EOF to s_client, which then exits
    wait "$pid" 2>/dev/null || true
    TRANSCRIPT=$(printf '%s' "$TRANSCRIPT" | redact)
    [ -s "$errfile" ] && TRANSCRIPT+=$'\n'"openssl: $(redact <"$errfile" | tail -n 3)"
    rm -f "$errfile"
    return $result
}

token=$(cc_token "$CC_CLIENT_ID" "$CC_CLIENT_SECRET" "$CC_CLIENT_AUTH_METHOD")
note "client-credentials token for $CC_CLIENT_ID: ${#token} characters"

for mode in starttls tls; do
    port=$IMAP_PORT; [ $mode = tls ] && port=$IMAPS_PORT
    rc=0; xoauth2_login $mode "$port" "$USER1" "$token" || rc=$?
    [ $rc -eq 0 ] || fail "XOAUTH2 ($mode, port $port) as $USER1: expected 'a OK' (result $rc)" "$TRANSCRIPT"
    grep -q '^a OK .*Logged in' <<<"$TRANSCRIPT" || fail "XOAUTH2 ($mode): OK line not as expected" "$TRANSCRIPT"
    ok "XOAUTH2 over $mode on port $port as $USER1: a OK Logged in"

    rc=0; xoauth2_login $mode "$port" "$USER1" "bad-$RANDOM$RANDOM" || rc=$?
    [ $rc -eq 1 ] || fail "XOAUTH2 ($mode) with a bad token: expected 'a NO' (result $rc)" "$TRANSCRIPT"
    grep -q '^a NO \[AUTHENTICATIONFAILED\] Authentication failed\.' <<<"$TRANSCRIPT" \
        || fail "XOAUTH2 ($mode) bad token: expected 'a NO [AUTHENTICATIONFAILED] Authentication failed.'" "$TRANSCRIPT"
    [ -n "$CHALLENGE" ] || fail "XOAUTH2 ($mode) bad token: no '+ ' error challenge before the NO" "$TRANSCRIPT"
    decoded=$(printf '%s' "$CHALLENGE" | base64 -d 2>/dev/null || true)
    grep -q '"status"' <<<"$decoded" || fail "XOAUTH2 error challenge is not the JSON status object: $decoded"
    ok "XOAUTH2 over $mode with a bad token: challenge $decoded, then a NO [AUTHENTICATIONFAILED]"
done

note "PASS"
