#!/usr/bin/env bash
# The relay's metrics and health listener, against the real stack. A known
# load goes through the relay: three messages delivered to alice over
# Dovecot submission with XOAUTH2, one to a recipient Postfix refuses (550:
# failed), one to a route whose upstream is down and one whose account's
# client secret is wrong (both deferred, first_retry = 1 h so not retried).
# Then /metrics is scraped and every counter checked exactly: received,
# delivered, deferred, failed and bounced by route, transfers timed by route
# and stage, token renewals and failures by account, the queue gauges by
# state, client sessions open now. /healthz and /readyz answer, /readyz says
# 503 with the reason while the spool cannot be written (its incoming/
# replaced by a file: chmod does not stop root). HEAD, 405 and 404 as
# documented. Hostile HTTP — a 100 kB request line, a slowloris, 80 idle
# connections — is answered or cut within the deadline, the relay's open
# files stay bounded, and it goes on serving metrics and mail. Last: the
# example alert rules (YAML) and dashboard (JSON) in contrib/ parse, and
# every metric they name is one the relay serves.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
source "${BASH_SOURCE%/*}/relay_lib.sh"
source "$MAILOAUTH_SOURCE_DIR/tests/stack/app_account.sh"
trap 'kill $(cat "$work/helpers.pids" 2>/dev/null) 2>/dev/null; cleanup' EXIT

probe="$here/metrics_probe.py"
# Debian's own python (stdlib only, plus python3-yaml): it starts in a tenth of
# the time a version manager's shim takes, and this script runs it ~60 times.
[ -x /usr/bin/python3 ] && python3() { /usr/bin/python3 "$@"; }
use_app_and_wrong_accounts
down_port=$(free_port)
{
  relay_toml_head "first_retry = 3600" "[metrics]" 'listen = "127.0.0.1:0"'
  relay_route direct app "$SUBMISSION_PORT" starttls "messages_per_minute = 1000"
  relay_route down app "$down_port" none
  relay_route wrong wrong "$SUBMISSION_PORT" starttls
} >"$work/relay.toml"
"$relay_bin" relay --config "$work/relay.toml" check-config >"$work/check.out" 2>&1
check "check-config names the metrics URL" grep -q '^metrics: http://127.0.0.1:0/metrics, /healthz, /readyz$' "$work/check.out"
sed 's/^listen = .*/listen = "localhost:9469"/' "$work/relay.toml" >"$work/bad.toml"
"$relay_bin" relay --config "$work/bad.toml" check-config >"$work/bad.out" 2>&1
check "a listen that is not an address is refused at load (exit 78)" test $? -eq 78
check "... naming the line and the fix" grep -q 'bad.toml:[0-9]*: metrics listen "localhost:9469": not an IP address' "$work/bad.out" || show "$work/bad.out"
start_relay "$work/relay.toml" "$work/relay.log" || exit 1
port=$(port_of "$work/relay.log" lan)
check "the metrics listener logs its address" wait_log 'msg="metrics listening" address=127\.0\.0\.1:[0-9]+' 5 ||
  { show "$work/relay.log"; finish; }
metrics_port=$(metrics_port_of "$work/relay.log")

# scrape: the samples of one /metrics answer in $work/scrape.
scrape() { python3 "$probe" fields "$metrics_port" >"$work/scrape" 2>&1; }
# value SAMPLE: its value in the last scrape ("" when absent).
value() { grep -F "$1 " "$work/scrape" | head -1 | sed 's/.* //'; }
# is SAMPLE WANT: the last scrape has SAMPLE with value WANT.
is() { [ "$(value "$1")" = "$2" ]; }
# at_least SAMPLE N
at_least() { local v; v=$(value "$1"); [ -n "$v" ] && [ "${v%.*}" -ge "$2" ]; }
# settles SECONDS SAMPLE=WANT...: scrapes until every SAMPLE has its value.
settles() {
  local seconds=$1 pair
  shift
  for _ in $(seq $((seconds * 4))); do
    scrape
    local all=1
    for pair in "$@"; do is "${pair%=*}" "${pair##*=}" || all=0; done
    [ $all = 1 ] && return 0
    sleep 0.25
  done
  return 1
}
# http METHOD PATH: one request; the answer in $work/http.
http() { python3 "$probe" get "$metrics_port" "$1" "$2" >"$work/http" 2>&1; }

# --- before any mail: the configured routes and accounts are there, at 0 -----------
scrape
check "before any mail, delivered{route=direct} is 0" is 'mailoauth_relay_messages_delivered_total{route="direct"}' 0
check "... and renewal failures{account=wrong} is 0" is 'mailoauth_token_renewal_failures_total{account="wrong"}' 0
started=$(value process_start_time_seconds)
now=$(date +%s)
check "process_start_time_seconds is the relay's start ($started, now $now)" \
  test "${started%.*}" -le "$now" -a "${started%.*}" -ge $((now - 120))

