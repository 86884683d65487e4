#!/usr/bin/env bash
# The relay delivers a message too large for one sendMail request through a
# Graph route: a legacy client (Python's smtplib) sends 28 MB of MIME with a
# 15 MiB attachment and two of 2.5 MB; the relay creates the draft, adds
# the two, uploads the large one in chunks to the emulator's second origin
# and sends the draft. Counted at the emulator, not by the relay's word:
#   - the message arrives once, to the To recipient and the envelope-only
#     one (written into Bcc), with the three attachments byte for byte
#     (SHA-256 at the emulator equals the files');
#   - no Authorization header reached the upload origin; the chunks went in
#     order, each under 4 MB; no draft is left behind;
#   - the delivery is logged as sent with Graph's request-id;
#   - a chunk refused for good (400) cancels the upload session (DELETE on
#     the upload URL), deletes the draft and fails the recipients with
#     Graph's words, nothing sent;
#   - a message over the account's graph_max_message_size fails before any
#     request, naming the limit;
#   - check-config says large messages go through a draft, up to the limit.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
source "${BASH_SOURCE%/*}/relay_lib.sh"
source "$MAILOAUTH_SOURCE_DIR/tests/stack/app_account.sh"
source "$MAILOAUTH_SOURCE_DIR/tests/graph_emulator/start.sh"
trap 'kill $(jobs -p) 2>/dev/null; cleanup' EXIT

start_graph_emulator "$work" "$USER1,$USER2" || exit 1
graph="http://127.0.0.1:$graph_port"
use_stack_app_secret
{
  stack_app_account app "$work/cc.secret"
  echo "graph_url = \"$graph\""
  echo "graph_max_message_size = 30"
} >"$work/accounts.toml"
chmod 600 "$work/accounts.toml"
{
  relay_toml_head "first_retry = 1"
  cat <<TOML
[routes.graph]
senders = ["graph.test"]
account = "app"
transport = "graph"
connections = 2
messages_per_minute = 1000
# the failures below must reach Graph once at most: no delivery status
# notification (it would go out by Graph too; test_graph_delivery.sh has one)
bounces = false
TOML
} >"$work/relay.toml"

"$relay_bin" relay --config "$work/relay.toml" check-config >"$work/check.out" 2>&1
check "check-config says large messages go through a draft and upload sessions, up to 30 MB" \
  grep -q "go through a draft and upload sessions, up to 30 MB" "$work/check.out" ||
  show "$work/check.out"

start_relay "$work/relay.toml" "$work/relay.log" || exit 1
port=$(port_of "$work/relay.log" lan)

head -c $((15 * 1024 * 1024)) /dev/urandom >"$work/scan.pdf"
head -c 2500000 /dev/urandom >"$work/small-1.bin"
head -c 2500000 /dev/urandom >"$work/small-2.bin"
head -c $((24 * 1024 * 1024)) /dev/urandom >"$work/huge.bin"

# send SUBJECT FILE...: one message from scanner@graph.test to USER2 (and
# USER1 in the envelope only) with FILEs attached, in a plain SMTP session.
send() {
  python3 - "$port" "$USER1" "$USER2" "$@" <<'PY'
import smtplib, sys, os
from email.message import EmailMessage
port, envelope_only, to, subject, files = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
message = EmailMessage()
message["From"] = "scanner@graph.test"
message["To"] = to
message["Subject"] = subject
message.set_content("the scans are attached")
for path in files:
    with open(path, "rb") as f:
        message.add_attachment(f.read(), maintype="application", subtype="octet-stream",
                               filename=os.path.basename(path))
with smtplib.SMTP("127.0.0.1", port, timeout=60) as s:
    s.send_message(message, to_addrs=[to, envelope_only])
PY
}
outbox() { curl -s --max-time 5 "$graph/test/outbox"; }
# SUBJECT's record at the emulator: "recipients: a,b" then "name sha256" per attachment.
record_of() {
  outbox | "$NODE" -e '
    const fs = require("fs"); let s = "";
    process.stdin.on("data", (d) => (s += d)).on("end", () => {
      for (const m of JSON.parse(s)) {
        if (!fs.readFileSync(m.path, "latin1").includes("Subject: " + process.argv[1])) continue;
        console.log("recipients: " + m.recipients.join(","));
        for (const a of m.attachments || []) console.log(`${a.name} ${a.sha256}`);
      }
    });' "$1"
}
copies() { record_of "$1" | grep -c '^recipients:'; }
wait_copies() {  # SUBJECT N SECONDS
  for _ in $(seq $(($3 * 10))); do
    [ "$(copies "$1")" -ge "$2" ] && return 0
    sleep 0.1
  done
  return 1
}
request_field() {  # ORIGIN METHOD|* FIELD: one line per request
  curl -s --max-time 5 "$graph/test/requests" | "$NODE" -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      for (const r of JSON.parse(s))
        if (r.origin === process.argv[1] && (process.argv[2] === "*" || r.method === process.argv[2]))
          console.log(r[process.argv[3]]);
    });' "$@"
}
drafts_left() { curl -s --max-time 5 "$graph/test/drafts" | grep -o '"id"' | wc -l; }

