#!/usr/bin/env bash
# list-emails against the stack's Dovecot: two basic-auth accounts of which
# the second fails (wrong password): stdout has check-mail's lines for both,
# then the success line for the first and the failure named, exit 1; the
# report's name and Textile bytes are check-mail's (time masked), subjects
# RFC 2047-decoded and cleaned (| # and a non-BMP emoji); report and log are
# 0600 in 0700 directories and a second run appends; no report for the failed
# account; an oauth2 accounts.ini (client credentials) and -format json/csv;
# -log-level trace logs the steps and the dialogue without the password.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
list="$MAILOAUTH_BIN_DIR/list-emails"
append="$MAILOAUTH_TEST_TOOLS/imap_append_tool"
tmp=$(mktemp -d)
export TZ=UTC MAILOAUTH_STATE_DIR="$tmp/state"
folder="Check-list-$$"
imap() { curl -s --max-time 5 --cacert "$CA_FILE" -u "$1:$2" "imaps://$IMAP_HOST:$IMAPS_PORT/" -X "$3"; }
trap 'imap "$USER2" "$USER2_PASSWORD" "DELETE $folder" >/dev/null; imap "$USER1" "$USER1_PASSWORD" "DELETE $folder" >/dev/null; rm -rf "$tmp"' EXIT

imap "$USER2" "$USER2_PASSWORD" "CREATE $folder" >/dev/null
imap "$USER1" "$USER1_PASSWORD" "CREATE $folder" >/dev/null
encoded="=?UTF-8?B?$(printf 'Pipe | hash # \xf0\x9f\x98\x80 caf\xc3\xa9' | base64 -w0)?="
"$append" "$IMAP_HOST" "$IMAPS_PORT" "$CA_FILE" "$USER2" "$USER2_PASSWORD" "$folder" append 120 "$encoded" &&
"$append" "$IMAP_HOST" "$IMAPS_PORT" "$CA_FILE" "$USER2" "$USER2_PASSWORD" "$folder" append 60 "plain" &&
"$append" "$IMAP_HOST" "$IMAPS_PORT" "$CA_FILE" "$USER1" "$USER1_PASSWORD" "$folder" append 60 "for alice" ||
  { echo "FAIL: APPEND"; exit 1; }

cat >"$tmp/accounts.ini" <<EOF2
[DEFAULT]
auth_type = basic
server_name = $IMAP_HOST
server_port = $IMAPS_PORT

