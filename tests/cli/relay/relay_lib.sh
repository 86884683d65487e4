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
