#!/usr/bin/env bash
# packaging/systemd/mailoauth-relay.service passes `systemd-analyze verify`
# with no output at all (every warning fails the test), and keeps its
# sandbox: `systemd-analyze security --offline=true` must rate it 2.0 or
# better (docs/relay.md notes the score) and the lines docs/relay.md explains
# must be there. PID 1 here is not systemd and /usr/bin/mailoauth may not be
# installed, so a copy is verified with ExecStart pointing at this build's
# binary; a copy with a typo proves verify's output is looked at.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "${BASH_SOURCE%/*}/relay_lib.sh"
unit=$MAILOAUTH_SOURCE_DIR/packaging/systemd/mailoauth-relay.service

if ! command -v systemd-analyze >/dev/null; then
  skip "systemd-analyze verify" "systemd-analyze is not installed"
  finish
fi
mkdir "$work/units"
sed "s|^ExecStart=/usr/bin/mailoauth |ExecStart=$mailoauth_bin |" "$unit" >"$work/units/mailoauth-relay.service"
check "the copy runs this build's binary" grep -qx "ExecStart=$mailoauth_bin relay run --config /etc/mailoauth/relay.toml" \
  "$work/units/mailoauth-relay.service"
(cd "$work/units" && systemd-analyze verify --man=no ./mailoauth-relay.service) >"$work/verify.out" 2>&1
status=$?
check "systemd-analyze verify exits 0" test "$status" -eq 0
check "and says nothing (no warning)" test ! -s "$work/verify.out" || show "$work/verify.out"

sed 's/^ProtectSystem=strict$/ProtectSytem=strict/' "$work/units/mailoauth-relay.service" >"$work/units/typo.service"
(cd "$work/units" && systemd-analyze verify --man=no ./typo.service) >"$work/typo.out" 2>&1
check "a unit with a typo does make verify speak (the check above can fail)" grep -q 'ProtectSytem' "$work/typo.out"

(cd "$work/units" && systemd-analyze security --offline=true ./mailoauth-relay.service) >"$work/security.out" 2>&1
score=$(sed -n 's/.*Overall exposure level for mailoauth-relay.service: \([0-9.]*\).*/\1/p' "$work/security.out")
echo "systemd-analyze security exposure: ${score:-none}"
check "systemd-analyze security rates the sandbox 2.0 or better (${score:-no score})" \
  awk -v s="${score:-99}" 'BEGIN { exit !(s <= 2.0) }'

for line in Type=notify NotifyAccess=main WatchdogSec=30s 'ExecReload=/bin/kill -HUP $MAINPID' \
  User=mailoauth StateDirectory=mailoauth ConfigurationDirectoryMode=0750 ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
  NoNewPrivileges=yes CapabilityBoundingSet=CAP_NET_BIND_SERVICE AmbientCapabilities=CAP_NET_BIND_SERVICE \
  'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' SystemCallFilter=@system-service \
  LoadCredential=mailoauth-store-key:/etc/mailoauth/store.key; do
  check "the unit has $line" grep -qxF "$line" "$unit"
done
# TimeoutStopSec must leave room for shutdown_grace (30 s by default) and the 5 s after it.
stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s$/\1/p' "$unit")
check "TimeoutStopSec ($stop s) exceeds the default shutdown_grace plus 5 s" test "${stop:-0}" -gt 35
check "the sysusers.d file creates the mailoauth user" \
  grep -q '^u mailoauth ' "$MAILOAUTH_SOURCE_DIR/packaging/systemd/mailoauth.sysusers.conf"
finish
