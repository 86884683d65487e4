#!/usr/bin/env bash
# check_imap_mailbox_basic as Nagios runs it, against the stack's Dovecot: an
# empty folder is OK with check-mail's line byte for byte (only the time
# masked); messages (APPENDed with known INTERNALDATEs into a folder of this
# run's own) are WARNING with per-folder counts; -w/-c ranges (plain, `~:`,
# `@`), age thresholds, --unseen, --perfdata and --sample; a missing folder,
# a wrong password, a refused connection, an untrusted certificate and a
# server that accepts and never answers are CRITICAL (the last within -t);
# bad flags are UNKNOWN (exit 3); STARTTLS and implicit TLS both work;
# -password-file, -folder (a name with a comma), and logging: nothing on
# stderr by default, the steps at debug, the dialogue without the password
# at trace.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
plugin="$MAILOAUTH_BIN_DIR/check_imap_mailbox_basic"
append="$MAILOAUTH_TEST_TOOLS/imap_append_tool"
tmp=$(mktemp -d)
folder="Check-basic-$$"
imap() { curl -s --max-time 5 --cacert "$CA_FILE" -u "$USER2:$USER2_PASSWORD" "imaps://$IMAP_HOST:$IMAPS_PORT/" -X "$1"; }
trap 'kill $(jobs -p) 2>/dev/null; imap "DELETE $folder" >/dev/null; imap "DELETE $folder-b" >/dev/null; rm -rf "$tmp"' EXIT
mask() { sed -E "s/'time'=[0-9]+ms/'time'=Nms/"; }
run() {  # run ARGS...: stdout in $tmp/out, exit code in $rc
  "$plugin" -folders "$folder" -username "$USER2" -password "$USER2_PASSWORD" -server "$IMAP_HOST" \
    -port "$IMAPS_PORT" -ca-file "$CA_FILE" "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
}
line() { head -n 1 "$tmp/out" | mask; }

imap "CREATE $folder" >/dev/null
imap "CREATE $folder-b" >/dev/null

run
printf "OK: %s: No messages found in folders: %s | 'time'=Nms;;;; \n" "$USER2" "$folder" >"$tmp/expected"
check "empty folder: OK, check-mail's line byte for byte [1/2]" test $rc -eq 0
check "empty folder: OK, check-mail's line byte for byte [2/2]" cmp -s <(mask <"$tmp/out") "$tmp/expected"

"$append" "$IMAP_HOST" "$IMAPS_PORT" "$CA_FILE" "$USER2" "$USER2_PASSWORD" "$folder" append 7200 "=?UTF-8?B?R3LDvMOfZQ==?= two hours" &&
"$append" "$IMAP_HOST" "$IMAPS_PORT" "$CA_FILE" "$USER2" "$USER2_PASSWORD" "$folder" append 60 "a minute" &&
"$append" "$IMAP_HOST" "$IMAPS_PORT" "$CA_FILE" "$USER2" "$USER2_PASSWORD" "$folder-b" append 30 "other folder" ||
  { echo "FAIL: APPEND"; exit 1; }

run -folders "$folder-b"
check "messages: WARNING with per-folder counts [1/2]" test $rc -eq 1
check "messages: WARNING with per-folder counts [2/2]" test "$(line)" = "WARNING: $USER2: 3 messages found: $folder(2), $folder-b(1) | 'time'=Nms;;;; "

run -w 5 -c 10
check "-w 5 -c 10 with 2 messages: OK [1/2]" test $rc -eq 0
check "-w 5 -c 10 with 2 messages: OK [2/2]" grep -q "^OK: .*2 messages found" <(line)
run -w 1 -c 10
check "-w 1: WARNING above 1" test $rc -eq 1
run -w 1 -c 1
check "-c 1: CRITICAL above 1, 'messages' perfdata with the thresholds [1/2]" test $rc -eq 2
check "-c 1: CRITICAL above 1, 'messages' perfdata with the thresholds [2/2]" grep -q "'messages'=2;1;1;0;" "$tmp/out"
run -c '~:1'
check "-c ~:1 (above 1): CRITICAL" test $rc -eq 2
run -c '@2:3'
check "-c @2:3 (inside 2..3): CRITICAL" test $rc -eq 2
run -c '@3:4'
check "-c @3:4 (2 is outside): OK" test $rc -eq 0
run -w '3:'
check "-w 3: (below 3): WARNING" test $rc -eq 1

