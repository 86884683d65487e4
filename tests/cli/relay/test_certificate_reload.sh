#!/usr/bin/env bash
# SIGHUP reloads the listeners' TLS certificates without dropping a session
# (docs/relay.md, "Signals"): a client in a STARTTLS session that began with
# the first certificate (CN first.test) stays connected across the reload
# and its message still gets 250; a new session after the reload is given
# the second certificate (CN second.test), on the STARTTLS listener and the
# implicit-TLS one; a certificate file that no longer loads is logged and
# the one in use stays. Each client verifies the chain against the test CA
# and reads the CN it got. At SIGTERM, an idle session on either listener is
# told 421 4.3.2 inside its TLS session. No stack needed.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "${BASH_SOURCE%/*}/relay_lib.sh"

mkdir "$work/tls"
bash "$here/../../integration/net/make_test_certificates.sh" "$work/tls" >/dev/null 2>&1
cp "$work/tls/first.crt" "$work/tls/listener.crt"
cp "$work/tls/first.key" "$work/tls/listener.key"
printf '# no accounts: every route defers its mail\n' >"$work/accounts.toml"
{
  relay_toml_head
  cat <<TOML
tls = "starttls"
certificate = "$work/tls/listener.crt"
key = "$work/tls/listener.key"
[listeners.smtps]
port = 0
clients = ["127.0.0.1"]
tls = "implicit"
certificate = "$work/tls/listener.crt"
key = "$work/tls/listener.key"
[routes.contoso]
senders = ["contoso.com"]
account = "contoso"
TOML
} >"$work/relay.toml"
start_relay "$work/relay.toml" "$work/relay.log" || exit 1
lan=$(port_of "$work/relay.log" lan)
smtps=$(port_of "$work/relay.log" smtps)

python3 - "$lan" "$smtps" "$relay_pid" "$work" >"$work/client.out" 2>&1 <<'PY'
import os, shutil, signal, smtplib, ssl, sys, time
lan, smtps, pid, work = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
context = ssl.create_default_context(cafile=f"{work}/tls/ca.crt")
def common_name(sock):
    return dict(item[0] for item in sock.getpeercert()["subject"])["commonName"]
def wait_log(text, seconds=10):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with open(f"{work}/relay.log") as log:
            if log.read().count(text) >= wait_log.seen.get(text, 0) + 1:
                wait_log.seen[text] = wait_log.seen.get(text, 0) + 1
                return True
        time.sleep(0.1)
    return False
wait_log.seen = {}
def new_session_cn(port, implicit):
    if implicit:
        s = smtplib.SMTP_SSL("127.0.0.1", port, context=context, timeout=10)
    else:
        s = smtplib.SMTP("127.0.0.1", port, timeout=10)
        s.starttls(context=context)
    cn = common_name(s.sock)
    s.quit()
    return cn

old = smtplib.SMTP("127.0.0.1", lan, timeout=10)
old.starttls(context=context)
old.ehlo("device.test")
print("open session before:", common_name(old.sock))
print("new smtps before:", new_session_cn(smtps, True))
shutil.copy(f"{work}/tls/second.crt", f"{work}/tls/listener.crt")
shutil.copy(f"{work}/tls/second.key", f"{work}/tls/listener.key")
os.kill(pid, signal.SIGHUP)
print("reloaded:", wait_log("SIGHUP: routes and accounts reloaded"))
print("new starttls after:", new_session_cn(lan, False))
print("new smtps after:", new_session_cn(smtps, True))
print("open session after:", common_name(old.sock))
try:
    old.sendmail("scanner@contoso.com", ["a@example.com"], "Subject: across the reload\r\n\r\nbody\r\n")
    print("open session message: accepted")
except smtplib.SMTPException as error:
    print("open session message: refused", error)
old.quit()
with open(f"{work}/tls/listener.crt", "w") as broken:
    broken.write("not a certificate\n")
os.kill(pid, signal.SIGHUP)
print("broken reload logged:", wait_log("a certificate could not be reloaded"))
print("new starttls after broken:", new_session_cn(lan, False))
PY
cat "$work/client.out"
check "before the reload the open session has the first certificate" grep -qx 'open session before: first.test' "$work/client.out"
check "... and so does a new implicit-TLS session" grep -qx 'new smtps before: first.test' "$work/client.out"
check "SIGHUP reloaded" grep -qx 'reloaded: True' "$work/client.out"
check "a new STARTTLS session after the reload gets the second certificate" \
  grep -qx 'new starttls after: second.test' "$work/client.out"
check "... and a new implicit-TLS session too" grep -qx 'new smtps after: second.test' "$work/client.out"
check "the session open across the reload keeps its TLS session (first certificate)" \
  grep -qx 'open session after: first.test' "$work/client.out"
check "... and its message is still accepted (250)" grep -qx 'open session message: accepted' "$work/client.out"
check "a certificate that no longer loads is logged, and the old one stays" \
  grep -qx 'broken reload logged: True' "$work/client.out"
check "... new sessions still get the second certificate" \
  grep -qx 'new starttls after broken: second.test' "$work/client.out"
check "the message from the open session is in the spool" test "$(queued_count "$work/spool")" -eq 1

# SIGTERM with idle TLS sessions: each is told 421 4.3.2 inside its TLS
# session (RFC 5321 3.8), not merely closed, on both kinds of listener.
python3 "$here/smtp_probe.py" idle-tls-at-sigterm "$lan" "$smtps" "$relay_pid" "$work/tls/ca.crt" \
  >"$work/sigterm.out" 2>&1
cat "$work/sigterm.out"
check "an idle STARTTLS session is told 421 4.3.2 over TLS at SIGTERM" \
  grep -q '^starttls idle at SIGTERM: 421 4\.3\.2 ' "$work/sigterm.out"
check "... and an idle implicit-TLS session too" \
  grep -q '^implicit idle at SIGTERM: 421 4\.3\.2 ' "$work/sigterm.out"
check "stopping the relay exits 0" stop_relay
[ "$checks_failed" -eq 0 ] || show "$work/relay.log"
finish
