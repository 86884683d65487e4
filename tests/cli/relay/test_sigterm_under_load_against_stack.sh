#!/usr/bin/env bash
# SIGTERM is a clean stop, end to end against the stack (docs/relay.md,
# "Signals"). First, one transaction in flight when SIGTERM comes: its
# content is finished after the signal and still gets 250, the next MAIL
# gets 421 4.3.2, a second client cannot connect, the relay exits 0 within
# the grace, and the message is delivered after the restart. Then under
# load: four devices (tenant_clients.py load) send 480 messages through two
# routes (alice's and carol's accounts, Dovecot submission with XOAUTH2) and
# the relay gets SIGTERM 2 or 3 times at seeded random moments (TERM_SEED=N
# reruns a seed) and is started again on the same port. Each stop must exit
# 0 in time, leave nothing half-received in incoming/ (recovery removes
# nothing at the next start); at the end every Message-ID that got a 250 is
# in a mailbox (at-least-once: duplicates are counted and printed, never
# required to be zero), nothing failed, nothing is left in the spool.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
source "${BASH_SOURCE%/*}/relay_lib.sh"
source "$MAILOAUTH_SOURCE_DIR/tests/stack/app_account.sh"
trap 'kill $(cat "$work/devices.pids" 2>/dev/null) 2>/dev/null; cleanup' EXIT  # the devices, then relay_lib's cleanup
started=$(date +%s)

seed=${TERM_SEED:-$((RANDOM * 32768 + RANDOM))}
echo "seed: $seed (TERM_SEED=$seed reruns these stop moments)"
RANDOM=$seed
stops=$((2 + RANDOM % 2))
devices=4
each=120
total=$((devices * each))
grace=5

export MAILOAUTH_STATE_DIR="$work/state"
stack_tenant_accounts "$work" term a c

port=$(free_port)  # fixed, so the devices find the relay again after each restart
{
  listener_port=$port relay_toml_head "first_retry = 1" "shutdown_grace = $grace"
  relay_route term-a term-a "$SUBMISSION_PORT" starttls "messages_per_minute = 100000"
  relay_route term-c term-c "$SUBMISSION_PORT" starttls "messages_per_minute = 100000"
} >"$work/relay.toml"

# stop_within SECONDS: SIGTERM, then wait for the exit; sets stop_status (124
# when it did not exit in time: then it is killed) and stop_took (seconds).
stop_within() {
  local begin
  begin=$(date +%s.%N)
  kill -TERM "$relay_pid"
  for _ in $(seq $(($1 * 10))); do
    kill -0 "$relay_pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$relay_pid" 2>/dev/null; then
    kill -9 "$relay_pid"
    wait "$relay_pid" 2>/dev/null
    stop_status=124
  else
    wait "$relay_pid"
    stop_status=$?
  fi
  relay_pid=
  stop_took=$(awk -v b="$begin" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - b }')
}
incoming_files() { find "$work/spool/incoming" -type f 2>/dev/null | wc -l; }

# --- one transaction in flight when SIGTERM comes ---------------------------------
start_relay "$work/relay.toml" "$work/relay.0.log" || exit 1
run=term$$x$RANDOM
python3 - "$port" "$relay_pid" "$run" "$USER1" >"$work/inflight.out" 2>&1 <<'PY'
import os, signal, socket, sys, time
port, pid, run, rcpt = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = socket.create_connection(("127.0.0.1", port), timeout=10)
f = s.makefile("rb")
def reply():
    lines = []
    while True:
        line = f.readline().decode()
        lines.append(line.strip())
        if len(line) < 4 or line[3] != "-":
            return " | ".join(lines)
def say(text):
    s.sendall(text.encode() + b"\r\n")
    return reply()
reply()
say("EHLO device.test")
say("MAIL FROM:<printer@term-a.test>")
say(f"RCPT TO:<{rcpt}>")
print("DATA:", say("DATA"))
s.sendall(f"From: <printer@term-a.test>\r\nSubject: {run} inflight\r\nMessage-ID: <{run}.inflight@relay.test>\r\n\r\nfirst half\r\n".encode())
os.kill(pid, signal.SIGTERM)
time.sleep(1.0)  # the relay has stopped accepting by now
try:
    socket.create_connection(("127.0.0.1", port), timeout=2).close()
    print("second client: connected")
