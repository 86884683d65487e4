#!/usr/bin/env bash
# `mailoauth doctor` stops at the first fault and names it: for each fault
# the stack (or a small fake server, fake_servers.py) can produce, the step
# that failed, the cause, the next step and the exit code (the error class:
# 75 temporary, 69 refused, 78 configuration), and the steps after it not
# reached; --json says the same.
#   unresolvable host -> dns        port closed -> tcp (refused)
#   silent server     -> tls (deadline; STARTTLS and implicit)
#   STARTTLS missing  -> tls        no CA given -> tls (untrusted certificate)
#   no XOAUTH2        -> greeting   wrong secret -> token (invalid_client)
#   wrong scope       -> token (invalid_scope, the catalogue's remedy)
#   revoked token     -> authentication warning: renewed once, passes
#   missing mailbox   -> mailbox (RCPT refused)
#   authenticated but not connected (a fake Exchange IMAP) -> mailbox
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
source "${BASH_SOURCE%/*}/doctor_lib.sh"
trap doctor_cleanup EXIT

failed_at() {  # N NAME: step N failed, the step after it not reached, the result line names it
  step_is "$1" "$2" FAILED && grep -qx "result: FAILED at $2 (exit $rc)" "$tmp/out" &&
    { [ "$1" -ge 8 ] || grep -q "^$(($1 + 1))\. [a-z_]*: not reached$" "$tmp/out"; }
}

# --- DNS -------------------------------------------------------------------
doctor box --server nosuch.invalid
check "unresolvable host: exit 75" test $rc -eq 75
check "unresolvable host: dns failed, tcp not reached" failed_at 2 dns || show "$tmp/out"
check "unresolvable host: the cause names the name" says "cause: the name nosuch.invalid does not resolve"
check "unresolvable host: the next step names the config key and Resolve-DnsName" \
  says "next step: check the spelling of the server name (smtp_server in the account or --server)"

# --- TCP -------------------------------------------------------------------
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
doctor box --port "$closed"
check "port closed: exit 75" test $rc -eq 75
check "port closed: tcp failed" failed_at 3 tcp || show "$tmp/out"
check "port closed: refused, nothing listens" says "refused the connection: nothing listens on port $closed"
check "port closed: the next step names smtp_port and Test-NetConnection" \
  says "set smtp_port in the account or give --port; then Test-NetConnection $SMTP_HOST -Port $closed"
doctor box --port "$closed" --json
check "port closed --json: failed_step tcp, exit_code 75, the step's code and class" node -e '
const o = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const s = o.steps[2];
if (o.result !== "failed" || o.failed_step !== "tcp" || o.exit_code !== 75) process.exit(1);
if (s.verdict !== "failed" || s.error_code !== "doctor.tcp_refused" || s.error_class !== "temporary" ||
    !s.cause.includes("refused") || !s.remedy.includes("Test-NetConnection")) process.exit(2);
if (o.steps[3].verdict !== "not_reached" || o.steps[1].verdict !== "passed") process.exit(3);' "$tmp/out" || show "$tmp/out"

# --- A server that never answers (the deadline) ---------------------------
start_fake silent || exit 1
started=$(date +%s)
doctor box --port "$fake_port" -t 2
took=$(($(date +%s) - started))
check "silent server (STARTTLS): exit 75" test $rc -eq 75
check "silent server (STARTTLS): tls failed" failed_at 4 tls || show "$tmp/out"
check "silent server (STARTTLS): accepted but sent nothing within 2000 ms, waiting for the greeting" \
  says "accepted the connection but sent nothing within 2000 ms (waiting for the 220 greeting, before STARTTLS)"
check "silent server: the walk ended within 10 s (deadline 2 s a step)" test $took -le 10
doctor box --imap --port "$fake_port" --tls implicit -t 2
check "silent server (implicit TLS, IMAP): tls failed waiting for the handshake [1/2]" test $rc -eq 75
check "silent server (implicit TLS, IMAP): tls failed waiting for the handshake [2/2]" \
  says "(waiting for the TLS handshake)" || show "$tmp/out"

# --- STARTTLS missing ------------------------------------------------------
start_fake no-starttls || exit 1
doctor box --port "$fake_port"
check "STARTTLS missing: exit 78" test $rc -eq 78
check "STARTTLS missing: tls failed" failed_at 4 tls || show "$tmp/out"
check "STARTTLS missing: the cause" says "does not offer STARTTLS; refusing to go on without TLS"
check "STARTTLS missing: what the server said before TLS" says "found: before TLS: 220 fake.example ESMTP ready" || show "$tmp/out"

# --- Untrusted certificate: no CA given -------------------------------------
{
  stack_app_account noca "$tmp/cc.secret"
  server_keys
} >>"$tmp/config.toml"
doctor noca
check "no CA given: exit 78" test $rc -eq 78
check "no CA given: tls failed" failed_at 4 tls || show "$tmp/out"
check "no CA given: not trusted" grep -q "cause: the certificate of $SMTP_HOST .* is not trusted" "$tmp/out"
check "no CA given: the next step names ca_file" says 'set ca_file = "/path/ca.pem" in the account'

