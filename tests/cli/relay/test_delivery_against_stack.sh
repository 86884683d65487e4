#!/usr/bin/env bash
# The relay delivers what it spooled, against the real stack: a legacy client
# (Python's smtplib, plain SMTP) sends through the relay, which delivers to
# Dovecot's submission port with XOAUTH2 and an app-only account's token, and
# the message is found in alice's mailbox over IMAPS. Also: three messages on
# one route share one upstream connection and twelve never use more than the
# route's `connections` at once (counted at a forwarder between the relay and
# Dovecot, upstream_peers.py forward); an upstream that is down is retried and the mail
# delivered once it is up; a throttling reply (432 4.3.2, upstream_peers.py throttle)
# pauses the route for first_retry instead of trying each queued message; an account whose client secret is wrong leaves the
# mail deferred (never failed); a recipient Postfix refuses (550 5.1.1) fails
# while the other gets the message, and after a restart with that recipient
# deferred again only it is retried: alice's copy is not sent twice. A token
# revoked at oidc-provider is refused by Dovecot, renewed once, and the
# message delivered.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
source "${BASH_SOURCE%/*}/relay_lib.sh"
source "$MAILOAUTH_SOURCE_DIR/tests/stack/app_account.sh"
# The upstream helpers (their PIDs in helpers.pids) end with the test, then relay_lib's cleanup.
trap 'kill $(cat "$work/helpers.pids" 2>/dev/null) 2>/dev/null; cleanup' EXIT

use_app_and_wrong_accounts

# start_counter LISTEN_PORT NAME: a counting forwarder to Dovecot submission; its port.
start_counter() { start_peer "$2" forward "$1" "$SMTP_HOST" "$SUBMISSION_PORT" "$work/$2.count"; }
counted_port=$(start_counter 0 counted)
throttle_port=$(start_peer throttle throttle "$work/throttle.count")
[ -n "$throttle_port" ] || { echo "the throttling peer did not start"; exit 1; }
late_port=$(free_port)
wrong_port=$(start_counter 0 wrong)
[ -n "$counted_port" ] || { echo "the counting forwarder did not start"; exit 1; }

upstream="server = \"$SMTP_HOST\"
tls = \"starttls\"
messages_per_minute = 1000"
{
  relay_toml_head "first_retry = 1"
  cat <<TOML
[routes.direct]
senders = ["direct.test"]
account = "app"
port = $SUBMISSION_PORT
$upstream
[routes.counted]
senders = ["counted.test"]
account = "app"
port = $counted_port
connections = 2
$upstream
[routes.late]
senders = ["late.test"]
account = "app"
port = $late_port
$upstream
[routes.throttled]
senders = ["throttled.test"]
account = "app"
server = "127.0.0.1"
port = $throttle_port
tls = "none"
connections = 1
messages_per_minute = 1000
[routes.wrong]
senders = ["wrong.test"]
account = "wrong"
port = $wrong_port
$upstream
TOML
} >"$work/relay.toml"
start_relay "$work/relay.toml" "$work/relay.log" || exit 1
port=$(port_of "$work/relay.log" lan)

# send FROM SUBJECT COUNT RCPT...: COUNT messages in one plain SMTP session.
send() {
  python3 - "$port" "$@" <<'PY'
import smtplib, sys
port, sender, subject, count, recipients = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:]
with smtplib.SMTP("127.0.0.1", port, timeout=20) as s:
    for n in range(count):
        s.sendmail(sender, recipients, f"From: <{sender}>\r\nTo: <{recipients[0]}>\r\nSubject: {subject} {n}\r\nMessage-ID: <{subject}.{n}@relay.test>\r\n\r\nbody {n}\r\n")
PY
}
# found, wait_found, wait_log: relay_lib.sh.
mark() { echo "relaydeliver$$x$RANDOM$RANDOM"; }
count_of() { sed -n "s/.*$1 \([0-9]*\).*/\1/p" "$work/counted.count"; }

# --- a legacy client's message arrives in the mailbox ---------------------------
k=$(mark)
send scanner@direct.test "$k" 1 "$USER1"
check "a plain-SMTP message through the relay is in alice's mailbox (XOAUTH2 upstream)" \
  wait_found "$k 0" 1 20
check "the attempt is logged Postfix-style: queue id, to=, relay=host[ip]:port, delay=, delays=a/b/c/d, dsn=, the reply, status=sent" \
  wait_log "msg=delivery queue_id=[0-9a-f-]+ route=direct to=$USER1 relay=$SMTP_HOST\[[0-9a-f.:]+\]:$SUBMISSION_PORT transport=smtp delay=[0-9]+\.[0-9] delays=[0-9]+\.[0-9]{2}/[0-9]+\.[0-9]{2}/[0-9]+\.[0-9]{2}/[0-9]+\.[0-9]{2} attempt=1 dsn=2\.[0-9]\.[0-9] reply=\"?25[0-9] .*status=sent" 5
for _ in $(seq 50); do [ "$(queued_count "$work/spool")" -eq 0 ] && break; sleep 0.1; done
check "the queue is empty after delivery" test "$(queued_count "$work/spool")" -eq 0

# --- three messages, one connection; twelve, never more than 2 at once ----------------
k=$(mark)
send printer@counted.test "$k" 3 "$USER1"
check "three messages on one route are delivered" wait_found "$k" 3 20
check "... over one upstream connection" test "$(count_of total)" -eq 1
k=$(mark)
send printer@counted.test "$k" 12 "$USER1"
check "twelve messages are delivered" wait_found "$k" 12 30
check "... never more than connections = 2 upstream sessions at once (counted: $(cat "$work/counted.count"))" \
  test "$(count_of max)" -le 2

