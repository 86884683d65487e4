#!/usr/bin/env bash
# systemd's Type=notify protocol as the relay speaks it (core/service_notifier,
# relay/service_status), observed on a datagram socket the test provides
# (notify_socket.py) as NOTIFY_SOCKET, with WATCHDOG_USEC = 0.4 s:
# READY=1 only once the listener accepts connections (the helper connects the
# moment READY arrives) and after start-up recovery (three messages spooled
# by an earlier run are in the first STATUS=), STATUS= with the queue size,
# WATCHDOG=1 again and again (every 0.2 s), RELOADING=1 then READY=1 around
# SIGHUP, STOPPING=1 on SIGTERM and exit 0. A WATCHDOG_PID naming another
# process gets no pings; without NOTIFY_SOCKET the relay runs as before.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "${BASH_SOURCE%/*}/relay_lib.sh"
unset NOTIFY_SOCKET WATCHDOG_USEC WATCHDOG_PID  # only what this test gives the relay

port=$(free_port)
down=$(free_port)  # the upstream is down: mail stays queued
printf '# no accounts: every route defers its mail\n' >"$work/accounts.toml"
{
  listener_port=$port relay_toml_head "first_retry = 60"
  cat <<TOML
[routes.down]
senders = ["down.test"]
account = "nobody"
server = "127.0.0.1"
port = $down
tls = "none"
TOML
} >"$work/relay.toml"

# An earlier run (no service manager: NOTIFY_SOCKET unset) spools three messages.
start_relay "$work/relay.toml" "$work/relay.log" || exit 1
python3 - "$port" <<'PY'
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
    for n in range(3):
        s.sendmail("erp@down.test", ["alice@example.test"], f"Subject: notify {n}\r\n\r\nbody\r\n")
PY
check "without NOTIFY_SOCKET the relay runs and accepts mail" test "$(queued_count "$work/spool")" -eq 3
check "and stops with exit 0" stop_relay

# The run under a (test) service manager.
start_python notify "$here/notify_socket.py" "$work/notify.sock" "$port" "$work/notify.log" >/dev/null
check "the test's notify socket is bound" test -S "$work/notify.sock"
NOTIFY_SOCKET=$work/notify.sock WATCHDOG_USEC=400000 start_relay "$work/relay.toml" "$work/relay.log" || exit 1
# wait_until COMMAND SECONDS: until COMMAND succeeds.
wait_until() {
  for _ in $(seq $(($2 * 10))); do
    "$1" && return 0
    sleep 0.1
  done
  return 1
}
# wait_notify ERE SECONDS: until the helper logged a datagram matching ERE.
wait_notify() {
  for _ in $(seq $(($2 * 10))); do
    grep -Eq "$1" "$work/notify.log" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
check "READY=1 arrives" wait_notify ' READY=1$' 10
check "the listener accepted a connection the moment READY=1 came" \
  test "$(grep -A1 ' READY=1$' "$work/notify.log" | head -2 | tail -1 | cut -d' ' -f2-)" = "connect ok"
check "start-up recovery found the three messages" grep -q 'msg="spool recovered" messages=3' "$work/relay.log"
check "STATUS= arrives" wait_notify ' STATUS=' 5
first_status=$(grep -m1 ' STATUS=' "$work/notify.log" | cut -d' ' -f2-)
check "the first STATUS= counts the three recovered messages [$first_status]" \
  matches "$first_status" '^STATUS=queue: 3 messages; sessions: [0-9]+ in, [0-9]+ out$'
check "READY=1 came before the first STATUS=" \
  test "$(grep -n ' READY=1$' "$work/notify.log" | head -1 | cut -d: -f1)" -lt \
  "$(grep -n ' STATUS=' "$work/notify.log" | head -1 | cut -d: -f1)"
python3 - "$port" <<'PY'
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
    s.sendmail("erp@down.test", ["alice@example.test"], "Subject: notify 4\r\n\r\nbody\r\n")
PY
check "a fourth message changes STATUS= within 3 s" wait_notify ' STATUS=queue: 4 messages;' 3
sleep 2
pings=$(grep -c ' WATCHDOG=1$' "$work/notify.log")
check "WATCHDOG=1 repeatedly (every 0.2 s: $pings so far, at least 8 expected)" test "$pings" -ge 8
gap=$(awk '/ STATUS=/ { if (last != "") { d = $1 - last; if (min == "" || d < min) min = d } last = $1 }
          END { print (min == "" ? "none" : int(min * 1000)) }' "$work/notify.log")
check "STATUS= is rate-limited: at least 0.9 s between two (shortest gap: $gap ms)" \
  test "$gap" != none -a "$gap" -ge 900 2>/dev/null

kill -HUP "$relay_pid"
check "SIGHUP: RELOADING=1 with MONOTONIC_USEC" wait_notify ' RELOADING=1\|MONOTONIC_USEC=[0-9]+$' 5
ready_twice() { [ "$(grep -c ' READY=1$' "$work/notify.log")" -ge 2 ]; }
check "then READY=1 again" wait_until ready_twice 5
check "READY=1 after RELOADING=1" \
  test "$(grep -n ' READY=1$' "$work/notify.log" | tail -1 | cut -d: -f1)" -gt \
  "$(grep -n ' RELOADING=1' "$work/notify.log" | tail -1 | cut -d: -f1)"

stop_relay
check "SIGTERM: the relay exits 0" test $? -eq 0
check "STOPPING=1 arrives on SIGTERM" wait_notify ' STOPPING=1$' 2
check "the messages are still queued after the stop" test "$(queued_count "$work/spool")" -eq 4

# A watchdog meant for another process (WATCHDOG_PID) is not ours to serve.
: >"$work/notify.log"
NOTIFY_SOCKET=$work/notify.sock WATCHDOG_USEC=400000 WATCHDOG_PID=1 \
  start_relay "$work/relay.toml" "$work/relay.log" || exit 1
check "READY=1 with WATCHDOG_PID of another process" wait_notify ' READY=1$' 10
sleep 1
check "and no WATCHDOG=1" not grep -q 'WATCHDOG=1' "$work/notify.log"
check "stopping it exits 0" stop_relay

# A NOTIFY_SOCKET that cannot be a socket address is a configuration error.
NOTIFY_SOCKET=relative/path "$relay_bin" relay --config "$work/relay.toml" run >"$work/bad.log" 2>&1
check "a relative NOTIFY_SOCKET is refused with exit 78" test $? -eq 78
check "saying why" grep -q 'NOTIFY_SOCKET' "$work/bad.log"
[ "$checks_failed" -eq 0 ] || { show "$work/notify.log"; show "$work/relay.log"; }
finish
