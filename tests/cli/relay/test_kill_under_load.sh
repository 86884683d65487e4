#!/usr/bin/env bash
# kill -9 at random moments under load, end to end against the stack: four
# devices (tenant_clients.py load) send 480 messages, each with its own
# Message-ID, through the relay to two routes (alice's and carol's accounts,
# Dovecot submission with XOAUTH2), retrying a message whose session broke as
# a device would, and write down each Message-ID that got a 250. Meanwhile the
# test kills the relay with SIGKILL 3 to 5 times, each when the acknowledged
# count passes a random mark (seeded: KILL_SEED=N reruns a seed; the seed is
# printed), and restarts it on the same port. Once the relay has drained its
# queue, the mailboxes are read over IMAPS: every acknowledged Message-ID must
# be there (the missing ones are named); duplicates are counted and printed
# (at-least-once allows them: a message received but not yet acknowledged, or
# delivered but not yet recorded as sent, when the relay died); messages never
# acknowledged may or may not be there.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
source "${BASH_SOURCE%/*}/relay_lib.sh"
source "$MAILOAUTH_SOURCE_DIR/tests/stack/app_account.sh"
trap 'kill $(cat "$work/devices.pids" 2>/dev/null) 2>/dev/null; cleanup' EXIT  # the devices, then relay_lib's cleanup
started=$(date +%s)

seed=${KILL_SEED:-$((RANDOM * 32768 + RANDOM))}
echo "seed: $seed (KILL_SEED=$seed reruns these kill moments)"
RANDOM=$seed
kills=$((3 + RANDOM % 3))
devices=4
each=120
total=$((devices * each))

export MAILOAUTH_STATE_DIR="$work/state"
stack_tenant_accounts "$work" kill a c

# A fixed port, so the devices find the relay again after each restart.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/relay.toml" <<TOML
hostname = "relay.test"
spool_directory = "$work/spool"
users_file = "$work/users"
accounts = "$work/accounts.toml"
greeting_pause_ms = 0
first_retry = 1
[listeners.lan]
port = $port
clients = ["127.0.0.1"]
[routes.a]
senders = ["kill-a.test"]
account = "kill-a"
server = "$SMTP_HOST"
port = $SUBMISSION_PORT
tls = "starttls"
messages_per_minute = 100000
[routes.c]
senders = ["kill-c.test"]
account = "kill-c"
server = "$SMTP_HOST"
port = $SUBMISSION_PORT
tls = "starttls"
messages_per_minute = 100000
TOML
start_relay "$work/relay.toml" "$work/relay.0.log" || exit 1
run=kill$$x$RANDOM

# Devices 1 and 2 send as kill-a.test to alice, 3 and 4 as kill-c.test to carol.
start_load_devices kill "$run" "$each" 90

# The kill moments: when the acknowledged count passes each of `kills` random
# marks between 5 % and 85 % of the total, plus 0-300 ms.
marks=$(for _ in $(seq $kills); do echo $((total * 5 / 100 + RANDOM % (total * 80 / 100))); done | sort -n)
n=0
for mark in $marks; do
  n=$((n + 1))
  for _ in $(seq 150); do  # up to 15 s for the devices to get that far (then kill anyway)
    [ "$(acked_now)" -ge "$mark" ] && break
    sleep 0.1
  done
  sleep "0.$(printf '%03d' $((RANDOM % 300)))"
  at=$(acked_now)
  kill -9 "$relay_pid"
  wait "$relay_pid" 2>/dev/null
  relay_pid=
  echo "kill $n: SIGKILL at $at acknowledged (mark $mark); queue/ holds $(queued_count "$work/spool")"
  start_relay "$work/relay.toml" "$work/relay.$n.log" || exit 1
done
check "the relay was killed $kills times under load and came back each time" test "$n" -eq "$kills"
check "each restart ran start-up recovery" test "$(grep -l 'msg="spool recovered"' "$work"/relay.[1-9].log | wc -l)" -eq "$kills"

for pid in $(cat "$work/devices.pids"); do wait "$pid"; done  # each gives up after 90 s
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
left=$(cd "$work/spool" && find queue incoming -mindepth 1 | tr '\n' ' ')
check "nothing left behind in queue/ or incoming/, no state or temporary file [$left]" test -z "$left"
check "stopping the relay exits 0" stop_relay
check "no sanitizer report in any of the relay's logs (sanitizer build)" \
  not grep -l 'Sanitizer\|runtime error' "$work"/relay.*.log

# What the mailboxes hold, against what was acknowledged (relay_lib.sh).
check_acknowledged_delivered "$run"
echo "took $(($(date +%s) - started)) s"
[ "$checks_failed" -eq 0 ] || { for f in "$work"/relay.*.log; do tail -20 "$f"; done; }
finish
