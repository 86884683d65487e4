#!/usr/bin/env bash
# `mailoauth send --transport graph` with a message too large for one
# sendMail request (a 15 MiB attachment and two of 2.5 MB, 28 MB of MIME),
# against the strict Graph emulator: it goes as a draft, two attachments
# added, one uploaded in chunks to the emulator's second origin, then sent;
# the emulator's record of the attachments (SHA-256) equals the files; no
# Authorization header reached the upload origin; the chunks went in order,
# each under 4 MB; the summary says what was done; the peak memory of
# sending it ready-made (--raw) is printed and bounded (under three copies
# of the message); a throttled
# chunk (429 with Retry-After) is waited out; with a Mail.Send-only token the
# draft is refused with Mail.ReadWrite named and nothing is sent.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
source "$MAILOAUTH_SOURCE_DIR/tests/stack/app_account.sh"
source "$MAILOAUTH_SOURCE_DIR/tests/graph_emulator/start.sh"
tmp=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
start_graph_emulator "$tmp" "$USER1,$USER2" || exit 1
graph="http://127.0.0.1:$graph_port"
m="$MAILOAUTH_BIN_DIR/mailoauth"
export MAILOAUTH_CONFIG="$tmp/config.toml" MAILOAUTH_STATE_DIR="$tmp/state"
printf '%s\n' "$CC_CLIENT_SECRET" >"$tmp/cc.secret"; chmod 600 "$tmp/cc.secret"
{
echo 'default_account = "graph"'
stack_app_account graph "$tmp/cc.secret"
cat <<EOT
transport = "graph"
graph_url = "$graph"
EOT
} >"$tmp/config.toml"
chmod 600 "$tmp/config.toml"

head -c $((15 * 1024 * 1024)) /dev/urandom >"$tmp/scan.pdf"
head -c 2500000 /dev/urandom >"$tmp/small-1.bin"
head -c 2500000 /dev/urandom >"$tmp/small-2.bin"
# The emulator's record of the last message: "name sha256" per attachment.
attachment_hashes() {
  curl -s --max-time 5 "$graph/test/outbox" | "$NODE" -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const all = JSON.parse(s); const last = all[all.length - 1];
      for (const a of (last && last.attachments) || []) console.log(`${a.name} ${a.sha256}`);
    });'
}
requests() { curl -s --max-time 5 "$graph/test/requests"; }
# FIELD of every request at ORIGIN with METHOD, one a line.
request_field() {
  requests | "$NODE" -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      for (const r of JSON.parse(s))
        if (r.origin === process.argv[1] && (process.argv[2] === "*" || r.method === process.argv[2]))
          console.log(r[process.argv[3]]);
    });' "$@"
}
accepted() { curl -s --max-time 5 "$graph/test/outbox" | grep -o '"path"' | wc -l; }

# --- a 28 MB message: draft, attachments, upload session, send --------------------------
/usr/bin/time -f "%M" -o "$tmp/rss" "$m" send --to "$USER2" --subject large --body "the scans" \
  --attach "$tmp/scan.pdf" --attach "$tmp/small-1.bin" --attach "$tmp/small-2.bin" \
  >"$tmp/out" 2>"$tmp/err"; rc=$?
check "a message with a 15 MiB attachment goes by Graph: exit 0" test $rc -eq 0 ||
  { show "$tmp/out"; show "$tmp/err"; show "$tmp/graph.log"; }
check "... the summary says: a draft, 2 attachments added, 1 uploaded in 4 chunks" \
  grep -q "202 Accepted, as a draft with 2 attachment(s) added and 1 uploaded (4 chunks, 15728640 bytes)" \
  "$tmp/out" || show "$tmp/out"
attachment_hashes >"$tmp/hashes"
for file in scan.pdf small-1.bin small-2.bin; do
  check "... $file arrived complete (SHA-256 at the emulator equals the file's)" \
    grep -qx "$file $(sha256sum "$tmp/$file" | cut -d' ' -f1)" "$tmp/hashes" || show "$tmp/hashes"
done
check "... no Authorization header reached the upload origin" \
  test "$(request_field upload '*' authorization | sort -u)" = "false"
check "... every request to Graph's origin carried one" \
  test "$(request_field graph '*' authorization | sort -u)" = "true"
request_field upload PUT contentRange >"$tmp/ranges"
printf '%s\n' "bytes 0-3932159/15728640" "bytes 3932160-7864319/15728640" \
  "bytes 7864320-11796479/15728640" "bytes 11796480-15728639/15728640" >"$tmp/expected-ranges"
check "... the chunks went in order, each 3,932,160 bytes (12 x 320 KiB) but the last" \
  cmp -s "$tmp/ranges" "$tmp/expected-ranges" || show "$tmp/ranges"
echo "peak RSS of mailoauth send --attach (GMime builds the message) for 28 MB: $(cat "$tmp/rss") KB"
# The same message ready-made (--raw: no GMime), to measure the Graph path itself.
raw_kb=$(($(stat -c %s "$tmp/outbox/1.eml") / 1024))
/usr/bin/time -f "%M" -o "$tmp/rss" "$m" send --raw "$tmp/outbox/1.eml" --to "$USER2" \
  >"$tmp/out" 2>"$tmp/err"; rc=$?
rss_kb=$(cat "$tmp/rss")
echo "peak RSS of mailoauth send --raw for the $raw_kb KB message: $rss_kb KB"
check "... sent again ready-made (--raw): exit 0" test $rc -eq 0 || show "$tmp/err"
check "... with peak memory under three copies of the message ($rss_kb KB for $raw_kb KB)" \
  test "$rss_kb" -lt $((3 * raw_kb))

# --- 429 with Retry-After on a chunk: waited out -------------------------------------------
curl -sf --max-time 5 -o /dev/null -d '[{"status":429,"retry_after":1,"on":"upload"}]' "$graph/test/faults"
before=$(accepted)
"$m" send --to "$USER2" --subject throttled --body "the scan" --attach "$tmp/scan.pdf" \
  >"$tmp/out" 2>"$tmp/err"; rc=$?
check "a chunk throttled with 429 and Retry-After is waited out and sent again: exit 0" test $rc -eq 0 ||
  { show "$tmp/out"; show "$tmp/err"; }
check "... Graph's 429 is logged" grep -q 'Graph refused upload.*status=429' "$tmp/err" || show "$tmp/err"
check "... and the message was sent once" test "$(accepted)" -eq $((before + 1))

# --- without Mail.ReadWrite: the draft is refused, the permission named ---------------------
curl -sf --max-time 5 -o /dev/null -d '{"granted":["Mail.Send"]}' "$graph/test/permissions"
"$m" send --to "$USER2" --subject denied --body "the scan" --attach "$tmp/scan.pdf" \
  >"$tmp/out" 2>"$tmp/err"; rc=$?
check "a token without Mail.ReadWrite: refused (exit $rc), nothing sent" test $rc -ne 0
check "... the error names Mail.ReadWrite" grep -q "Mail.ReadWrite" "$tmp/err" || show "$tmp/err"
check "... and nothing was sent" test "$(accepted)" -eq $((before + 1))
finish