# --- the upstream down, then up: delivered after a retry ------------------------------
k=$(mark)
send nas@late.test "$k" 1 "$USER1"
check "with the upstream down the attempt is deferred: relay=none (no connection), dsn=4.x.x" \
  wait_log "msg=delivery queue_id=[0-9a-f-]+ route=late to=$USER1 relay=none transport=smtp delay=[0-9]+\.[0-9] delays=[0-9.]+/[0-9.]+/[0-9.]+/0\.00 attempt=1 dsn=4\.[0-9]\.[0-9] reply=.*status=deferred" 10
check "... and the message stays queued" test "$(queued_count "$work/spool")" -ge 1
start_counter "$late_port" late >/dev/null
check "once the upstream is up the message is delivered after a retry" wait_found "$k 0" 1 30
check "... logged as sent on a later attempt" wait_log "route=late .*attempt=[2-9].*status=sent" 5

# --- a throttling reply pauses the route instead of hammering it -------------------
k=$(mark)
send fax@throttled.test "$k" 3 "$USER1"
check "432 4.3.2 (Exchange's thread limit) defers the message" \
  wait_log "route=throttled .*relay=[^ ]+\[[0-9a-f.:]+\]:[0-9]+ .*dsn=4\.3\.2 reply=\"432 4.3.2 .*status=deferred" 10
for _ in $(seq 100); do grep -q "accepted 3" "$work/throttle.count" && break; sleep 0.1; done
check "after the cool-down all three are delivered ($(cat "$work/throttle.count"))" \
  grep -q "accepted 3" "$work/throttle.count"
check "... with one refusal only: the queued messages waited, none was tried meanwhile" \
  grep -q "throttled 1 " "$work/throttle.count"
check "... over a new connection after the pause" grep -q "connections 2 " "$work/throttle.count"

# --- an account whose secret is wrong: deferred, never failed --------------------------
k=$(mark)
send erp@wrong.test "$k" 1 "$USER1"
check "a wrong client secret defers the message as a configuration fault" \
  wait_log "route=wrong .*reply=\"?configuration \(account\).*status=deferred" 20
check "... it is not failed: nothing in failed/" test -z "$(ls "$work/spool/failed")"
wrong_id=$(grep -Eo 'queue_id=[0-9a-f-]+ route=wrong' "$work/relay.log" | head -1 | sed 's/queue_id=//; s/ route.*//')
check "... it stays in queue/ with its state deferred" grep -q "deferred" "$work/spool/queue/$wrong_id.state"
check "... and without a token the upstream was never even connected to" \
  grep -q "total 0" "$work/wrong.count"

# --- a refused recipient fails, the other is sent; a restart sends nothing twice -------
k=$(mark)
send scanner@direct.test "$k" 1 "$USER1" "$REFUSED_RECIPIENT"
check "the accepted recipient gets the message" wait_found "$k 0" 1 20
check "the refused recipient is bounced (its own line, dsn=5.1.1 from the reply)" \
  wait_log "route=direct to=$REFUSED_RECIPIENT relay=.* dsn=5\.1\.1 reply=.*status=bounced" 10
refused_id=$(grep -Eo "queue_id=[0-9a-f-]+ route=direct to=$REFUSED_RECIPIENT " "$work/relay.log" | head -1 | sed 's/queue_id=//; s/ route.*//')
check "... the other sent, on a line of its own for the same message" \
  grep -Eq "queue_id=$refused_id route=direct to=$USER1 .*status=sent" "$work/relay.log"
check "... the message is in failed/ with the 5.1.1 reply recorded" \
  grep -q "5.1.1" "$work/spool/failed/$refused_id.state"
check "stopping the relay exits 0" stop_relay
# Put it back as if the relay had crashed before the refusal was recorded.
mv "$work/spool/failed/$refused_id" "$work/spool/queue/$refused_id"
sed 's/^rcpt 1 failed/rcpt 1 deferred/' "$work/spool/failed/$refused_id.state" \
  >"$work/spool/queue/$refused_id.state"
rm "$work/spool/failed/$refused_id.state"
start_relay "$work/relay.toml" "$work/relay.log" || exit 1
port=$(port_of "$work/relay.log" lan)
check "after a restart only the unconfirmed recipient is tried" \
  wait_log "queue_id=$refused_id route=direct to=$REFUSED_RECIPIENT .*status=bounced" 20
sleep 1
check "... and alice still has exactly one copy" test "$(found "$k 0")" -eq 1
check "the wrong account's message is still deferred after the restart, not failed" \
  test -f "$work/spool/queue/$wrong_id"

# --- a token revoked at the identity server: renewed once, delivered ---------------------
# The relay holds the stored token in memory; revoke exactly that one at oidc-provider.
token=$(MAILOAUTH_CONFIG="$work/accounts.toml" "$mailoauth_bin" token get app)
check "the token the relay uses is revoked at oidc-provider" \
  curl -sf --max-time 5 -d "client_id=$CC_CLIENT_ID" -d "client_secret=$CC_CLIENT_SECRET" \
  -d "token=$token" -d token_type_hint=access_token "$OIDC_REVOKE_URL" -o /dev/null
k=$(mark)
send printer@counted.test "$k" 1 "$USER1"
check "a revoked token: the upstream refuses it, the relay renews it once" \
  wait_log "msg=\"the upstream refused the token; renewed once\" .*account=app renewed_token_accepted=true" 20
check "... and the message is delivered" wait_found "$k 0" 1 20
check "stopping the relay exits 0" stop_relay
cp "$work/relay.log" /tmp/sched-relay.log; [ "$checks_failed" -eq 0 ] || show "$work/relay.log"
finish
