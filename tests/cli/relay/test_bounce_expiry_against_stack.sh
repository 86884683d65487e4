#!/usr/bin/env bash
# The queue lifetime and the delay warning against the real stack. alice
# sends to herself on a route whose upstream is down (queue_lifetime = 60,
# the shortest allowed; delay_warning_time = "2s"). After 2 s an attempt
# spools ONE delay warning (recorded as `warned 1` in the state, so later
# attempts send none); past 60 s the next attempt (asked for with
# `mailoauth queue retry`) fails the recipient and spools ONE failure
# notification; the original is kept in failed/. Then the upstream comes up
# (a forwarder to Dovecot submission on the route's port) and both
# notifications — which were deferred like any message, never bounced
# themselves — arrive in alice's mailbox, where they are read over IMAPS and
# parsed: Action delayed with Will-Retry-Until, then Action failed, Status
# 4.4.7 (no enhanced code in "connection refused").
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
source "${BASH_SOURCE%/*}/relay_lib.sh"
source "$MAILOAUTH_SOURCE_DIR/tests/stack/app_account.sh"
trap 'kill $(cat "$work/helpers.pids" 2>/dev/null) 2>/dev/null; cleanup' EXIT

use_app_and_wrong_accounts
late_port=$(free_port)
{
  relay_toml_head "first_retry = 1" "queue_lifetime = 60"
  cat <<TOML
[routes.alice]
senders = ["$USER1"]
account = "app"
server = "$SMTP_HOST"
port = $late_port
tls = "starttls"
delay_warning_time = "2s"
TOML
} >"$work/relay.toml"
start_relay "$work/relay.toml" "$work/relay.log" || exit 1
port=$(port_of "$work/relay.log" lan)
queue() { "$mailoauth_bin" queue --config "$work/relay.toml" "$@"; }

k="relayexpiry$$x$RANDOM$RANDOM"
python3 - "$port" "$USER1" "$k" <<'PY'
import smtplib, sys
port, user, subject = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with smtplib.SMTP("127.0.0.1", port, timeout=20) as s:
    s.sendmail(user, [user], f"From: <{user}>\r\nTo: <{user}>\r\nSubject: {subject}\r\n\r\nbody\r\n")
PY
check "with the upstream down the message is deferred" wait_log "route=alice .*status=deferred" 10
started=$(date +%s)  # after the relay received it (the lifetime counts from then)
id=$(grep -Eo 'queue_id=[0-9a-f-]+ route=alice' "$work/relay.log" | head -1 | sed 's/queue_id=//; s/ .*//')
check "after delay_warning_time one delay warning is spooled" \
  wait_log "msg=\"delivery status notification\" queue_id=$id bounce_id=[0-9a-f-]+ action=delayed recipients=$USER1 to=$USER1" 20
check "... and recorded in the message's state" grep -q '^warned 1$' "$work/spool/queue/$id.state"

# Past the lifetime (60 s after it was received): the next attempt fails it.
# A client's start on a loaded machine can take seconds: count from the receipt.
for _ in $(seq 80); do [ $(($(date +%s) - started)) -gt 61 ] && break; sleep 1; done
check "mailoauth queue retry asks for the attempt after the lifetime" queue retry "$id"
check "the recipient fails when the lifetime is over" \
  wait_log "queue_id=$id route=alice to=$USER1 .*status=bounced" 10 ||
  show "$work/relay.log"
check "... one failure notification is spooled" \
  wait_log "msg=\"delivery status notification\" queue_id=$id bounce_id=[0-9a-f-]+ action=failed recipients=$USER1" 10
check "... and only one delay warning in all that time" \
  test "$(grep -c "queue_id=$id bounce_id=[0-9a-f-]* action=delayed" "$work/relay.log")" -eq 1
check "the original is kept in failed/" test -f "$work/spool/failed/$id"
check "the notifications wait in the queue (the upstream is down for them too)" \
  test "$(queued_count "$work/spool")" -eq 2

# The upstream comes up: the notifications are delivered, not bounced.
start_peer late forward "$late_port" "$SMTP_HOST" "$SUBMISSION_PORT" "$work/late.count" >/dev/null
check "mailoauth queue flush makes them due now" queue flush
dsn() { echo "SUBJECT \"$1\" TEXT \"$k\""; }
check "the delay warning arrives in alice's mailbox" \
  wait_imap_search "$USER1" "$USER1_PASSWORD" "$(dsn "Delayed Mail")" 1 30
check "the failure notification arrives in alice's mailbox" \
  wait_imap_search "$USER1" "$USER1_PASSWORD" "$(dsn "Undelivered Mail")" 1 30
for what in "Delayed Mail" "Undelivered Mail"; do
  uid=$(imap_search "$USER1" "$USER1_PASSWORD" "$(dsn "$what")" | awk '{print $1}')
  imap_fetch "$USER1" "$USER1_PASSWORD" "$uid" "$work/${what// /_}.eml"
done
report() {  # FILE: the delivery-status part's recipient fields, one per line
  python3 - "$1" <<'PY'
import email, email.policy, sys
message = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.compat32)
assert message.get_content_type() == "multipart/report", message.get_content_type()
parts = message.get_payload()
assert [p.get_content_type() for p in parts] == ["text/plain", "message/delivery-status", "text/rfc822-headers"]
for name, value in parts[1].get_payload()[1].items():
    print(f"{name}: {value}")
PY
}
report "$work/Delayed_Mail.eml" >"$work/delayed.fields"
check "the warning says Action: delayed" grep -qx "Action: delayed" "$work/delayed.fields" ||
  show "$work/Delayed_Mail.eml"
check "... with Will-Retry-Until" grep -q "^Will-Retry-Until: " "$work/delayed.fields"
check "... and a transient status (no enhanced code in a refused connection)" grep -qx "Status: 4.0.0" "$work/delayed.fields"
report "$work/Undelivered_Mail.eml" >"$work/failed.fields"
check "the failure says Action: failed" grep -qx "Action: failed" "$work/failed.fields" ||
  show "$work/Undelivered_Mail.eml"
check "... Status 4.4.7 (delivery time expired)" grep -qx "Status: 4.4.7" "$work/failed.fields"
check "... Final-Recipient alice" grep -qx "Final-Recipient: rfc822; $USER1" "$work/failed.fields"
check "the text names the queue lifetime" grep -q "queue lifetime" "$work/Undelivered_Mail.eml"
for _ in $(seq 50); do [ "$(queued_count "$work/spool")" -eq 0 ] && break; sleep 0.1; done
check "the queue is empty: both notifications were delivered" \
  test "$(queued_count "$work/spool")" -eq 0

stop_relay
check "the relay stops cleanly" test $? -eq 0
finish
