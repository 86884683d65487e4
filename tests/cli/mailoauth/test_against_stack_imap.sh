#!/usr/bin/env bash
# `mailoauth imap caps|check|list` with a native app-only account (server,
# mailbox and token from the account and the store) against the stack's
# Dovecot: capabilities before and after login (text and JSON), a folder of
# this run's own checked empty (OK), with messages (WARNING, then thresholds),
# missing (CRITICAL), over STARTTLS and implicit TLS; list shows the counts;
# bad usage of check is UNKNOWN (3); the token never appears in -v output;
# --log-level trace shows the dialogue as -v does; a stored token the server
# no longer accepts (revoked) is renewed once and the check goes on.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
source "$MAILOAUTH_SOURCE_DIR/tests/stack/app_account.sh"
m="$MAILOAUTH_BIN_DIR/mailoauth"
append="$MAILOAUTH_TEST_TOOLS/imap_append_tool"
tmp=$(mktemp -d)
folder="Native-$$"
imap() { curl -s --max-time 5 --cacert "$CA_FILE" -u "$USER1:$USER1_PASSWORD" "imaps://$IMAP_HOST:$IMAPS_PORT/" -X "$1"; }
trap 'imap "DELETE $folder" >/dev/null; rm -rf "$tmp"' EXIT
export MAILOAUTH_CONFIG="$tmp/config.toml" MAILOAUTH_STATE_DIR="$tmp/state"
printf '%s\n' "$CC_CLIENT_SECRET" >"$tmp/cc.secret"
{
stack_app_account box "$tmp/cc.secret"
cat <<CONF
imap_server = "$IMAP_HOST"
imap_port = $IMAP_PORT
imap_tls = "starttls"
ca_file = "$CA_FILE"
CONF
} >"$tmp/config.toml"
chmod 600 "$tmp/config.toml"
imap "CREATE $folder" >/dev/null

"$m" imap caps box >"$tmp/out" 2>"$tmp/err"; rc=$?
check "caps: before login (STARTTLS gone after TLS), mechanisms, after login [1/5]" test $rc -eq 0
check "caps: before login (STARTTLS gone after TLS), mechanisms, after login [2/5]" grep -q "^server $IMAP_HOST:$IMAP_PORT (STARTTLS)" "$tmp/out"
check "caps: before login (STARTTLS gone after TLS), mechanisms, after login [3/5]" grep -q "^auth mechanisms: .*XOAUTH2" "$tmp/out"
check "caps: before login (STARTTLS gone after TLS), mechanisms, after login [4/5]" grep -q "^after login as $USER1: .*IMAP4rev1" "$tmp/out"
check "caps: before login (STARTTLS gone after TLS), mechanisms, after login [5/5]" grep -q "^tls: TLSv1\.[23]" "$tmp/out" || { show "$tmp/out"; show "$tmp/err"; }
"$m" imap caps box --json >"$tmp/out" 2>"$tmp/err"; rc=$?
check "caps --json: one object with the capabilities after login [1/3]" test $rc -eq 0
check "caps --json: one object with the capabilities after login [2/3]" test "$(wc -l <"$tmp/out")" = 1
check "caps --json: one object with the capabilities after login [3/3]" node -e "const o=JSON.parse(require(\"fs\").readFileSync(\"$tmp/out\",\"utf8\")); if (!o.capabilities_after_login.includes(\"IMAP4rev1\") || !o.starttls) process.exit(1)" || show "$tmp/out"

"$m" imap check box -f "$folder" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "check an empty folder: OK naming the mailbox [1/2]" test $rc -eq 0
check "check an empty folder: OK naming the mailbox [2/2]" grep -q "^OK: $USER1: No messages found in folders: $folder | 'time'=[0-9]*ms;;;; $" "$tmp/out" || { show "$tmp/out"; show "$tmp/err"; }
"$append" "$IMAP_HOST" "$IMAPS_PORT" "$CA_FILE" "$USER1" "$USER1_PASSWORD" "$folder" append 7200 "two hours old" &&
"$append" "$IMAP_HOST" "$IMAPS_PORT" "$CA_FILE" "$USER1" "$USER1_PASSWORD" "$folder" append 60 "a minute old" ||
  { echo "FAIL: APPEND"; exit 1; }
