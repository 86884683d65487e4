#!/usr/bin/env bash
# `mailoauth send` and sendmail mode as a user runs them, against the real
# stack: an app-only account sends through Dovecot submission (STARTTLS,
# XOAUTH2) and the message is then read back over IMAPS with the right
# headers (UTF-8 subject, attachment, no Bcc) and body; -v shows the dialogue
# with the token redacted; a refused recipient exits 69 naming it while the
# others get the message; sendmail mode with -t (Bcc removed) and as a
# program named sendmail with -oi -f; Microsoft Graph against the emulator
# (which checks the token at the real OAuth2 server); --transport auto falling
# back to Graph when an Exchange-like server refuses SMTP AUTH with 5.7.139; a
# message that cannot be sent is kept (0600) and the exit code says "try later";
# usage errors exit 64.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
source "$MAILOAUTH_SOURCE_DIR/tests/stack/app_account.sh"
m="$MAILOAUTH_BIN_DIR/mailoauth"
tmp=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
export MAILOAUTH_CONFIG="$tmp/config.toml" MAILOAUTH_STATE_DIR="$tmp/state"
printf '%s\n' "$CC_CLIENT_SECRET" >"$tmp/cc.secret"; chmod 600 "$tmp/cc.secret"
printf '%s\n' "$INTROSPECT_CLIENT_SECRET" >"$tmp/introspect.secret"

# The Graph emulator and the Exchange-like refusing SMTP server.
"$NODE" "$MAILOAUTH_SOURCE_DIR/tests/graph_emulator/graph_emulator.mjs" "$OIDC_INTROSPECT_URL" \
  "$INTROSPECT_CLIENT_ID" "$tmp/introspect.secret" "$tmp/outbox" >"$tmp/graph.log" 2>&1 &
"$NODE" "$MAILOAUTH_SOURCE_DIR/tests/peers/exchange_smtp_refusal.mjs" >"$tmp/exchange.log" 2>&1 &
for _ in $(seq 100); do
  grep -q listening "$tmp/graph.log" && grep -q listening "$tmp/exchange.log" && break
  sleep 0.1
done
graph_port=$(sed -n 's/^graph emulator listening on \([0-9]*\).*/\1/p' "$tmp/graph.log")
exchange_port=$(sed -n 's/^exchange refusal listening on \([0-9]*\).*/\1/p' "$tmp/exchange.log")
[ -n "$graph_port" ] && [ -n "$exchange_port" ] || { show "$tmp/graph.log"; show "$tmp/exchange.log"; exit 1; }

{
echo 'default_account = "app"'
stack_app_account app "$tmp/cc.secret"
cat <<EOF
smtp_server = "$SMTP_HOST"
smtp_port = $SUBMISSION_PORT
smtp_tls = "starttls"
ca_file = "$CA_FILE"
graph_url = "http://127.0.0.1:$graph_port"

EOF
stack_app_account tenant "$tmp/cc.secret"
cat <<EOF
smtp_server = "127.0.0.1"
smtp_port = $exchange_port
smtp_tls = "none"
transport = "auto"
graph_url = "http://127.0.0.1:$graph_port"

EOF
stack_app_account down "$tmp/cc.secret"
cat <<EOF
smtp_server = "127.0.0.1"
smtp_port = 1
EOF
} >"$tmp/config.toml"
chmod 600 "$tmp/config.toml"

# The message with `subject` in alice's (or $2's) INBOX, over IMAPS; empty when absent.
fetch() {
  local user=${2:-$USER1} password=${3:-$USER1_PASSWORD} n=""
  for _ in $(seq 50); do
    n=$(curl -s --max-time 5 --cacert "$CA_FILE" -u "$user:$password" \
          "imaps://$IMAP_HOST:$IMAPS_PORT/INBOX" -X "SEARCH SUBJECT $1" | sed -n 's/^\* SEARCH \([0-9]*\).*/\1/p')
    [ -n "$n" ] && break
    sleep 0.2
  done
  [ -n "$n" ] && curl -s --max-time 5 --cacert "$CA_FILE" -u "$user:$password" \
    "imaps://$IMAP_HOST:$IMAPS_PORT/INBOX;MAILINDEX=$n"
}
marker() { echo "clisend$$x$RANDOM$RANDOM"; }

# --- a built message over SMTP ---------------------------------------------------
k=$(marker)
printf 'quarterly numbers\n' >"$tmp/report.csv"
"$m" -v send --to "Alice <$USER1>" --bcc "$USER2" --subject "Grüße $k" \
  --body "Hallo Welt, äöü" --attach "$tmp/report.csv" >"$tmp/out" 2>"$tmp/err"; rc=$?
