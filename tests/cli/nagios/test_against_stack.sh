#!/usr/bin/env bash
# The check plugins under a real Nagios Core (Debian's nagios4-core), as
# issue 11 ran them: a private Nagios started here as root, dropping to an
# unprivileged user of this run (home in the temp dir) with the environment
# Debian's nagios4 unit gives it (no HOME, no XDG_*), checks the stack's
# mailboxes with check_imap_mailbox_basic and check_imap_mailbox_oauth2; the
# states and outputs are read back from Nagios's status file. It proves:
# the plugins run without HOME (the token cache falls back to the home in the
# password database); a state directory made by root first, or one the user
# cannot create, is worked around (the token fetched without the cache, said
# in the long output); six checks started at once on an empty state
# directory agree on one store key; a wrong password or secret is CRITICAL;
# a WARNING's counts and perfdata come through; a folder with a comma can be
# checked (-folder); -password-file and a $USERn$ resource macro both carry a
# password; and what docs/monitoring.md says of Nagios holds: `\!` and `$$`
# in an argument arrive as `!` and `$`, and a variable in the daemon's
# environment (systemd EnvironmentFile=) reaches the plugins. mailoauth's own
# checks too: check_oauth_token (OK with the secret's days left; WARNING when
# -w reaches past the configured expiry) and check_mail_roundtrip (a probe
# through the stack, OK with the delay's perfdata), their token store in the
# password database's home. Every wait is bounded; Nagios is stopped by its PID.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
nagios=/usr/sbin/nagios4
daemon=nagios
[ -x "$nagios" ] || { echo "FAIL: $nagios missing (scripts/install-deps installs nagios4-core)"; exit 1; }
source "$(dirname "$0")/daemon_fixture.sh"

