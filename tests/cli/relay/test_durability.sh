#!/usr/bin/env bash
# The relay's promise: a 250 only for a message that is on disk. 20 clients
# at once all get theirs. kill -9 of
# the relay while a client sends → restart (start-up recovery) → every
# acknowledged Message-ID is in the spool's queue/. And a full spool disk (a
# 2 MiB tmpfs, filled up): 452 4.3.1 for new mail, the session goes on,
# nothing half-written is left, and mail is accepted again once space returns.
# Also: SIGTERM with a session open lets it finish, then exits 0.
# The tmpfs part needs mount(8) permission (root); without it, it is skipped.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "${BASH_SOURCE%/*}/relay_lib.sh"

write_config() {  # write_config SPOOL
  cat >"$work/relay.toml" <<TOML
hostname = "relay.test"
spool_directory = "$1"
users_file = "$work/users"
greeting_pause_ms = 0
[listeners.lan]
port = 0
clients = ["127.0.0.1"]
[routes.contoso]
senders = ["contoso.com"]
account = "contoso"
TOML
}

# --- 20 clients at once ---------------------------------------------------------
write_config "$work/parallel-spool"
start_relay "$work/relay.toml" "$work/relay0.log" || exit 1
check "20 concurrent sessions of 10 messages: every one acknowledged" \
  python3 "$here/smtp_probe.py" parallel "$(port_of "$work/relay0.log" lan)" 20 10
check "and all 200 are in queue/" test "$(queued_count "$work/parallel-spool")" -eq 200
stop_relay

# --- kill -9 while a client sends ---------------------------------------------
write_config "$work/spool"
start_relay "$work/relay.toml" "$work/relay.log" || exit 1
port=$(port_of "$work/relay.log" lan)
python3 "$here/smtp_probe.py" send-many "$port" 100000 "$work/acked" >"$work/sender.out" 2>&1 &
sender=$!
for _ in $(seq 200); do  # up to 20 s for 30 acknowledgements
  [ -f "$work/acked" ] && [ "$(wc -l <"$work/acked")" -ge 30 ] && break
  sleep 0.1
done
kill -9 "$relay_pid"
wait "$relay_pid" 2>/dev/null
relay_pid=
wait "$sender"
acked=$(wc -l <"$work/acked")
check "the client got at least 30 acknowledgements before the kill" test "$acked" -ge 30
start_relay "$work/relay.toml" "$work/relay2.log" || exit 1
check "the restart ran start-up recovery and logged it" grep -q 'msg="spool recovered"' "$work/relay2.log"
missing=0
while read -r id; do
  grep -q -F -l "Message-ID: $id" "$work"/spool/queue/* || missing=$((missing + 1))
done <"$work/acked"
check "every acknowledged message ($acked) is in queue/ after kill -9 and restart" test "$missing" -eq 0
check "incoming/ is empty after recovery" test -z "$(ls -A "$work/spool/incoming")"

# --- SIGTERM with a transaction open: it may finish, then the relay exits 0 ----
port=$(port_of "$work/relay2.log" lan)
before=$(queued_count "$work/spool")
check "SIGTERM lets an open transaction finish its message" \
  python3 "$here/smtp_probe.py" graceful "$port" "$relay_pid"
check "the relay then exits 0" stop_relay
check "that message is in queue/" test "$(queued_count "$work/spool")" -eq $((before + 1))

# --- a full spool disk --------------------------------------------------------
mkdir "$work/tiny"
if ! mount -t tmpfs -o size=2m tmpfs "$work/tiny" 2>/dev/null; then
  skip "452 4.3.1 on a full spool disk" "mount -t tmpfs is not permitted here"
  finish
fi
write_config "$work/tiny/spool"
start_relay "$work/relay.toml" "$work/relay3.log" || exit 1
port=$(port_of "$work/relay3.log" lan)
# Fill the disk but for ~100 KiB, then send 400 KiB.
avail=$(df --output=avail -B1 "$work/tiny" | tail -1)
head -c $((avail - 100 * 1024)) /dev/zero >"$work/tiny/filler" 2>/dev/null
python3 - "$work/big.eml" <<'PY'
import sys
with open(sys.argv[1], "wb") as f:
    f.write(b"Subject: big\r\nMessage-ID: <big@disk.test>\r\n\r\n" + (b"z" * 78 + b"\r\n") * 5000)
PY
output=$(python3 "$here/smtp_probe.py" smtplib 127.0.0.1 "$port" plain a@contoso.com b@example.com "$work/big.eml" 2>&1)
check "a message that does not fit gets 452 4.3.1" matches "$output" "452.*4\.3\.1"
check "nothing of it is left in incoming/" test -z "$(ls -A "$work/tiny/spool/incoming")"
check "and nothing in queue/" test "$(queued_count "$work/tiny/spool")" -eq 0
check "the relay logged why" grep -q 'msg="message not stored"' "$work/relay3.log"
rm -f "$work/tiny/filler"
check "once space returns, the same message is accepted" \
  python3 "$here/smtp_probe.py" smtplib 127.0.0.1 "$port" plain a@contoso.com b@example.com "$work/big.eml"
check "and it is in queue/" test "$(queued_count "$work/tiny/spool")" -eq 1
check "SIGTERM: exit 0" stop_relay
finish