[email1]
folders = "$folder"
username = $USER2
password = \`$USER2_PASSWORD\`

[broken]
folders = "INBOX"
username = $USER2
password = wrong-password
EOF2
cd "$tmp"
# Names carry the minute: start early in one, so the append check below sees the same file.
for _ in $(seq 15); do [ "$(date +%-S)" -lt 45 ] && break; sleep 1; done
"$list" -config-file accounts.ini -ca-file "$CA_FILE" -pause 0 >"$tmp/out" 2>"$tmp/err"; rc=$?
{ echo "Checking account: email1"; echo "Checking account: broken"
  echo "OK: Successfully generated reports for accounts: ${USER2%@*}"; } >"$tmp/expected"
check "stdout: check-mail's lines for both accounts, then the success line" cmp -s <(head -n 3 "$tmp/out") "$tmp/expected"
check "the failed account is named with the server's words, exit 1 [1/2]" test $rc -eq 1
check "the failed account is named with the server's words, exit 1 [2/2]" grep -q "^ERROR: Failed to generate reports for accounts: broken (.*AUTHENTICATIONFAILED" "$tmp/out"
check "the password is in no output" not grep -qF "$USER2_PASSWORD" "$tmp/out" "$tmp/err" log/*

report=$(ls output/email1-emails-report-*.txt 2>/dev/null)
check "report name <section>-emails-report-YYYY-MM-DD-HH_MM.txt" matches "$report" '^output/email1-emails-report-[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}_[0-9]{2}\.txt$'
check "no report for the failed account" test -z "$(ls output/broken-* 2>/dev/null)"
check "log name check-mail-YYYY-MM-DD-HH_MM.txt" matches "$(ls log)" '^check-mail-[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}_[0-9]{2}\.txt$'
check "modes: directories 0700, files 0600 [1/2]" test "$(stat -c %a output log)" = "700
700"
check "modes: directories 0700, files 0600 [2/2]" test "$(stat -c %a "$report" log/*)" = "600
600"

cat >"$tmp/expected" <<EOF2

h4. email1

h5. Overview

| Report generated | MASKED |
| Summary | $folder(2) |
| Placeholder character | ✂ (substituted for Emoji incompatible with MySQL utf8mb3 character set) |

h5. Emails found

|_.Folder|_.Subject|_.Date|
| $folder | Pipe &#124; hash &#35; ✂ café | 2026-03-05T08:01:02Z |
| $folder | plain | 2026-03-05T08:01:02Z |


h5. Reported emails

|_.Folder|_.Subject|_.Date|_.Reported on|
| PLACEHOLDER | PLACEHOLDER | PLACEHOLDER | PLACEHOLDER |

h5. Emails moved to applicable folders

|_.Folder|_.Subject|_.Date|
| PLACEHOLDER | PLACEHOLDER | PLACEHOLDER |

h5. Deleted emails

|_.Folder|_.Subject|_.Date|
| PLACEHOLDER | PLACEHOLDER | PLACEHOLDER |
EOF2
sed -E 's/^\| Report generated \| [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} \|$/| Report generated | MASKED |/' "$report" >"$tmp/masked"
check "Textile report byte for byte (time masked), subjects decoded and cleaned" cmp -s "$tmp/masked" "$tmp/expected"
[ $checks_failed -eq 0 ] || diff "$tmp/masked" "$tmp/expected"

size=$(stat -c %s "$report")
"$list" -config-file accounts.ini -ca-file "$CA_FILE" -pause 0 -report-file-dir output >/dev/null 2>&1
check "a second run in the same minute appends (O_APPEND, as check-mail)" test "$(stat -c %s "$report")" -ge $((size * 2 - 20))

start=$(date +%s)
"$list" -config-file accounts.ini -ca-file "$CA_FILE" -pause 2 -report-file-dir paused >/dev/null 2>&1
check "-pause 2 waits between the two accounts" test $(( $(date +%s) - start )) -ge 2

"$list" -config-file accounts.ini -ca-file "$CA_FILE" -pause 0 -format json -report-file-dir json >/dev/null 2>&1
check "-format json: a .json report that parses, with the decoded subject" python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d[\"total\"]==2; assert any(\"café\" in m[\"subject\"] for m in d[\"messages\"])" json/email1-emails-report-*.json
"$list" -config-file accounts.ini -ca-file "$CA_FILE" -pause 0 -format csv -report-file-dir csv -parallel 2 >"$tmp/out" 2>/dev/null
check "-format csv -parallel 2: a CSV report with a header and two rows [1/2]" test "$(wc -l <csv/email1-emails-report-*.csv)" = 3
check "-format csv -parallel 2: a CSV report with a header and two rows [2/2]" grep -qx 2 <(grep -c "^Checking account" "$tmp/out")

cat >"$tmp/oauth2.ini" <<EOF2
[DEFAULT]
auth_type = oauth2
server_name = $IMAP_HOST
server_port = $IMAPS_PORT
client_id = $CC_CLIENT_ID
client_secret = $CC_CLIENT_SECRET
scopes = $MAIL_SCOPE
endpoint_token_url = $OIDC_TOKEN_URL

[shared]
folders = "$folder"
shared_mailbox = $CC_MAILBOX
EOF2
"$list" -config-file oauth2.ini -ca-file "$CA_FILE" -pause 0 -report-file-dir oauth2 >"$tmp/out" 2>"$tmp/err"; rc=$?
check "oauth2 accounts.ini: a report for the shared mailbox, named by its local part [1/3]" test $rc -eq 0
check "oauth2 accounts.ini: a report for the shared mailbox, named by its local part [2/3]" grep -qx "OK: Successfully generated reports for accounts: ${CC_MAILBOX%@*}" "$tmp/out"
check "oauth2 accounts.ini: a report for the shared mailbox, named by its local part [3/3]" grep -q "| $folder | for alice |" oauth2/shared-emails-report-*.txt

"$list" -config-file accounts.ini -ca-file "$CA_FILE" -pause 0 -report-file-dir traced -log-level trace \
  >"$tmp/out" 2>"$tmp/err"
check "-log-level debug/trace: each account's steps and the dialogue on stderr, LOGIN redacted [1/4]" grep -q "Connecting to server server=$IMAP_HOST port=$IMAPS_PORT" "$tmp/err"
check "-log-level debug/trace: each account's steps and the dialogue on stderr, LOGIN redacted [2/4]" grep -q "Messages found account=email1 mailbox=$folder messages=2" "$tmp/err"
check "-log-level debug/trace: each account's steps and the dialogue on stderr, LOGIN redacted [3/4]" grep -q "LOGIN $USER2 <redacted [0-9]* bytes> dir=C" "$tmp/err"
check "-log-level debug/trace: each account's steps and the dialogue on stderr, LOGIN redacted [4/4]" not grep -qF "$USER2_PASSWORD" "$tmp/err"

"$list" -config-file missing.ini >"$tmp/out" 2>"$tmp/err"; rc=$?
check "a missing accounts.ini: non-zero exit naming it [1/2]" test $rc -ne 0
check "a missing accounts.ini: non-zero exit naming it [2/2]" grep -q "missing.ini" "$tmp/err"
"$list" -parallel 0 >"$tmp/out" 2>"$tmp/err"; rc=$?
check "-parallel 0: refused" test $rc -ne 0
finish