# --- the known load ------------------------------------------------------------------
k="relaymetrics$$x$RANDOM"
send_to_routes "$k" "$USER1" direct:3 down:1 wrong:1
send_to_routes "${k}refused" "$REFUSED_RECIPIENT" direct:1
check "three messages reach alice's mailbox" wait_found "$k direct" 3 30
# direct: 3 delivered, 1 refused (550) -- whose delivery status notification
# to the sender is the 4th delivery and the one bounce.
check "the counters settle: 4 delivered (one a bounce) and 1 failed on direct, 1 deferred on down and on wrong" \
  settles 30 'mailoauth_relay_messages_delivered_total{route="direct"}=4' \
  'mailoauth_relay_messages_bounced_total{route="direct"}=1' \
  'mailoauth_relay_messages_failed_total{route="direct"}=1' \
  'mailoauth_relay_messages_deferred_total{route="down"}=1' \
  'mailoauth_relay_messages_deferred_total{route="wrong"}=1' || show "$work/scrape"
check "received{direct} is 4" is 'mailoauth_relay_messages_received_total{route="direct"}' 4
check "received{down} is 1" is 'mailoauth_relay_messages_received_total{route="down"}' 1
check "received{wrong} is 1" is 'mailoauth_relay_messages_received_total{route="wrong"}' 1
check "deferred{direct} is 0" is 'mailoauth_relay_messages_deferred_total{route="direct"}' 0
check "delivered{down} is 0" is 'mailoauth_relay_messages_delivered_total{route="down"}' 0
check "failed{down} and failed{wrong} are 0" \
  is 'mailoauth_relay_messages_failed_total{route="down"}' 0
check "... (wrong)" is 'mailoauth_relay_messages_failed_total{route="wrong"}' 0
check "bounced{down} is 0 (no bounce was made there)" is 'mailoauth_relay_messages_bounced_total{route="down"}' 0
check "five transfers timed on direct (four messages, one notification)" \
  is 'mailoauth_relay_upstream_duration_seconds_count{route="direct",stage="transfer"}' 5
check "... each in some bucket up to +Inf" \
  is 'mailoauth_relay_upstream_duration_seconds_bucket{route="direct",stage="transfer",le="+Inf"}' 5
check "at least one connect timed on direct" \
  at_least 'mailoauth_relay_upstream_duration_seconds_count{route="direct",stage="connect"}' 1
check "at least one auth timed on direct" \
  at_least 'mailoauth_relay_upstream_duration_seconds_count{route="direct",stage="auth"}' 1
check "no connect ever succeeded on down" \
  not grep -q 'mailoauth_relay_upstream_duration_seconds_count{route="down",stage="connect"}' "$work/scrape"
check "the app account's token was renewed at least once" \
  at_least 'mailoauth_token_renewals_total{account="app"}' 1
check "... and never failed" is 'mailoauth_token_renewal_failures_total{account="app"}' 0
check "the wrong account's renewal failed" at_least 'mailoauth_token_renewal_failures_total{account="wrong"}' 1
check "no sample is labelled with a recipient or a client address" \
  not grep -Eq "$USER1|$REFUSED_RECIPIENT|127\.0\.0\.1" "$work/scrape"
check "the queue gauges: 2 deferred, 0 queued, 0 held, 1 failed" \
  settles 15 'mailoauth_relay_queue_messages{state="deferred"}=2' \
  'mailoauth_relay_queue_messages{state="queued"}=0' \
  'mailoauth_relay_queue_messages{state="held"}=0' \
  'mailoauth_relay_queue_messages{state="failed"}=1' || show "$work/scrape"
positive() { awk -v v="$1" 'BEGIN { exit !(v + 0 > 0) }'; }
check "the oldest waiting message has an age ($(value mailoauth_relay_queue_oldest_message_age_seconds) s)" \
  positive "$(value mailoauth_relay_queue_oldest_message_age_seconds)"
check "no upstream session is open now on down" is 'mailoauth_relay_sessions_out{route="down"}' 0

# --- a client session open now is counted --------------------------------------------
python3 - "$port" <<'PY' &
import smtplib, sys, time
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20)
s.ehlo("metrics.test")
time.sleep(6)
s.quit()
PY
holder=$!
echo $holder >>"$work/helpers.pids"
check "an open client session shows as sessions_in 1" settles 5 'mailoauth_relay_sessions_in=1'
wait $holder
check "... and 0 once it closed" settles 5 'mailoauth_relay_sessions_in=0'