token=$("$m" token get app)
check "send exits 0 and prints the message id, the server and the queue id [1/2]" test $rc -eq 0
check "send exits 0 and prints the message id, the server and the queue id [2/2]" grep -Eq "^sent <[^>]+> to 2 recipients via smtp 127.0.0.1:$SUBMISSION_PORT \(TLS, XOAUTH2\): 250 .*queued as" "$tmp/out" || { show "$tmp/out"; show "$tmp/err"; }
check "-v shows the SMTP dialogue with the token redacted [1/4]" grep -q "smtp C: STARTTLS" "$tmp/err"
check "-v shows the SMTP dialogue with the token redacted [2/4]" grep -q "smtp C: AUTH XOAUTH2 <redacted" "$tmp/err"
check "-v shows the SMTP dialogue with the token redacted [3/4]" not grep -qF -e "$token" "$tmp/err"
check "-v shows the SMTP dialogue with the token redacted [4/4]" not grep -qF -e "$(printf "user=%s\001auth=Bearer %s\001\001" "$USER1" "$token" | base64 -w0)" "$tmp/err"
fetch "$k" >"$tmp/alice.eml"
check "alice got it: UTF-8 subject encoded, the attachment, the body, no Bcc [1/5]" grep -q "^Subject: =?UTF-8?" "$tmp/alice.eml"
check "alice got it: UTF-8 subject encoded, the attachment, the body, no Bcc [2/5]" grep -q "filename=\"\?report.csv" "$tmp/alice.eml"
check "alice got it: UTF-8 subject encoded, the attachment, the body, no Bcc [3/5]" grep -qi "^Content-Type: text/csv" "$tmp/alice.eml"
check "alice got it: UTF-8 subject encoded, the attachment, the body, no Bcc [4/5]" not grep -qi "^Bcc" "$tmp/alice.eml"
check "alice got it: UTF-8 subject encoded, the attachment, the body, no Bcc [5/5]" not grep -qF "$USER2" "$tmp/alice.eml" || show "$tmp/alice.eml"
fetch "$k" "$USER2" "$USER2_PASSWORD" >"$tmp/bob.eml"
check "bob (Bcc) got it too, without a Bcc header [1/2]" test -s "$tmp/bob.eml"
check "bob (Bcc) got it too, without a Bcc header [2/2]" not grep -qi "^Bcc" "$tmp/bob.eml"

# --- a refused recipient ------------------------------------------------------------
k=$(marker)
"$m" send --to "$USER1,$REFUSED_RECIPIENT" --subject "$k" --body x >"$tmp/out" 2>"$tmp/err"; rc=$?
check "one refused recipient: exit 69, named with the server's words; the other got it [1/3]" test $rc -eq 69
check "one refused recipient: exit 69, named with the server's words; the other got it [2/3]" grep -q "refused recipient $REFUSED_RECIPIENT: 550 5.1.1" "$tmp/err"
check "one refused recipient: exit 69, named with the server's words; the other got it [3/3]" test -n "$(fetch "$k" | head -c1)" || { show "$tmp/out"; show "$tmp/err"; }

# --- sendmail mode --------------------------------------------------------------------
k=$(marker)
printf 'From: Cron Daemon <%s>\nTo: %s\nBcc: %s\nSubject: %s\n\nbody line\n.hidden dot line\n' \
  "$USER1" "$USER1" "$USER2" "$k" | "$m" sendmail -t -i >"$tmp/out" 2>"$tmp/err"; rc=$?
