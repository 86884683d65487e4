#!/usr/bin/env bash
# Legacy clients through the relay, as devices on a LAN use it: swaks, curl
# and Python's smtplib over plain SMTP from a trusted network, STARTTLS and
# implicit TLS (a private CA made for the run), AUTH PLAIN and LOGIN as a relay
# user from an untrusted address, clear-text AUTH where a listener allows it;
# SIGHUP's reload of the users; and the refusals: AUTH without TLS, another
# tenant's sender, an untrusted client without AUTH, a sender with no route.
# The spooled content is what the client sent plus one Received: header.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "${BASH_SOURCE%/*}/relay_lib.sh"

mkdir "$work/tls"
bash "$here/../../integration/net/make_test_certificates.sh" "$work/tls" >/dev/null 2>&1
ca=$work/tls/ca.crt

# "lan" trusts 127.0.0.1; "auth" trusts nobody (10.99.0.0/16 is not us), so
# its clients must log in: the test's untrusted network.
cat >"$work/relay.toml" <<TOML
hostname = "relay.test"
spool_directory = "$work/spool"
users_file = "$work/users"
greeting_pause_ms = 100
[listeners.lan]
port = 0
clients = ["127.0.0.1"]
tls = "starttls"
certificate = "$work/tls/first.crt"
key = "$work/tls/first.key"
[listeners.auth]
port = 0
clients = ["10.99.0.0/16"]
tls = "starttls"
certificate = "$work/tls/first.crt"
key = "$work/tls/first.key"
[listeners.old]
port = 0
clients = ["10.99.0.0/16"]
allow_plaintext_auth = true
[listeners.smtps]
port = 0
clients = ["127.0.0.1"]
tls = "implicit"
certificate = "$work/tls/first.crt"
key = "$work/tls/first.key"
[routes.contoso]
senders = ["contoso.com"]
account = "contoso"
[routes.fabrikam]
senders = ["fabrikam.com"]
account = "fabrikam"
TOML
printf '%s' 'scanner-password-1' |
  "$mailoauth_bin" relay --config "$work/relay.toml" user add scanner --sender contoso.com >/dev/null
check "the users file is private (0600)" test "$(stat -c %a "$work/users")" = 600
check "the users file holds an Argon2id hash, not the password" grep -q 'argon2id' "$work/users"
check "the password itself is not in it" not grep -q 'scanner-password-1' "$work/users"
start_relay "$work/relay.toml" "$work/relay.log" || exit 1
lan=$(port_of "$work/relay.log" lan)
auth=$(port_of "$work/relay.log" auth)
smtps=$(port_of "$work/relay.log" smtps)
old=$(port_of "$work/relay.log" old)

# A message with a fixed body, so the spooled copy can be compared byte for byte.
printf 'From: printer@contoso.com\r\nTo: boss@example.com\r\nSubject: scan 1\r\nMessage-ID: <scan1@contoso.test>\r\n\r\nPage one.\r\n..a line that starts with a dot\r\n\r\n' >"$work/message.eml"

