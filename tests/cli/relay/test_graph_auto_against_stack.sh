#!/usr/bin/env bash
# transport = "auto" (seed 002: a tenant whose SMTP AUTH went off when
# security defaults came on). The SMTP upstream is a stand-in for Exchange
# Online that answers AUTH with Microsoft's exact words as the test tells it
# (upstream_peers.py exchange; Exchange cannot run here); the Graph leg is the
# Graph emulator (tests/graph_emulator), which checks the relay's token at the
# real oidc-provider. What is counted is the stand-in's and the emulator's
# own record, not the relay's word:
#   - 535 5.7.139 "SmtpClientAuthentication is disabled for the Tenant": the
#     message goes by Graph, one warn line says why (the upstream's reply and
#     the route), the delivery line says transport=graph;
#   - the next message within graph_fallback_time goes straight to Graph: no
#     new SMTP connection; a SIGHUP reload keeps the route on Graph;
#   - after the window SMTP is tried again (logged); still refused ("locked by
#     your organization's security defaults policy"): Graph again;
#   - after the next window, the stand-in takes the login: SMTP is used again,
#     "SMTP works again" logged, the emulator gets nothing;
#   - 535 5.7.8 (bad credentials) does not switch: deferred as a
#     configuration fault, Graph never asked;
#   - on Graph, a 429 with Retry-After pauses the route: the message and one
#     queued meanwhile are sent after the pause, nothing tried during it; a
#     Retry-After of 300 s (beyond any in-process wait) defers the message
#     with its next attempt 300 s away;
#   - check-config says what the auto route will do.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
source "${BASH_SOURCE%/*}/relay_lib.sh"
source "$MAILOAUTH_SOURCE_DIR/tests/stack/app_account.sh"
source "$MAILOAUTH_SOURCE_DIR/tests/graph_emulator/start.sh"
trap 'kill $(jobs -p) 2>/dev/null; cleanup' EXIT

start_graph_emulator "$work" "$USER1" || exit 1
graph="http://127.0.0.1:$graph_port"
use_stack_app_secret
{
  stack_app_account app "$work/cc.secret"
  echo "graph_url = \"$graph\""
} >"$work/accounts.toml"
chmod 600 "$work/accounts.toml"

# Three stand-ins: one per route, each told how to answer by its mode file.
for peer in auto wrong throttled; do echo tenant >"$work/$peer.mode"; done
echo bad-credentials >"$work/wrong.mode"
auto_port=$(start_peer exchange-auto exchange "$work/auto.state" "$work/auto.mode")
wrong_port=$(start_peer exchange-wrong exchange "$work/wrong.state" "$work/wrong.mode")
throttled_port=$(start_peer exchange-throttled exchange "$work/throttled.state" "$work/throttled.mode")
[ -n "$auto_port" ] && [ -n "$wrong_port" ] && [ -n "$throttled_port" ] ||
  { echo "an Exchange stand-in did not start" >&2; exit 1; }
window=20  # long enough for a loaded 2-core machine to send three messages and reload
auto_route() {  # NAME PORT FALLBACK_TIME
  printf '[routes.%s]\nsenders = ["%s.test"]\naccount = "app"\ntransport = "auto"\n' "$1" "$1"
  printf 'server = "127.0.0.1"\nport = %s\ntls = "none"\nmessages_per_minute = 1000\n' "$2"
  printf 'graph_fallback_time = %s\n' "$3"
}
{
  relay_toml_head "first_retry = 1"
  auto_route auto "$auto_port" "$window"
  auto_route wrong "$wrong_port" 600
  auto_route throttled "$throttled_port" 600
} >"$work/relay.toml"

"$relay_bin" relay --config "$work/relay.toml" check-config >"$work/check.out" 2>&1
check "check-config: SMTP first, then Graph sendMail as the mailbox for graph_fallback_time" \
  grep -q "route auto: account app via auto: SMTP first; for $window s (graph_fallback_time) after SMTP AUTH is refused .*then SMTP again: Microsoft Graph sendMail at $graph/v1.0/users/$USER1/sendMail" \
  "$work/check.out" || show "$work/check.out"

start_relay "$work/relay.toml" "$work/relay.log" || exit 1
port=$(port_of "$work/relay.log" lan)