bin="$MAILOAUTH_BIN_DIR"
source "$MAILOAUTH_SOURCE_DIR/tests/stack/app_account.sh"
# A mailoauth account for the native checks: cc-carol (carol's mailbox), its
# secret expiring in 100 days, SMTP by Dovecot submission, IMAP over TLS.
(umask 077 && printf '%s\n' "$CC_CAROL_CLIENT_SECRET" >"$tmp/etc/carol.secret")
{ stack_client_account carol "$CC_CAROL_CLIENT_ID" "$tmp/etc/carol.secret" "$CC_CAROL_MAILBOX"
  cat <<CONF
client_secret_expires = "$(date -u -d '+100 days' +%F)"
smtp_server = "$SMTP_HOST"
smtp_port = $SUBMISSION_PORT
smtp_tls = "starttls"
imap_server = "$IMAP_HOST"
imap_port = $IMAPS_PORT
ca_file = "$CA_FILE"
CONF
} >"$tmp/etc/mailoauth.toml"
chmod 600 "$tmp/etc/mailoauth.toml"
chown "$user:$user" "$tmp/etc/mailoauth.toml" "$tmp/etc/carol.secret"
secret_days=$(( ($(date -u -d "$(date -u -d '+100 days' +%F)" +%s) - $(date -u +%s)) / 86400 ))
common="-server $IMAP_HOST -port $IMAPS_PORT -ca-file $CA_FILE -t 10"
cat >"$tmp/etc/resource.cfg" <<EOF
\$USER1\$=$USER2_PASSWORD
\$USER2\$=not-bobs-password
EOF
cat >"$tmp/etc/objects.cfg" <<EOF
define timeperiod {
    timeperiod_name 24x7
    alias           always
    sunday 00:00-24:00
    monday 00:00-24:00
    tuesday 00:00-24:00
    wednesday 00:00-24:00
    thursday 00:00-24:00
    friday 00:00-24:00
    saturday 00:00-24:00
}
define contact {
    contact_name                  nobody
    host_notifications_enabled    0
    service_notifications_enabled 0
    host_notification_period      24x7
    service_notification_period   24x7
    host_notification_options     n
    service_notification_options  n
    host_notification_commands    no-op
    service_notification_commands no-op
}
define command {
    command_name no-op
    command_line /bin/true
}
define command {
    command_name environment_probe
    command_line $tmp/etc/environment-probe
}
define command {
    command_name echo_argument
    command_line /bin/echo 'OK: \$ARG1\$'
}
define command {
    command_name check_imap_mailbox_basic
    command_line $bin/check_imap_mailbox_basic $common -username '$USER2' \$ARG1\$
}
define command {
    command_name check_imap_mailbox_oauth2
    command_line $bin/check_imap_mailbox_oauth2 -folders '$folder' ${oauth2_args[*]} \$ARG1\$
}
define command {
    command_name check_imap_mailbox_oauth2_state_dir
    command_line /usr/bin/env MAILOAUTH_STATE_DIR=\$ARG1\$ $bin/check_imap_mailbox_oauth2 -folders '$folder' ${oauth2_args[*]} \$ARG2\$
}
define command {
    command_name check_oauth_token
    command_line $bin/check_oauth_token --config $tmp/etc/mailoauth.toml \$ARG1\$
}
define command {
    command_name check_mail_roundtrip
    command_line $bin/check_mail_roundtrip --config $tmp/etc/mailoauth.toml \$ARG1\$
}
define host {
    host_name             stack
    address               $IMAP_HOST
    max_check_attempts    1
    check_period          24x7
    contacts              nobody
    notifications_enabled 0
    active_checks_enabled 0
}
define service {
    name                  stack-service
    register              0
    host_name             stack
    max_check_attempts    1
    check_interval        600
    retry_interval        600
    check_period          24x7
    contacts              nobody
    notifications_enabled 0
    notification_period   24x7
    notification_interval 0
}
define service {
    use                 stack-service
    service_description environment
    check_command       environment_probe
}
define service {
    use                 stack-service
    service_description escapes
    check_command       echo_argument!pa\!ss\$\$word
}
define service {
    use                 stack-service
    service_description basic password-file
    check_command       check_imap_mailbox_basic!-folders '$folder' -password-file $tmp/etc/bob.password
}
define service {
    use                 stack-service
    service_description basic resource macro
    check_command       check_imap_mailbox_basic!-folders '$folder' -password '\$USER1\$'
}
define service {
    use                 stack-service
    service_description basic wrong password
    check_command       check_imap_mailbox_basic!-folders '$folder' -password '\$USER2\$'
}
define service {
    use                 stack-service
    service_description basic comma folder
    check_command       check_imap_mailbox_basic!-folder '$comma_folder' -password-file $tmp/etc/bob.password -perfdata
}
define service {
    use                 stack-service
    service_description oauth2 no HOME
    check_command       check_imap_mailbox_oauth2!-client-secret-file $tmp/etc/alice.secret
}
define service {
    use                 stack-service
    service_description oauth2 root state directory
    check_command       check_imap_mailbox_oauth2_state_dir!$tmp/root-state!-client-secret-file $tmp/etc/alice.secret
}
define service {
    use                 stack-service
    service_description oauth2 uncreatable state directory
    check_command       check_imap_mailbox_oauth2_state_dir!$tmp/root-only/state!-client-secret-file $tmp/etc/alice.secret
}
define service {
    name                oauth2-shared-state
    use                 stack-service
    register            0
    check_command       check_imap_mailbox_oauth2_state_dir!$tmp/var/shared-state!-client-secret-file $tmp/etc/alice.secret
}
EOF
for n in 1 2 3 4 5 6; do
  printf 'define service {\n    use oauth2-shared-state\n    service_description oauth2 first use %s\n}\n' "$n" \
    >>"$tmp/etc/objects.cfg"
done
cat >>"$tmp/etc/objects.cfg" <<EOF
define service {
    use                 stack-service
    service_description token health
    check_command       check_oauth_token!carol -w 30 -c 7 -t 20
}
define service {
    use                 stack-service
    service_description token health secret within -w
    check_command       check_oauth_token!carol -w 200 -c 7 -t 20
}
define service {
    use                 stack-service
    service_description mail round trip
    check_command       check_mail_roundtrip!carol -w 20 -c 25 -t 25
}
define service {
    use                 stack-service
    service_description oauth2 wrong secret
    check_command       check_imap_mailbox_oauth2!-client-secret NOT-THE-SECRET
}
EOF
services=("environment" "escapes" "basic password-file" "basic resource macro" "basic wrong password"
          "basic comma folder" "oauth2 no HOME" "oauth2 root state directory" "oauth2 wrong secret"
          "oauth2 uncreatable state directory" "oauth2 first use 1" "oauth2 first use 2" "oauth2 first use 3" "oauth2 first use 4"
          "oauth2 first use 5" "oauth2 first use 6" "token health" "token health secret within -w"
          "mail round trip")