check "mailoauth sendmail -t -i: exit 0" test $rc -eq 0 || { show "$tmp/out"; show "$tmp/err"; }
fetch "$k" >"$tmp/cron.eml"
check "sendmail -t: delivered with the dot line, Bcc removed, Date and Message-ID added [1/4]" grep -q "^\.hidden dot line" "$tmp/cron.eml"
check "sendmail -t: delivered with the dot line, Bcc removed, Date and Message-ID added [2/4]" not grep -qi "^Bcc" "$tmp/cron.eml"
check "sendmail -t: delivered with the dot line, Bcc removed, Date and Message-ID added [3/4]" grep -qi "^Message-ID: <" "$tmp/cron.eml"
check "sendmail -t: delivered with the dot line, Bcc removed, Date and Message-ID added [4/4]" grep -qi "^Date: " "$tmp/cron.eml" || show "$tmp/cron.eml"
check "sendmail -t: the Bcc recipient got it" test -n "$(fetch "$k" "$USER2" "$USER2_PASSWORD" | head -c1)"
ln -s "$(cd "$MAILOAUTH_BIN_DIR" && pwd)/mailoauth-send" "$tmp/sendmail"
k=$(marker)
printf 'Subject: %s\n\nfirst\n.\nafter the dot\n' "$k" | "$tmp/sendmail" -oi -f "$USER1" "$USER1" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "as /usr/sbin/sendmail with -oi -f and a recipient argument: exit 0, the line after the lone dot kept [1/2]" test $rc -eq 0
check "as /usr/sbin/sendmail with -oi -f and a recipient argument: exit 0, the line after the lone dot kept [2/2]" grep -q "^after the dot" <(fetch "$k") || { show "$tmp/out"; show "$tmp/err"; }
k=$(marker)
printf 'Subject: %s\n\nfirst\n.\nnot sent\n' "$k" | "$tmp/sendmail" "$USER1" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "without -i a lone dot ends the message (sendmail's rule) [1/4]" test $rc -eq 0
fetch "$k" >"$tmp/dot.eml"
check "without -i a lone dot ends the message (sendmail's rule) [2/4]" test -s "$tmp/dot.eml"
check "without -i a lone dot ends the message (sendmail's rule) [3/4]" grep -q "^first" "$tmp/dot.eml"
check "without -i a lone dot ends the message (sendmail's rule) [4/4]" not grep -q "not sent" "$tmp/dot.eml"
"$m" sendmail -bp </dev/null >"$tmp/out" 2>"$tmp/err"; rc=$?
check "sendmail -bp: exit 64, says sendmail mode only sends [1/2]" test $rc -eq 64
check "sendmail -bp: exit 64, says sendmail mode only sends [2/2]" grep -q "only sends" "$tmp/err"

# --- Microsoft Graph ---------------------------------------------------------------------
k=$(marker)
"$m" send --transport graph --to "$USER2" --subject "$k" --body "via Graph" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "--transport graph: exit 0, 202 from the emulator, the message in its outbox [1/3]" test $rc -eq 0
check "--transport graph: exit 0, 202 from the emulator, the message in its outbox [2/3]" grep -q "via graph http://127.0.0.1:$graph_port (mailbox $USER1): 202 Accepted" "$tmp/out"
check "--transport graph: exit 0, 202 from the emulator, the message in its outbox [3/3]" grep -rlq "$k" "$tmp/outbox" || { show "$tmp/out"; show "$tmp/err"; }
k=$(marker)
"$m" send --account tenant --allow-plaintext-auth --to "$USER2" --subject "$k" --body "auto" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "--transport auto: 5.7.139 from SMTP, then Graph, saying so [1/5]" test $rc -eq 0
check "--transport auto: 5.7.139 from SMTP, then Graph, saying so [2/5]" grep -q "5.7.139" "$tmp/err"
check "--transport auto: 5.7.139 from SMTP, then Graph, saying so [3/5]" grep -q "trying Microsoft Graph instead" "$tmp/err"
check "--transport auto: 5.7.139 from SMTP, then Graph, saying so [4/5]" grep -q "via graph" "$tmp/out"
check "--transport auto: 5.7.139 from SMTP, then Graph, saying so [5/5]" grep -rlq "$k" "$tmp/outbox" || { show "$tmp/out"; show "$tmp/err"; }
"$m" send --account tenant --transport smtp --allow-plaintext-auth --to "$USER2" --subject x --body y >"$tmp/out" 2>"$tmp/err"; rc=$?
check "--transport smtp against the same server: exit 69 with the Set-CASMailbox remedy [1/3]" test $rc -eq 69
check "--transport smtp against the same server: exit 69 with the Set-CASMailbox remedy [2/3]" grep -q "SmtpClientAuthentication" "$tmp/err"
check "--transport smtp against the same server: exit 69 with the Set-CASMailbox remedy [3/3]" grep -q "Set-TransportConfig\|Set-CASMailbox" "$tmp/err" || show "$tmp/err"