run -age-warning 1h -age-critical 1d
check "oldest 2 h, -age-warning 1h: WARNING naming the age [1/3]" test $rc -eq 1
check "oldest 2 h, -age-warning 1h: WARNING naming the age [2/3]" grep -q "oldest message 2h old" <(line)
check "oldest 2 h, -age-warning 1h: WARNING naming the age [3/3]" grep -q "'oldest_age'=7[0-9][0-9][0-9]s;3600;86400;0;" "$tmp/out"
run -age-warning 30m -age-critical 90m
check "oldest 2 h, -age-critical 90m: CRITICAL" test $rc -eq 2
run -age-warning 3h
check "oldest 2 h, -age-warning 3h: OK" test $rc -eq 0

run -perfdata -sample 5
check "--perfdata: one metric per folder" grep -q "'$folder'=2;;;0;" "$tmp/out"
check "--sample: decoded subjects in the long output, oldest first [1/2]" grep -q "^Messages (2 of 2): $" "$tmp/out"
check "--sample: decoded subjects in the long output, oldest first [2/2]" grep -q "Grüße two hours" <(grep -A1 "^Messages" "$tmp/out")
curl -s --max-time 5 --cacert "$CA_FILE" -u "$USER2:$USER2_PASSWORD" "imaps://$IMAP_HOST:$IMAPS_PORT/$folder" \
  -X 'STORE 1 +FLAGS (\Seen)' >/dev/null
run -unseen
check "--unseen counts unseen messages only (one of two was marked seen) [1/2]" test $rc -eq 1
check "--unseen counts unseen messages only (one of two was marked seen) [2/2]" grep -q "1 messages found: $folder(1)" <(line)
run -unseen -age-warning 1h
check "--unseen with an age: the oldest unseen one (1 min) does not warn" test $rc -eq 0

run -port "$IMAP_PORT" -starttls
check "STARTTLS on the plain port [1/2]" test $rc -eq 1
check "STARTTLS on the plain port [2/2]" grep -q "2 messages found" <(line)
run -port "$IMAP_PORT"
check "implicit TLS against the plain port: CRITICAL connect error [1/2]" test $rc -eq 2
check "implicit TLS against the plain port: CRITICAL connect error [2/2]" grep -q "^CRITICAL: Error connecting to $IMAP_HOST" <(line)

run -folders "Junk-$$"
check "missing folder: CRITICAL mailbox not found [1/2]" test $rc -eq 2
check "missing folder: CRITICAL mailbox not found [2/2]" test "$(line)" = "CRITICAL: mailbox not found: \"Junk-$$\" "

"$plugin" -folders "$folder" -username "$USER2" -password wrong -server "$IMAP_HOST" -port "$IMAPS_PORT" \
  -ca-file "$CA_FILE" >"$tmp/out"; rc=$?
check "wrong password: CRITICAL Login error with the server's words [1/3]" test $rc -eq 2
check "wrong password: CRITICAL Login error with the server's words [2/3]" test "$(line)" = "CRITICAL: Login error occurred "
check "wrong password: CRITICAL Login error with the server's words [3/3]" grep -q "AUTHENTICATIONFAILED\] Authentication failed" "$tmp/out"
check "the password is not in the output" not grep -qF "$USER2_PASSWORD" "$tmp/out"

"$plugin" -folders "$folder" -username "$USER2" -password "$USER2_PASSWORD" -server "$IMAP_HOST" \
  -port "$IMAPS_PORT" >"$tmp/out"; rc=$?
check "untrusted certificate (no -ca-file): CRITICAL naming it [1/3]" test $rc -eq 2
check "untrusted certificate (no -ca-file): CRITICAL naming it [2/3]" grep -q "^CRITICAL: Error connecting" <(line)
check "untrusted certificate (no -ca-file): CRITICAL naming it [3/3]" grep -q "not trusted" "$tmp/out"

