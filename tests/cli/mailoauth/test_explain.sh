#!/usr/bin/env bash
# `mailoauth explain` as a user runs it: the issue's examples, one or more
# exact texts of each catalogue (SMTP, IMAP, Graph, OAuth, AADSTS) with the
# entry, remedy and class/exit code shown; a bare status listing several
# candidates, ranked; --json for scripts; "not in the catalogue" with exit 1
# and what to paste instead (an unknown AADSTS number named); hostile input
# (1 MB, binary, CR/LF, escape sequences) bounded and escaped; stdin with -;
# usage (nothing given: 64); docs/errors.md is exactly `--list --markdown`;
# and `mailoauth --help` lists the command.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
m="$MAILOAUTH_BIN_DIR/mailoauth"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

explains() {  # ID TEXT...: exit 0, the first match is ID
  local id=$1
  shift
  "$m" explain "$@" >"$tmp/out" 2>"$tmp/err" || { show "$tmp/err"; return 1; }
  [ "$(sed -n 's/^1\. \([^ ]*\) .*/\1/p' "$tmp/out")" = "$id" ] || { show "$tmp/out"; return 1; }
}

check "the tenant's 5.7.139: its entry first" explains smtp.client_auth_disabled_tenant \
  "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant"
check "... one entry, the one mailoauth reports" grep -qx "1 entry matches" "$tmp/out"
check "... with the PowerShell remedy" grep -qF "Set-TransportConfig -SmtpClientAuthenticationDisabled \$false" "$tmp/out"
check "... and its class: exit 69, Nagios CRITICAL, no retry" grep -qF "Class:   permanent: mailoauth exits 69, Nagios CRITICAL, the relay does not retry" "$tmp/out"
check "AADSTS7000215: the wrong secret" explains aadsts.7000215 AADSTS7000215
check "... the remedy names the secret's Value" grep -qF "use the secret's Value" "$tmp/out"
check "invalid_grant" explains oauth.invalid_grant invalid_grant
check "IMAP: authenticated but not connected" explains imap.text.user_is_authenticated_but_not_connected \
  "BAD User is authenticated but not connected."
check "... names FullAccess" grep -qF "Add-MailboxPermission" "$tmp/out"
check "IMAP: Exchange's codeless AUTHENTICATE failed" explains imap.text.authenticate_failed "A1 NO AUTHENTICATE failed."
check "IMAP: [AUTHENTICATIONFAILED]" explains imap.code.authenticationfailed "[AUTHENTICATIONFAILED]"
check "Graph: ErrorAccessDenied" explains graph.ErrorAccessDenied ErrorAccessDenied
check "Graph: a whole body with the access policy" explains graph.ErrorAccessDenied.accesspolicy \
  '{"error":{"code":"ErrorAccessDenied","message":"Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings."}}'
check "Graph: throttling by mailbox concurrency" explains graph.ApplicationThrottled.mailboxconcurrency \
  "Application is over its MailboxConcurrency limit."
check "Entra's JSON body: the AADSTS number first" explains aadsts.7000222 \
  '{"error":"invalid_client","error_description":"AADSTS7000222: The provided client secret keys for app are expired.","error_codes":[7000222]}'
check "... then the OAuth error" grep -q "^2\. oauth.invalid_client " "$tmp/out"
check "5.7.3: Exchange's token refusal" explains smtp.authentication_unsuccessful 5.7.3
check "Gmail's two-line 535, as separate words" explains smtp.gmail_bad_credentials \
  535-5.7.8 Username and Password not accepted.
check "SendAs in a 5.2.0 STOREDRV reply is not a quota" explains smtp.send_as_denied_submission \
  "554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied"
check "a Temporary entry says exit 75 and retry" explains smtp.concurrent_connections "432 4.3.2 Concurrent connections limit exceeded"
check "... exits 75, retried" grep -qF "temporary: mailoauth exits 75, Nagios CRITICAL, the relay retries later" "$tmp/out"

"$m" explain 5.7.139 >"$tmp/out" 2>"$tmp/err"; rc=$?
check "5.7.139 alone: several candidates, ranked [1/3]" test $rc -eq 0
check "5.7.139 alone: several candidates, ranked [2/3]" grep -q "^5 entries match, the most likely first$" "$tmp/out"
check "5.7.139 alone: several candidates, ranked [3/3]" grep -q "^1\. smtp.tenant_policy " "$tmp/out" || show "$tmp/out"

