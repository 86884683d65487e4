# Helpers for the relay's CLI tests (sourced after common.sh): a private
# directory, a relay started on 127.0.0.1 with port 0 per listener (the
# ports are read back from its "listening" log lines), and its stop. Every
# wait is bounded and says what it waited for.
bin_dir=${MAILOAUTH_BIN_DIR:-$(cd "${BASH_SOURCE%/*}/../../../build/apps" && pwd)}
relay_bin=$bin_dir/mailoauth-relay
mailoauth_bin=$bin_dir/mailoauth
here=${BASH_SOURCE%/*}
work=$(mktemp -d /tmp/mailoauth-relay-test.XXXXXX)
relay_pid=
cleanup() {
  [ -n "$relay_pid" ] && kill -9 "$relay_pid" 2>/dev/null
  [ -s "$work/helpers.pids" ] && kill $(cat "$work/helpers.pids") 2>/dev/null
  mountpoint -q "$work/tiny" 2>/dev/null && umount "$work/tiny"
  rm -rf "$work"
}
trap cleanup EXIT

# start_relay CONFIG LOG: runs the relay in the background; waits (10 s at
# most) until every listener of CONFIG logged its address.
start_relay() {
  local config=$1 log=$2 wanted
  wanted=$(grep -c '^\[listeners\.' "$config")
  : >"$log"
  "$relay_bin" relay --config "$config" run >"$log" 2>&1 &
  relay_pid=$!
  for _ in $(seq 100); do
    [ "$(grep -c 'msg=listening' "$log")" -ge "$wanted" ] && return 0
    kill -0 "$relay_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "the relay did not start listening within 10 s:" >&2
  cat "$log" >&2
  return 1
}

# port_of LOG LISTENER: the port a listener got.
port_of() {
  grep "msg=listening listener=$2 " "$1" | tail -1 | sed -E 's/.*address=127\.0\.0\.1:([0-9]+).*/\1/'
}

# metrics_port_of LOG: the port the [metrics] listener logged it listens on.
metrics_port_of() {
  grep -Eo 'msg="metrics listening" address=127\.0\.0\.1:[0-9]+' "$1" | tail -1 | sed 's/.*://'
}

stop_relay() {
  [ -z "$relay_pid" ] && return 0
  kill -TERM "$relay_pid" 2>/dev/null
  for _ in $(seq 100); do
    kill -0 "$relay_pid" 2>/dev/null || break
    sleep 0.1
  done
  wait "$relay_pid" 2>/dev/null
  local status=$?
  relay_pid=
  return $status
}

# wait_log PATTERN SECONDS: until the relay's log ($work/relay.log) has a
# line matching PATTERN.
wait_log() {
  for _ in $(seq $(($2 * 10))); do
    grep -Eq "$1" "$work/relay.log" && return 0
    sleep 0.1
  done
  return 1
}

# The messages in the spool's queue/ directory.
queued_count() { find "$1/queue" -maxdepth 1 -type f ! -name '*.state' ! -name '.*' | wc -l; }

# The content of the one spooled message whose envelope names MESSAGE-ID
# text: everything after the envelope's blank line, without the trailer.
spooled_content() {
  python3 "$here/smtp_probe.py" content "$1"
}

# start_peer NAME ARG...: runs upstream_peers.py ARG... in the background
# (output in $work/NAME.out, its PID in $work/helpers.pids, stopped by
# cleanup); waits (5 s at most) until it listens and prints its port.
start_peer() {
  local name=$1
  shift
  start_python "$name" "$here/upstream_peers.py" "$@"
}

# start_python NAME SCRIPT ARG...: the same for any Python helper that prints
# "listening PORT" once it listens.
start_python() {
  local name=$1
  shift
  python3 "$@" >"$work/$name.out" 2>&1 &
  echo $! >>"$work/helpers.pids"
  for _ in $(seq 50); do
    grep -q '^listening' "$work/$name.out" && break
    sleep 0.1
  done
  sed -n 's/^listening \([0-9]*\)/\1/p' "$work/$name.out"
}

# free_port: a port nothing listens on now (for an upstream that is down).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# --- for the tests against the stack (after sourcing stack.env) -----------------

