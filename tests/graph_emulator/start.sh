# Sourced by shell tests after stack.env: starts the Graph emulator in the
# background, as a job of the calling shell (so its EXIT trap's
# `kill $(jobs -p)` stops it), waits at most 10 s for it to listen and sets
# graph_port. The introspection secret it needs is written into DIR.
# Usage: start_graph_emulator DIR [MAILBOXES]   (MAILBOXES: a,b; see graph_emulator.mjs)
start_graph_emulator() {
  local dir=$1
  graph_outbox=$dir/outbox
  printf '%s\n' "$INTROSPECT_CLIENT_SECRET" >"$dir/introspect.secret"
  "$NODE" "$MAILOAUTH_SOURCE_DIR/tests/graph_emulator/graph_emulator.mjs" "$OIDC_INTROSPECT_URL" \
    "$INTROSPECT_CLIENT_ID" "$dir/introspect.secret" "$dir/outbox" ${2:+"$2"} >"$dir/graph.log" 2>&1 &
  for _ in $(seq 100); do grep -q listening "$dir/graph.log" && break; sleep 0.1; done
  graph_port=$(sed -n 's/^graph emulator listening on \([0-9]*\).*/\1/p' "$dir/graph.log")
  if [ -z "$graph_port" ]; then
    echo "the Graph emulator did not start within 10 s:" >&2
    cat "$dir/graph.log" >&2
    return 1
  fi
}

# For the tests that count at the emulator (after start_graph_emulator DIR):
# graph_fault JSON queues faults (POST /test/faults); graph_copies SUBJECT:
# how many messages with SUBJECT it accepted (DIR/outbox); wait_graph_copies
# SUBJECT N SECONDS: until it holds N of them.
graph_fault() { curl -sf --max-time 5 -o /dev/null -d "$1" "http://127.0.0.1:$graph_port/test/faults"; }
graph_copies() { grep -l "^Subject: $1" "$graph_outbox"/*.eml 2>/dev/null | wc -l; }
wait_graph_copies() {
  for _ in $(seq $(($3 * 10))); do
    [ "$(graph_copies "$1")" -ge "$2" ] && return 0
    sleep 0.1
  done
  return 1
}
