#!/usr/bin/env bash
# Three tenants on one relay, against the real stack: three routes, each with
# its own app-only account (oidc-provider's cc-alice, cc-bob, cc-carol, each
# a different mailbox) delivering to Dovecot's submission with XOAUTH2, and
# three relay users, each limited to its tenant's sender domain. Proves:
# each tenant's mail lands in its own mailbox, submitted with its own
# account's token (Postfix's log names the login Dovecot passed on for that
# Message-ID); a user sending as another tenant is refused at MAIL FROM
# (550 5.7.1 with a sentence); no open relay (an unauthenticated client not in
# `clients`: 530 on a listener offering AUTH, 554 on one that does not; an
# unlisted sender domain from a trusted client: 550 5.7.1 No route); each
# route's `connections` never exceeded at the upstream (counting forwarders,
# upstream_peers.py); `messages_per_minute = 6` honoured: the message starts
# the upstream saw (MAIL commands at a forwarder, plain text) never exceed 6
# in any 60 s, and the rest follow after the window (about 65 s in all).
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
source "${BASH_SOURCE%/*}/relay_lib.sh"
source "$MAILOAUTH_SOURCE_DIR/tests/stack/app_account.sh"
trap 'kill $(cat "$work/helpers.pids" 2>/dev/null) 2>/dev/null; cleanup' EXIT
started=$(date +%s)

export MAILOAUTH_STATE_DIR="$work/state"
stack_tenant_accounts "$work" tenant a b c

# start_counter NAME [STARTS]: a counting forwarder to Dovecot submission; its port.
start_counter() {
  python3 "$here/upstream_peers.py" forward 0 "$SMTP_HOST" "$SUBMISSION_PORT" "$work/$1.count" \
    ${2:+"$2"} >"$work/$1.out" 2>&1 &
  echo $! >>"$work/helpers.pids"
  for _ in $(seq 50); do  # up to 5 s for it to listen
    grep -q '^listening' "$work/$1.out" && break
    sleep 0.1
  done
  sed -n 's/^listening \([0-9]*\)/\1/p' "$work/$1.out"
}
port_a=$(start_counter a)
port_b=$(start_counter b)
port_c=$(start_counter c "$work/c.starts")
[ -n "$port_a" ] && [ -n "$port_b" ] && [ -n "$port_c" ] || { echo "a forwarder did not start"; exit 1; }

cat >"$work/relay.toml" <<TOML
hostname = "relay.test"
spool_directory = "$work/spool"
users_file = "$work/users"
accounts = "$work/accounts.toml"
greeting_pause_ms = 0
first_retry = 2
# Relay users log in here; 127.0.0.1 is not a client network of it.
[listeners.office]
port = 0
clients = ["192.0.2.0/24"]
allow_plaintext_auth = true
# No AUTH, and 127.0.0.1 not trusted: nobody here may send.
[listeners.closed]
port = 0
clients = ["192.0.2.0/24"]
auth = "off"
# 127.0.0.1 trusted without a login.
[listeners.lan]
port = 0
clients = ["127.0.0.1"]
[routes.a]
senders = ["tenant-a.test"]
account = "tenant-a"
server = "$SMTP_HOST"
port = $port_a
tls = "starttls"
connections = 2
messages_per_minute = 1000
[routes.b]
senders = ["tenant-b.test"]
account = "tenant-b"
server = "$SMTP_HOST"
port = $port_b
tls = "starttls"
connections = 1
messages_per_minute = 1000
# Plain text to the forwarder (loopback), so it can see each MAIL command.
[routes.c]
senders = ["tenant-c.test"]
account = "tenant-c"
server = "$SMTP_HOST"
port = $port_c
tls = "none"
connections = 2
messages_per_minute = 6
TOML
for t in a b c; do
  printf '%s' "password-$t-$$" |
    "$relay_bin" relay --config "$work/relay.toml" user add "user-$t" --sender "tenant-$t.test" >/dev/null ||
    { echo "user add user-$t failed"; exit 1; }
done
start_relay "$work/relay.toml" "$work/relay.log" || exit 1
office=$(port_of "$work/relay.log" office)
closed=$(port_of "$work/relay.log" closed)
lan=$(port_of "$work/relay.log" lan)
run=tenants$$x$RANDOM

