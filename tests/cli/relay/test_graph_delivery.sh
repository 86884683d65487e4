#!/usr/bin/env bash
# The relay delivers a route with transport = "graph" through Microsoft Graph
# sendMail, against the Graph emulator (tests/graph_emulator), which checks
# the relay's app-only token at the real oidc-provider and, like Graph,
# delivers only to the message's To, Cc and Bcc fields. A legacy client
# (Python's smtplib, plain SMTP) sends through the relay; the emulator's own
# record (its outbox) is what is counted, not the relay's word:
#   - an envelope-only recipient gets the message (the relay wrote it into
#     Bcc, which the copy does not show), and the attempt is logged with the
#     route, transport=graph, the recipients and Graph's request-id;
#   - a route's `connections` bounds its sendMail requests at once (counted
#     at the emulator, each request slowed down): 2 at once, never more;
#   - a 429 with Retry-After pauses the route that long: the message and one
#     queued meanwhile are both sent after the pause, the second never tried
#     during it;
#   - a 500 after Graph took the message defers it and sends it again: the
#     emulator holds two copies (a possible duplicate rather than a loss);
#   - a permanent refusal (400 ErrorInvalidRecipients) fails the recipient
#     with Graph's words, the message in failed/;
#   - 403 ErrorAccessDenied (an application access policy) defers the message
#     as a configuration fault, never fails it, and it goes once the policy is
#     lifted;
#   - a text-only message larger than sendMail takes fails unsent (nothing
#     to take out for Graph's draft);
#   - a token revoked at oidc-provider is refused (401), renewed once, and the
#     message delivered;
#   - check-config says what the Graph route will do;
#   - the metrics: a Graph attempt's token wait is timed as the route's auth
#     stage and its requests as transfer.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
source "${BASH_SOURCE%/*}/relay_lib.sh"
source "$MAILOAUTH_SOURCE_DIR/tests/stack/app_account.sh"
source "$MAILOAUTH_SOURCE_DIR/tests/graph_emulator/start.sh"
# The emulator and the relay are jobs of this shell; then relay_lib's cleanup.
trap 'kill $(jobs -p) 2>/dev/null; cleanup' EXIT

start_graph_emulator "$work" "$USER1,$USER2" || exit 1
graph="http://127.0.0.1:$graph_port"
use_stack_app_secret
{
  stack_app_account app "$work/cc.secret"
  echo "graph_url = \"$graph\""
} >"$work/accounts.toml"
chmod 600 "$work/accounts.toml"
{
  relay_toml_head "first_retry = 1" "[metrics]" 'listen = "127.0.0.1:0"'
  cat <<TOML
[routes.graph]
senders = ["graph.test"]
account = "app"
transport = "graph"
connections = 2
messages_per_minute = 1000
TOML
} >"$work/relay.toml"

"$relay_bin" relay --config "$work/relay.toml" check-config >"$work/check.out" 2>&1
check "check-config says the Graph route sends with sendMail as the account's mailbox" \
  grep -q "route graph: account app via graph: Microsoft Graph sendMail at $graph/v1.0/users/$USER1/sendMail" \
  "$work/check.out" || show "$work/check.out"

start_relay "$work/relay.toml" "$work/relay.log" || exit 1
port=$(port_of "$work/relay.log" lan)

