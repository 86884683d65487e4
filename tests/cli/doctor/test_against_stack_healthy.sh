#!/usr/bin/env bash
# `mailoauth doctor` on a healthy app-only account against the stack: every
# step passes for SMTP (Dovecot submission, STARTTLS), for IMAP over
# STARTTLS and implicit TLS, exit 0, nothing sent. The TLS step passes with
# a warning: the stack's server certificate lives 7 days, and the doctor
# warns 30 days before a certificate expires; the token never appears
# in the report or in -v's dialogue; --json is one object whose steps are
# all "passed"; --send-test sends one message that arrives in the mailbox.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
source "${BASH_SOURCE%/*}/doctor_lib.sh"
trap doctor_cleanup EXIT

doctor box
check "smtp: exit 0" test $rc -eq 0 || { show "$tmp/out"; show "$tmp/err"; }
n=0
for name in configuration dns tcp tls greeting token authentication mailbox; do
  n=$((n + 1))
  [ $name = tls ] && continue
  check "smtp: step $n $name passed" step_is $n $name ok
done
check "smtp: tls passed with the certificate's expiry as a warning [1/2]" step_is 4 tls WARNING
check "smtp: tls passed with the certificate's expiry as a warning [2/2]" \
  grep -Eq "^   cause: the server's certificate expires in [0-7] days$" "$tmp/out"
check "smtp: the heading names the account and the server" \
  says "mailoauth doctor: account box, smtp via $SMTP_HOST:$SUBMISSION_PORT (starttls)"
check "smtp: TLS facts: version and verified chain" grep -Eq "found: TLSv1\.[23] " "$tmp/out"
check "smtp: STARTTLS offered and used" says "STARTTLS offered and used"
check "smtp: XOAUTH2 among the AUTH mechanisms" grep -Eq "found: AUTH mechanisms: .*XOAUTH2" "$tmp/out"
check "smtp: the stack's opaque token is said to be uncheckable" \
  says "the token is opaque (not a JWT): its claims cannot be checked here"
check "smtp: AUTH accepted" grep -Eq "found: AUTH XOAUTH2 as $USER1: .*235" "$tmp/out"
check "smtp: MAIL FROM and RCPT TO the mailbox, then RSET" says "RCPT TO:<$USER1>: 250"
check "smtp: nothing was sent" says "RSET: nothing was sent"
check "smtp: result passed (with the warning)" grep -qx "result: passed, with warnings" "$tmp/out" || show "$tmp/out"

token=$("$m" token get box)
check "a token is stored" test -n "$token"
"$m" -v doctor box >"$tmp/out" 2>"$tmp/err"
check "-v: the dialogue on stderr [1/2]" grep -q "smtp C: AUTH XOAUTH2" "$tmp/err"
check "-v: the dialogue on stderr [2/2]" grep -q "smtp C: RSET" "$tmp/err"
check "the token is in neither the report nor the dialogue" not grep -qF -e "$token" "$tmp/out" "$tmp/err"

doctor box --imap
check "imap starttls: exit 0" test $rc -eq 0 || { show "$tmp/out"; show "$tmp/err"; }
n=0
for name in configuration dns tcp tls greeting token authentication mailbox; do
  n=$((n + 1))
  [ $name = tls ] && name_verdict=WARNING || name_verdict=ok
  check "imap starttls: step $n $name passed" step_is $n $name $name_verdict
done
check "imap: AUTHENTICATE accepted" says "found: AUTHENTICATE XOAUTH2 as $USER1"
check "imap: INBOX examined" grep -Eq "found: INBOX: [0-9]+ messages" "$tmp/out"
doctor box --imap --port "$IMAPS_PORT" --tls implicit
check "imap implicit TLS: exit 0" test $rc -eq 0 || show "$tmp/out"
check "imap implicit TLS: mailbox passed" step_is 8 mailbox ok

doctor box --imap --json
check "--json: exit 0" test $rc -eq 0
check "--json: one line" test "$(wc -l <"$tmp/out")" = 1
check "--json: the shape (account, protocol, result, 8 numbered steps passed, tls's warning)" \
  node -e '
const o = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const names = ["configuration","dns","tcp","tls","greeting","token","authentication","mailbox"];
if (o.account !== "box" || o.protocol !== "imap" || o.result !== "warning" ||
    o.failed_step !== null || o.exit_code !== 0 || o.steps.length !== 8) process.exit(1);
o.steps.forEach((s, i) => {
  const warned = s.step === "tls";
  if (s.number !== i + 1 || s.step !== names[i] || s.verdict !== (warned ? "warning" : "passed") ||
      (s.cause === null) === warned || s.error_code !== null || typeof s.checked !== "string" ||
      !Array.isArray(s.found) || s.found.length === 0) process.exit(2);
});' "$tmp/out" || show "$tmp/out"

# A certificate credential (the stack's cc-cert, private_key_jwt): the walk
# passes, and the configuration step warns that the certificate (made for
# 7 days at each start) expires within 30 days.
cat >>"$tmp/config.toml" <<CONF
[accounts.cert]
provider = "generic"
flow = "app"
token_url = "$OIDC_TOKEN_URL"
client_id = "$CERT_CLIENT_ID"
certificate_file = "$CERT_CLIENT_CERT_FILE"
private_key_file = "$CERT_CLIENT_KEY_FILE"
scopes = ["$MAIL_SCOPE"]
mailbox = "$CERT_CLIENT_MAILBOX"
ca_file = "$CA_FILE"
CONF
server_keys >>"$tmp/config.toml"
doctor cert
check "certificate credential: exit 0" test $rc -eq 0 || { show "$tmp/out"; show "$tmp/err"; }
check "certificate credential: configuration warns of the expiry [1/2]" step_is 1 configuration WARNING
check "certificate credential: configuration warns of the expiry [2/2]" \
  grep -Eq "^   cause: the client certificate .* expires in [0-7] days$" "$tmp/out" || show "$tmp/out"
check "certificate credential: the token and AUTH pass" step_is 7 authentication ok

maildir="$STACK_DIR/mail/example.test/${USER1%@*}/Maildir/new"
before=$(ls "$maildir" 2>/dev/null | wc -l)
doctor box --send-test "$USER1"
check "--send-test: exit 0" test $rc -eq 0 || { show "$tmp/out"; show "$tmp/err"; }
check "--send-test: step 9 send_test passed" step_is 9 send_test ok
arrived=no
for _ in $(seq 50); do
  [ "$(ls "$maildir" 2>/dev/null | wc -l)" -gt "$before" ] && grep -lq "mailoauth doctor test" "$maildir"/* && { arrived=yes; break; }
  sleep 0.1
done
check "--send-test: the message arrived in the mailbox within 5 s" test $arrived = yes
finish