# send T TAG COUNT RECIPIENT: COUNT messages in one session as user-T from device@tenant-T.test.
send() {
  python3 "$here/tenant_clients.py" send "$office" "user-$1" "password-$1-$$" "device@tenant-$1.test" \
    "$4" "$2" "$3" "$work/acked" >>"$work/clients.out" 2>&1
}
# found MAILBOX PASSWORD TAG: how many messages in MAILBOX's INBOX have a Message-ID with TAG.
found() {
  python3 "$here/tenant_clients.py" imap-count "$IMAP_HOST" "$IMAPS_PORT" "$CA_FILE" "$1" "$2" "$3" |
    awk '{ n += $1 } END { print n + 0 }'
}
# wait_found MAILBOX PASSWORD TAG N SECONDS: until N messages with TAG are there.
wait_found() {
  for _ in $(seq $(($5 * 2))); do
    [ "$(found "$1" "$2" "$3")" -ge "$4" ] && return 0
    sleep 0.5
  done
  return 1
}
# logins: "<MESSAGE-ID> LOGIN" for each message Postfix took, LOGIN being the
# user Dovecot submission logged in with the token and passed on (XCLIENT;
# smtpd logs it before cleanup logs the Message-ID).
logins() {
  awk '/ postfix\/smtpd\[[0-9]+\]: [0-9A-F]+: client=.*sasl_username=/ {
         q = $6; sub(/:$/, "", q); u = $0; sub(/.*sasl_username=/, "", u); sub(/[ ,].*/, "", u); login[q] = u }
       / postfix\/cleanup\[[0-9]+\]: [0-9A-F]+: message-id=/ {
         q = $6; sub(/:$/, "", q); m = $7; sub(/^message-id=/, "", m); print m, login[q] }' "$POSTFIX_LOG"
}
login_of() { logins | awk -v id="<$1>" '$1 == id { print $2 }' | tail -1; }

# --- the rate limit's messages first: they take a minute ---------------------------
check "tenant C's user sends 10 messages (messages_per_minute = 6)" send c "$run-rate" 10 "$USER3"

# --- each tenant's mail: its own mailbox, its own account's token ----------------------
check "tenant A's user sends as its domain" send a "$run-a" 1 "$USER1"
check "tenant B's user sends as its domain" send b "$run-b" 1 "$USER2"
check "tenant A's message is in alice's mailbox" wait_found "$USER1" "$USER1_PASSWORD" "$run-a." 1 30
check "tenant B's message is in bob's mailbox" wait_found "$USER2" "$USER2_PASSWORD" "$run-b." 1 30
check "tenant C's first messages are in carol's mailbox" wait_found "$USER3" "$USER3_PASSWORD" "$run-rate." 6 30
check "tenant A's message was submitted with cc-alice's token (login $(login_of "$run-a.0@relay.test"))" \
  test "$(login_of "$run-a.0@relay.test")" = "$USER1"
check "tenant B's message was submitted with cc-bob's token (login $(login_of "$run-b.0@relay.test"))" \
  test "$(login_of "$run-b.0@relay.test")" = "$USER2"
check "tenant C's message was submitted with cc-carol's token (login $(login_of "$run-rate.0@relay.test"))" \
  test "$(login_of "$run-rate.0@relay.test")" = "$USER3"
check "no tenant's message went to another's mailbox" \
  test "$(found "$USER1" "$USER1_PASSWORD" "$run-b.")$(found "$USER2" "$USER2_PASSWORD" "$run-a.")" = 00

# --- refusals ---------------------------------------------------------------------
mail_as() { python3 "$here/tenant_clients.py" mail-as "$@" 2>&1; }
output=$(mail_as "$office" user-a "password-a-$$" device@tenant-b.test)
check "user-a sending as tenant B is refused at MAIL FROM: 550 5.7.1 [$output]" \
  matches "$output" '^550 5\.7\.1 Sender address <device@tenant-b\.test> is not one that relay user user-a may send as'
output=$(mail_as "$office" user-c "password-c-$$" boss@tenant-a.test)
check "user-c sending as tenant A is refused too" matches "$output" '^550 5\.7\.1 Sender address .* user-c '
output=$(mail_as "$office" "" "" device@tenant-a.test)
check "no open relay: a client outside clients, not logged in, gets 530 5.7.0 [$output]" \
  matches "$output" '^530 5\.7\.0 Authentication required'
