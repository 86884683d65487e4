#!/usr/bin/env bash
# The check plugins under a real Icinga 2 (Debian's icinga2-bin, 2.13), with
# the CheckCommand objects copied out of docs/monitoring.md, so the page's
# definitions are the ones that run: a private Icinga 2 started here as root
# with a bare environment drops to a user of this run (no HOME, as Debian's
# icinga2 unit runs plugins) and checks the stack's mailboxes; states and
# outputs are read back from its PerfdataWriter's files (a template of our
# own: state id, then the whole output). It proves: the documented commands
# give OK for a good mailbox and CRITICAL for a wrong password or secret;
# the oauth2 plugin works without HOME (the cache in the password database's
# home) and with `env.MAILOAUTH_STATE_DIR` naming a directory root made
# (the cache skipped, said in the long output); Icinga 2 merges stderr into
# the output (the probe's line shows) while the plugins keep stderr empty
# at the default log level, also for a bad flag (UNKNOWN); a variable of the
# daemon's environment reaches the plugins. Every wait is bounded; Icinga 2
# is stopped by its PID.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
icinga2=/usr/sbin/icinga2
daemon=icinga2
[ -x "$icinga2" ] || { echo "FAIL: $icinga2 missing (scripts/install-deps installs icinga2-bin)"; exit 1; }
source "$(dirname "$0")/daemon_fixture.sh"

# The CheckCommand objects of docs/monitoring.md's Icinga 2 section, as written there.
docs="$MAILOAUTH_SOURCE_DIR/docs/monitoring.md"
awk '/^## Icinga 2/ { section = 1 } /^## / && !/^## Icinga 2/ { section = 0 }
     section && /^object CheckCommand/ { copying = 1 }
     copying { print } copying && /^}/ { copying = 0 }' "$docs" >"$tmp/etc/documented.conf"
check "docs/monitoring.md has the oauth2 and the basic CheckCommand [1/2]" grep -q "^object CheckCommand \"imap_mailbox_oauth2\"" "$tmp/etc/documented.conf"
check "docs/monitoring.md has the oauth2 and the basic CheckCommand [2/2]" grep -q "^object CheckCommand \"imap_mailbox_basic\"" "$tmp/etc/documented.conf"

v="$tmp/var"
mkdir -p "$v/data" "$v/log" "$v/cache" "$v/spool" "$v/run" "$v/perf"
printf 'NOT-THE-SECRET\n' >"$tmp/etc/wrong.secret"
printf 'not-bobs-password\n' >"$tmp/etc/wrong.password"
chmod 600 "$tmp/etc/wrong.secret" "$tmp/etc/wrong.password"
chown -R "$user:$user" "$v" "$tmp/etc"

cat >"$tmp/etc/icinga2.conf" <<EOF
include <itl>
const PluginDir = "$MAILOAUTH_BIN_DIR"
include "documented.conf"

object IcingaApplication "app" { }
object CheckerComponent "checker" { }
object PerfdataWriter "perfdata" {
  host_perfdata_path = "$v/perf/host"
  service_perfdata_path = "$v/perf/service"
  host_temp_path = "$v/perf/host.tmp"
  service_temp_path = "$v/perf/service.tmp"
  service_format_template = "BEGIN \$service.name\$ STATE \$service.state_id\$\\n\$service.output\$\\nEND \$service.name\$"
  rotation_interval = 1s
}
object CheckCommand "environment_probe" {
  command = [ "$tmp/etc/environment-probe" ]
}
object Host "stack" {
  check_command = "dummy"
  enable_active_checks = false
}
template Service "stack-service" {
  host_name = "stack"
  check_interval = 3s  # Icinga 2 schedules the first check at a random point within it
  retry_interval = 3s
  vars.imap_server = "$IMAP_HOST"
  vars.imap_port = "$IMAPS_PORT"
  vars.imap_ca_file = "$CA_FILE"
  vars.imap_timeout = 10
}
template Service "basic" {
  import "stack-service"
  check_command = "imap_mailbox_basic"
  vars.imap_folders = "$folder"
  vars.imap_username = "$USER2"
  vars.imap_password_file = "$tmp/etc/bob.password"
}
template Service "oauth2" {
  import "stack-service"
  check_command = "imap_mailbox_oauth2"
  vars.imap_folders = "$folder"
  vars.imap_mailbox = "$CC_MAILBOX"
  vars.imap_client_id = "$CC_CLIENT_ID"
  vars.imap_client_secret_file = "$tmp/etc/alice.secret"
  vars.imap_token_url = "$OIDC_TOKEN_URL"
  vars.imap_scopes = "$MAIL_SCOPE"
}
object Service "environment" {
  import "stack-service"
  check_command = "environment_probe"
}
object Service "basic ok" { import "basic" }
object Service "basic wrong password" {
  import "basic"
  vars.imap_password_file = "$tmp/etc/wrong.password"
}
object Service "basic bad flag" {
  import "basic"
  vars.imap_timeout = 0
}
object Service "oauth2 no HOME" { import "oauth2" }
object Service "oauth2 root state directory" {
  import "oauth2"
  vars.imap_state_dir = "$tmp/root-state"
}
object Service "oauth2 wrong secret" {
  import "oauth2"
  vars.imap_client_secret_file = "$tmp/etc/wrong.secret"
}
EOF
services=("environment" "basic ok" "basic wrong password" "basic bad flag" "oauth2 no HOME"
          "oauth2 root state directory" "oauth2 wrong secret")
