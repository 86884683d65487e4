#!/usr/bin/env bash
# mailoauth queue against a real relay, running and stopped (no upstream is
# needed: the route's account does not exist, so every attempt is deferred for
# first_retry = 1 h, and a new attempt in the log can only come from the tool).
# Running: list's message line is checked to the byte against the spool files
# (read by spool_facts.py, not by mailoauth) and --json against them too; show
# gives the envelope, each recipient's state and reply, the next attempt; retry
# makes a deferred message try now instead of in an hour; hold stops delivery
# (flush does not touch a held message) and release resumes it at once; delete
# without --yes on a non-terminal refuses, with --yes removes; an unknown id is
# a clear error (69), hostile ids (../, CR/LF) are refused (64) and touch
# nothing; the control socket is 0600 in the 0700 spool; a second relay on the
# same spool is refused (the lock). Stopped: the socket is gone and the same
# commands work on the files; a message released while stopped is tried as
# soon as the relay starts; run as root, the tool writes as the spool's owner.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "${BASH_SOURCE%/*}/../relay/relay_lib.sh"
queue_dir=${BASH_SOURCE%/*}
spool=$work/spool
queue() { "$mailoauth_bin" queue --config "$work/relay.toml" "$@"; }
facts() { python3 "$queue_dir/spool_facts.py" "$@"; }

: >"$work/accounts.toml"
chmod 600 "$work/accounts.toml"
write_config() {  # write_config PORT_LINE
  cat >"$work/relay.toml" <<TOML
hostname = "relay.test"
spool_directory = "$spool"
users_file = "$work/users"
accounts = "$work/accounts.toml"
greeting_pause_ms = 0
first_retry = 3600
[listeners.lan]
$1
clients = ["127.0.0.1"]
[routes.contoso]
senders = ["contoso.com"]
account = "contoso"
TOML
}
write_config "port = 0"
start_relay "$work/relay.toml" "$work/relay.log" || exit 1
port=$(port_of "$work/relay.log" lan)

# send FROM SUBJECT RCPT...: one message over plain SMTP.
send() {
  python3 - "$port" "$@" <<'PY'
import smtplib, sys
port, sender, subject, recipients = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
with smtplib.SMTP("127.0.0.1", port, timeout=20) as s:
    s.sendmail(sender, recipients, f"From: <{sender}>\r\nSubject: {subject}\r\n\r\nbody\r\n")
PY
}
# attempts ID: delivery attempts the relay logged for the message.
attempts() { grep -c "msg=delivery queue_id=$1 " "$work/relay.log"; }
# wait_attempts ID N SECONDS: until the log has N attempts of ID.
wait_attempts() {
  for _ in $(seq $((${3} * 10))); do
    [ "$(attempts "$1")" -ge "$2" ] && return 0
    sleep 0.1
  done
  return 1
}
id_of() { grep -l "^from $1\$" "$spool"/queue/* "$spool"/hold/* 2>/dev/null | head -1 | xargs -r basename; }

send printer@contoso.com first a@example.com
send scanner@contoso.com second b@example.com c@example.com
first=$(id_of printer@contoso.com)
second=$(id_of scanner@contoso.com)
check "two messages spooled" test -n "$first" -a -n "$second"
check "each tried once and deferred (no account)" wait_attempts "$first" 1 10
wait_attempts "$second" 1 10

# --- running: reading ---------------------------------------------------------
check "the control socket is there, mode 0600" test "$(stat -c %a "$spool/control.sock")" = 600
check "in a spool of mode 0700" test "$(stat -c %a "$spool")" = 700
queue list >"$work/list.out"
check "list exits 0" test $? -eq 0
check "list: the header line" test "$(head -1 "$work/list.out")" = \
  "Queue ID                     Size Arrival (UTC)       State    Sender/Recipient"
check "list: the first message's line, to the byte (from the spool files)" \
  grep -qxF "$(facts row "$spool/queue/$first" deferred)" "$work/list.out"
check "list: the second message's line, to the byte" \
  grep -qxF "$(facts row "$spool/queue/$second" deferred)" "$work/list.out"
pad=$(printf '%63s' '')
check "list: each recipient with its state, attempts and reply" \
  grep -qF "${pad}c@example.com deferred (1 attempt): configuration: no account" "$work/list.out"
check "list: the summary line" \
  test "$(tail -1 "$work/list.out")" = "-- 2 messages, $(($(facts size "$spool/queue/$first") + $(facts size "$spool/queue/$second"))) bytes"
queue list --json >"$work/list.json"
check "list --json matches the spool (ids, sizes, senders, recipients, state)" python3 - "$work/list.json" "$spool" "$first" "$second" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["version"] == 1 and list(doc) == ["version", "messages"]
by_id = {m["id"]: m for m in doc["messages"]}
assert sorted(by_id) == sorted(sys.argv[3:5])
for id_ in sys.argv[3:5]:
    m = by_id[id_]
    assert list(m) == ["id", "state", "size", "received", "route", "sender", "attempts", "next_attempt", "recipients"], list(m)
    assert m["state"] == "deferred" and m["route"] == "contoso" and m["attempts"] == 1
    assert m["next_attempt"].endswith("Z")
    for r in m["recipients"]:
        assert list(r) == ["address", "status", "attempts", "last_reply"]
        assert r["status"] == "deferred" and r["last_reply"].startswith("configuration: no account")
assert by_id[sys.argv[3]]["sender"] == "printer@contoso.com"
assert [r["address"] for r in by_id[sys.argv[4]]["recipients"]] == ["b@example.com", "c@example.com"]
PY
check "list --json sizes match the spool files" test \
  "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["messages"][0]["size"])' "$work/list.json")" = \
  "$(facts size "$spool/queue/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["messages"][0]["id"])' "$work/list.json")")"
queue show "$second" >"$work/show.out"
check "show: the envelope" grep -qx "sender:       scanner@contoso.com" "$work/show.out"
check "show: the route and listener" grep -qx "route:        contoso" "$work/show.out"
check "show: per recipient, the state and the upstream's (here: our) reply" \
  grep -qx "  last reply: configuration: no account \"contoso\" in $work/accounts.toml (remedy: add one: mailoauth account add contoso --provider microsoft ...)" "$work/show.out"
check "show: the next attempt, about an hour away" grep -qE "^next attempt: .*Z \(in (59m|1h00m)" "$work/show.out"
check "show: the attempt history: when, the outcome, relay=none (no connection), both recipients" \
  grep -qE "^attempt:      [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z deferred relay=none to=b@example.com,c@example.com\$" "$work/show.out"
check "show: ... with the reason" \
  grep -qx "  reply:      configuration: no account \"contoso\" in $work/accounts.toml (remedy: add one: mailoauth account add contoso --provider microsoft ...)" "$work/show.out"
check "show --json: the history" \
  grep -qE '"history":\[\{"time":"[0-9T:-]+Z","status":"deferred","relay":"none","to":"b@example.com,c@example.com","reply":"configuration: ' \
  <(queue show "$second" --json)
check "list --state hold is empty" test "$(queue list --state hold)" = "queue is empty"

# --- running: changing --------------------------------------------------------
output=$(queue retry "$second")
check "retry ID answers 'due now'" test "$output" = "$second: due now"
check "... and the relay tries it now, not in an hour" wait_attempts "$second" 2 10
output=$(queue hold "$first")
check "hold ID answers 'held'" test "$output" = "$first: held"
check "... the message is in hold/" test -f "$spool/hold/$first"
check "... list --state hold shows it" grep -q "^$first .* hold " <(queue list --state hold)
before=$(attempts "$first")
output=$(queue flush)
check "flush retries the deferred message, not the held one" test "$output" = "1 deferred message due now"
wait_attempts "$second" 3 10
check "... the other message was tried again" test "$(attempts "$second")" -ge 3
sleep 1
check "... the held message was not (hold stops delivery)" test "$(attempts "$first")" -eq "$before"
output=$(queue release "$first")
check "release ID answers 'released'" test "$output" = "$first: released"
check "... and delivery resumes at once" wait_attempts "$first" $((before + 1)) 10
check "... from queue/" test -f "$spool/queue/$first"
queue delete "$second" </dev/null 2>"$work/delete.err"
check "delete without --yes on a non-terminal refuses (64)" test $? -eq 64
check "... saying why" grep -q "pass --yes" "$work/delete.err"
check "... and the message is still there" test -f "$spool/queue/$second"
output=$(queue delete --yes "$second")
check "delete --yes removes it" test "$output" = "$second: deleted from queue/"
check "... gone from the spool" test ! -e "$spool/queue/$second" -a ! -e "$spool/queue/$second.state"
check "... and from the listing" not grep -q "$second" <(queue list)
queue show "$second" 2>"$work/missing.err"
check "an id that does not exist: 69" test $? -eq 69
check "... with a clear message" grep -q "no message $second in the spool" "$work/missing.err"
queue hold 1-2 2>/dev/null
check "hold of an unknown id through the relay: 69" test $? -eq 69
for hostile in "../queue/$first" "$first/../x" $'1-2\r\nflush' "1-2 flush" ""; do
  queue hold "$hostile" 2>"$work/hostile.err"
  status=$?
  check "a hostile id is refused (64): $(printf '%q' "$hostile")" test "$status" -eq 64
  check "... as not a queue id" grep -q "is not a queue id" "$work/hostile.err"
done
check "... and the message is untouched" test -f "$spool/queue/$first"
queue retry --route nowhere 2>/dev/null
check "retry --route of a route the relay does not have: 78" test $? -eq 78
check "the relay logged each command" grep -q "msg=\"queue command\" queue_id=$first command=hold result=held" "$work/relay.log"

# A second relay on the same spool is refused: the spool lock.
cp "$work/relay.toml" "$work/second.toml"
"$relay_bin" relay --config "$work/second.toml" run >"$work/second.log" 2>&1
check "a second relay on the same spool exits 75" test $? -eq 75
check "... saying the spool is in use" grep -q "in use by another relay" "$work/second.log"

# --- stopped: the same commands on the files ----------------------------------
check "the relay stops (exit 0)" stop_relay
check "its control socket is gone" test ! -e "$spool/control.sock"
output=$(queue hold "$first")
check "stopped: hold works on the files" test "$output" = "$first: held"
check "... in hold/" test -f "$spool/hold/$first"
output=$(queue release "$first")
check "stopped: release" test "$output" = "$first: released"
check "... due as soon as possible" grep -qx "next attempt: as soon as possible" <(queue show "$first")
cp "$work/relay.log" "$work/relay-first-run.log"
start_relay "$work/relay.toml" "$work/relay.log" || exit 1
check "a message released while stopped is tried when the relay starts" \
  wait_attempts "$first" 1 10
check "the relay stops again" stop_relay
output=$(queue retry "$first")
check "stopped: retry clears the next attempt" test "$output" = "$first: due now"
check "stopped: flush answers" matches "$(queue flush)" "^0 deferred messages due now"
# Run as root on a spool that belongs to the relay's user, the tool works as
# that user: a state file root owned would be unreadable to the relay.
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
  chmod 711 "$work"
  chown -R nobody "$spool"
  queue hold "$first" >/dev/null
  check "run as root, hold writes as the spool's owner" \
    test "$(stat -c %U "$spool/hold/$first.state")" = nobody
  queue release "$first" >/dev/null
  check "... and release too" test "$(stat -c %U "$spool/queue/$first.state")" = nobody
else
  skip "run as root, the tool writes as the spool's owner" "not root, or no user nobody"
fi
output=$(queue delete --yes "$first")
check "stopped: delete --yes" test "$output" = "$first: deleted from queue/"
check "the queue is empty" test "$(queue list)" = "queue is empty"
check "list --json of an empty queue" test "$(queue list --json)" = '{"version":1,"messages":[]}'
queue --spool "$work/nothing" list 2>/dev/null
check "a directory that is not a spool: 78" test $? -eq 78
[ "$checks_failed" -eq 0 ] || show "$work/relay.log"
finish