# --- No XOAUTH2 offered ------------------------------------------------------
start_fake no-xoauth2 "$STACK_DIR/tls/server.crt" "$STACK_DIR/tls/server.key" || exit 1
doctor box --port "$fake_port" --tls implicit
check "no XOAUTH2: exit 78" test $rc -eq 78
check "no XOAUTH2: greeting failed after TLS passed [1/2]" step_is 4 tls WARNING  # the stack's 7-day certificate
check "no XOAUTH2: greeting failed after TLS passed [2/2]" failed_at 5 greeting || show "$tmp/out"
check "no XOAUTH2: the cause lists what is offered" says "offers no OAuth2 mechanism (AUTH: PLAIN LOGIN): XOAUTH2 is missing"
check "no XOAUTH2: the next step names Exchange's switch" says "Set-TransportConfig -SmtpClientAuthenticationDisabled \$false"

# --- Wrong secret ----------------------------------------------------------------
printf 'not-the-secret\n' >"$tmp/wrong.secret"
chmod 600 "$tmp/wrong.secret"
{
  stack_app_account wrong "$tmp/wrong.secret"
  server_keys
  echo "ca_file = \"$CA_FILE\""
} >>"$tmp/config.toml"
doctor wrong
check "wrong secret: exit 69" test $rc -eq 69
check "wrong secret: token failed after the greeting passed [1/2]" step_is 5 greeting ok
check "wrong secret: token failed after the greeting passed [2/2]" failed_at 6 token || show "$tmp/out"
check "wrong secret: the catalogue's meaning" says "invalid_client"
check "wrong secret: the catalogue's remedy" says "next step: check client_id and the secret"
check "wrong secret: the secret itself is never printed" not grep -qF "not-the-secret" "$tmp/out" "$tmp/err"

# --- Wrong scope: the identity server refuses it --------------------------------
# (the stack's client-credentials clients may have only the `mail` scope,
# as an Entra app gets AADSTS70011 for a scope it may not have)
{
  stack_app_account scopeless "$tmp/cc.secret" | sed 's/^scopes = .*/scopes = ["openid"]/'
  server_keys
  echo "ca_file = \"$CA_FILE\""
} >>"$tmp/config.toml"
doctor scopeless
check "wrong scope (SMTP): exit 69" test $rc -eq 69
check "wrong scope (SMTP): token failed after the greeting passed [1/2]" step_is 5 greeting ok
check "wrong scope (SMTP): token failed after the greeting passed [2/2]" failed_at 6 token || show "$tmp/out"
check "wrong scope (SMTP): the catalogue's invalid_scope" says "invalid_scope: the requested scope is unknown"
check "wrong scope (SMTP): the catalogue's remedy" says "next step: check the scopes"
doctor scopeless --imap --json
check "wrong scope (IMAP) --json: token failed, invalid_scope, permanent, exit 69" node -e '
const o = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const s = o.steps[5];
if (o.failed_step !== "token" || o.exit_code !== 69 || s.error_class !== "permanent" ||
    !s.cause.includes("invalid_scope") || o.steps[6].verdict !== "not_reached") process.exit(1);' "$tmp/out" || show "$tmp/out"

# --- Revoked token: renewed once, named as a warning --------------------------------
doctor box
token=$("$m" token get box)
curl -s --max-time 5 -o /dev/null -d "token=$token" -d "client_id=$CC_CLIENT_ID" \
  -d "client_secret=$CC_CLIENT_SECRET" "$OIDC_REVOKE_URL"
doctor box
check "revoked token: exit 0 (renewed once)" test $rc -eq 0
check "revoked token: authentication is a warning naming the refusal" step_is 7 authentication WARNING || show "$tmp/out"
check "revoked token: the cause" says "cause: the server refused the stored token (revoked, or ended early); a renewed one was accepted"
check "revoked token: a new token is stored" test "$("$m" token get box)" != "$token"

# --- Missing mailbox: the recipient is refused ----------------------------------------
# The stack's Postfix refuses refused@example.test at RCPT time (550 5.1.1).
doctor box --rcpt "refused@$MAIL_DOMAIN"
check "missing mailbox: mailbox failed" failed_at 8 mailbox || { show "$tmp/out"; show "$tmp/err"; }
check "missing mailbox: exit 69" test $rc -eq 69
check "missing mailbox: the RCPT's refusal quoted" says "found: RCPT TO:<refused@$MAIL_DOMAIN>: 550 5.1.1"
check "missing mailbox: the cause quotes the server" grep -q "^   cause: .*550 5\.1\.1 .* during RCPT TO <refused@$MAIL_DOMAIN>" "$tmp/out"

# --- Authenticated but not connected (Exchange's IMAP, faked) ---------------------------
start_fake not-connected "$STACK_DIR/tls/server.crt" "$STACK_DIR/tls/server.key" || exit 1
doctor box --imap --port "$fake_port" --tls implicit
check "authenticated but not connected: the token was accepted" step_is 7 authentication ok || show "$tmp/out"
check "authenticated but not connected: the mailbox step failed" failed_at 8 mailbox || show "$tmp/out"
check "authenticated but not connected: named as such" says "found: authenticated but not connected: the mailbox cannot be opened"
check "authenticated but not connected: the server's words" says "User is authenticated but not connected"
finish
