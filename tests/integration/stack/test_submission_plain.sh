#!/usr/bin/env bash
# Proof: the stack also serves Basic auth, as the servers mailoauth replaces
# Basic for still do. Dovecot submission accepts AUTH PLAIN with the user's
# password after STARTTLS (235, message accepted) and refuses a wrong password
# with the real `535 5.7.8 Authentication failed`. The IMAP side gets the same
# check with LOGIN-style PLAIN through curl. Clients: swaks, curl.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

swaks_run() {
    # swaks --auth-hide-password keeps the password out of its transcript.
    timeout 20 swaks --server "$SMTP_HOST" --port "$SUBMISSION_PORT" --timeout 10 \
        --tls --tls-verify --tls-ca-path "$CA_FILE" \
        --auth PLAIN --auth-user "$USER2" --auth-hide-password \
        --from "$USER2" --to "$USER2" --header "Subject: stack proof PLAIN $RANDOM" "$@" 2>&1
}

rc=0
out=$(swaks_run --auth-password "$USER2_PASSWORD") || rc=$?
out=$(printf '%s\n' "$out" | tr -d '\r' | redact)
[ $rc -eq 0 ] || fail "swaks AUTH PLAIN with the right password failed (exit $rc)" "$out"
grep -q '^=== TLS started' <<<"$out" || fail "no STARTTLS before AUTH" "$out"
grep -q '^<~ *235 2.7.0' <<<"$out" || fail "no 235 for AUTH PLAIN inside TLS (swaks marks TLS lines <~)" "$out"
grep -qE '250 2\.0\.0 Ok: .*queued as' <<<"$out" || fail "message not accepted after AUTH PLAIN" "$out"
ok "AUTH PLAIN after STARTTLS as $USER2 on port $SUBMISSION_PORT: 235, message queued"

rc=0
out=$(swaks_run --auth-password "wrong-$RANDOM") || rc=$?
out=$(printf '%s\n' "$out" | tr -d '\r' | redact)
[ $rc -ne 0 ] || fail "swaks with a wrong password succeeded" "$out"
grep -q '535 5.7.8 Authentication failed' <<<"$out" || fail "wrong password: expected '535 5.7.8 Authentication failed' (swaks exit $rc)" "$out"
ok "AUTH PLAIN with a wrong password: 535 5.7.8 Authentication failed (swaks exit $rc)"

# IMAP PLAIN over implicit TLS with the right and a wrong password.
rc=0
out=$(curl -v -sS --max-time 10 --cacert "$CA_FILE" -u "$USER2:$USER2_PASSWORD" \
    "imaps://$IMAP_HOST:$IMAPS_PORT/" -X CAPABILITY 2>&1) || rc=$?
out=$(printf '%s\n' "$out" | tr -d '\r' | redact)
[ $rc -eq 0 ] && grep -qE '^< A[0-9]+ OK .*Logged in' <<<"$out" || fail "IMAP PLAIN login of $USER2 failed (curl exit $rc)" "$out"
ok "IMAP login with the password as $USER2"
rc=0
out=$(curl -v -sS --max-time 10 --cacert "$CA_FILE" -u "$USER2:wrong-$RANDOM" \
    "imaps://$IMAP_HOST:$IMAPS_PORT/" -X CAPABILITY 2>&1) || rc=$?
out=$(printf '%s\n' "$out" | tr -d '\r' | redact)
[ $rc -ne 0 ] && grep -q 'NO \[AUTHENTICATIONFAILED\] Authentication failed' <<<"$out" \
    || fail "IMAP login with a wrong password: expected NO [AUTHENTICATIONFAILED] (curl exit $rc)" "$out"
ok "IMAP login with a wrong password: NO [AUTHENTICATIONFAILED] (curl exit $rc)"

note "PASS"