output=$(mail_as "$closed" "" "" device@tenant-a.test)
check "no open relay: ... and 554 5.7.1 with a sentence on a listener without AUTH [$output]" \
  matches "$output" '^554 5\.7\.1 Relay access denied: this client.s address is not in'
output=$(mail_as "$lan" "" "" someone@unlisted.test)
check "no open relay: an unlisted sender domain from a trusted client gets 550 5.7.1 [$output]" \
  matches "$output" '^550 5\.7\.1 No route for sender <someone@unlisted\.test>: '
output=$(mail_as "$office" user-a "password-a-$$" someone@unlisted.test)
check "... and from a logged-in user [$output]" matches "$output" '^550 5\.7\.1 '
check "nothing refused was received" \
  not grep -Eq 'msg=received .*(from=someone@unlisted|user=user-a .*from=device@tenant-b|user=user-c .*from=boss@)' "$work/relay.log"

# --- connections: 20 messages of A from 4 devices at once, 9 of B from 3 ------------------
pids=()
for d in 1 2 3 4; do send a "$run-ca$d" 5 "$USER1" & pids+=($!); done
for d in 1 2 3; do send b "$run-cb$d" 3 "$USER2" & pids+=($!); done
bad=0
for pid in "${pids[@]}"; do wait "$pid" || bad=$((bad + 1)); done
check "seven devices at once: every message acknowledged" test "$bad" -eq 0
check "tenant A's 20 are in alice's mailbox" wait_found "$USER1" "$USER1_PASSWORD" "$run-ca" 20 60
check "tenant B's 9 are in bob's mailbox" wait_found "$USER2" "$USER2_PASSWORD" "$run-cb" 9 60
count_of() { sed -n "s/.*$2 \([0-9]*\).*/\1/p" "$work/$1.count"; }
check "route a never had more than connections = 2 upstream sessions ($(cat "$work/a.count"))" \
  test "$(count_of a max)" -le 2
check "route b never had more than connections = 1 ($(cat "$work/b.count"))" test "$(count_of b max)" -le 1
check "route c never had more than connections = 2 ($(cat "$work/c.count"))" test "$(count_of c max)" -le 2

# --- messages_per_minute = 6, as the upstream saw it ------------------------------------
check "the last 4 of tenant C's 10 arrive after the minute" \
  wait_found "$USER3" "$USER3_PASSWORD" "$run-rate." 10 90
check "the forwarder saw exactly 10 message starts on route c ($(wc -l <"$work/c.starts"))" \
  test "$(wc -l <"$work/c.starts")" -eq 10
# The most starts in any 60 s (a window opening at each start), and the gap
# between the first start and the seventh.
read -r most gap < <(awk '{ t[NR] = $1 } END {
  for (i = 1; i <= NR; i++) { n = 0; for (j = i; j <= NR; j++) if (t[j] < t[i] + 60) n++; if (n > most) most = n }
  printf "%d %.2f\n", most, (NR >= 7 ? t[7] - t[1] : -1) }' "$work/c.starts")
check "at most 6 message starts in any 60 s at the upstream (most: $most)" test "$most" -le 6
check "the seventh started a minute after the first (after ${gap} s)" awk -v g="$gap" 'BEGIN { exit !(g >= 60) }'

# Every acknowledged message, not just the first of each tenant: its own account's login.
logins >"$work/logins"
wrong=0
while read -r id; do
  case $id in
    "<$run-a."* | "<$run-ca"*) expected=$USER1 ;;
    "<$run-b."* | "<$run-cb"*) expected=$USER2 ;;
    *) expected=$USER3 ;;
  esac
  login=$(awk -v id="$id" '$1 == id { print $2 }' "$work/logins" | tail -1)
  [ "$login" = "$expected" ] || { echo "$id submitted as '$login', not $expected"; wrong=$((wrong + 1)); }
done <"$work/acked"
check "each of the $(wc -l <"$work/acked") messages was submitted with its own tenant's token ($wrong not)" \
  test "$wrong" -eq 0
check "stopping the relay exits 0" stop_relay
check "no sanitizer report in the relay's log (sanitizer build)" not grep -q 'Sanitizer\|runtime error' "$work/relay.log"
check "no password in the log" not grep -q "password-[abc]-$$" "$work/relay.log"
echo "took $(($(date +%s) - started)) s"
[ "$checks_failed" -eq 0 ] || { show "$work/relay.log"; show "$work/c.starts"; show "$work/clients.out"; }
finish
