#!/usr/bin/env bash
# The relay under a real systemd, as users run it: this machine's own /usr
# booted with systemd 252 as PID 1 in a container (systemd-nspawn
# --volatile=yes: an empty /etc, nothing of the host's state, the host's
# network so the relay reaches the stack). Inside, under_systemd_inside.sh
# follows docs/relay.md's set-up and installs
# packaging/systemd/mailoauth-relay.service unchanged (a drop-in points
# ExecStart at this build and sets WatchdogSec=3s), then checks what systemd
# and the kernel see: Type=notify start, STATUS=, the user, capability set,
# no_new_privs and seccomp as applied, a port under 1024 bound without root,
# a message relayed with OAuth2, the store key as a credential, `mailoauth
# queue list` as the service's user, reload on the same PID, the watchdog
# fed, the online security score, a clean stop. Here the message is then
# looked for in alice's mailbox (IMAPS). Needs root and systemd-nspawn
# (package systemd-container, which scripts/install-deps installs).
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
source "${BASH_SOURCE%/*}/relay_lib.sh"
source "$MAILOAUTH_SOURCE_DIR/tests/stack/app_account.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v systemd-nspawn >/dev/null; then
  skip "the relay under a real systemd" "needs root and systemd-nspawn (package systemd-container)"
  finish
fi

# A port under 1024 nothing listens on: binding it takes CAP_NET_BIND_SERVICE.
port=$(python3 - <<'PY'
import socket
for port in list(range(825, 1000)) + list(range(700, 825)):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break
PY
)
[ -n "$port" ] || { echo "FAIL: no free port under 1024"; exit 1; }

inside=$work/inside
mkdir -p "$inside/etc" "$inside/units"
chmod 755 "$work" "$inside"
subject="relayundersystemd$$x$RANDOM$RANDOM"
cat >"$inside/env" <<ENV
BIN_DIR=$bin_dir
SOURCE_DIR=$MAILOAUTH_SOURCE_DIR
PORT=$port
SENDER=printer@direct.test
RECIPIENT=$USER1
SUBJECT=$subject
ENV
cat >"$inside/etc/relay.toml" <<TOML
hostname = "relay.test"
spool_directory = "/var/lib/mailoauth/spool"
users_file = "/etc/mailoauth/users"
accounts = "/etc/mailoauth/accounts.toml"
greeting_pause_ms = 0
[listeners.lan]
port = $port
clients = ["127.0.0.1"]
[routes.direct]
senders = ["direct.test"]
account = "app"
server = "$SMTP_HOST"
port = $SUBMISSION_PORT
tls = "starttls"
TOML
{
  stack_app_account app /etc/mailoauth/cc.secret
  echo "ca_file = \"$CA_FILE\""
} >"$inside/etc/accounts.toml"
(umask 077 && printf '%s\n' "$CC_CLIENT_SECRET" >"$inside/etc/cc.secret")  # root copies it in
: >"$inside/etc/users"

cat >"$inside/units/mailoauth-test.target" <<'UNIT'
[Unit]
Description=mailoauth relay under systemd: the test
Requires=basic.target mailoauth-test-run.service
After=basic.target
AllowIsolate=yes
UNIT
cat >"$inside/units/mailoauth-test-run.service" <<UNIT
[Unit]
Description=mailoauth relay under systemd: the test's driver
After=basic.target
[Service]
Type=oneshot
TimeoutStartSec=150
ExecStart=/bin/bash $MAILOAUTH_SOURCE_DIR/tests/cli/relay/under_systemd_inside.sh
ExecStopPost=/bin/systemctl poweroff --no-block
UNIT

# Bind what the container needs at the same paths: the sources (the unit,
# the sysusers file, the inside script), the build, and the stack's CA.
binds=()
bound=()
bind_ro() {
  local path
  path=$(realpath "$1")
  for done_path in "${bound[@]}"; do
    case "$path/" in "$done_path"/*) return 0 ;; esac
  done
  bound+=("$path")
  binds+=("--bind-ro=$path")
}
bind_ro "$MAILOAUTH_SOURCE_DIR"
bind_ro "$bin_dir"
bind_ro "$(dirname "$CA_FILE")"
machine=mailoauth-test-$$
timeout 240 systemd-nspawn -D / --volatile=yes --register=no --keep-unit -M "$machine" \
  --bind="$inside:/srv/mailoauth-test" "${binds[@]}" \
  --bind-ro="$inside/units/mailoauth-test.target:/etc/systemd/system/mailoauth-test.target" \
  --bind-ro="$inside/units/mailoauth-test-run.service:/etc/systemd/system/mailoauth-test-run.service" \
  -b -- systemd.unit=mailoauth-test.target systemd.firstboot=off \
  systemd.mask=systemd-networkd.service systemd.mask=systemd-networkd.socket \
  systemd.mask=systemd-resolved.service >"$work/boot.log" 2>&1
status=$?
check "the container booted, ran the checks and powered off (exit $status)" test "$status" -eq 0 ||
  tail -n 40 "$work/boot.log"

if [ -f "$inside/results" ]; then
  while IFS= read -r line; do
    case "$line" in
      "ok: "*) check "under systemd: ${line#ok: }" true ;;
      "FAIL: "*) check "under systemd: ${line#FAIL: }" false ;;
      "note: "*) echo "${line#note: }" ;;
    esac
  done <"$inside/results"
fi
check "the inside script ran to its end" grep -qx done "$inside/results" ||
  { [ -f "$inside/inside.log" ] && tail -n 40 "$inside/inside.log"; }
grep -q '^FAIL' "$inside/results" 2>/dev/null && {
  show "$inside/inside.log"
  [ -f "$inside/relay.journal" ] && show "$inside/relay.journal"
}
check "the message relayed under systemd is in alice's mailbox" wait_found "$subject" 1 30
finish