# spooled_with MESSAGE-ID: the spool file holding that Message-ID.
spooled_with() { grep -l -F "Message-ID: <$1>" "$work"/spool/queue/* 2>/dev/null | head -1; }

# same_as_sent ID FILE: the content is the Received header, then FILE exactly
# (smtplib and curl send the file as it is; dot-unstuffing is the relay's job).
same_as_sent() {
  local file
  file=$(spooled_with "$1") || return 1
  [ -n "$file" ] || return 1
  spooled_content "$file" >"$work/got"
  head -c 9 "$work/got" | grep -q '^Received:' || return 1
  # Drop the header (its lines: "Received:" and the tab-folded ones).
  python3 - "$work/got" "$2" <<'PY'
import sys
got = open(sys.argv[1], "rb").read()
sent = open(sys.argv[2], "rb").read()
end = got.index(b"\r\n", got.index(b"+0000"))  # the header ends after its date
sys.exit(0 if got[end + 2:] == sent else 1)
PY
}

sed 's/scan1@/smtplib-plain@/' "$work/message.eml" >"$work/m1.eml"
check "smtplib over plain SMTP from the trusted network" \
  python3 "$here/smtp_probe.py" smtplib 127.0.0.1 "$lan" plain printer@contoso.com boss@example.com "$work/m1.eml"
check "its spooled content is the Received header plus the message, byte for byte" \
  same_as_sent smtplib-plain@contoso.test "$work/m1.eml"
check "the Received header names the client, the host and the queue id" \
  grep -qE '^Received: from smtplib.test \(\[127\.0\.0\.1\]\)' "$work/got"

sed 's/scan1@/curl-plain@/' "$work/message.eml" >"$work/m2.eml"
check "curl over plain SMTP" curl -sS --max-time 10 "smtp://127.0.0.1:$lan" \
  --mail-from printer@contoso.com --mail-rcpt boss@example.com --upload-file "$work/m2.eml"
check "curl's message spooled byte for byte" same_as_sent curl-plain@contoso.test "$work/m2.eml"

check "swaks over plain SMTP" swaks -S 1 --server "127.0.0.1:$lan" --from printer@contoso.com \
  --to boss@example.com --header "Message-ID: <swaks-plain@contoso.test>" --body "plain"
check "swaks's message is in the spool" test -n "$(spooled_with swaks-plain@contoso.test)"

sed 's/scan1@/smtplib-starttls@/' "$work/message.eml" >"$work/m3.eml"
check "smtplib with STARTTLS (verifying the relay's certificate)" \
  python3 "$here/smtp_probe.py" smtplib 127.0.0.1 "$lan" starttls printer@contoso.com boss@example.com "$work/m3.eml" "" "" "$ca"
check "STARTTLS message spooled byte for byte" same_as_sent smtplib-starttls@contoso.test "$work/m3.eml"
check "its Received header says ESMTPS" grep -q 'with ESMTPS id' "$work/got"

check "swaks with STARTTLS" swaks -S 1 -tls --server "127.0.0.1:$lan" --from printer@contoso.com \
  --to boss@example.com --header "Message-ID: <swaks-tls@contoso.test>" --body "tls"
check "curl with STARTTLS (--ssl-reqd, the test CA)" curl -sS --max-time 10 --ssl-reqd --cacert "$ca" \
  "smtp://127.0.0.1:$lan" --mail-from printer@contoso.com --mail-rcpt boss@example.com --upload-file "$work/m2.eml"

sed 's/scan1@/smtplib-implicit@/' "$work/message.eml" >"$work/m4.eml"
check "smtplib over implicit TLS (SMTP_SSL)" \
  python3 "$here/smtp_probe.py" smtplib 127.0.0.1 "$smtps" ssl printer@contoso.com boss@example.com "$work/m4.eml" "" "" "$ca"
check "implicit-TLS message spooled byte for byte" same_as_sent smtplib-implicit@contoso.test "$work/m4.eml"
check "curl over implicit TLS (smtps://)" curl -sS --max-time 10 --cacert "$ca" \
  "smtps://127.0.0.1:$smtps" --mail-from printer@contoso.com --mail-rcpt boss@example.com --upload-file "$work/m2.eml"
check "swaks over implicit TLS" swaks -S 1 --tlsc --server "127.0.0.1:$smtps" --from printer@contoso.com \
  --to boss@example.com --body "smtps"

# AUTH from an untrusted address.
sed 's/scan1@/auth-plain@/' "$work/message.eml" >"$work/m5.eml"
check "swaks AUTH PLAIN after STARTTLS as the relay user" swaks -S 1 -tls --server "127.0.0.1:$auth" \
  -a PLAIN -au scanner -ap scanner-password-1 --from printer@contoso.com --to boss@example.com \
  --header "Message-ID: <auth-plain@contoso.test>" --body "auth plain"
check "swaks AUTH LOGIN after STARTTLS" swaks -S 1 -tls --server "127.0.0.1:$auth" \
  -a LOGIN -au scanner -ap scanner-password-1 --from printer@contoso.com --to boss@example.com \
  --header "Message-ID: <auth-login@contoso.test>" --body "auth login"
check "smtplib login (STARTTLS)" python3 "$here/smtp_probe.py" smtplib 127.0.0.1 "$auth" starttls \
  printer@contoso.com boss@example.com "$work/m5.eml" scanner scanner-password-1 "$ca"
check "the authenticated message records its user" grep -q '^user scanner$' "$(spooled_with auth-login@contoso.test)"
check "its Received header says ESMTPSA" grep -q 'with ESMTPSA' "$(spooled_with auth-login@contoso.test)"
output=$(swaks -S 1 -tls --server "127.0.0.1:$auth" -a PLAIN -au scanner -ap wrong-password \
  --from printer@contoso.com --to boss@example.com 2>&1)
check "a wrong password is refused (535 5.7.8)" matches "$output" '535 5\.7\.8'
check "AUTH before TLS is neither offered nor accepted (538 5.7.11)" \
  python3 "$here/smtp_probe.py" auth-needs-tls "$auth"
output=$(swaks -tls --server "127.0.0.1:$auth" -a PLAIN -au scanner -ap scanner-password-1 \
  --from ceo@fabrikam.com --to boss@example.com 2>&1)
check "another tenant's sender is refused at MAIL FROM (550 5.7.1)" matches "$output" '550 5\.7\.1 Sender address'
check "an untrusted client without AUTH is refused at MAIL FROM (530)" \
  python3 "$here/smtp_probe.py" expect-mail-refused "$auth" printer@contoso.com 530
output=$(python3 "$here/smtp_probe.py" expect-mail-refused "$lan" someone@unrouted.example 550)
check "a sender with no route is refused at MAIL FROM" test $? -eq 0
check "with a sentence saying why" matches "$output" '550 5\.7\.1 No route for sender'
# SIGHUP: a user added while the relay runs can log in after the reload.
printf '%s' 'late-user-password' |
  "$mailoauth_bin" relay --config "$work/relay.toml" user add late --sender contoso.com >/dev/null
kill -HUP "$relay_pid"
for _ in $(seq 50); do  # up to 5 s for the reload's log line
  grep -q 'relay users reloaded' "$work/relay.log" && break
  sleep 0.1
done
check "SIGHUP reloads the relay users" grep -q 'msg="SIGHUP: relay users reloaded" users=2' "$work/relay.log"
check "the new user can log in and send" swaks -S 1 -tls --server "127.0.0.1:$auth" \
  -a PLAIN -au late -ap late-user-password --from late@contoso.com --to boss@example.com --body "late"
check "a listener with allow_plaintext_auth takes AUTH without TLS (old devices)" \
  swaks -S 1 --server "127.0.0.1:$old" -a LOGIN -au scanner -ap scanner-password-1 \
  --from printer@contoso.com --to boss@example.com --body "old device"
check "and logs it loudly" grep -q 'level=warn msg="AUTH over clear text' "$work/relay.log"
check "commands pipelined after STARTTLS end the session (CVE-2011-0411)" \
  python3 "$here/smtp_probe.py" starttls-injection "$lan"
check "the injected command was not acted on" not grep -q 'injected@contoso.com' "$work/relay.log" "$work"/spool/queue/*
check "the injection attempt is logged" grep -q 'pipelined after STARTTLS' "$work/relay.log"
check "one 'received' log line per message, keyed by queue id" \
  test "$(grep -c 'msg=received queue_id=' "$work/relay.log")" -eq "$(queued_count "$work/spool")"
check "no password in the log" not grep -q 'scanner-password-1' "$work/relay.log"
check "SIGTERM: exit 0" stop_relay
finish