# send ROUTE SUBJECT: one message from scanner@ROUTE.test to alice, plain SMTP.
send() {
  python3 - "$port" "$1" "$2" "$USER1" <<'PY'
import smtplib, sys
port, route, subject, rcpt = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
    s.sendmail(f"scanner@{route}.test", [rcpt],
               f"From: <scanner@{route}.test>\r\nTo: <{rcpt}>\r\nSubject: {subject}\r\n"
               f"Message-ID: <{subject}@relay.test>\r\n\r\nbody\r\n")
PY
}
# peer NAME FIELD: a stand-in's count (connections, refused, accepted).
peer() { sed -E "s/.*$2 ([0-9]+).*/\1/" "$work/$1.state"; }
smtp_got() { grep -qx "$1" "$work/auto.state.subjects" 2>/dev/null; }
seconds_of() { date -d "$(sed -E 's/^time=([^ ]+).*/\1/' <<<"$1")" +%s.%N; }
# wait_window_from LINE: sleeps until graph_fallback_time has passed since the log LINE.
wait_window_from() {
  local left
  left=$(python3 -c "import time; print(max(0.0, $(seconds_of "$1") + $window + 0.3 - time.time()))")
  sleep "$left"
}
mark() { echo "relayauto$$x$RANDOM$RANDOM"; }
switch_line='msg="SMTP AUTH is refused as switched off: the route delivers with Microsoft Graph sendMail for graph_fallback_time"'

# --- 5.7.139 for the tenant: Graph delivers, the log says why ----------------------
k1=$(mark)
send auto "$k1"
check "SMTP AUTH refused for the tenant: the message reaches the Graph emulator" wait_graph_copies "$k1" 1 20 ||
  { show "$work/relay.log"; show "$work/graph.log"; }
check "... one warn line with the route and Exchange's reply" \
  wait_log "level=warn $switch_line .*route=auto upstream=127.0.0.1:$auto_port reply=\".*535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.*code=smtp.client_auth_disabled_tenant graph=$graph graph_fallback_time=$window" 5 ||
  show "$work/relay.log"
check "... in the same attempt: the delivery line says transport=graph, attempt=1, sent" \
  wait_log "msg=delivery queue_id=[0-9a-f-]+ route=auto to=$USER1 relay=$graph transport=graph .*attempt=1 .*status=sent" 5
check "... the stand-in refused the login and took nothing" \
  test "$(peer auto refused)" -ge 1 -a "$(peer auto accepted)" -eq 0
switched_at_line=$(grep -E "$switch_line .*route=auto " "$work/relay.log" | tail -1)
connections=$(peer auto connections)

# --- within the window: straight to Graph; a SIGHUP keeps the route on Graph -------
k2=$(mark)
send auto "$k2"
check "within graph_fallback_time the next message goes to Graph" wait_graph_copies "$k2" 1 10
kill -HUP "$relay_pid"
check "SIGHUP reloads the routes" wait_log 'msg="SIGHUP: routes and accounts reloaded"' 10
k3=$(mark)
send auto "$k3"
check "... after the reload, still within the window, Graph again" wait_graph_copies "$k3" 1 10
check "... and no SMTP connection was made for either ($connections before, $(peer auto connections) now)" \
  test "$(peer auto connections)" -eq "$connections"
check "... the switch was logged once" test "$(grep -cE "$switch_line .*route=auto " "$work/relay.log")" -eq 1

# --- after the window: SMTP again; still refused (security defaults): Graph again ----
echo security-defaults >"$work/auto.mode"
wait_window_from "$switched_at_line"
k4=$(mark)
send auto "$k4"
check "after graph_fallback_time, SMTP is tried again (logged)" \
  wait_log "msg=\"graph_fallback_time is over: trying SMTP again\" route=auto .*graph_fallback_time=$window" 10 ||
  show "$work/relay.log"
check "... locked by security defaults: the message goes by Graph" wait_graph_copies "$k4" 1 20
check "... and the switch is logged again with that reply" \
  wait_log "$switch_line .*route=auto .*security defaults policy.*code=smtp.security_defaults" 5
check "... the stand-in saw a new connection" test "$(peer auto connections)" -gt "$connections"
switched_at_line=$(grep -E "$switch_line .*route=auto " "$work/relay.log" | tail -1)