# --- 28 MB through the relay: draft, attachments, upload session, send ------------------
k="relaylarge$$x$RANDOM"
send "$k" "$work/scan.pdf" "$work/small-1.bin" "$work/small-2.bin"
check "a 28 MB message with a 15 MiB attachment reaches the emulator through the Graph route" \
  wait_copies "$k" 1 60 || { show "$work/relay.log"; show "$work/graph.log"; }
record_of "$k" >"$work/record"
# (the Bcc field is written first, so Graph lists the envelope-only recipient first)
check "... to the To recipient and the envelope-only one (in Bcc)" \
  grep -Eqx "recipients: ($USER2,$USER1|$USER1,$USER2)" "$work/record" || show "$work/record"
for file in scan.pdf small-1.bin small-2.bin; do
  check "... $file arrived complete (SHA-256 at the emulator equals the file's)" \
    grep -qx "$file $(sha256sum "$work/$file" | cut -d' ' -f1)" "$work/record" || show "$work/record"
done
check "... no Authorization header reached the upload origin" \
  test "$(request_field upload '*' authorization | sort -u)" = "false"
request_field upload PUT contentRange >"$work/ranges"
printf '%s\n' "bytes 0-3932159/15728640" "bytes 3932160-7864319/15728640" \
  "bytes 7864320-11796479/15728640" "bytes 11796480-15728639/15728640" >"$work/expected-ranges"
check "... the chunks went in order, each under 4 MB" cmp -s "$work/ranges" "$work/expected-ranges" ||
  show "$work/ranges"
check "... no draft is left" test "$(drafts_left)" -eq 0
check "... the delivery is logged as sent with Graph's request-id" \
  wait_log "msg=delivery queue_id=[0-9a-f-]+ route=graph to=[^ ]+ .* transport=graph .*reply=\"202 Accepted request-id [0-9a-f-]+\".*status=sent" 5 ||
  show "$work/relay.log"

# --- a chunk refused for good: session cancelled, draft deleted, recipients failed ----------
curl -sf --max-time 5 -o /dev/null "$graph/test/faults" \
  -d '[{"status":400,"on":"upload","code":"ErrorInvalidRequest","message":"The range is invalid."}]'
k="relaylarge$$y$RANDOM"
send "$k" "$work/scan.pdf"
check "a chunk refused with 400 fails the recipients with Graph's words" \
  wait_log "route=graph to=[^ ]+ .*upload session was cancelled.*draft was deleted.*status=bounced" 30 ||
  show "$work/relay.log"
check "... the upload session was cancelled at the upload origin (DELETE)" \
  test "$(request_field upload DELETE status)" = "204"
check "... the draft is gone" test "$(drafts_left)" -eq 0
check "... and nothing was sent" test "$(copies "$k")" -eq 0

# --- over graph_max_message_size (30 MB): failed before any request --------------------------
before=$(request_field graph '*' method | wc -l)
k="relaylarge$$z$RANDOM"
send "$k" "$work/huge.bin"
check "a 32 MB message fails, naming the mailbox's maximum" \
  wait_log "route=graph to=[^ ]+ .*more than the 30.0 MB the mailbox takes.*status=bounced" 30 ||
  show "$work/relay.log"
check "... without a request to Graph" test "$(request_field graph '*' method | wc -l)" -eq "$before"

check "stopping the relay exits 0" stop_relay
[ "$checks_failed" -eq 0 ] || show "$work/relay.log"
finish
