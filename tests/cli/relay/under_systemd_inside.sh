#!/bin/bash
# Runs INSIDE the container that test_under_systemd_against_stack.sh boots
# (systemd 252 as PID 1), as root, from a oneshot unit; /srv/mailoauth-test
# is the host test's directory. Follows docs/relay.md "Running it under
# systemd" to the letter (sysusers, /etc/mailoauth 0750, a 0600 root store
# key, the unit installed unchanged), adds only a drop-in that points
# ExecStart at this build's binary and shortens WatchdogSec to 3 s, then
# checks what systemd sees: start returns once READY=1 came, STATUS=, the
# sandbox as applied (user, capabilities, no_new_privs, seccomp), a port under
# 1024 bound without root, a message relayed, the state directory and the key
# handed in as a credential, the queue tool through the control socket as
# the service's user (setpriv: the empty /etc has no PAM for runuser),
# reload (RELOADING=1/READY=1, same PID), the watchdog kept fed, the
# online security score, and a clean stop with no warning about the
# configuration directory's mode. Each check is one "ok: ..." or
# "FAIL: ..." line in results; "done" ends the file.
set -u
test_dir=/srv/mailoauth-test
source "$test_dir/env"  # BIN_DIR SOURCE_DIR PORT SENDER RECIPIENT SUBJECT
results=$test_dir/results
: >"$results"
check() {
  local description=$1
  shift
  if "$@" >>"$test_dir/inside.log" 2>&1; then
    echo "ok: $description" >>"$results"
  else
    echo "FAIL: $description" >>"$results"
  fi
}
note() { echo "note: $*" >>"$results"; }
exec >>"$test_dir/inside.log" 2>&1
set -x

# --- the documented set-up ------------------------------------------------------------
systemd-sysusers "$SOURCE_DIR/packaging/systemd/mailoauth.sysusers.conf"
check "systemd-sysusers made the mailoauth user from the shipped sysusers.d file" id mailoauth
install -d -m 0750 -g mailoauth /etc/mailoauth
(umask 077 && openssl rand -hex 32 >/etc/mailoauth/store.key)
install -m 0644 "$SOURCE_DIR/packaging/systemd/mailoauth-relay.service" /etc/systemd/system/
mkdir -p /etc/systemd/system/mailoauth-relay.service.d
printf '[Service]\nExecStart=\nExecStart=%s/mailoauth relay run --config /etc/mailoauth/relay.toml\nWatchdogSec=3s\n' \
  "$BIN_DIR" >/etc/systemd/system/mailoauth-relay.service.d/test.conf
for file in relay.toml accounts.toml users cc.secret; do
  install -m 0640 -g mailoauth "$test_dir/etc/$file" /etc/mailoauth/
done
systemctl daemon-reload

# --- start: returns after READY=1 -------------------------------------------------------
check "systemctl start returns 0 (Type=notify: after the relay said READY=1)" \
  timeout 60 systemctl start mailoauth-relay.service
show() { systemctl show -p "$1" --value mailoauth-relay.service; }
check "the unit is active (running)" test "$(show ActiveState)/$(show SubState)" = active/running
status_text=$(show StatusText)
note "StatusText: $status_text"
check "STATUS= reached systemd: \"$status_text\"" grep -Eq '^queue: [0-9]+ messages?; sessions: [0-9]+ in, [0-9]+ out$' <<<"$status_text"
pid=$(show MainPID)
check "the main PID is the relay itself (mailoauth execs mailoauth-relay)" \
  grep -qx mailoauth-relay "/proc/$pid/comm"

# --- the sandbox as the kernel applied it ------------------------------------------------
uid=$(id -u mailoauth)
check "it runs as the mailoauth user (uid $uid)" grep -Eq "^Uid:[[:space:]]+$uid[[:space:]]" "/proc/$pid/status"
check "its capability bounding set is CAP_NET_BIND_SERVICE alone" \
  grep -Eq '^CapBnd:[[:space:]]+0000000000000400$' "/proc/$pid/status"