# --- failures -------------------------------------------------------------------------------
"$m" send --server 127.0.0.1 --port 1 --to "$USER1" --subject kept --body "keep me" >"$tmp/out" 2>"$tmp/err"; rc=$?
kept=$(sed -n 's/^mailoauth: the message was kept in //p' "$tmp/err")
check "connection refused: exit 75 (try later), the message kept 0600 [1/5]" test $rc -eq 75
check "connection refused: exit 75 (try later), the message kept 0600 [2/5]" test -f "$kept"
check "connection refused: exit 75 (try later), the message kept 0600 [3/5]" test "$(stat -c %a "$kept")" = 600
check "connection refused: exit 75 (try later), the message kept 0600 [4/5]" grep -q "keep me" "$kept"
check "connection refused: exit 75 (try later), the message kept 0600 [5/5]" grep -q "^X-Mailoauth-Envelope-To: $USER1" "$kept" || show "$tmp/err"
printf 'From: %s\nTo: %s\nSubject: cron output\n\nkeep me too\n' "$USER1" "$USER1" |
  MAILOAUTH_ACCOUNT=down "$m" sendmail -t >"$tmp/out" 2>"$tmp/err"; rc=$?
kept=$(sed -n 's/^mailoauth: the message was kept in //p' "$tmp/err")
check "sendmail mode, server down: exit 75 and the message kept (MAILOAUTH_ACCOUNT chose the account) [1/3]" test $rc -eq 75
check "sendmail mode, server down: exit 75 and the message kept (MAILOAUTH_ACCOUNT chose the account) [2/3]" test -f "$kept"
check "sendmail mode, server down: exit 75 and the message kept (MAILOAUTH_ACCOUNT chose the account) [3/3]" grep -q "keep me too" "$kept" || show "$tmp/err"
"$m" send --insecure --server 127.0.0.1 --port 1 --to "$USER1" --subject x --body y >"$tmp/out" 2>"$tmp/err"; rc=$?
check "--insecure says loudly that verification is off" grep -q "verification is OFF" "$tmp/err" || show "$tmp/err"
"$m" send --tls none --to "$USER1" --subject x --body y >"$tmp/out" 2>"$tmp/err"; rc=$?
check "no AUTH over plain text: exit 78 naming --tls [1/2]" test $rc -eq 78
check "no AUTH over plain text: exit 78 naming --tls [2/2]" grep -q "unencrypted" "$tmp/err" || show "$tmp/err"
"$m" send --to "$USER1" --subject x --body y --bogus >"$tmp/out" 2>"$tmp/err"; rc=$?
check "unknown option: exit 64" test $rc -eq 64
"$m" send --account nosuch --to "$USER1" --body y >"$tmp/out" 2>"$tmp/err"; rc=$?
check "unknown account: exit 78, the known ones named [1/2]" test $rc -eq 78
check "unknown account: exit 78, the known ones named [2/2]" grep -q "app" "$tmp/err"
"$m" send --server 127.0.0.1 --port 1 --dry-run --to "Bob <$USER2>" --bcc "$USER1" --subject "dry" --body z >"$tmp/out" 2>"$tmp/err"; rc=$?
check "--dry-run prints the envelope and the message, connects to nothing [1/4]" test $rc -eq 0
check "--dry-run prints the envelope and the message, connects to nothing [2/4]" grep -q "^envelope to:   <$USER1>" "$tmp/out"
check "--dry-run prints the envelope and the message, connects to nothing [3/4]" grep -q "^Subject: dry" "$tmp/out"
check "--dry-run prints the envelope and the message, connects to nothing [4/4]" not grep -qi "^Bcc" "$tmp/out" || show "$tmp/out"
"$m" send --dry-run --envelope-from bounces@example.test --reply-to "Help <help@example.test>" \
  --to "$USER2" --subject r --body z >"$tmp/out" 2>"$tmp/err"; rc=$?
check "--envelope-from sets MAIL FROM only; --reply-to is a header [1/4]" test $rc -eq 0
check "--envelope-from sets MAIL FROM only; --reply-to is a header [2/4]" grep -q "^envelope from: <bounces@example.test>" "$tmp/out"
check "--envelope-from sets MAIL FROM only; --reply-to is a header [3/4]" grep -q "^From: .*$USER1" "$tmp/out"
check "--envelope-from sets MAIL FROM only; --reply-to is a header [4/4]" grep -qi "^Reply-To: Help <help@example.test>" "$tmp/out" || show "$tmp/out"
"$m" send --help >"$tmp/out" 2>&1
check "send --help explains the account defaults and exit codes [1/2]" grep -q "smtp.office365.com:587" "$tmp/out"
check "send --help explains the account defaults and exit codes [2/2]" grep -q "Exit codes" "$tmp/out"
finish