# use_stack_app_secret: the token store in $work/state, and the stack's
# cc-alice client secret in $work/cc.secret (0600) for stack_app_account.
use_stack_app_secret() {
  export MAILOAUTH_STATE_DIR="$work/state"
  printf '%s\n' "$CC_CLIENT_SECRET" >"$work/cc.secret"
  chmod 600 "$work/cc.secret"
}

# use_app_and_wrong_accounts: use_stack_app_secret, and $work/accounts.toml
# with two accounts trusting the stack's CA: `app` (cc-alice's real secret)
# and `wrong` (a secret the identity server refuses).
use_app_and_wrong_accounts() {
  use_stack_app_secret
  printf 'not-the-secret\n' >"$work/wrong.secret"
  chmod 600 "$work/wrong.secret"
  {
    stack_app_account app "$work/cc.secret"
    echo "ca_file = \"$CA_FILE\""
    echo
    stack_app_account wrong "$work/wrong.secret"
    echo "ca_file = \"$CA_FILE\""
  } >"$work/accounts.toml"
  chmod 600 "$work/accounts.toml"
}

# relay_toml_head [LINE...]: the top of a relay.toml: the private spool, users
# file and accounts config ($work/accounts.toml), no greeting pause, the LINEs
# given, and the listener `lan` for 127.0.0.1 on port $listener_port (default
# 0: a free one). Lines printed after it belong to the listener.
relay_toml_head() {
  cat <<TOML
hostname = "relay.test"
spool_directory = "$work/spool"
users_file = "$work/users"
accounts = "$work/accounts.toml"
greeting_pause_ms = 0
TOML
  [ $# -gt 0 ] && printf '%s\n' "$@"
  printf '[listeners.lan]\nport = %s\nclients = ["127.0.0.1"]\n' "${listener_port:-0}"
}

# relay_route NAME ACCOUNT PORT TLS [LINE...]: a route for senders @NAME.test
# to $SMTP_HOST:PORT as ACCOUNT, then the LINEs given.
relay_route() {
  printf '[routes.%s]\nsenders = ["%s.test"]\naccount = "%s"\nserver = "%s"\nport = %s\ntls = "%s"\n' \
    "$1" "$1" "$2" "$SMTP_HOST" "$3" "$4"
  shift 4
  [ $# -gt 0 ] && printf '%s\n' "$@"
  return 0
}

# found SUBJECT: how many messages in alice's INBOX have SUBJECT (IMAPS).
found() {
  curl -s --max-time 5 --cacert "$CA_FILE" -u "$USER1:$USER1_PASSWORD" \
    "imaps://$IMAP_HOST:$IMAPS_PORT/INBOX" -X "SEARCH SUBJECT \"$1\"" |
    sed -n 's/^\* SEARCH *//p' | wc -w
}
# wait_found SUBJECT N SECONDS: until N messages with SUBJECT are in the INBOX.
wait_found() {
  for _ in $(seq $(($3 * 5))); do
    [ "$(found "$1")" -ge "$2" ] && return 0
    sleep 0.2
  done
  return 1
}

# send_to_routes MARK RCPT ROUTE:COUNT...: in one plain SMTP session to the
# relay's listener on $port, COUNT messages from erp@ROUTE.test to RCPT for
# each ROUTE, with the subjects "MARK ROUTE 0", "MARK ROUTE 1", ...
send_to_routes() {
  python3 - "$port" "$@" <<'PY'
import smtplib, sys
port, mark, rcpt, plan = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
with smtplib.SMTP("127.0.0.1", port, timeout=20) as s:
    for route, count in (item.split(":") for item in plan):
        for n in range(int(count)):
            s.sendmail(f"erp@{route}.test", [rcpt],
                       f"From: <erp@{route}.test>\r\nSubject: {mark} {route} {n}\r\n\r\nbody {n}\r\n")
PY
}

# --- load and what the mailboxes got (test_kill_under_load, test_sigterm_...) -----

# start_load_devices PREFIX RUN EACH SECONDS: four devices (tenant_clients.py
# load) against the relay on $port, EACH messages apiece, giving up after
# SECONDS: 1 and 2 send as printer@PREFIX-a.test to alice ($USER1), 3 and 4
# as scanner@PREFIX-c.test to carol ($USER3); Message-IDs <RUN-dN.M@relay.test>,
# acknowledged ones in $work/acked.N, PIDs in $work/devices.pids.
start_load_devices() {
  local prefix=$1 run=$2 each=$3 seconds=$4 d from to
  for d in 1 2 3 4; do
    if [ "$d" -le 2 ]; then from=printer@$prefix-a.test to=$USER1; else from=scanner@$prefix-c.test to=$USER3; fi
    python3 "$here/tenant_clients.py" load "$port" "$from" "$to" "$run-d$d" "$each" "$work/acked.$d" "$seconds" \
      >"$work/device.$d.out" 2>&1 &
    echo $! >>"$work/devices.pids"
  done
}
acked_now() { cat "$work"/acked.* 2>/dev/null | wc -l; }

# check_acknowledged_delivered RUN: reads alice's and carol's INBOX over IMAPS
# (waiting up to 30 s, as Postfix hands to LMTP after Dovecot's 250): every
# acknowledged Message-ID must be there (the missing ones are named), none
# that was never sent; duplicates are counted and printed (at-least-once
# allows them), as are messages present but never acknowledged.
check_acknowledged_delivered() {
  local run=$1 deadline present copies
  sort -u "$work"/acked.* >"$work/acked.sorted"
  count_mailboxes() {
    {
      python3 "$here/tenant_clients.py" imap-count "$IMAP_HOST" "$IMAPS_PORT" "$CA_FILE" "$USER1" "$USER1_PASSWORD" "$run-"
      python3 "$here/tenant_clients.py" imap-count "$IMAP_HOST" "$IMAPS_PORT" "$CA_FILE" "$USER3" "$USER3_PASSWORD" "$run-"
    } >"$work/found"
    awk '{ print $2 }' "$work/found" | sort -u >"$work/found.ids"
    comm -23 "$work/acked.sorted" "$work/found.ids" >"$work/missing"
  }
  deadline=$((SECONDS + 30))
  while count_mailboxes && [ -s "$work/missing" ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 1; done
  present=$(wc -l <"$work/found.ids")
  copies=$(awk '{ n += $1 } END { print n + 0 }' "$work/found")
  echo "acknowledged: $(wc -l <"$work/acked.sorted") distinct; in the mailboxes: $present distinct," \
    "$copies copies; duplicates: $((copies - present)) of $copies; present but never acknowledged:" \
    "$(comm -13 "$work/acked.sorted" "$work/found.ids" | wc -l)"
  check "every acknowledged Message-ID is in a mailbox (missing: $(wc -l <"$work/missing"))" \
    test ! -s "$work/missing" || { echo "missing:"; cat "$work/missing"; }
  check "no Message-ID arrived that was never sent" not grep -v "<$run-d[1-4]\.[0-9]*@relay.test>" "$work/found.ids"
}
# imap_search USER PASSWORD CRITERIA: the UIDs in USER's INBOX matching the
# IMAP search CRITERIA (IMAPS), space-separated.
imap_search() {
  curl -s --max-time 5 --cacert "$CA_FILE" -u "$1:$2" \
    "imaps://$IMAP_HOST:$IMAPS_PORT/INBOX" -X "UID SEARCH $3" | tr -d '\r' |
    sed -n 's/^\* SEARCH *//p'
}
# wait_imap_search USER PASSWORD CRITERIA N SECONDS: until N messages match.
wait_imap_search() {
  for _ in $(seq $(($5 * 5))); do
    [ "$(imap_search "$1" "$2" "$3" | wc -w)" -ge "$4" ] && return 0
    sleep 0.2
  done
  return 1
}
# imap_fetch USER PASSWORD UID FILE: the whole message with UID into FILE.
imap_fetch() {
  curl -s --max-time 5 --cacert "$CA_FILE" -u "$1:$2" \
    "imaps://$IMAP_HOST:$IMAPS_PORT/INBOX/;UID=$3" -o "$4"
}
