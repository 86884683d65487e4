#!/usr/bin/env bash
# The relay's per-route sender rewrite, end to end against the real stack: a
# device sends as "Scanner 3rd floor" <scanner@rewrite.test>; the route
# (rewrite_from, rewrite_envelope_from, keep_original_in_reply_to, account
# mailbox alice) delivers to Dovecot submission with XOAUTH2, and the message
# read back over IMAPS has From = the display name with alice's address,
# Reply-To = the original From, Return-Path = alice (MAIL FROM rewritten), and
# a body byte-identical to what the device sent (200 KB: several 64 KiB reads
# on the pool; lines starting with a dot; UTF-8). A route without rewrite
# keys delivers the From and the envelope sender as they came.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
source "${BASH_SOURCE%/*}/relay_lib.sh"
source "$MAILOAUTH_SOURCE_DIR/tests/stack/app_account.sh"

use_stack_app_secret
{
  stack_app_account app "$work/cc.secret"
  echo "ca_file = \"$CA_FILE\""
} >"$work/accounts.toml"
chmod 600 "$work/accounts.toml"
upstream="account = \"app\"
server = \"$SMTP_HOST\"
port = $SUBMISSION_PORT
tls = \"starttls\""
{
  relay_toml_head
  cat <<TOML
[routes.rewritten]
senders = ["rewrite.test"]
$upstream
rewrite_from = true
rewrite_envelope_from = true
keep_original_in_reply_to = true
[routes.kept]
senders = ["kept.test"]
$upstream
TOML
} >"$work/relay.toml"
output=$("$relay_bin" relay --config "$work/relay.toml" check-config 2>&1)
check "check-config says what the route rewrites" matches "$output" \
  'route rewritten: account app via smtp; rewrites From \(to the account mailbox\), MAIL FROM \(to the account mailbox\); Reply-To keeps the original'
check "... and nothing for a route without rewrite keys" matches "$output" 'route kept: account app via smtp'$'\n'
start_relay "$work/relay.toml" "$work/relay.log" || exit 1
port=$(port_of "$work/relay.log" lan)

# send FROM_HEADER ENVELOPE_FROM SUBJECT: one message; its body is written to $work/SUBJECT.body.
send() {
  python3 - "$port" "$1" "$2" "$3" "$USER1" "$work/$3.body" <<'PY'
import smtplib, sys
port, from_header, envelope_from, subject, rcpt, body_file = sys.argv[1:7]
lines = []
for n in range(2500):
    lines.append(f"line {n:05d} caf\u00e9 \u2014 the quick brown fox jumps over the lazy dog {n * 7919 % 10007}")
    if n % 100 == 0:
        lines.append(".a line that starts with a dot")
body = ("\r\n".join(lines) + "\r\n").encode()
open(body_file, "wb").write(body)
header = f"From: {from_header}\r\nTo: <{rcpt}>\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
with smtplib.SMTP("127.0.0.1", int(port), timeout=30) as s:
    s.sendmail(envelope_from, [rcpt], header.encode() + body, mail_options=["BODY=8BITMIME"])
PY
}
# fetch SUBJECT FILE: the message with SUBJECT from alice's INBOX (IMAPS), waiting 30 s at most.
fetch() {
  local uid=
  for _ in $(seq 150); do
    uid=$(curl -s --max-time 5 --cacert "$CA_FILE" -u "$USER1:$USER1_PASSWORD" \
      "imaps://$IMAP_HOST:$IMAPS_PORT/INBOX" -X "UID SEARCH SUBJECT \"$1\"" |
      sed -n 's/^\* SEARCH *//p' | tr -d '\r' | awk '{print $1}')
    [ -n "$uid" ] && break
    sleep 0.2
  done
  [ -n "$uid" ] || return 1
  curl -s --max-time 10 --cacert "$CA_FILE" -u "$USER1:$USER1_PASSWORD" \
    "imaps://$IMAP_HOST:$IMAPS_PORT/INBOX/;UID=$uid" -o "$2"
}
# header_of FILE NAME: the (unfolded) value of the first NAME field.
header_of() {
  python3 - "$1" "$2" <<'PY'
import email.parser, sys
message = email.parser.BytesParser().parse(open(sys.argv[1], "rb"), headersonly=True)
value = message.get(sys.argv[2])
print("" if value is None else " ".join(str(value).split()))
PY
}
# same_body FILE BODY_FILE: what follows the header of FILE equals BODY_FILE byte for byte.
same_body() {
  python3 - "$1" "$2" <<'PY'
import sys
message, body = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
sys.exit(0 if message.split(b"\r\n\r\n", 1)[1] == body else 1)
PY
}
mark() { echo "relayrewrite$$x$RANDOM$RANDOM"; }

subject=$(mark)
send '"Scanner 3rd floor" <scanner@rewrite.test>' scanner@rewrite.test "$subject"
check "the message of the rewriting route reaches alice" fetch "$subject" "$work/rewritten.eml"
check "From is alice's mailbox with the device's display name" \
  test "$(header_of "$work/rewritten.eml" From)" = "\"Scanner 3rd floor\" <$USER1>"
check "Reply-To holds the original From" \
  test "$(header_of "$work/rewritten.eml" Reply-To)" = '"Scanner 3rd floor" <scanner@rewrite.test>'
check "the envelope sender was rewritten too (Return-Path)" \
  test "$(header_of "$work/rewritten.eml" Return-Path)" = "<$USER1>"
check "the body is byte-identical to what the device sent (200 KB, dots, UTF-8)" \
  same_body "$work/rewritten.eml" "$work/$subject.body"
check "only one From and no second Reply-To" \
  test "$(grep -ci '^From:' "$work/rewritten.eml")$(grep -ci '^Reply-To:' "$work/rewritten.eml")" = 11

kept=$(mark)
send 'Printer <printer@kept.test>' printer@kept.test "$kept"
check "the message of a route without rewrite keys reaches alice" fetch "$kept" "$work/kept.eml"
check "... with its From as it came" \
  test "$(header_of "$work/kept.eml" From)" = 'Printer <printer@kept.test>'
check "... and no Reply-To added" test -z "$(header_of "$work/kept.eml" Reply-To)"
check "... and its envelope sender as it came" \
  test "$(header_of "$work/kept.eml" Return-Path)" = '<printer@kept.test>'
check "stopping the relay exits 0" stop_relay
[ "$checks_failed" -eq 0 ] || show "$work/relay.log"
finish
