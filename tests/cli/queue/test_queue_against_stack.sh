#!/usr/bin/env bash
# mailoauth queue against a running relay that delivers for real (Dovecot
# submission with XOAUTH2, the stack's app-only account; the message is found
# in alice's INBOX over IMAPS). The route's upstream is down at first, and
# first_retry is one hour, so without the tool nothing would be tried again
# for an hour: `retry ID` delivers the first message as soon as the upstream
# is up (the route's pause after the failed connect ends too); a second
# message held meanwhile is not delivered by a `flush` (hold stops delivery),
# and `release` delivers it at once (release resumes it). A message being
# delivered (to a deliberately slow upstream) is not touched: delete and hold
# answer 75, retry says it is under way, and the delivery completes.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
source "${BASH_SOURCE%/*}/../relay/relay_lib.sh"
source "$MAILOAUTH_SOURCE_DIR/tests/stack/app_account.sh"
trap 'kill $(cat "$work/helpers.pids" 2>/dev/null) 2>/dev/null; cleanup' EXIT
queue() { "$mailoauth_bin" queue --config "$work/relay.toml" "$@"; }

export MAILOAUTH_STATE_DIR="$work/state"
printf '%s\n' "$CC_CLIENT_SECRET" >"$work/cc.secret"
chmod 600 "$work/cc.secret"
{
  stack_app_account app "$work/cc.secret"
  echo "ca_file = \"$CA_FILE\""
} >"$work/accounts.toml"
chmod 600 "$work/accounts.toml"
# An upstream that takes 6 s to accept a message: a delivery to act on.
slow_port=$(start_python slow "${BASH_SOURCE%/*}/slow_upstream.py" 6 "$work/slow.state")
[ -n "$slow_port" ] || { echo "the slow upstream did not start"; exit 1; }
late_port=$(free_port)
{
  relay_toml_head "first_retry = 3600"
  cat <<TOML
[routes.late]
senders = ["late.test"]
account = "app"
server = "$SMTP_HOST"
port = $late_port
tls = "starttls"
[routes.slow]
senders = ["slow.test"]
account = "app"
server = "127.0.0.1"
port = $slow_port
tls = "none"
TOML
} >"$work/relay.toml"
start_relay "$work/relay.toml" "$work/relay.log" || exit 1
port=$(port_of "$work/relay.log" lan)

send() {  # send FROM SUBJECT
  python3 - "$port" "$1" "$2" "$USER1" <<'PY'
import smtplib, sys
port, sender, subject, recipient = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
with smtplib.SMTP("127.0.0.1", port, timeout=20) as s:
    s.sendmail(sender, [recipient], f"From: <{sender}>\r\nTo: <{recipient}>\r\nSubject: {subject}\r\n\r\nbody\r\n")
PY
}
found() {
  curl -s --max-time 5 --cacert "$CA_FILE" -u "$USER1:$USER1_PASSWORD" \
    "imaps://$IMAP_HOST:$IMAPS_PORT/INBOX" -X "SEARCH SUBJECT \"$1\"" |
    sed -n 's/^\* SEARCH *//p' | wc -w
}
wait_found() {  # wait_found SUBJECT SECONDS
  for _ in $(seq $(($2 * 5))); do
    [ "$(found "$1")" -ge 1 ] && return 0
    sleep 0.2
  done
  return 1
}
wait_log() {  # wait_log PATTERN SECONDS
  for _ in $(seq $(($2 * 10))); do
    grep -Eq "$1" "$work/relay.log" && return 0
    sleep 0.1
  done
  return 1
}
id_of() { grep -l "^from $1\$" "$work"/spool/queue/* "$work"/spool/hold/* 2>/dev/null | head -1 | xargs -r basename; }
k1="queuetool$$x$RANDOM"
k2="queuetool$$y$RANDOM"
send first@late.test "$k1"
check "with the upstream down the first message is deferred" \
  wait_log "route=late .*status=deferred" 15
send second@late.test "$k2"
first=$(id_of first@late.test)
second=$(id_of second@late.test)
check "both are in the queue" test -n "$first" -a -n "$second"
check "the first shows as deferred, next attempt an hour away" \
  grep -qE "^next attempt: .*\(in (59m|1h00m)" <(queue show "$first")
output=$(queue hold "$second")
check "the second is held" test "$output" = "$second: held"

# The upstream comes up (a forwarder to Dovecot submission on the route's port).
python3 "$MAILOAUTH_SOURCE_DIR/tests/cli/relay/upstream_peers.py" forward "$late_port" \
  "$SMTP_HOST" "$SUBMISSION_PORT" "$work/late.count" >"$work/late.out" 2>&1 &
echo $! >>"$work/helpers.pids"
for _ in $(seq 50); do grep -q '^listening' "$work/late.out" && break; sleep 0.1; done
check "the upstream is up" grep -q '^listening' "$work/late.out"
output=$(queue retry "$first")
check "retry answers 'due now'" test "$output" = "$first: due now"
check "retry delivers it now, not in an hour: in alice's INBOX" wait_found "$k1" 20
check "... logged as sent on the second attempt" \
  wait_log "queue_id=$first route=late .*attempt=2 .*status=sent" 5
check "... and it left the queue" test ! -e "$work/spool/queue/$first"
output=$(queue flush)
check "flush touches no held message" test "$output" = "0 deferred messages due now"
sleep 2
check "the held message was not delivered (hold stops delivery)" test "$(found "$k2")" -eq 0
output=$(queue release "$second")
check "release answers 'released'" test "$output" = "$second: released"
check "release delivers it now" wait_found "$k2" 20
check "the queue is empty" test "$(queue list)" = "queue is empty"

# --- a message being delivered is not touched ---------------------------------------
send printer@slow.test "queuetool$$z$RANDOM"
slow=$(id_of printer@slow.test)
for _ in $(seq 150); do grep -q receiving "$work/slow.state" && break; sleep 0.1; done
check "the slow upstream is receiving the message (its 250 comes in 6 s)" \
  grep -q receiving "$work/slow.state"
queue delete --yes "$slow" 2>"$work/busy.err"
status=$?
check "delete while it is being delivered is refused: 75" test "$status" -eq 75
check "... saying why" grep -q "is being delivered right now" "$work/busy.err"
queue hold "$slow" 2>/dev/null
status=$?
check "hold too: 75" test "$status" -eq 75
check "retry says it is under way" test "$(queue retry "$slow")" = "$slow: being delivered right now"
for _ in $(seq 150); do grep -q "accepted 1" "$work/slow.state" && break; sleep 0.1; done
check "the delivery finished undisturbed" wait_log "queue_id=$slow route=slow .*status=sent" 10
check "... and the message left the queue" test ! -e "$work/spool/queue/$slow"
check "the relay stops (exit 0)" stop_relay
[ "$checks_failed" -eq 0 ] || show "$work/relay.log"
finish
