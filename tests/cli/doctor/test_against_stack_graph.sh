#!/usr/bin/env bash
# `mailoauth doctor --graph` against the Graph emulator (tests/graph_emulator,
# the one fake: Graph cannot run here), with tokens from the stack's
# identity server: every step passes, the greeting is skipped, the mailbox
# step's proof is sendMail without a recipient answered 400
# ErrorInvalidRecipients, and nothing reaches the outbox; a mailbox an
# application access policy excludes fails at the mailbox step (403 [RAOP]);
# a mailbox the tenant lacks fails there too (404); --send-test puts exactly
# one message in the outbox.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
source "${BASH_SOURCE%/*}/doctor_lib.sh"
source "$MAILOAUTH_SOURCE_DIR/tests/graph_emulator/start.sh"
trap doctor_cleanup EXIT

start_graph_emulator "$tmp" "$USER1,$USER2" || exit 1
graph="http://127.0.0.1:$graph_port"
echo "graph_url = \"$graph\"" >>"$tmp/config.toml"
outbox() { curl -s --max-time 5 "$graph/test/outbox" | "$NODE" -e 'let t="";process.stdin.on("data",d=>t+=d).on("end",()=>console.log(JSON.parse(t).length))'; }

doctor box --graph
check "graph: exit 0" test $rc -eq 0 || { show "$tmp/out"; show "$tmp/err"; }
check "graph: the heading names the URL" says "mailoauth doctor: account box, graph via $graph"
check "graph: dns passed" step_is 2 dns ok
check "graph: tcp passed" step_is 3 tcp ok
check "graph: plain HTTP to loopback, TLS skipped" step_is 4 tls skipped
check "graph: no greeting" step_is 5 greeting skipped
check "graph: token passed" step_is 6 token ok
check "graph: authentication passed" step_is 7 authentication ok
check "graph: mailbox passed" step_is 8 mailbox ok
check "graph: the proof is 400 ErrorInvalidRecipients, nothing sent" \
  says "without a recipient: 400 ErrorInvalidRecipients, so the mailbox exists and the token may send as it; nothing was sent"
check "graph: the outbox is empty" test "$(outbox)" = 0

curl -s --max-time 5 -o /dev/null -d "{\"deny\":[\"$USER1\"]}" "$graph/test/policy"
doctor box --graph
check "graph, access policy: exit 69" test $rc -eq 69
check "graph, access policy: mailbox failed" step_is 8 mailbox FAILED || show "$tmp/out"
check "graph, access policy: [RAOP] quoted" says "[RAOP]"
curl -s --max-time 5 -o /dev/null -d '{"deny":[]}' "$graph/test/policy"

{
  stack_app_account ghost "$tmp/cc.secret" | sed "s/^mailbox = .*/mailbox = \"ghost@example.test\"/"
  echo "graph_url = \"$graph\""
} >>"$tmp/config.toml"
doctor ghost --graph --json
check "graph, unknown mailbox --json: mailbox failed with 404 ErrorInvalidUser, exit 69" node -e '
const o = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
if (o.failed_step !== "mailbox" || o.exit_code !== 69 || !o.steps[7].cause.includes("ErrorInvalidUser") ||
    o.steps[4].verdict !== "skipped" || o.steps[6].verdict !== "passed") process.exit(1);' "$tmp/out" || show "$tmp/out"

doctor box --graph --send-test "$USER2"
check "graph --send-test: exit 0" test $rc -eq 0 || show "$tmp/out"
check "graph --send-test: step 9 passed" step_is 9 send_test ok
check "graph --send-test: one message in the outbox" test "$(outbox)" = 1
finish