# A closed port: bind one, close it, use it.
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
run -port "$closed"
check "connection refused: CRITICAL Error connecting [1/3]" test $rc -eq 2
check "connection refused: CRITICAL Error connecting [2/3]" grep -q "^CRITICAL: Error connecting to $IMAP_HOST" <(line)
check "connection refused: CRITICAL Error connecting [3/3]" grep -q "refused" "$tmp/out"

# A peer that accepts and never answers.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(5)
print(s.getsockname()[1], flush=True)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' >"$tmp/peer.port" &
for _ in $(seq 50); do [ -s "$tmp/peer.port" ] && break; sleep 0.1; done
start=$(date +%s%N)
run -port "$(cat "$tmp/peer.port")" -t 2
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "silent server with -t 2: answered after ${elapsed_ms} ms"
check "a server that never answers: CRITICAL within -t 2 (<3 s) [1/4]" test $rc -eq 2
check "a server that never answers: CRITICAL within -t 2 (<3 s) [2/4]" test $elapsed_ms -lt 3000
check "a server that never answers: CRITICAL within -t 2 (<3 s) [3/4]" test $elapsed_ms -ge 1900
check "a server that never answers: CRITICAL within -t 2 (<3 s) [4/4]" grep -q "^CRITICAL: Error connecting" <(line)

# A TLS peer (the stack's certificate) announcing LOGINDISABLED: the password is never sent.
python3 -c '
import socket, ssl, sys
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(sys.argv[1] + "/tls/server.crt", sys.argv[1] + "/tls/server.key")
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
t = context.wrap_socket(c, server_side=True)
t.sendall(b"* OK [CAPABILITY IMAP4rev1 LOGINDISABLED AUTH=PLAIN] no passwords here\r\n")
t.settimeout(3)
received = b""
try:
    while True:
        chunk = t.recv(4096)
        if not chunk: break
        received += chunk
        if b"LOGOUT" in received.upper(): break
except Exception:
    pass
open(sys.argv[2], "wb").write(received)
' "$STACK_DIR" "$tmp/peer.received" >"$tmp/tls-peer.port" &
for _ in $(seq 50); do [ -s "$tmp/tls-peer.port" ] && break; sleep 0.1; done
run -port "$(cat "$tmp/tls-peer.port")" -t 3
wait $! 2>/dev/null
check "LOGINDISABLED: CRITICAL Login error, and no LOGIN (nor the password) sent [1/5]" test $rc -eq 2
check "LOGINDISABLED: CRITICAL Login error, and no LOGIN (nor the password) sent [2/5]" test "$(line)" = "CRITICAL: Login error occurred "
check "LOGINDISABLED: CRITICAL Login error, and no LOGIN (nor the password) sent [3/5]" grep -q LOGINDISABLED "$tmp/out"
check "LOGINDISABLED: CRITICAL Login error, and no LOGIN (nor the password) sent [4/5]" not grep -qi "LOGIN " "$tmp/peer.received"
check "LOGINDISABLED: CRITICAL Login error, and no LOGIN (nor the password) sent [5/5]" not grep -qF "$USER2_PASSWORD" "$tmp/peer.received"

"$plugin" -folders "$folder" -bogus >"$tmp/out"; rc=$?
check "unknown flag: UNKNOWN exit 3 [1/3]" test $rc -eq 3
check "unknown flag: UNKNOWN exit 3 [2/3]" test "$(line)" = "UNKNOWN: Error initializing application "
check "unknown flag: UNKNOWN exit 3 [3/3]" grep -q "flag provided but not defined: -bogus" "$tmp/out"
"$plugin" -username u -password p -server s >"$tmp/out"; rc=$?
check "no folders: UNKNOWN exit 3 [1/2]" test $rc -eq 3
check "no folders: UNKNOWN exit 3 [2/2]" grep -q "one or more folders not provided" "$tmp/out"
run -w 1.2.3
check "a bad range: UNKNOWN exit 3 [1/2]" test $rc -eq 3
check "a bad range: UNKNOWN exit 3 [2/2]" grep -q "invalid range" "$tmp/out"
run -branding
check "-branding appends the notification line" grep -q "^Notification generated by check_imap_mailbox_basic" "$tmp/out"