"$m" imap check box -f "$folder" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "two messages: WARNING with the folder's count [1/2]" test $rc -eq 1
check "two messages: WARNING with the folder's count [2/2]" grep -q "^WARNING: $USER1: 2 messages found: $folder(2)" "$tmp/out" || show "$tmp/out"
"$m" imap check box -f "$folder" -w 5 -c 10 >"$tmp/out"; rc=$?
check "-w 5 -c 10 with 2 messages: OK" test $rc -eq 0 || show "$tmp/out"
"$m" imap check box -f "$folder" -w 5 -c @1:3 --perfdata >"$tmp/out"; rc=$?
check "-c @1:3 with 2 messages: CRITICAL, per-folder perfdata [1/2]" test $rc -eq 2
check "-c @1:3 with 2 messages: CRITICAL, per-folder perfdata [2/2]" grep -q "'$folder'=2;" "$tmp/out" || show "$tmp/out"
"$m" imap check box -f "$folder" --age-warning 30m --age-critical 3h --tls implicit --port "$IMAPS_PORT" >"$tmp/out"; rc=$?
check "oldest message 2 h old, over implicit TLS: --age-warning 30m WARNING, not 3h CRITICAL" test $rc -eq 1 || show "$tmp/out"
"$m" imap check box -f "Missing-$$" >"$tmp/out"; rc=$?
check "a missing folder: CRITICAL mailbox not found [1/2]" test $rc -eq 2
check "a missing folder: CRITICAL mailbox not found [2/2]" grep -q "^CRITICAL: mailbox not found: \"Missing-$$\"" "$tmp/out" || show "$tmp/out"
"$m" imap check box -w 1.2.3 >"$tmp/out"; rc=$?
check "a bad range: UNKNOWN (3) naming --warning [1/2]" test $rc -eq 3
check "a bad range: UNKNOWN (3) naming --warning [2/2]" grep -q "^UNKNOWN: .*--warning" "$tmp/out" || show "$tmp/out"
"$m" imap check box --bogus >"$tmp/out"; rc=$?
check "an unknown option of check: UNKNOWN (3) [1/2]" test $rc -eq 3
check "an unknown option of check: UNKNOWN (3) [2/2]" grep -q "^UNKNOWN: " "$tmp/out" || show "$tmp/out"

"$m" -v imap list box >"$tmp/out" 2>"$tmp/err"; rc=$?
token=$("$m" token get box)
check "list: the folder with 2 messages; -v shows the dialogue without the token [1/4]" test $rc -eq 0
check "list: the folder with 2 messages; -v shows the dialogue without the token [2/4]" grep -Eq "^ +2 +[0-9]+  $folder$" "$tmp/out"
check "list: the folder with 2 messages; -v shows the dialogue without the token [3/4]" grep -q "imap C: .*AUTHENTICATE XOAUTH2" "$tmp/err"
check "list: the folder with 2 messages; -v shows the dialogue without the token [4/4]" not grep -qF -e "$token" "$tmp/err" || { show "$tmp/out"; show "$tmp/err"; }
"$m" --log-level trace imap caps box >"$tmp/out" 2>"$tmp/err"; rc=$?
check "--log-level trace shows the IMAP dialogue as -v does, without the token [1/3]" test $rc -eq 0
check "--log-level trace shows the IMAP dialogue as -v does, without the token [2/3]" grep -q "imap C: .*AUTHENTICATE XOAUTH2" "$tmp/err"
check "--log-level trace shows the IMAP dialogue as -v does, without the token [3/3]" not grep -qF -e "$token" "$tmp/err" || show "$tmp/err"
# Revoke the stored token at the server: it still looks valid to the store.
curl -s --max-time 5 -o /dev/null -d "token=$token" -d "client_id=$CC_CLIENT_ID" \
  -d "client_secret=$CC_CLIENT_SECRET" "$OIDC_REVOKE_URL"
"$m" imap check box -f "$folder" >"$tmp/out" 2>"$tmp/err"; rc=$?
renewed=$("$m" token get box)
check "a revoked stored token: renewed once, the check goes on [1/4]" test $rc -eq 1
check "a revoked stored token: renewed once, the check goes on [2/4]" grep -q "^WARNING: $USER1: 2 messages found" "$tmp/out"
check "a revoked stored token: renewed once, the check goes on [3/4]" test -n "$renewed"
check "a revoked stored token: renewed once, the check goes on [4/4]" test "$renewed" != "$token" || { show "$tmp/out"; show "$tmp/err"; }
"$m" imap check nosuch >"$tmp/out"; rc=$?
check "an unknown account: UNKNOWN naming the known ones [1/2]" test $rc -eq 3
check "an unknown account: UNKNOWN naming the known ones [2/2]" grep -q "box" "$tmp/out" || show "$tmp/out"
finish