# send SUBJECT TO_HEADER BODY_BYTES RCPT...: one message in a plain SMTP
# session; with COUNT=N, N messages in one session, subjects SUBJECT.1 to .N.
send() {
  python3 - "$port" "${COUNT:-}" "$@" <<'PY'
import smtplib, sys
port, count, subject, to, size, recipients = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6:]
body = ("x" * 76 + "\r\n") * (size // 78) + "end\r\n"
subjects = [f"{subject}.{n}" for n in range(1, int(count) + 1)] if count else [subject]
with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
    for one in subjects:
        s.sendmail("scanner@graph.test", recipients,
                   f"From: <scanner@graph.test>\r\nTo: <{to}>\r\nSubject: {one}\r\n"
                   f"Message-ID: <{one}@relay.test>\r\n\r\n{body}")
PY
}
fault() { curl -sf --max-time 5 -o /dev/null -d "$1" "$graph/test/faults"; }
policy() { curl -sf --max-time 5 -o /dev/null -d "$1" "$graph/test/policy"; }
# copies SUBJECT: how many messages with SUBJECT the emulator accepted.
# copies SUBJECT: how many messages Graph sent with SUBJECT (not counting the
# relay's delivery status notifications, which quote the original header).
copies() {
  grep -l "^Subject: $1" "$work"/outbox/*.eml 2>/dev/null |
    xargs -r grep -L "^Auto-Submitted: auto-replied" | wc -l
}
notifications() {
  grep -l "^Subject: $1" "$work"/outbox/*.eml 2>/dev/null |
    xargs -r grep -l "^Auto-Submitted: auto-replied" | wc -l
}
wait_copies() {  # SUBJECT N SECONDS
  for _ in $(seq $(($3 * 10))); do
    [ "$(copies "$1")" -ge "$2" ] && return 0
    sleep 0.1
  done
  return 1
}
# recipients_of SUBJECT: the recipients Graph delivered the message with SUBJECT to, one a line.
recipients_of() {
  curl -s --max-time 5 "$graph/test/outbox" | "$NODE" -e '
    const fs = require("fs"); let s = "";
    process.stdin.on("data", (d) => (s += d)).on("end", () => {
      for (const m of JSON.parse(s))
        if (fs.readFileSync(m.path, "latin1").includes("Subject: " + process.argv[1]))
          console.log(m.recipients.join("\n"));
    });' "$1"
}
# id_of PATTERN: the queue id of the first delivery line matching PATTERN.
id_of() { grep -E "msg=delivery .*$1" "$work/relay.log" | head -1 | sed -E 's/.*queue_id=([0-9a-f-]+).*/\1/'; }
seconds_of() { date -d "$(sed -E 's/^time=([^ ]+).*/\1/' <<<"$1")" +%s; }
mark() { echo "relaygraph$$x$RANDOM$RANDOM"; }

# --- a legacy client's message; the envelope-only recipient in Bcc -------------------
k=$(mark)
send "$k" "$USER2" 200 "$USER1" "$USER2"
check "a plain-SMTP message through the Graph route reaches the emulator" wait_copies "$k" 1 20 ||
  { show "$work/relay.log"; show "$work/graph.log"; }
recipients_of "$k" >"$work/recipients"
check "Graph delivered to the To recipient" grep -qx "$USER2" "$work/recipients" || show "$work/recipients"
check "... and to the envelope-only recipient (written into Bcc)" grep -qx "$USER1" "$work/recipients"
copy=$(grep -l "^Subject: $k" "$work"/outbox/*.eml | head -1)
check "... whose address the recipients' copy does not show" not grep -q "$USER1" "$copy"
check "the attempt is logged: route, transport=graph, both recipients sent, Graph's request-id" \
  wait_log "msg=delivery queue_id=[0-9a-f-]+ route=graph to=$USER1,$USER2 relay=$graph transport=graph .*reply=\"202 Accepted request-id [0-9a-f-]+\" upstream_id=[0-9a-f-]+ status=sent" 5 ||
  show "$work/relay.log"
check "... with delays= queue/0 (no connection of its own)/the token/the requests" \
  grep -Eq "route=graph to=$USER1,$USER2 .*delays=[0-9]+\.[0-9]{2}/0\.00/[0-9]+\.[0-9]{2}/[0-9]+\.[0-9]{2} " "$work/relay.log"
for _ in $(seq 50); do [ "$(queued_count "$work/spool")" -eq 0 ] && break; sleep 0.1; done
check "the queue is empty after delivery" test "$(queued_count "$work/spool")" -eq 0
# The latency histogram of a Graph route: the token wait is its auth stage,
# the requests its transfer; no connect stage of its own (pooled HTTPS).
metrics_port=$(metrics_port_of "$work/relay.log")
python3 "$here/metrics_probe.py" fields "$metrics_port" >"$work/scrape" 2>&1
check "the Graph attempt is timed in the histogram: one auth (the token wait)" \
  grep -qx 'mailoauth_relay_upstream_duration_seconds_count{route="graph",stage="auth"} 1' "$work/scrape" ||
  show "$work/scrape"
check "... and one transfer (the requests)" \
  grep -qx 'mailoauth_relay_upstream_duration_seconds_count{route="graph",stage="transfer"} 1' "$work/scrape"
check "... and no connect stage" not grep -q 'stage="connect"' "$work/scrape"
check "the delivery is counted on the Graph route" \
  grep -qx 'mailoauth_relay_messages_delivered_total{route="graph"} 1' "$work/scrape"

# --- connections = 2: two sendMail requests at once, never more -------------------------
curl -sf --max-time 5 -o /dev/null -d '{"ms":400}' "$graph/test/slow"
k=$(mark)
COUNT=6 send "$k" "$USER1" 200 "$USER1"
check "six messages queued at once are all delivered" wait_copies "$k" 6 30
max=$(curl -s --max-time 5 "$graph/test/concurrency" | sed -E 's/.*"max":([0-9]+).*/\1/')
check "... with two sendMail requests at once, as connections = 2 allows, never more (max $max)" \
  test "$max" -eq 2
curl -sf --max-time 5 -o /dev/null -d '{"ms":0}' "$graph/test/slow"

# --- 429 with Retry-After: the route pauses, then both messages go -------------------
fault '[{"status":429,"retry_after":3}]'
k=$(mark)
send "$k" "$USER1" 200 "$USER1"
check "a 429 defers the message" wait_log 'route=graph .*HTTP 429.*status=deferred' 10
throttled_line=$(grep -E 'msg=delivery .*route=graph .*HTTP 429.*status=deferred' "$work/relay.log" | head -1)
k2=$(mark)
send "$k2" "$USER1" 200 "$USER1"
check "after the pause the throttled message is delivered" wait_copies "$k" 1 20
check "... and so is the one queued during the pause" wait_copies "$k2" 1 20
wait_log "route=graph .*attempt=2 .*status=sent" 5
throttled_at=$(seconds_of "$throttled_line")
later=$(grep -E 'msg=delivery .*route=graph .*status=sent' "$work/relay.log" | tail -2)
first_after=$(seconds_of "$(head -1 <<<"$later")")
check "... neither before Retry-After (3 s) passed (429 at $throttled_at, next sent at $first_after)" \
  test $((first_after - throttled_at)) -ge 2
check "... and Graph saw one 429 only: nothing was tried during the pause" \
  test "$(grep -c 'msg="Graph refused sendMail" .*status=429' "$work/relay.log")" -eq 1
check "... the message queued during the pause went on its first attempt" \
  grep -Eq "route=graph .*attempt=1 .*status=sent" <<<"$later"

# --- 500 after Graph took it: deferred, sent again, two copies -----------------------
fault '[{"status":500,"deliver":true}]'
k=$(mark)
send "$k" "$USER1" 200 "$USER1"
check "a 500 is logged as maybe sent, and the message deferred" \
  wait_log 'msg="Graph may have sent the message: it stays queued' 10
check "... the delivery line says so" wait_log 'route=graph .*may have been sent.*status=deferred' 5
check "... and it is sent again: the emulator holds two copies (a duplicate, not a loss)" \
  wait_copies "$k" 2 20
sleep 0.5
check "... exactly two" test "$(copies "$k")" -eq 2

# --- a permanent refusal fails the recipient -----------------------------------------
fault '[{"status":400,"code":"ErrorInvalidRecipients","message":"At least one recipient is not valid."}]'
k=$(mark)
send "$k" "$USER2" 200 "$USER2"
check "400 ErrorInvalidRecipients fails the recipient with Graph's words" \
  wait_log "route=graph to=$USER2 relay=$graph transport=graph .*ErrorInvalidRecipients.*status=bounced" 10 ||
  show "$work/relay.log"
failed_id=$(id_of "to=$USER2 .*ErrorInvalidRecipients.*status=bounced")
for _ in $(seq 50); do [ -f "$work/spool/failed/$failed_id.state" ] && break; sleep 0.1; done
check "... the message is in failed/ with Graph's code recorded" \
  grep -q "ErrorInvalidRecipients" "$work/spool/failed/$failed_id.state"
check "... and Graph has no copy" test "$(copies "$k")" -eq 0
for _ in $(seq 100); do [ "$(notifications "$k")" -ge 1 ] && break; sleep 0.1; done
check "... the sender's delivery status notification went out through the Graph route" \
  test "$(notifications "$k")" -eq 1

# --- 403 ErrorAccessDenied: a configuration fault, deferred, never failed -------------
policy "{\"deny\":[\"$USER1\"]}"
k=$(mark)
send "$k" "$USER2" 200 "$USER2"
check "403 ErrorAccessDenied (an access policy) defers the message as a configuration fault" \
  wait_log 'route=graph .*reply="configuration: Graph refused sendMail.*ErrorAccessDenied.*status=deferred' 10
denied_id=$(id_of 'reply="configuration: Graph refused sendMail.*ErrorAccessDenied')
check "... it is not failed: it stays in queue/" test -f "$work/spool/queue/$denied_id"
policy '{"deny":[]}'
check "... and once the policy lets the app in, it is delivered" wait_copies "$k" 1 30

# --- larger than sendMail takes, with no attachment to upload apart: failed unsent ------
# (messages with attachments go through a draft: test_graph_large_delivery.sh)
k=$(mark)
send "$k" "$USER1" $((3200 * 1024)) "$USER1"
check "a 3.2 MB text-only message (over 4 MB in base64) fails, naming the draft's limit" \
  wait_log 'route=graph .*reply="without its attachments the message is still [0-9]+ KB.*status=bounced' 10
check "... and was not sent" test "$(copies "$k")" -eq 0

# --- a revoked token: 401, renewed once, delivered ----------------------------------------
token=$(MAILOAUTH_CONFIG="$work/accounts.toml" "$mailoauth_bin" token get app)
check "the token the relay uses is revoked at oidc-provider" \
  curl -sf --max-time 5 -d "client_id=$CC_CLIENT_ID" -d "client_secret=$CC_CLIENT_SECRET" \
  -d "token=$token" -d token_type_hint=access_token "$OIDC_REVOKE_URL" -o /dev/null
k=$(mark)
send "$k" "$USER1" 200 "$USER1"
check "Graph refuses the revoked token (401), the relay renews it once" \
  wait_log 'msg="Graph refused the token; renewed once" .*account=app renewed_token_accepted=true' 20 ||
  show "$work/relay.log"
check "... and the message is delivered" wait_copies "$k" 1 10

check "stopping the relay exits 0" stop_relay
[ "$checks_failed" -eq 0 ] || show "$work/relay.log"
finish