"$m" explain --json "535 5.7.3 Authentication unsuccessful" >"$tmp/out"; rc=$?
check "--json: exit 0" test $rc -eq 0
check "--json: the entry, its class, exit code, remedy" python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
m = o["matches"][0]
assert o["found"] and m["id"] == "smtp.authentication_unsuccessful" and m["used_by_mailoauth"]
assert m["class"] == "permanent" and m["exit_code"] == 69 and m["nagios_state"] == "CRITICAL"
assert "ENTERPRISE APPLICATION" in m["remedy"]' "$tmp/out" || show "$tmp/out"

"$m" explain "hello, is this an error" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "not in the catalogue: exit 1" test $rc -eq 1
check "not in the catalogue: says so and what to paste instead" grep -qF 'mailoauth: not in the catalogue: "hello, is this an error" (remedy: paste the server'"'"'s whole reply line' "$tmp/err" || show "$tmp/err"
check "not in the catalogue: nothing on stdout" test ! -s "$tmp/out"
"$m" explain AADSTS12345 >"$tmp/out" 2>"$tmp/err"; rc=$?
check "an unknown AADSTS number: exit 1, named, with Microsoft's lookup URL" grep -qF '"AADSTS12345" (AADSTS12345) (remedy: Microsoft explains it at https://login.microsoftonline.com/error?code=12345' "$tmp/err" || show "$tmp/err"
"$m" explain --json "nothing known" >"$tmp/out"; rc=$?
check "--json not found: exit 1, found false, a remedy" python3 -c '
import json, sys
o = json.load(open(sys.argv[1])); assert not o["found"] and o["matches"] == [] and o["remedy"]' "$tmp/out"
test $rc -eq 1 || echo "FAIL: exit $rc"

# Hostile input: a megabyte with NUL, CR/LF and a terminal escape, through stdin.
python3 -c 'import sys; sys.stdout.buffer.write(b"535 5.7.3 Authentication unsuccessful\r\n\x1b[2J\x00\xff" + b"A" * 1048576)' >"$tmp/hostile"
"$m" explain - <"$tmp/hostile" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "hostile stdin: still explained" test $rc -eq 0
check "hostile stdin: only the first 16384 bytes looked at, said so" grep -qF "(only the first 16384 of 1048621 bytes were looked at)" "$tmp/out" || show "$tmp/out"
check "hostile stdin: no escape character or NUL reaches the terminal" not grep -qP '[\x00\x1b]' "$tmp/out" "$tmp/err"
"$m" explain "$(printf 'x\033[31mred\r\nSmtpClientAuthentication')" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "an escape sequence in a not-found text is shown escaped" grep -qF 'x\x1b[31mred\r\nSmtpClientAuthentication' "$tmp/err" || { show "$tmp/out"; show "$tmp/err"; }
"$m" explain --json - <"$tmp/hostile" >"$tmp/out"; rc=$?
check "hostile --json is valid JSON (invalid UTF-8 replaced)" python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); assert o["truncated"]' "$tmp/out"

"$m" explain >"$tmp/out" 2>"$tmp/err"; rc=$?
check "nothing to explain: usage, 64" test $rc -eq 64
check "nothing to explain: says what to give" grep -qF "explain needs the text to explain" "$tmp/err"
"$m" explain "   " >"$tmp/out" 2>"$tmp/err"; rc=$?
check "blank text: usage, 64" test $rc -eq 64

"$m" explain --list --markdown >"$tmp/errors.md"
check "docs/errors.md is exactly \`mailoauth explain --list --markdown\`" \
  cmp -s "$tmp/errors.md" "$MAILOAUTH_SOURCE_DIR/docs/errors.md" ||
  echo "  regenerate: mailoauth explain --list --markdown >docs/errors.md"
"$m" explain --list --json >"$tmp/list.json"
check "--list --json: every catalogue, 100+ entries" python3 -c '
import json, sys
e = json.load(open(sys.argv[1])); kinds = {x["catalogue"] for x in e}
assert kinds == {"smtp", "imap", "graph", "oauth", "aadsts"} and len(e) >= 100' "$tmp/list.json"
"$m" --help >"$tmp/out"
check "mailoauth --help lists explain" grep -q "^  explain TEXT" "$tmp/out"
"$m" explain --help >"$tmp/out"
check "explain --help shows examples and exit codes" grep -qF "1 not in the catalogue" "$tmp/out"

finish