except OSError:
    print("second client: refused")
s.sendall(b"second half\r\n.\r\n")
print("END:", reply())
print("NEXT MAIL:", say("MAIL FROM:<printer@term-a.test>"))
PY
cat "$work/inflight.out"
check "the transaction in flight at SIGTERM is finished and acknowledged" \
  grep -Eq '^END: 250 2\.0\.0 Ok: queued as' "$work/inflight.out"
check "... the next MAIL in that session gets 421 4.3.2 (no new transaction)" \
  grep -Eq '^NEXT MAIL: 421 4\.3\.2 ' "$work/inflight.out"
check "... and a new client cannot connect once SIGTERM came" grep -q '^second client: refused' "$work/inflight.out"
for _ in $(seq $(((grace + 5) * 10))); do kill -0 "$relay_pid" 2>/dev/null || break; sleep 0.1; done
wait "$relay_pid"
check "the relay exited 0 on its own within shutdown_grace + 5 s" test $? -eq 0
relay_pid=
check "... logging its stop" grep -q 'msg=stopped' "$work/relay.0.log"
check "... with nothing half-received left in incoming/" test "$(incoming_files)" -eq 0

# --- SIGTERM under load ---------------------------------------------------------
start_relay "$work/relay.toml" "$work/relay.1.log" || exit 1
check "the in-flight message is delivered after the restart" wait_found "$run inflight" 1 30
start_load_devices term "$run" "$each" 100
marks=$(for _ in $(seq $stops); do echo $((total * 10 / 100 + RANDOM % (total * 70 / 100))); done | sort -n)
n=0
slowest=0
for mark in $marks; do
  n=$((n + 1))
  for _ in $(seq 200); do  # up to 20 s for the devices to get that far (then stop anyway)
    [ "$(acked_now)" -ge "$mark" ] && break
    sleep 0.1
  done
  sleep "0.$(printf '%03d' $((RANDOM % 300)))"
  at=$(acked_now)
  stop_within $((grace + 10))
  echo "stop $n: SIGTERM at $at acknowledged (mark $mark): exit $stop_status after $stop_took s;" \
    "queue/ holds $(queued_count "$work/spool"), incoming/ $(incoming_files)"
  check "stop $n: exit 0 within shutdown_grace + 10 s (exit $stop_status, $stop_took s)" test "$stop_status" -eq 0
  check "stop $n: nothing half-received in incoming/" test "$(incoming_files)" -eq 0
  slowest=$(awk -v a="$slowest" -v b="$stop_took" 'BEGIN { print (b > a ? b : a) }')
  start_relay "$work/relay.toml" "$work/relay.$((n + 1)).log" || exit 1
  check "restart $n: recovery found nothing unfinished to remove" \
    grep -q 'msg="spool recovered" .*incomplete_removed=0 ' "$work/relay.$((n + 1)).log"
done
echo "slowest stop: $slowest s"
check "the relay was stopped $stops times under load and came back each time" test "$n" -eq "$stops"

for pid in $(cat "$work/devices.pids"); do wait "$pid"; done  # each gives up after 100 s
cat "$work"/device.*.out
acked=$(acked_now)
check "the devices got $acked acknowledgements for $total messages (they retry what was not acknowledged)" \
  test "$acked" -ge $((total * 9 / 10))
for _ in $(seq 450); do  # up to 45 s for the relay to deliver everything
  [ "$(queued_count "$work/spool")" -eq 0 ] && break
  sleep 0.1
done
check "the relay drained its queue ($(queued_count "$work/spool") left)" test "$(queued_count "$work/spool")" -eq 0
check "nothing failed" test -z "$(ls -A "$work/spool/failed")"
check "nothing is corrupt" test -z "$(ls -A "$work/spool/corrupt" 2>/dev/null)"
check "the last stop exits 0" stop_relay
check "no sanitizer report in any of the relay's logs (sanitizer build)" \
  not grep -l 'Sanitizer\|runtime error' "$work"/relay.*.log

check_acknowledged_delivered "$run"
echo "took $(($(date +%s) - started)) s"
[ "$checks_failed" -eq 0 ] || { for f in "$work"/relay.*.log; do tail -20 "$f"; done; }
finish