# --- the HTTP surface ----------------------------------------------------------------
http GET /metrics
check "GET /metrics is 200" grep -q '^status 200$' "$work/http"
check "... as Prometheus text 0.0.4" grep -qi '^header: Content-Type: text/plain; version=0.0.4' "$work/http"
check "... with HELP and TYPE lines" grep -q '^# TYPE mailoauth_relay_queue_messages gauge$' "$work/http"
http HEAD /metrics
check "HEAD /metrics is 200 with a Content-Length" grep -Eq '^header: Content-Length: [1-9]' "$work/http"
check "... and no body" test "$(sed -n '/^body:$/,$p' "$work/http" | wc -l)" -eq 1
http GET /healthz
check "GET /healthz is 200 ok" grep -q '^status 200$' "$work/http"
check "... saying ok" grep -q '^ok$' "$work/http"
http GET /readyz
check "GET /readyz is 200 ready" grep -q '^ready$' "$work/http" || show "$work/http"
http POST /metrics
check "POST is 405" grep -q '^status 405$' "$work/http"
check "... with Allow: GET, HEAD" grep -qi '^header: Allow: GET, HEAD' "$work/http"
http GET /nothing
check "an unknown path is 404" grep -q '^status 404$' "$work/http"
http GET '/metrics?x=1'
check "a query string is ignored" grep -q '^status 200$' "$work/http"

# --- /readyz while the spool cannot be written --------------------------------------
mv "$work/spool/incoming" "$work/spool/incoming.away"
touch "$work/spool/incoming"
unready() { http GET /readyz && grep -q '^status 503$' "$work/http"; }
wait_unready() { for _ in $(seq 20); do unready && return 0; sleep 0.25; done; return 1; }
check "with incoming/ unusable /readyz is 503" wait_unready
check "... saying the spool is not writable" grep -q 'spool is not writable' "$work/http" || show "$work/http"
http GET /healthz
check "... while /healthz stays 200 (alive, not ready)" grep -q '^status 200$' "$work/http"
rm "$work/spool/incoming"
mv "$work/spool/incoming.away" "$work/spool/incoming"
ready() { http GET /readyz && grep -q '^status 200$' "$work/http"; }
wait_ready() { for _ in $(seq 20); do ready && return 0; sleep 0.25; done; return 1; }
check "once incoming/ is back /readyz is 200 again" wait_ready

# --- hostile HTTP --------------------------------------------------------------------
check "a 100 kB request line gets a 4xx or a closed connection, never a 200" \
  python3 "$probe" huge "$metrics_port" 100000
check "a slowloris is cut within the 5 s deadline (10 s allowed)" \
  python3 "$probe" slowloris "$metrics_port" 10
files_before=$(ls "/proc/$relay_pid/fd" | wc -l)
python3 "$probe" hold "$metrics_port" 80 4 >"$work/hold.out" 2>&1 &
held=$!
echo $held >>"$work/helpers.pids"
for _ in $(seq 20); do grep -q '^connected' "$work/hold.out" && break; sleep 0.2; done
files_during=$(ls "/proc/$relay_pid/fd" | wc -l)
check "80 idle connections ($(cat "$work/hold.out")) cost at most 16 more open files ($files_before -> $files_during)" \
  test "$files_during" -le $((files_before + 16 + 2))
wait $held
healthy() { http GET /healthz && grep -q '^status 200$' "$work/http"; }
wait_healthy() { for _ in $(seq 40); do healthy && return 0; sleep 0.25; done; return 1; }
check "after them /healthz answers again within 10 s" wait_healthy
check "the relay is still running" kill -0 "$relay_pid"
send_to_routes "${k}after" "$USER1" direct:1
check "... and still delivers: delivered{direct} reaches 5" \
  settles 30 'mailoauth_relay_messages_delivered_total{route="direct"}=5'

# --- contrib/: the alert rules and the dashboard ------------------------------------
rules="$MAILOAUTH_SOURCE_DIR/contrib/prometheus/mailoauth-relay-alerts.yml"
dashboard="$MAILOAUTH_SOURCE_DIR/contrib/grafana/mailoauth-relay-dashboard.json"
# Debian's python3-yaml (scripts/install-deps).
check "the alert rules are valid YAML with the rule fields Prometheus needs" python3 - "$rules" <<'PY'
import re, sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
rules = [rule for group in doc["groups"] for rule in group["rules"]]
names = {rule["alert"] for rule in rules}
wanted = {"MailoauthRelayQueueGrowing", "MailoauthRelayOldestMessageOverOneHour",
          "MailoauthTokenRenewalsFailing", "MailoauthClientSecretExpiringSoon"}
assert wanted <= names, wanted - names
for rule in rules:
    assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
    assert isinstance(rule["expr"], str) and rule["expr"].strip(), rule
    assert rule["expr"].count("(") == rule["expr"].count(")"), rule["alert"]
    assert "for" not in rule or re.fullmatch(r"\d+[smhd]", rule["for"]), rule["alert"]
    assert rule["labels"]["severity"] and rule["annotations"]["summary"], rule["alert"]
PY
check "the dashboard is valid JSON with panels that each query something" python3 - "$dashboard" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["title"] and d["panels"]
for panel in d["panels"]:
    assert panel["title"] and panel["targets"] and all(t["expr"] for t in panel["targets"]), panel
PY
http GET /metrics
for name in $(python3 "$probe" names "$rules" "$dashboard"); do
  check "$name (used in contrib/) is served" grep -q "^# TYPE $name " "$work/http"
done

check "stopping the relay exits 0" stop_relay
finish
