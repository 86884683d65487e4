#!/usr/bin/env bash
# Each account's identity server is verified with that account's own ca_file
# (the defect: the relay's token source used the first account's ca_file for
# every account). The stack's oidc-provider speaks plain HTTP, so an HTTPS
# front (upstream_peers.py tls-forward, the stack's server certificate,
# signed by the stack's CA) stands before its token endpoint. Three accounts
# use it: `other` (listed first) trusts an unrelated CA made here, `stackca`
# trusts the stack's CA, `system` names none (the system's store). The relay
# delivers stackca's message, and defers the other two with the certificate
# named — each verified with its own trust, none with another's.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
source "${BASH_SOURCE%/*}/relay_lib.sh"
source "$MAILOAUTH_SOURCE_DIR/tests/stack/app_account.sh"
trap 'kill $(cat "$work/helpers.pids" 2>/dev/null) 2>/dev/null; cleanup' EXIT

export MAILOAUTH_STATE_DIR="$work/state"
printf '%s\n' "$CC_CLIENT_SECRET" >"$work/cc.secret"
chmod 600 "$work/cc.secret"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -keyout "$work/other-ca.key" -out "$work/other-ca.crt" -subj "/CN=unrelated test CA" \
  >"$work/openssl.log" 2>&1 || { cat "$work/openssl.log"; exit 1; }

oidc_port=${OIDC_TOKEN_URL#http://*:}
oidc_port=${oidc_port%%/*}
python3 "$here/upstream_peers.py" tls-forward 0 127.0.0.1 "$oidc_port" "$work/https.count" \
  "$STACK_DIR/tls/server.crt" "$STACK_DIR/tls/server.key" >"$work/https.out" 2>&1 &
echo $! >>"$work/helpers.pids"
for _ in $(seq 50); do grep -q '^listening' "$work/https.out" && break; sleep 0.1; done
https_port=$(sed -n 's/^listening \([0-9]*\)/\1/p' "$work/https.out")
[ -n "$https_port" ] || { echo "the HTTPS front did not start"; cat "$work/https.out"; exit 1; }
https_token_url="https://127.0.0.1:$https_port/token"

# account NAME [CA_FILE]: the stack's app-only account, its token over HTTPS.
account() {
  stack_app_account "$1" "$work/cc.secret" | sed "s|^token_url = .*|token_url = \"$https_token_url\"|"
  [ -n "${2:-}" ] && echo "ca_file = \"$2\""
  echo
}
{
  account other "$work/other-ca.crt"
  account stackca "$CA_FILE"
  account system
} >"$work/accounts.toml"
chmod 600 "$work/accounts.toml"

route() {
  cat <<TOML
[routes.$1]
senders = ["$1.test"]
account = "$1"
server = "$SMTP_HOST"
port = $SUBMISSION_PORT
tls = "starttls"
TOML
}
{
  cat <<TOML
hostname = "relay.test"
spool_directory = "$work/spool"
users_file = "$work/users"
accounts = "$work/accounts.toml"
greeting_pause_ms = 0
[listeners.lan]
port = 0
clients = ["127.0.0.1"]
TOML
  route other
  route stackca
  route system
} >"$work/relay.toml"
start_relay "$work/relay.toml" "$work/relay.log" || exit 1
port=$(port_of "$work/relay.log" lan)

k="relayca$$x$RANDOM"
python3 - "$port" "$USER1" "$k" <<'PY'
import smtplib, sys
port, rcpt, mark = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with smtplib.SMTP("127.0.0.1", port, timeout=20) as s:
    for route in ("other", "stackca", "system"):
        s.sendmail(f"app@{route}.test", [rcpt],
                   f"From: <app@{route}.test>\r\nSubject: {mark} {route}\r\n\r\nbody\r\n")
PY
wait_log() {
  for _ in $(seq $(($2 * 10))); do
    grep -Eq "$1" "$work/relay.log" && return 0
    sleep 0.1
  done
  return 1
}
check "the account trusting the stack's CA gets its token over HTTPS and delivers" \
  wait_log "msg=delivery .*route=stackca .*status=sent" 20
check "the account trusting an unrelated CA is deferred: the certificate is not trusted" \
  wait_log "msg=delivery .*route=other .*reply=\"configuration \(account\).*certificate is not trusted.*status=deferred" 20
check "the account naming no CA uses the system's store: not trusted either" \
  wait_log "msg=delivery .*route=system .*reply=\"configuration \(account\).*certificate is not trusted.*status=deferred" 20
check "... stackca's token came through the HTTPS front ($(cat "$work/https.count"))" \
  grep -Eq "total [1-9]" "$work/https.count"
check "stopping the relay exits 0" stop_relay
[ "$checks_failed" -eq 0 ] || show "$work/relay.log"
finish
