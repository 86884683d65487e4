#!/usr/bin/env bash
# SIGHUP reloads the relay's routes and accounts without dropping sessions or
# the queue, against the real stack: a sender refused at MAIL FROM (no route)
# is accepted in the same open session after a reload adds its route, and its
# message is delivered to alice over XOAUTH2; a config that would make an
# open relay is refused on reload, the running routes stay, and the session
# and the listener go on; a change of listener is logged as ignored (it
# needs a restart); mail deferred because its route's account cannot get a
# token (a wrong client secret) is delivered with the new account once a
# reload points the route at a working one.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
source "${BASH_SOURCE%/*}/relay_lib.sh"
source "$MAILOAUTH_SOURCE_DIR/tests/stack/app_account.sh"

use_app_and_wrong_accounts

# config FILE CLIENTS LISTENER_EXTRA MOVING_ACCOUNT [ROUTES...]: a relay config.
config() {
  local file=$1 clients=$2 listener_extra=$3 moving_account=$4
  shift 4
  {
    cat <<TOML
hostname = "relay.test"
spool_directory = "$work/spool"
users_file = "$work/users"
accounts = "$work/accounts.toml"
greeting_pause_ms = 0
first_retry = 1
[listeners.lan]
port = 0
clients = $clients
$listener_extra
[routes.moving]
senders = ["moving.test"]
account = "$moving_account"
server = "$SMTP_HOST"
port = $SUBMISSION_PORT
tls = "starttls"
TOML
    for route in "$@"; do printf '%s\n' "$route"; done
  } >"$file"
}
new_route="[routes.new]
senders = [\"new.test\"]
account = \"app\"
server = \"$SMTP_HOST\"
port = $SUBMISSION_PORT
tls = \"starttls\""

config "$work/relay.toml" '["127.0.0.1"]' "" wrong
start_relay "$work/relay.toml" "$work/relay.log" || exit 1
port=$(port_of "$work/relay.log" lan)

# found, wait_found, wait_log: relay_lib.sh.
mark() { echo "relayreload$$x$RANDOM$RANDOM"; }

# --- mail for a route whose account has no token: deferred ----------------------
moving=$(mark)
python3 - "$port" "$moving" "$USER1" <<'PY'
import smtplib, sys
port, subject, rcpt = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with smtplib.SMTP("127.0.0.1", port, timeout=20) as s:
    s.sendmail("erp@moving.test", [rcpt], f"From: <erp@moving.test>\r\nTo: <{rcpt}>\r\nSubject: {subject}\r\n\r\nbody\r\n")
PY
check "mail of a route whose account has a wrong secret is deferred" \
  wait_log "route=moving .*reply=\"?configuration \(account\).*status=deferred" 20

# --- one open session across reloads ---------------------------------------------------
# The session: MAIL FROM refused (no route); a reload with an open-relay
# listener (refused, the session goes on); a reload adding the route, the
# moving route's new account and a port change; the same session's MAIL FROM
# accepted and its message queued.
config "$work/open.toml" '["127.0.0.1", "0.0.0.0/0"]' "" wrong
config "$work/good.toml" '["127.0.0.1"]' "address = \"127.0.0.1\"
min_tls = \"tls13\"" app "$new_route"
subject=$(mark)
session=$(python3 - "$port" "$relay_pid" "$work" "$subject" "$USER1" <<'PY'
import os, shutil, signal, socket, sys, time
port, pid, work, subject, rcpt = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
log = os.path.join(work, "relay.log")
s = socket.create_connection(("127.0.0.1", port), timeout=20)
f = s.makefile("rb")
def reply():
    lines = []
    while True:
        line = f.readline().decode()
        if not line:
            return "closed"
        lines.append(line.strip())
        if line[3:4] != "-":
            return lines[-1]
def command(text):
    s.sendall(text.encode() + b"\r\n")
    return reply()
def reload_with(path, pattern):
    # Replace the config and SIGHUP; wait (10 s at most) for PATTERN to be logged once more.
    before = open(log).read().count(pattern)
    shutil.copy(path, os.path.join(work, "relay.toml"))
    os.kill(pid, signal.SIGHUP)
    for _ in range(100):
        if open(log).read().count(pattern) > before:
            return "logged"
        time.sleep(0.1)
    return "not logged within 10 s"
out = {}
out["greeting"] = reply()
out["ehlo"] = command("EHLO device.test")
out["before"] = command("MAIL FROM:<scanner@new.test>")
out["open_reload"] = reload_with(os.path.join(work, "open.toml"), "SIGHUP: the config could not be loaded")
out["after_open"] = command("MAIL FROM:<scanner@new.test>")
out["good_reload"] = reload_with(os.path.join(work, "good.toml"), "SIGHUP: routes and accounts reloaded")
out["after"] = command("MAIL FROM:<scanner@new.test>")
out["rcpt"] = command(f"RCPT TO:<{rcpt}>")
out["data"] = command("DATA")
s.sendall(f"From: <scanner@new.test>\r\nTo: <{rcpt}>\r\nSubject: {subject}\r\n\r\nbody\r\n.\r\n".encode())
out["queued"] = reply()
out["quit"] = command("QUIT")
for key, value in out.items():
    print(f"{key}={value}")
PY
)
echo "$session"
line() { printf '%s\n' "$session" | sed -n "s/^$1=//p"; }
check "before the reload the sender has no route: 550 5.7.1 at MAIL FROM" \
  matches "$(line before)" '^550 5\.7\.1 No route for sender'
check "a config with an open relay is refused on SIGHUP and logged" test "$(line open_reload)" = logged
check "... with the reason" grep -q 'never an open relay' "$work/relay.log"
check "... the running routes stay: the sender is still refused, in the same session" \
  matches "$(line after_open)" '^550 5\.7\.1'
check "a good config is reloaded on SIGHUP" test "$(line good_reload)" = logged
check "the same open session's MAIL FROM is accepted after the reload" \
  matches "$(line after)" '^250'
check "... and its message is queued" matches "$(line queued)" '^250 2\.0\.0 Ok: queued as'
check "... and the session ended normally" matches "$(line quit)" '^221'
check "the listener change is logged as ignored (it needs a restart)" \
  grep -Eq 'msg="SIGHUP: these changes need a restart and were ignored" changed=listeners\.lan' "$work/relay.log"
check "the message of the new route is delivered to alice" wait_found "$subject" 1 20
check "the message deferred for the old account is delivered with the route's new account" \
  wait_found "$moving" 1 40
check "... logged as sent on the moving route" wait_log "route=moving .*status=sent" 5
check "the listener still takes new sessions after the reloads" \
  python3 -c 'import smtplib,sys; smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10).quit()' "$port"
check "stopping the relay exits 0" stop_relay
[ "$checks_failed" -eq 0 ] || show "$work/relay.log"
finish