# --- SMTP AUTH back on: after the window SMTP is used again ------------------------
echo accept >"$work/auto.mode"
wait_window_from "$switched_at_line"
k5=$(mark)
send auto "$k5"
check "once SMTP AUTH is on again, the next message after the window goes by SMTP" \
  wait_log "msg=delivery queue_id=[0-9a-f-]+ route=auto to=$USER1 relay=127\.0\.0\.1\[127\.0\.0\.1\]:$auto_port transport=smtp .*status=sent" 20 ||
  show "$work/relay.log"
check "... the stand-in has it" smtp_got "$k5"
check "... \"SMTP works again\" is logged" wait_log 'msg="SMTP works again: the route is back on SMTP" route=auto' 5
check "... and the Graph emulator does not" test "$(graph_copies "$k5")" -eq 0

# --- 5.7.8: bad credentials never switch --------------------------------------------
k6=$(mark)
send wrong "$k6"
check "535 5.7.8 defers the message as a configuration fault, relay= naming the server that refused" \
  wait_log "msg=delivery queue_id=[0-9a-f-]+ route=wrong to=$USER1 relay=127\.0\.0\.1\[127\.0\.0\.1\]:$wrong_port transport=smtp .*reply=\"configuration \(account\): .*535 5.7.8 Authentication failed.*status=deferred" 20 ||
  show "$work/relay.log"
check "... without switching to Graph" not grep -qE "$switch_line .*route=wrong " "$work/relay.log"
sleep 1
check "... and Graph never got it" test "$(graph_copies "$k6")" -eq 0

# --- on Graph, 429 with Retry-After pauses the route ---------------------------------
graph_fault '[{"status":429,"retry_after":3}]'
k7=$(mark)
send throttled "$k7"
check "on the Graph leg, a 429 defers the message" \
  wait_log "route=throttled .*transport=graph .*HTTP 429.*status=deferred" 20 || show "$work/relay.log"
throttled_line=$(grep -E 'msg=delivery .*route=throttled .*HTTP 429.*status=deferred' "$work/relay.log" | head -1)
k8=$(mark)
send throttled "$k8"
check "after the pause the throttled message goes by Graph" wait_graph_copies "$k7" 1 20
check "... and so does the one queued during the pause" wait_graph_copies "$k8" 1 20
wait_log "route=throttled .*attempt=2 .*status=sent" 5
first_after=$(grep -E 'msg=delivery .*route=throttled .*status=sent' "$work/relay.log" | head -1)
elapsed=$(python3 -c "print(int($(seconds_of "$first_after") - $(seconds_of "$throttled_line")))")
check "... not before Retry-After (3 s) passed ($elapsed s)" test "$elapsed" -ge 2
check "... Graph saw one 429 only" \
  test "$(grep -c 'msg="Graph refused sendMail" .*status=429' "$work/relay.log")" -eq 1
check "... the SMTP stand-in was not asked again during the pause ($(peer throttled connections) connection)" \
  test "$(peer throttled connections)" -eq 1

# --- Retry-After beyond what any process should sleep: deferred that long ------------
graph_fault '[{"status":429,"retry_after":300}]'
k9=$(mark)
send throttled "$k9"
check "a 429 with Retry-After 300 defers the message" \
  wait_log "route=throttled .*HTTP 429.*status=deferred" 20
long_id=$(grep -E "msg=delivery .*route=throttled .*HTTP 429.*status=deferred" "$work/relay.log" | tail -1 |
  sed -E 's/.*queue_id=([0-9a-f-]+).*/\1/')
next=$(sed -n 's/^next \([0-9]*\)$/\1/p' "$work/spool/queue/$long_id.state" 2>/dev/null)
now_us=$(python3 -c 'import time; print(int(time.time() * 1e6))')
check "... its next attempt is about 300 s away (state file: next $next)" \
  test -n "$next" -a $(((${next:-0} - now_us) / 1000000)) -ge 280
sleep 2
check "... and Graph is not asked again meanwhile" \
  test "$(grep -c 'msg="Graph refused sendMail" .*status=429' "$work/relay.log")" -eq 2

check "stopping the relay exits 0" stop_relay
[ "$checks_failed" -eq 0 ] || show "$work/relay.log"
finish
