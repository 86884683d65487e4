#!/usr/bin/env bash
# Hostile and careless clients against a relay on 127.0.0.1 (trusted network,
# plain SMTP): an overlong line, a NUL, bare LF inside DATA (kept, and never
# an end of data: SMTP smuggling), 10,000 pipelined RCPTs (the limit's 452),
# a DATA larger than max_message_size (552, nothing spooled, the session goes
# on), pipelining answered in order, a client that talks before the greeting
# (554 5.5.1), the per-client session limit (421 4.7.0 at connect), the
# command deadline (421 4.4.2), and the failed-login budget per client address
# across sessions (the default 9 in 10 minutes: three sessions of three wrong
# passwords, then the fourth session's AUTH gets 454 4.7.0 even with the right
# password, which is not checked).
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "${BASH_SOURCE%/*}/relay_lib.sh"

cat >"$work/relay.toml" <<TOML
hostname = "relay.test"
spool_directory = "$work/spool"
users_file = "$work/users"
max_message_size = 1048576
max_recipients = 1000
max_errors = 1000
max_sessions_per_client = 3
command_timeout = 2
greeting_pause_ms = 300
[listeners.lan]
address = "127.0.0.1"
port = 0
clients = ["127.0.0.1"]
[listeners.auth]
address = "127.0.0.1"
port = 0
auth = "required"
allow_plaintext_auth = true
[routes.contoso]
senders = ["contoso.com"]
account = "contoso"
TOML
printf '%s' 'the-right-password' |
  "$relay_bin" relay --config "$work/relay.toml" user add erp --sender contoso.com >/dev/null
start_relay "$work/relay.toml" "$work/relay.log" || exit 1
port=$(port_of "$work/relay.log" lan)
auth_port=$(port_of "$work/relay.log" auth)

check "hostile input answered with clear replies, bounded, in order" \
  python3 "$here/smtp_probe.py" hostile "$port" "$work/spool" 1048576
check "a client talking before the greeting is refused" \
  python3 "$here/smtp_probe.py" early-talker "$port"
check "the refusal is logged" grep -q "talked before the greeting" "$work/relay.log"

# Per-client limit: three sessions held open, the fourth gets 421 4.7.0 at connect.
exec 3<>"/dev/tcp/127.0.0.1/$port" 4<>"/dev/tcp/127.0.0.1/$port" 5<>"/dev/tcp/127.0.0.1/$port"
read -r -t 5 first <&3
read -r -t 5 _ <&4
read -r -t 5 _ <&5
check "held sessions are greeted" matches "$first" '^220 '
exec 6<>"/dev/tcp/127.0.0.1/$port"
read -r -t 5 fourth <&6
check "the session over the per-client limit gets 421 4.7.0" matches "${fourth:-}" '^421 4\.7\.0 '
exec 3>&- 4>&- 5>&- 6>&-

check "a client silent for longer than command_timeout (2 s) is closed with 421 4.4.2" \
  python3 "$here/smtp_probe.py" idle "$port" 6

check "failed logins are budgeted per address across sessions" \
  python3 "$here/smtp_probe.py" auth-budget "$auth_port" erp the-right-password
check "the budget's refusal is logged" \
  grep -q 'msg="AUTH refused: too many failed logins from this address" client=127.0.0.1' \
  "$work/relay.log"

check "the relay is still running" kill -0 "$relay_pid"
check "SIGTERM stops it with exit 0" stop_relay
check "it logged stopping" grep -q 'msg=stopped' "$work/relay.log"
finish