# The password from a file (out of ps), not with -password as well; an unreadable file is UNKNOWN.
printf '%s\n' "$USER2_PASSWORD" >"$tmp/password"
chmod 600 "$tmp/password"
file_run() {
  "$plugin" -folders "$folder" -username "$USER2" -server "$IMAP_HOST" -port "$IMAPS_PORT" \
    -ca-file "$CA_FILE" "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
}
file_run -password-file "$tmp/password"
check "-password-file: logged in (WARNING: 2 messages) [1/2]" test $rc -eq 1
check "-password-file: logged in (WARNING: 2 messages) [2/2]" grep -q "2 messages found" <(line)
file_run -password-file "$tmp/password" -password "$USER2_PASSWORD"
check "-password-file with -password: UNKNOWN [1/2]" test $rc -eq 3
check "-password-file with -password: UNKNOWN [2/2]" grep -q "not both" "$tmp/out"
file_run -password-file "$tmp/no-such-file"
check "an unreadable -password-file: UNKNOWN naming the file [1/2]" test $rc -eq 3
check "an unreadable -password-file: UNKNOWN naming the file [2/2]" grep -q "no-such-file" "$tmp/out"

# -folder takes one name as given, commas included (-folders splits on them).
comma="$folder, with comma"
imap "CREATE \"$comma\"" >/dev/null
"$plugin" -folder "$comma" -folders "$folder-b" -username "$USER2" -password-file "$tmp/password" \
  -server "$IMAP_HOST" -port "$IMAPS_PORT" -ca-file "$CA_FILE" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "-folder with a comma in the name, next to -folders [1/2]" test $rc -eq 1
check "-folder with a comma in the name, next to -folders [2/2]" test "$(line)" = "WARNING: $USER2: 1 messages found: $comma(0), $folder-b(1) | 'time'=Nms;;;; "
imap "DELETE \"$comma\"" >/dev/null

# Logging: nothing on stderr by default (Icinga 2 merges stderr into the output),
# the steps at -log-level debug, the dialogue at trace, never the password.
run -password wrong
check "default log level: a failed check writes nothing on stderr [1/2]" test $rc -eq 2
check "default log level: a failed check writes nothing on stderr [2/2]" test ! -s "$tmp/err"
"$plugin" -folders "$folder" -bogus >"$tmp/out" 2>"$tmp/err"; rc=$?
check "default log level: a flag error writes nothing on stderr [1/2]" test $rc -eq 3
check "default log level: a flag error writes nothing on stderr [2/2]" test ! -s "$tmp/err"
run -log-level debug
check "-log-level debug: connection, login, folders and counts on stderr [1/4]" grep -q "Connecting to server server=$IMAP_HOST port=$IMAPS_PORT" "$tmp/err"
check "-log-level debug: connection, login, folders and counts on stderr [2/4]" grep -q "Logged in" "$tmp/err"
check "-log-level debug: connection, login, folders and counts on stderr [3/4]" grep -q "Messages found mailbox=$folder messages=2" "$tmp/err"
check "-log-level debug: connection, login, folders and counts on stderr [4/4]" not grep -q "dir=C" "$tmp/err"
run -log-level trace
check "-log-level trace: the IMAP dialogue, LOGIN redacted, the password nowhere [1/3]" grep -q "LOGIN $USER2 <redacted [0-9]* bytes> dir=C" "$tmp/err"
check "-log-level trace: the IMAP dialogue, LOGIN redacted, the password nowhere [2/3]" grep -q "STATUS" "$tmp/err"
check "-log-level trace: the IMAP dialogue, LOGIN redacted, the password nowhere [3/3]" not grep -qF "$USER2_PASSWORD" "$tmp/err"
finish