chown "$user:$user" "$tmp/etc/icinga2.conf" "$tmp/etc/documented.conf"

defines=(-DConfiguration.DataDir="$v/data" -DConfiguration.LogDir="$v/log"
         -DConfiguration.CacheDir="$v/cache" -DConfiguration.SpoolDir="$v/spool"
         -DConfiguration.InitRunDir="$v/run" -DConfiguration.PidPath="$v/run/icinga2.pid"
         -DConfiguration.RunAsUser="$user" -DConfiguration.RunAsGroup="$user")
"$icinga2" daemon -C -c "$tmp/etc/icinga2.conf" "${defines[@]}" >"$tmp/validate.out" 2>&1 ||
  { echo "FAIL: icinga2 daemon -C"; cat "$tmp/validate.out"; exit 1; }

# Started as Debian's unit starts it: as root with a bare environment (plus one
# variable, as its EnvironmentFile= would add); it drops to $user.
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 MAILOAUTH_PROBE=from-the-daemon \
  setsid "$icinga2" daemon -c "$tmp/etc/icinga2.conf" "${defines[@]}" >"$tmp/icinga2.out" 2>&1 &
daemon_pid=$!

record() {  # record SERVICE: "STATE\n<output>" of the service's first result
  cat "$v"/perf/service.* 2>/dev/null | awk -v begin="BEGIN $1 STATE " -v end="END $1" '
    !done && index($0, begin) == 1 { inside = 1; print substr($0, length(begin) + 1); next }
    inside && $0 == end { inside = 0; done = 1; next }
    inside { print }'
}
all_checked() {
  local service
  for service in "${services[@]}"; do [ -n "$(record "$service")" ] || return 1; done
}
wait_for_every_check "Icinga 2"

state() { record "$1" | head -n 1; }
output() { record "$1" | sed -n '2s/ *$//p'; }  # go-nagios ends lines in " \n"
long() { record "$1" | tail -n +3; }

check "the plugins run as $user without HOME; the daemon's environment reaches them" test "$(output environment)" = "OK: user=$user home=unset xdg_state=unset daemon_env=from-the-daemon"
check "Icinga 2 merges stderr into the output (the probe's stderr line is there)" grep -qx "probe: a line on stderr" <(record environment)
check "basic, documented command: OK [1/2]" test "$(state "basic ok")" = 0
check "basic, documented command: OK [2/2]" test "$(output "basic ok")" = "OK: $USER2: No messages found in folders: $folder"
check "basic, wrong password: CRITICAL Login error, nothing of a log in the output [1/3]" test "$(state "basic wrong password")" = 2
check "basic, wrong password: CRITICAL Login error, nothing of a log in the output [2/3]" test "$(output "basic wrong password")" = "CRITICAL: Login error occurred"
check "basic, wrong password: CRITICAL Login error, nothing of a log in the output [3/3]" not grep -Eq "Z (ERROR|INFO|DEBUG) " <(record "basic wrong password")
check "basic, a bad flag value: UNKNOWN, and no log line merged into the output [1/3]" test "$(state "basic bad flag")" = 3
check "basic, a bad flag value: UNKNOWN, and no log line merged into the output [2/3]" test "$(output "basic bad flag")" = "UNKNOWN: Error initializing application"
check "basic, a bad flag value: UNKNOWN, and no log line merged into the output [3/3]" not grep -Eq "Z (ERROR|INFO|DEBUG) " <(record "basic bad flag")
check "oauth2 without HOME: OK, the token cached in the home from the password database [1/3]" test "$(state "oauth2 no HOME")" = 0
check "oauth2 without HOME: OK, the token cached in the home from the password database [2/3]" not grep -q "token cache" <(long "oauth2 no HOME")
check "oauth2 without HOME: OK, the token cached in the home from the password database [3/3]" test -s "$tmp/home/.local/state/mailoauth/tokens.db"
check "oauth2, env.MAILOAUTH_STATE_DIR naming root's directory: OK, the long output says why [1/2]" test "$(state "oauth2 root state directory")" = 0
check "oauth2, env.MAILOAUTH_STATE_DIR naming root's directory: OK, the long output says why [2/2]" grep -q "token cache not used: .*root-state" <(long "oauth2 root state directory")
check "oauth2, wrong secret: CRITICAL Login error with the identity server's words [1/3]" test "$(state "oauth2 wrong secret")" = 2
check "oauth2, wrong secret: CRITICAL Login error with the identity server's words [2/3]" test "$(output "oauth2 wrong secret")" = "CRITICAL: Login error occurred"
check "oauth2, wrong secret: CRITICAL Login error with the identity server's words [3/3]" grep -q invalid_client <(long "oauth2 wrong secret")
check "no secret in the daemon's files [1/2]" not grep -rqF "$USER2_PASSWORD" "$v"
check "no secret in the daemon's files [2/2]" not grep -rqF "$CC_CLIENT_SECRET" "$v"

if [ $checks_failed -ne 0 ] || [ -n "${DEBUG_TEST_OUTPUT:-}" ]; then
  for service in "${services[@]}"; do echo "--- $service"; record "$service"; done
  echo "--- icinga2 output"; tail -n 30 "$tmp/icinga2.out"
fi
finish
