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

use_stack_app_secret
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -keyout "$work/other-ca.key" -out "$work/other-ca.crt" -subj "/CN=unrelated test CA" \
  >"$work/openssl.log" 2>&1 || { cat "$work/openssl.log"; exit 1; }

oidc_port=${OIDC_TOKEN_URL#http://*:}
oidc_port=${oidc_port%%/*}
https_port=$(start_peer https tls-forward 0 127.0.0.1 "$oidc_port" "$work/https.count" \
  "$STACK_DIR/tls/server.crt" "$STACK_DIR/tls/server.key")
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

{
  relay_toml_head
  for name in other stackca system; do relay_route "$name" "$name" "$SUBMISSION_PORT" starttls; done
} >"$work/relay.toml"
start_relay "$work/relay.toml" "$work/relay.log" || exit 1
port=$(port_of "$work/relay.log" lan)

k="relayca$$x$RANDOM"
send_to_routes "$k" "$USER1" other:1 stackca:1 system:1
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
