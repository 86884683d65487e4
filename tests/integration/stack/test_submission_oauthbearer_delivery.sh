#!/usr/bin/env bash
# Proof: the whole mail path of the stack works end to end with OAuth2.
# A message submitted to Dovecot submission (STARTTLS, AUTH OAUTHBEARER with a
# client-credentials token) is relayed to the private Postfix, delivered over
# LMTP back into Dovecot, and found in alice's INBOX over IMAPS by a unique
# subject. mailoauth's send-then-receive probes and its relay tests rely on
# exactly this path. Clients: curl 7.88 for SMTP and IMAP.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

token=$(cc_token "$CC_CLIENT_ID" "$CC_CLIENT_SECRET" "$CC_CLIENT_AUTH_METHOD")
note "client-credentials token for $CC_CLIENT_ID: ${#token} characters"

marker=stackproof$(date +%s)$RANDOM$RANDOM
message=$(mktemp)
trap 'rm -f "$message"' EXIT
cat >"$message" <<MSG
From: Alice <$USER1>
To: Alice <$USER1>
Subject: stack proof $marker
Date: $(LC_ALL=C date -R)
Message-ID: <$marker@$MAIL_DOMAIN>

Submitted with OAUTHBEARER through Dovecot submission, Postfix and LMTP.
MSG

rc=0
curl_bearer "$token" --ssl-reqd --login-options AUTH=OAUTHBEARER -u "$USER1:" \
    --mail-from "$USER1" --mail-rcpt "$USER1" --upload-file "$message" \
    "smtp://$SMTP_HOST:$SUBMISSION_PORT" || rc=$?
[ $rc -eq 0 ] || fail "submission with OAUTHBEARER failed (curl exit $rc)" "$CURL_OUT"
grep -q '^> STARTTLS' <<<"$CURL_OUT" || fail "submission did not use STARTTLS" "$CURL_OUT"
grep -q '^< 235 ' <<<"$CURL_OUT" || fail "no 235 after AUTH OAUTHBEARER" "$CURL_OUT"
accepted=$(grep -E '^< 250 2\.0\.0 Ok: .*queued as' <<<"$CURL_OUT" || true)
[ -n "$accepted" ] || fail "the relay (Postfix) did not queue the message" "$CURL_OUT"
ok "submitted on port $SUBMISSION_PORT: AUTH OAUTHBEARER 235, then ${accepted#< }"

# Poll alice's INBOX (bounded: 50 x 0.2 s) for the unique subject.
found=""
for ((i = 0; i < 50; i++)); do
    rc=0
    curl_bearer "$token" --login-options AUTH=OAUTHBEARER -u "$USER1:" \
        "imaps://$IMAP_HOST:$IMAPS_PORT/INBOX" -X "SEARCH SUBJECT $marker" || rc=$?
    [ $rc -eq 0 ] || fail "IMAP SEARCH failed (curl exit $rc)" "$CURL_OUT"
    found=$(grep -E '^\* SEARCH [0-9]' <<<"$CURL_OUT" | grep -v '^\* SEARCH$' | head -n 1 || true)
    [ -n "$found" ] && break
    sleep 0.2
done
[ -n "$found" ] || fail "message '$marker' not in $USER1's INBOX after 10 s (see $POSTFIX_LOG and $DOVECOT_LOG)" "$CURL_OUT"
ok "delivered: SEARCH SUBJECT found it in $USER1's INBOX after $((i * 200)) ms ($found)"

# The Postfix log shows this message's LMTP hop (queue id from the 250 reply),
# proving the path went through the private Postfix. Bounded: 25 x 0.2 s.
queue_id=${accepted##* }
for ((i = 0; i < 25; i++)); do
    grep -q "$queue_id: to=<$USER1>.*relay=127.0.0.1\[127.0.0.1\]:$LMTP_PORT.*status=sent" "$POSTFIX_LOG" && break
    sleep 0.2
done
[ $i -lt 25 ] || fail "Postfix log has no LMTP delivery of $queue_id to $USER1 on port $LMTP_PORT after 5 s" "$(tail -n 10 "$POSTFIX_LOG")"
ok "Postfix log: $queue_id delivered over LMTP to port $LMTP_PORT"

note "PASS"
