#!/usr/bin/env bash
# check_mail_roundtrip through the whole stack (Dovecot submission → Postfix
# → LMTP → Dovecot IMAP, tokens from oidc-provider), run without HOME as a
# monitoring daemon runs it: a probe sent with an app-only account's token
# arrives, OK with the delay's perfdata, and is deleted (probes counted over
# IMAP); stale probes planted by APPEND with the marker and an old date are
# removed while a young probe and a foreign message stay; -w/-c on the
# delay; each failed stage is named on the first line: send refused (the
# server's 550 explained), IMAP login failed (a wrong password; a wrong
# client secret), folder missing, not arrived within -t (sent to a mailbox
# the check does not read: the plugin returns within -t, measured), and a
# server that never answers ends within -t too; usage errors are UNKNOWN.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
source "$MAILOAUTH_SOURCE_DIR/tests/stack/app_account.sh"
plugin="$MAILOAUTH_BIN_DIR/check_mail_roundtrip"
append="$MAILOAUTH_TEST_TOOLS/imap_append_tool"
tmp=$(mktemp -d)
export MAILOAUTH_CONFIG="$tmp/config.toml" MAILOAUTH_STATE_DIR="$tmp/state"
# curl IMAP as USER PASSWORD on FOLDER with one command.
imap_as() { curl -s --max-time 5 --cacert "$CA_FILE" -u "$1:$2" "imaps://$IMAP_HOST:$IMAPS_PORT/$3" -X "$4"; }
uids() { imap_as "$1" "$2" "$3" "UID SEARCH $4" | tr -d '\r' | sed -n 's/^\* SEARCH *//p'; }
count() { local found; found=$(uids "$@"); set -- $found; echo $#; }
# Deletes every probe in a mailbox's INBOX (the ones sent where no check looked).
purge_probes() {
  local set; set=$(uids "$1" "$2" INBOX 'HEADER X-Mailoauth-Probe ""' | tr ' ' ',')
  [ -n "$set" ] && imap_as "$1" "$2" INBOX "UID STORE $set +FLAGS (\\Deleted)" >/dev/null &&
    imap_as "$1" "$2" INBOX "UID EXPUNGE $set" >/dev/null
  return 0
}
cleanup() {
  kill $(jobs -p) 2>/dev/null
  purge_probes "$USER1" "$USER1_PASSWORD"; purge_probes "$USER2" "$USER2_PASSWORD"
  imap_as "$USER1" "$USER1_PASSWORD" "" "DELETE Never-$$" >/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
(umask 077
 printf '%s\n' "$CC_CLIENT_SECRET" >"$tmp/cc.secret"; printf 'NOT-THE-SECRET\n' >"$tmp/wrong.secret"
 printf '%s\n' "$USER1_PASSWORD" >"$tmp/alice.pass"; printf 'not-the-password\n' >"$tmp/bad.pass")
servers() {
  cat <<CONF
smtp_server = "$SMTP_HOST"
smtp_port = $SUBMISSION_PORT
smtp_tls = "starttls"
imap_server = "$IMAP_HOST"
imap_port = $IMAPS_PORT
imap_tls = "implicit"
ca_file = "$CA_FILE"
CONF
}
{ stack_app_account box "$tmp/cc.secret"; servers
  stack_app_account badsecret "$tmp/wrong.secret"; servers; } >"$tmp/config.toml"
chmod 600 "$tmp/config.toml"
run() {
  local started; started=$(date +%s%N)
  env -u HOME "$plugin" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
  elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
}
line() { head -n 1 "$tmp/out"; }
probe_id() { echo "mon.example-$1-$(printf '%016x' "$2")"; }
all_probes='HEADER X-Mailoauth-Probe ""'

# --- planted: a stale probe (2 h old), a young one (5 min), a foreign old message ---
stale=$(probe_id 111 1); young=$(probe_id 222 2); foreign="Foreign-$$-$RANDOM"
"$append" "$IMAP_HOST" "$IMAPS_PORT" "$CA_FILE" "$USER1" "$USER1_PASSWORD" INBOX append 7200 "[mailoauth probe] $stale" "X-Mailoauth-Probe: $stale" &&
"$append" "$IMAP_HOST" "$IMAPS_PORT" "$CA_FILE" "$USER1" "$USER1_PASSWORD" INBOX append 300 "[mailoauth probe] $young" "X-Mailoauth-Probe: $young" &&
"$append" "$IMAP_HOST" "$IMAPS_PORT" "$CA_FILE" "$USER1" "$USER1_PASSWORD" INBOX append 7200 "$foreign" ||
  { echo "FAIL: APPEND"; exit 1; }
check "planted: the stale and the young probe carry the header" test "$(count "$USER1" "$USER1_PASSWORD" INBOX "$all_probes")" = 2

# --- the round trip ------------------------------------------------------------------
run box -w 20 -c 40 -t 30
echo "first line: $(line) (${elapsed_ms} ms)"
check "a probe through the stack: OK with the delay and its perfdata [1/3]" test $rc -eq 0
check "a probe through the stack: OK with the delay and its perfdata [2/3]" matches "$(line)" "^OK: probe arrived in [0-9]+\\.[0-9] s \\(smtp $SMTP_HOST:$SUBMISSION_PORT to $USER1 INBOX\\) \\| 'delay'=[0-9]+\\.[0-9]{3}s;20;40;0;30 'send_time'=[0-9]+\\.[0-9]{3}s;;;0; 'imap_time'=[0-9]+\\.[0-9]{3}s;;;0;\$"
check "a probe through the stack: OK with the delay and its perfdata [3/3]" grep -q "^removed 1 stale probe of earlier runs" "$tmp/out" || { show "$tmp/out"; show "$tmp/err"; }
check "the probe is deleted; the stale probe removed; the young probe kept [1/2]" test "$(count "$USER1" "$USER1_PASSWORD" INBOX "$all_probes")" = 1
check "the probe is deleted; the stale probe removed; the young probe kept [2/2]" test -n "$(uids "$USER1" "$USER1_PASSWORD" INBOX "HEADER X-Mailoauth-Probe \"$young\"")"
check "the foreign old message is not touched" test "$(count "$USER1" "$USER1_PASSWORD" INBOX "SUBJECT \"$foreign\"")" = 1
probe=$(sed -n 's/^probe: X-Mailoauth-Probe: //p' "$tmp/out")
check "the long output names the probe (host-pid-random)" matches "$probe" "^[A-Za-z0-9._]+-[0-9]+-[0-9a-f]{16}\$"

