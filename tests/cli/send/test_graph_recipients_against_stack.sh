#!/usr/bin/env bash
# `mailoauth send --transport graph` and sendmail mode over Graph, against the
# emulator, which like Microsoft Graph delivers only to the message's To, Cc
# and Bcc fields: --bcc recipients, a Bcc-only message and recipients given
# to sendmail as arguments all get the message (mailoauth writes them into a
# Bcc field, which the recipients do not see), and the count in "sent to N
# recipients" is the count Graph delivered to. Before, Graph never heard of
# them while mailoauth said they were sent to.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
source "$MAILOAUTH_SOURCE_DIR/tests/stack/app_account.sh"
source "$MAILOAUTH_SOURCE_DIR/tests/graph_emulator/start.sh"
tmp=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
start_graph_emulator "$tmp" "$USER1,$USER2" || exit 1
m="$MAILOAUTH_BIN_DIR/mailoauth"
export MAILOAUTH_CONFIG="$tmp/config.toml" MAILOAUTH_STATE_DIR="$tmp/state"
printf '%s\n' "$CC_CLIENT_SECRET" >"$tmp/cc.secret"; chmod 600 "$tmp/cc.secret"
{
echo 'default_account = "graph"'
stack_app_account graph "$tmp/cc.secret"
cat <<EOT
transport = "graph"
graph_url = "http://127.0.0.1:$graph_port"
EOT
} >"$tmp/config.toml"
chmod 600 "$tmp/config.toml"

# The emulator's record of the last message accepted: its recipients, one a line.
last_recipients() {
  curl -s --max-time 5 "http://127.0.0.1:$graph_port/test/outbox" |
    "$NODE" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const a=JSON.parse(s);if(a.length)console.log(a[a.length-1].recipients.join("\n"))})'
}
accepted() { curl -s --max-time 5 "http://127.0.0.1:$graph_port/test/outbox" | grep -o '"path"' | wc -l; }

"$m" send --to "$USER2" --cc "carol@example.test" --bcc "dave@elsewhere.test" --subject to-cc-bcc \
  --body "three recipients" >"$tmp/out" 2>"$tmp/err"; rc=$?
last_recipients >"$tmp/recipients"
check "--bcc over Graph: exit 0, and Graph delivered to To, Cc and the Bcc recipient [1/5]" test $rc -eq 0 ||
  { show "$tmp/out"; show "$tmp/err"; show "$tmp/graph.log"; }
check "--bcc over Graph: exit 0, and Graph delivered to To, Cc and the Bcc recipient [2/5]" grep -qx "$USER2" "$tmp/recipients" ||
  show "$tmp/recipients"
check "--bcc over Graph: exit 0, and Graph delivered to To, Cc and the Bcc recipient [3/5]" grep -qx carol@example.test "$tmp/recipients" ||
  show "$tmp/recipients"
check "--bcc over Graph: exit 0, and Graph delivered to To, Cc and the Bcc recipient [4/5]" grep -qx dave@elsewhere.test "$tmp/recipients" ||
  show "$tmp/recipients"
check "--bcc over Graph: exit 0, and Graph delivered to To, Cc and the Bcc recipient [5/5]" grep -q "sent <.*> to 3 recipients via graph" "$tmp/out" ||
  show "$tmp/out"
check "the recipients' copy has no Bcc field [1/2]" not grep -qi "^bcc:" "$tmp/outbox/1.eml" || show "$tmp/outbox/1.eml"
check "the recipients' copy has no Bcc field [2/2]" not grep -q dave@elsewhere.test "$tmp/outbox/1.eml" || show "$tmp/outbox/1.eml"

"$m" send --bcc "$USER2" --subject bcc-only --body "blind" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "a Bcc-only message over Graph: exit 0, delivered to the Bcc recipient [1/3]" test $rc -eq 0 ||
  { show "$tmp/out"; show "$tmp/err"; show "$tmp/graph.log"; }
check "a Bcc-only message over Graph: exit 0, delivered to the Bcc recipient [2/3]" test "$(last_recipients)" = "$USER2" ||
  show "$tmp/graph.log"
check "a Bcc-only message over Graph: exit 0, delivered to the Bcc recipient [3/3]" test "$(accepted)" -eq 2 ||
  show "$tmp/graph.log"

ln -s "$(cd "$MAILOAUTH_BIN_DIR" && pwd)/mailoauth-send" "$tmp/sendmail"
printf 'From: %s\nTo: %s\nSubject: arguments\n\nfrom cron\n' "$USER1" "$USER2" |
  "$tmp/sendmail" -oi "$USER2" "ops@elsewhere.test" >"$tmp/out" 2>"$tmp/err"; rc=$?
last_recipients >"$tmp/recipients"
check "sendmail mode over Graph: the argument recipient missing from To got it [1/4]" test $rc -eq 0 ||
  { show "$tmp/out"; show "$tmp/err"; }
check "sendmail mode over Graph: the argument recipient missing from To got it [2/4]" grep -qx ops@elsewhere.test "$tmp/recipients" ||
  show "$tmp/recipients"
check "sendmail mode over Graph: the argument recipient missing from To got it [3/4]" grep -qx "$USER2" "$tmp/recipients" ||
  show "$tmp/recipients"
check "sendmail mode over Graph: the argument recipient missing from To got it [4/4]" test "$(wc -l <"$tmp/recipients")" -eq 2 ||
  show "$tmp/recipients"

finish