check "CAP_NET_BIND_SERVICE is effective (ambient)" grep -Eq '^CapEff:[[:space:]]+0000000000000400$' "/proc/$pid/status"
check "no_new_privs is set" grep -Eq '^NoNewPrivs:[[:space:]]+1$' "/proc/$pid/status"
check "a seccomp filter is on" grep -Eq '^Seccomp:[[:space:]]+2$' "/proc/$pid/status"
check "it listens on 127.0.0.1:$PORT, a port only root or CAP_NET_BIND_SERVICE may bind" \
  journalctl -u mailoauth-relay.service -o cat --no-pager -g "msg=listening listener=lan address=127.0.0.1:$PORT"
check "the state directory is /var/lib/mailoauth, the user's, 0700" \
  test "$(stat -c %U:%a /var/lib/mailoauth)" = mailoauth:700

# --- a message through it ---------------------------------------------------------------
check "a legacy client's message is accepted (250)" \
  swaks --server 127.0.0.1 --port "$PORT" --from "$SENDER" --to "$RECIPIENT" \
  --header "Subject: $SUBJECT" --body 'sent through the relay under systemd' --timeout 30
delivered=false
for _ in $(seq 150); do
  journalctl -u mailoauth-relay.service -o cat --no-pager | grep -q 'msg=delivery .*status=sent' && delivered=true && break
  sleep 0.2
done
check "it was delivered upstream with OAuth2 (status=sent in the journal)" $delivered
check "the token store is in the state directory" test -e /var/lib/mailoauth/tokens.db -o -d /var/lib/mailoauth/tokens
check "no store key was written beside it: the key came as a credential" \
  test -z "$(find /var/lib/mailoauth -name '*key*' -print -quit)"
check "\`mailoauth queue list\` as the service's user works through the control socket" \
  setpriv --reuid=mailoauth --regid=mailoauth --clear-groups -- "$BIN_DIR/mailoauth" queue list

# --- reload: same process, READY again -------------------------------------------------------
check "systemctl reload returns 0" timeout 60 systemctl reload mailoauth-relay.service
check "after the reload the same process runs, active" \
  test "$(show MainPID)/$(show ActiveState)" = "$pid/active"
check "the relay logged the reload" journalctl -u mailoauth-relay.service -o cat --no-pager -g 'reload'

# --- the watchdog: 3 s, fed from the event loop -------------------------------------------------
sleep 7
check "after 7 s under WatchdogSec=3s: the same process, never restarted" \
  test "$(show MainPID)/$(show NRestarts)/$(show ActiveState)" = "$pid/0/active"
check "systemd recorded watchdog pings" test "$(show WatchdogTimestampMonotonic)" -gt 0

score=$(systemd-analyze security mailoauth-relay.service 2>/dev/null |
  sed -n 's/.*Overall exposure level for mailoauth-relay.service: \([0-9.]*\).*/\1/p')
note "systemd-analyze security (online, the running unit): ${score:-none}"
# (no awk here: /usr/bin/awk is an alternatives link into the empty /etc)
tenths=$(sed -n 's/^\([0-9]*\)\.\([0-9]\)$/\1\2/p' <<<"${score:-}")
check "systemd-analyze security on the running unit rates it 2.0 or better (${score:-no score})" \
  test "${tenths:-99}" -le 20

# --- stop: STOPPING=1, exit 0 ---------------------------------------------------------------------
check "systemctl stop returns 0" timeout 100 systemctl stop mailoauth-relay.service
check "it stopped cleanly (Result=success, exit status 0)" \
  test "$(show Result)/$(show ExecMainStatus)" = success/0
check "no core dump, no watchdog timeout in the journal" \
  bash -c '! journalctl -o cat --no-pager | grep -Eiq "dumped core|watchdog timeout"'
check "systemd found /etc/mailoauth as the documented set-up made it (no mode warning)" \
  bash -c '! journalctl -o cat --no-pager | grep -q "already exists but the mode is different"'
journalctl -u mailoauth-relay.service -o short-monotonic --no-pager >"$test_dir/relay.journal"
echo done >>"$results"