v="$tmp/var"
cat >"$tmp/etc/nagios.cfg" <<EOF
cfg_file=$tmp/etc/objects.cfg
resource_file=$tmp/etc/resource.cfg
log_file=$v/nagios.log
object_cache_file=$v/objects.cache
precached_object_file=$v/objects.precache
status_file=$v/status.dat
status_update_interval=1
temp_file=$v/nagios.tmp
temp_path=$v
lock_file=$v/nagios.lock
query_socket=$v/nagios.qh
check_result_path=$v/spool
check_result_reaper_frequency=1
state_retention_file=$v/retention.dat
retain_state_information=0
nagios_user=$user
nagios_group=$user
check_external_commands=0
use_syslog=0
log_initial_states=1
enable_notifications=0
enable_event_handlers=0
enable_flap_detection=0
execute_service_checks=1
execute_host_checks=0
accept_passive_service_checks=0
check_service_freshness=0
service_inter_check_delay_method=n
host_inter_check_delay_method=n
service_interleave_factor=1
max_concurrent_checks=0
service_check_timeout=30
service_check_timeout_state=u
interval_length=1
enable_environment_macros=0
check_for_updates=0
illegal_macro_output_chars=\`~\$&|'"<>
EOF
chown "$user:$user" "$tmp/etc/nagios.cfg" "$tmp/etc/objects.cfg" "$tmp/etc/resource.cfg"
chmod 600 "$tmp/etc/resource.cfg"

"$nagios" -v "$tmp/etc/nagios.cfg" >"$tmp/verify.out" 2>&1 ||
  { echo "FAIL: nagios -v"; cat "$tmp/verify.out"; exit 1; }

# Started as Debian's unit starts it: as root with a bare environment (plus one
# variable, as an EnvironmentFile= line would add); it drops to $user.
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 MAILOAUTH_PROBE=from-the-daemon \
  setsid "$nagios" "$tmp/etc/nagios.cfg" \
  >"$tmp/nagios.out" 2>&1 &
daemon_pid=$!

# Wait (at most 60 s) until the status file shows every service checked.
service_field() {  # service_field DESCRIPTION FIELD: the field's value in status.dat
  awk -v want="$1" -v field="$2" '
    /^servicestatus \{/ { inside = 1; description = ""; value = ""; found = 0; next }
    inside && /^\t}/ { if (description == want && found) print value; inside = 0; next }
    inside {
      line = $0; sub(/^\t/, "", line); key = line; sub(/=.*/, "", key); rest = substr(line, length(key) + 2)
      if (key == "service_description") description = rest
      if (key == field) { value = rest; found = 1 }
    }' "$v/status.dat" 2>/dev/null
}
all_checked() {
  local service
  for service in "${services[@]}"; do
    [ "$(service_field "$service" has_been_checked)" = 1 ] || return 1
  done
}
wait_for_every_check "Nagios"

state() { service_field "$1" current_state; }
output() { service_field "$1" plugin_output; }
long() { service_field "$1" long_plugin_output; }
perf() { service_field "$1" performance_data; }

check "the plugins run as $user without HOME or XDG_STATE_HOME (as under Debian's unit)" test "$(output environment)" = "OK: user=$user home=unset xdg_state=unset daemon_env=from-the-daemon"
check "Nagios keeps a plugin's stdout only (the probe's stderr line is not in the output)" not grep -q probe <(long environment)
check "Nagios turns \\! and \$\$ in an argument into ! and \$" test "$(output escapes)" = "OK: pa!ss\$word"
check "basic, -password-file: OK [1/2]" test "$(state "basic password-file")" = 0
check "basic, -password-file: OK [2/2]" test "$(output "basic password-file")" = "OK: $USER2: No messages found in folders: $folder"
check "basic, the password in a \$USERn\$ resource macro: OK" test "$(state "basic resource macro")" = 0
check "basic, wrong password: CRITICAL Login error, the server's words in the long output [1/3]" test "$(state "basic wrong password")" = 2
check "basic, wrong password: CRITICAL Login error, the server's words in the long output [2/3]" test "$(output "basic wrong password")" = "CRITICAL: Login error occurred"
check "basic, wrong password: CRITICAL Login error, the server's words in the long output [3/3]" grep -q AUTHENTICATIONFAILED <(long "basic wrong password")
check "basic, -folder with a comma in the name: WARNING with its count and perfdata [1/3]" test "$(state "basic comma folder")" = 1
check "basic, -folder with a comma in the name: WARNING with its count and perfdata [2/3]" test "$(output "basic comma folder")" = "WARNING: $USER2: 1 messages found: $comma_folder(1)"
check "basic, -folder with a comma in the name: WARNING with its count and perfdata [3/3]" grep -q "=1;;;0;" <(perf "basic comma folder")
check "oauth2 without HOME: OK, the token cached in the home from the password database [1/4]" test "$(state "oauth2 no HOME")" = 0
check "oauth2 without HOME: OK, the token cached in the home from the password database [2/4]" test "$(output "oauth2 no HOME")" = "OK: $CC_MAILBOX: No messages found in folders: $folder"
check "oauth2 without HOME: OK, the token cached in the home from the password database [3/4]" not grep -q "token cache" <(long "oauth2 no HOME")
check "oauth2 without HOME: OK, the token cached in the home from the password database [4/4]" test -s "$tmp/home/.local/state/mailoauth/tokens.db"
check "oauth2 with root's state directory: OK, the cache skipped and the long output says why [1/2]" test "$(state "oauth2 root state directory")" = 0
check "oauth2 with root's state directory: OK, the cache skipped and the long output says why [2/2]" grep -q "token cache not used: .*root-state" <(long "oauth2 root state directory")
check "oauth2 with a state directory it cannot create: OK, the long output says why [1/2]" test "$(state "oauth2 uncreatable state directory")" = 0
check "oauth2 with a state directory it cannot create: OK, the long output says why [2/2]" grep -q "token cache not used: .*root-only/state" <(long "oauth2 uncreatable state directory")
first_use_ok() {
  local n
  for n in 1 2 3 4 5 6; do
    [ "$(state "oauth2 first use $n")" = 0 ] && ! long "oauth2 first use $n" | grep -q "token cache" || return 1
  done
}
check "six checks started at once on an empty state directory: all OK, all through one cache [1/2]" first_use_ok
check "six checks started at once on an empty state directory: all OK, all through one cache [2/2]" test "$(ls "$tmp/var/shared-state")" = "$(printf "locks\nstore.key\ntokens.db\ntokens.db-shm\ntokens.db-wal")"
check "oauth2, wrong secret: CRITICAL Login error with the identity server's words [1/3]" test "$(state "oauth2 wrong secret")" = 2
check "oauth2, wrong secret: CRITICAL Login error with the identity server's words [2/3]" test "$(output "oauth2 wrong secret")" = "CRITICAL: Login error occurred"
check "oauth2, wrong secret: CRITICAL Login error with the identity server's words [3/3]" grep -q invalid_client <(long "oauth2 wrong secret")
check "check_oauth_token without HOME: OK with the secret's days left [1/3]" test "$(state "token health")" = 0
check "check_oauth_token without HOME: OK with the secret's days left [2/3]" matches "$(output "token health")" "^OK: carol: token valid for [0-9]+ min, client secret expires in $secret_days days\$"
check "check_oauth_token without HOME: OK with the secret's days left [3/3]" matches "$(perf "token health")" "'secret_days_left'=$secret_days;30:;7:;;"
check "check_oauth_token with -w 200: WARNING naming the secret [1/2]" test "$(state "token health secret within -w")" = 1
check "check_oauth_token with -w 200: WARNING naming the secret [2/2]" matches "$(output "token health secret within -w")" "^WARNING: carol: client secret expires in $secret_days days"
check "check_mail_roundtrip under Nagios: OK, the delay's perfdata [1/3]" test "$(state "mail round trip")" = 0
check "check_mail_roundtrip under Nagios: OK, the delay's perfdata [2/3]" matches "$(output "mail round trip")" "^OK: probe arrived in [0-9.]+ s \\(smtp $SMTP_HOST:$SUBMISSION_PORT to $CC_CAROL_MAILBOX INBOX\\)\$"
check "check_mail_roundtrip under Nagios: OK, the delay's perfdata [3/3]" matches "$(perf "mail round trip")" "^'delay'=[0-9.]+s;20;25;0;25 'send_time'=[0-9.]+s;;;0; 'imap_time'=[0-9.]+s;;;0;\$"
check "the native checks' token store is in the home from the password database" test -s "$tmp/home/.local/state/mailoauth/tokens.db"
check "no secret in the status file [1/3]" not grep -qF "$USER2_PASSWORD" "$v/status.dat"
check "no secret in the status file [2/3]" not grep -qF "$CC_CLIENT_SECRET" "$v/status.dat"
check "no secret in the status file [3/3]" not grep -qF "$CC_CAROL_CLIENT_SECRET" "$v/status.dat"

if [ $checks_failed -ne 0 ] || [ -n "${DEBUG_TEST_OUTPUT:-}" ]; then
  for service in "${services[@]}"; do
    echo "--- $service: state $(state "$service")"
    echo "$(output "$service")"
    echo "$(long "$service")"
  done
  echo "--- nagios.log"; tail -n 30 "$v/nagios.log" 2>/dev/null; cat "$tmp/nagios.out"
fi
finish