run box -w 0 -c 60
check "-w 0: any delay is WARNING" test $rc -eq 1 || show "$tmp/out"
run box -w 0 -c 0
check "-c 0: any delay is CRITICAL" test $rc -eq 2 || show "$tmp/out"
run box --imap-user "$USER1" --imap-password-file "$tmp/alice.pass" -t 30
check "IMAP with a user and a password file: OK" test $rc -eq 0 || show "$tmp/out"
check "no probe left behind by three more runs" test "$(count "$USER1" "$USER1_PASSWORD" INBOX "$all_probes")" = 1

# --- each stage that fails is named ---------------------------------------------------
run box --to "$REFUSED_RECIPIENT" -t 20
check "send refused: CRITICAL naming the stage and the server's 550 [1/2]" test $rc -eq 2
check "send refused: CRITICAL naming the stage and the server's 550 [2/2]" matches "$(line)" "^CRITICAL: send refused: .*550.*refused by the mailoauth test stack" || show "$tmp/out"
run box --imap-user "$USER1" --imap-password-file "$tmp/bad.pass"
check "IMAP login failed (a wrong password): CRITICAL naming the stage [1/2]" test $rc -eq 2
check "IMAP login failed (a wrong password): CRITICAL naming the stage [2/2]" matches "$(line)" "^CRITICAL: IMAP login failed for $USER1: " || show "$tmp/out"
run badsecret
check "IMAP login failed (a wrong client secret): CRITICAL with invalid_client [1/2]" test $rc -eq 2
check "IMAP login failed (a wrong client secret): CRITICAL with invalid_client [2/2]" matches "$(line)" "^CRITICAL: IMAP login failed for $USER1: .*invalid_client" || show "$tmp/out"
run box -f "Missing-$$"
check "folder missing: CRITICAL naming the folder [1/2]" test $rc -eq 2
check "folder missing: CRITICAL naming the folder [2/2]" matches "$(line)" "^CRITICAL: folder missing: \"Missing-$$\" in $USER1" || show "$tmp/out"
run box --to "$USER2" -t 5
echo "not arrived: ${elapsed_ms} ms"
check "not arrived within -t 5 (sent to a mailbox not read): CRITICAL, within 5 s + 1 s [1/3]" test $rc -eq 2
check "not arrived within -t 5 (sent to a mailbox not read): CRITICAL, within 5 s + 1 s [2/3]" matches "$(line)" "^CRITICAL: not arrived within 5 s: the probe sent smtp .* did not reach $USER1 INBOX \\| 'delay'=U;;;0;5 "
check "not arrived within -t 5 (sent to a mailbox not read): CRITICAL, within 5 s + 1 s [3/3]" test "$elapsed_ms" -lt 6000 || show "$tmp/out"
imap_as "$USER1" "$USER1_PASSWORD" "" "CREATE Never-$$" >/dev/null
run box -f "Never-$$" -t 4
check "not arrived in a folder that never receives: CRITICAL within 4 s + 1 s [1/2]" test $rc -eq 2
check "not arrived in a folder that never receives: CRITICAL within 4 s + 1 s [2/2]" test "$elapsed_ms" -lt 5000
# A server that accepts the connection and never says a word.
python3 -c 'import socket,time,sys
s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(8); print(s.getsockname()[1], flush=True)
conns=[]
while True: conns.append(s.accept()[0])' >"$tmp/silent.port" &
for _ in $(seq 50); do [ -s "$tmp/silent.port" ] && break; sleep 0.1; done
run box --imap-server 127.0.0.1 --imap-port "$(cat "$tmp/silent.port")" -t 4
echo "silent server: ${elapsed_ms} ms"
check "an IMAP server that never answers: CRITICAL IMAP login failed, within 4 s + 1 s [1/3]" test $rc -eq 2
check "an IMAP server that never answers: CRITICAL IMAP login failed, within 4 s + 1 s [2/3]" matches "$(line)" "^CRITICAL: (IMAP login failed|check_mail_roundtrip: timed out)"
check "an IMAP server that never answers: CRITICAL IMAP login failed, within 4 s + 1 s [3/3]" test "$elapsed_ms" -lt 5000 || show "$tmp/out"

# --- usage ---------------------------------------------------------------------------
run box -w 1.2.3
check "a bad -w: UNKNOWN naming -w [1/2]" test $rc -eq 3
check "a bad -w: UNKNOWN naming -w [2/2]" matches "$(line)" "^UNKNOWN: .*-w" || show "$tmp/out"
run
check "no account: UNKNOWN" test $rc -eq 3
run nosuch
check "an unknown account: UNKNOWN" test $rc -eq 3
run box --imap-user "$USER1"
check "--imap-user without a password file: UNKNOWN" test $rc -eq 3
"$plugin" --help >"$tmp/help" 2>&1; rc=$?
check "--help answers with examples [1/2]" test $rc -eq 0
check "--help answers with examples [2/2]" grep -q "check_mail_roundtrip relay -w 30 -c 60 -t 90" "$tmp/help"
check "the secret appears in no output" not grep -qF "$CC_CLIENT_SECRET" "$tmp/out" "$tmp/err" "$tmp/help"
finish
