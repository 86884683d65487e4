# Sourced by shell tests after stack.env: starts the Graph emulator in the
# background, as a job of the calling shell (so its EXIT trap's
# `kill $(jobs -p)` stops it), waits at most 10 s for it to listen and sets
# graph_port. The introspection secret it needs is written into DIR.
# Usage: start_graph_emulator DIR [MAILBOXES]   (MAILBOXES: a,b; see graph_emulator.mjs)
start_graph_emulator() {
  local dir=$1
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
