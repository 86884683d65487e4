#!/usr/bin/env bash
# `mailoauth imap caps|check|list` with a native app-only account (server,
# mailbox and token from the account and the store) against the stack's
# Dovecot: capabilities before and after login (text and JSON), a folder of
# this run's own checked empty (OK), with messages (WARNING, then thresholds),
# missing (CRITICAL), over STARTTLS and implicit TLS; list shows the counts;
# bad usage of check is UNKNOWN (3); the token never appears in -v output;
# --log-level trace shows the dialogue as -v does.
set -u
[ -n "${DEBUG_TEST:-}" ] && set -x
source "$MAILOAUTH_STACK_ENV"
source "$MAILOAUTH_SOURCE_DIR/tests/stack/app_account.sh"
m="$MAILOAUTH_BIN_DIR/mailoauth"
append="$MAILOAUTH_TEST_TOOLS/imap_append_tool"
tmp=$(mktemp -d)
folder="Native-$$"
imap() { curl -s --max-time 5 --cacert "$CA_FILE" -u "$USER1:$USER1_PASSWORD" "imaps://$IMAP_HOST:$IMAPS_PORT/" -X "$1"; }
trap 'imap "DELETE $folder" >/dev/null; rm -rf "$tmp"' EXIT
export MAILOAUTH_CONFIG="$tmp/config.toml" MAILOAUTH_STATE_DIR="$tmp/state"
status=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; status=1; return 1; fi; }
show() { echo "--- $1"; cat "$1"; }
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
check "caps: before login (STARTTLS gone after TLS), mechanisms, after login" \
  '[ $rc -eq 0 ] && grep -q "^server $IMAP_HOST:$IMAP_PORT (STARTTLS)" "$tmp/out" && grep -q "^auth mechanisms: .*XOAUTH2" "$tmp/out" && grep -q "^after login as $USER1: .*IMAP4rev1" "$tmp/out" && grep -q "^tls: TLSv1\.[23]" "$tmp/out"' || { show "$tmp/out"; show "$tmp/err"; }
"$m" imap caps box --json >"$tmp/out" 2>"$tmp/err"; rc=$?
check "caps --json: one object with the capabilities after login" \
  '[ $rc -eq 0 ] && [ "$(wc -l <"$tmp/out")" = 1 ] && node -e "const o=JSON.parse(require(\"fs\").readFileSync(\"$tmp/out\",\"utf8\")); if (!o.capabilities_after_login.includes(\"IMAP4rev1\") || !o.starttls) process.exit(1)"' || show "$tmp/out"

"$m" imap check box -f "$folder" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "check an empty folder: OK naming the mailbox" \
  '[ $rc -eq 0 ] && grep -q "^OK: $USER1: No messages found in folders: $folder | '"'"'time'"'"'=[0-9]*ms;;;; $" "$tmp/out"' || { show "$tmp/out"; show "$tmp/err"; }
"$append" "$IMAP_HOST" "$IMAPS_PORT" "$CA_FILE" "$USER1" "$USER1_PASSWORD" "$folder" append 7200 "two hours old" &&
"$append" "$IMAP_HOST" "$IMAPS_PORT" "$CA_FILE" "$USER1" "$USER1_PASSWORD" "$folder" append 60 "a minute old" ||
  { echo "FAIL: APPEND"; exit 1; }
"$m" imap check box -f "$folder" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "two messages: WARNING with the folder's count" '[ $rc -eq 1 ] && grep -q "^WARNING: $USER1: 2 messages found: $folder(2)" "$tmp/out"' || show "$tmp/out"
"$m" imap check box -f "$folder" -w 5 -c 10 >"$tmp/out"; rc=$?
check "-w 5 -c 10 with 2 messages: OK" '[ $rc -eq 0 ]' || show "$tmp/out"
"$m" imap check box -f "$folder" -w 5 -c @1:3 --perfdata >"$tmp/out"; rc=$?
check "-c @1:3 with 2 messages: CRITICAL, per-folder perfdata" '[ $rc -eq 2 ] && grep -q "'"'"'$folder'"'"'=2;" "$tmp/out"' || show "$tmp/out"
"$m" imap check box -f "$folder" --age-warning 30m --age-critical 3h --tls implicit --port "$IMAPS_PORT" >"$tmp/out"; rc=$?
check "oldest message 2 h old, over implicit TLS: --age-warning 30m WARNING, not 3h CRITICAL" '[ $rc -eq 1 ]' || show "$tmp/out"
"$m" imap check box -f "Missing-$$" >"$tmp/out"; rc=$?
check "a missing folder: CRITICAL mailbox not found" '[ $rc -eq 2 ] && grep -q "^CRITICAL: mailbox not found: \"Missing-$$\"" "$tmp/out"' || show "$tmp/out"
"$m" imap check box -w 1.2.3 >"$tmp/out"; rc=$?
check "a bad range: UNKNOWN (3) naming --warning" '[ $rc -eq 3 ] && grep -q "^UNKNOWN: .*--warning" "$tmp/out"' || show "$tmp/out"
"$m" imap check box --bogus >"$tmp/out"; rc=$?
check "an unknown option of check: UNKNOWN (3)" '[ $rc -eq 3 ] && grep -q "^UNKNOWN: " "$tmp/out"' || show "$tmp/out"

"$m" -v imap list box >"$tmp/out" 2>"$tmp/err"; rc=$?
token=$("$m" token get box)
check "list: the folder with 2 messages; -v shows the dialogue without the token" \
  '[ $rc -eq 0 ] && grep -Eq "^ +2 +[0-9]+  $folder$" "$tmp/out" && grep -q "imap C: .*AUTHENTICATE XOAUTH2" "$tmp/err" && ! grep -qF -e "$token" "$tmp/err"' || { show "$tmp/out"; show "$tmp/err"; }
"$m" --log-level trace imap caps box >"$tmp/out" 2>"$tmp/err"; rc=$?
check "--log-level trace shows the IMAP dialogue as -v does, without the token" \
  '[ $rc -eq 0 ] && grep -q "imap C: .*AUTHENTICATE XOAUTH2" "$tmp/err" && ! grep -qF -e "$token" "$tmp/err"' || show "$tmp/err"
"$m" imap check nosuch >"$tmp/out"; rc=$?
check "an unknown account: UNKNOWN naming the known ones" '[ $rc -eq 3 ] && grep -q "box" "$tmp/out"' || show "$tmp/out"
exit $status
