#!/usr/bin/env bash
# pipeline_messages against a real upstream that takes it: the stack's Postfix
# with SASL AUTH through Dovecot (POSTFIX_AUTH_PORT; XOAUTH2 with the app
# account's token, checked at oidc-provider). Two routes to it, each behind a
# counting forwarder (upstream_peers.py forward, plain text, so it sees the
# commands): `piped` (pipeline_messages = true) and `single` (the default).
# Twelve messages each, sent in one client session, with one upstream
# connection per route: every message arrives in alice's mailbox and is logged
# sent; on `piped` the forwarder saw messages pipelined (a message's end and
# the next MAIL FROM in one write), on `single` never. Also: an upstream reply
# with a tab, a backslash and a Latin-1 byte (upstream_peers.py throttle's
# answer to an "odd" recipient; Postfix sends no such reply) is kept raw in
# the state file (percent-encoded there) and logged escaped once: \t, \\, \xff
# (it was escaped when stored and again by the logger: \\t, \\\\).
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
source "${BASH_SOURCE%/*}/relay_lib.sh"
source "$MAILOAUTH_SOURCE_DIR/tests/stack/app_account.sh"

if [ -z "${POSTFIX_AUTH_PORT:-}" ]; then
  skip "pipelining against Postfix" "the stack has no POSTFIX_AUTH_PORT (an older tests/stack/start)"
  finish
fi
use_stack_app_secret
stack_app_account app "$work/cc.secret" >"$work/accounts.toml"
chmod 600 "$work/accounts.toml"

piped_port=$(start_peer piped forward 0 "$SMTP_HOST" "$POSTFIX_AUTH_PORT" "$work/piped.count")
single_port=$(start_peer single forward 0 "$SMTP_HOST" "$POSTFIX_AUTH_PORT" "$work/single.count")
odd_port=$(start_peer odd throttle "$work/odd.count")
[ -n "$piped_port" ] && [ -n "$single_port" ] || { echo "the forwarders did not start"; exit 1; }

limits=("connections = 1" "messages_per_minute = 1000")
{
  relay_toml_head "first_retry = 1"
  relay_route piped app "$piped_port" none "${limits[@]}" "pipeline_messages = true"
  relay_route single app "$single_port" none "${limits[@]}"
  relay_route odd app "$odd_port" none "${limits[@]}"
} >"$work/relay.toml"
start_relay "$work/relay.toml" "$work/relay.log" || exit 1
port=$(port_of "$work/relay.log" lan)

k="relaypipe$$x$RANDOM"
send_to_routes "$k" "$USER1" piped:12 single:12
send_to_routes "$k" odd@example.test odd:1
sent_count() { grep -c "msg=delivery .*route=$1 .*status=sent" "$work/relay.log"; }
count_of() { sed -n "s/.*$2 \([0-9]*\).*/\1/p" "$work/$1.count"; }

check "all twelve pipelined messages are in alice's mailbox" wait_found "$k piped" 12 30
check "all twelve single messages are in alice's mailbox" wait_found "$k single" 12 30
check "... each logged sent once (piped: $(sent_count piped), single: $(sent_count single))" \
  test "$(sent_count piped)" -eq 12 -a "$(sent_count single)" -eq 12
check "pipeline_messages: messages went pipelined, one's end and the next MAIL in one write ($(cat "$work/piped.count"))" \
  test "$(count_of piped pipelined)" -ge 1
check "... over one upstream connection" test "$(count_of piped total)" -eq 1
check "without it, never ($(cat "$work/single.count"))" test "$(count_of single pipelined)" -eq 0
# The throttling peer refuses its first connection's MAIL (432), then the odd recipient.
check "the odd reply fails its recipient" wait_log "route=odd to=odd@example.test .*status=bounced" 20
check "... logged escaped once: a tab as \\t, a backslash as \\\\, a Latin-1 byte as \\xff" \
  grep -qF 'reply="550 5.1.1 <odd@example.test>\tunknown in C:\\mail \xff" ' "$work/relay.log"
check "... kept as it came in the state file (percent-encoded: %09, %FF; the backslash as is)" \
  grep -qF '550%205.1.1%20<odd@example.test>%09unknown%20in%20C:\mail%20%FF' "$work"/spool/failed/*.state
for _ in $(seq 50); do [ "$(queued_count "$work/spool")" -eq 0 ] && break; sleep 0.1; done
check "the queue is empty: every state settled" test "$(queued_count "$work/spool")" -eq 0
check "stopping the relay exits 0" stop_relay
[ "$checks_failed" -eq 0 ] || show "$work/relay.log"
finish
