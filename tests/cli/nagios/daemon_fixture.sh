# What the tests that run the plugins under a monitoring daemon share
# (sourced by tests/cli/nagios/test_against_stack*.sh, not a test itself):
# a user of this run whose home is in the temp dir (so the token cache's
# fallback to the password database's home can be seen and leaves nothing
# behind), the mailboxes (an empty folder, one with a comma in its name and a
# message), secret files owned by that user, a state directory root made
# first, a directory the user cannot create one in, and a probe that prints
# what a plugin sees of its environment. `daemon_pid` is stopped (TERM, then
# KILL of its process group after 5 s) and everything removed at exit;
# wait_for_every_check polls the test's all_checked for at most 60 s.
# Needs: ../common.sh sourced first (check, finish), $daemon (a name for
# messages), the test's environment variables.
source "$MAILOAUTH_STACK_ENV"
append="$MAILOAUTH_TEST_TOOLS/imap_append_tool"
[ "$(id -u)" = 0 ] || { echo "FAIL: must run as root ($daemon drops to a user of its own)"; exit 1; }

tmp=$(mktemp -d)
chmod 755 "$tmp"
user="mo-$daemon-$$"  # a user of this run: its home (for the cache) lives in $tmp
folder="$daemon-$$"
comma_folder="$daemon-$$, with comma"
daemon_pid=""
retrying() {  # retrying COMMAND...: up to 20 tries 0.25 s apart (another test may hold /etc/passwd's lock)
  local try
  for try in $(seq 20); do
    "$@" && return 0
    sleep 0.25
  done
  return 1
}
imap() {  # imap USER PASSWORD COMMAND
  curl -s --max-time 5 --cacert "$CA_FILE" -u "$1:$2" "imaps://$IMAP_HOST:$IMAPS_PORT/" -X "$3"
}
cleanup() {
  if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
    kill -TERM "$daemon_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$daemon_pid" 2>/dev/null  # its workers too, if it did not stop them
  fi
  imap "$USER2" "$USER2_PASSWORD" "DELETE \"$folder\"" >/dev/null
  imap "$USER2" "$USER2_PASSWORD" "DELETE \"$comma_folder\"" >/dev/null
  imap "$CC_MAILBOX" "$USER1_PASSWORD" "DELETE \"$folder\"" >/dev/null
  id "$user" >/dev/null 2>&1 && retrying userdel "$user" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT

retrying useradd --system --user-group --no-create-home --home-dir "$tmp/home" \
  --shell /usr/sbin/nologin "$user" || { echo "FAIL: useradd $user"; exit 1; }
mkdir -p "$tmp/home" "$tmp/var/spool" "$tmp/etc"
printf '%s\n' "$USER2_PASSWORD" >"$tmp/etc/bob.password"
printf '%s\n' "$CC_CLIENT_SECRET" >"$tmp/etc/alice.secret"
chmod 600 "$tmp/etc/bob.password" "$tmp/etc/alice.secret"
chown -R "$user:$user" "$tmp/home" "$tmp/var" "$tmp/etc"

# The mailboxes: an empty folder (OK) and one with a comma in its name and a message (WARNING).
imap "$USER2" "$USER2_PASSWORD" "CREATE \"$folder\"" >/dev/null
imap "$USER2" "$USER2_PASSWORD" "CREATE \"$comma_folder\"" >/dev/null
imap "$CC_MAILBOX" "$USER1_PASSWORD" "CREATE \"$folder\"" >/dev/null
"$append" "$IMAP_HOST" "$IMAPS_PORT" "$CA_FILE" "$USER2" "$USER2_PASSWORD" "$comma_folder" append 60 \
  "one" || { echo "FAIL: APPEND"; exit 1; }

# A state directory root made first (root ran the plugin by hand), then used by the daemon's user.
oauth2_args=(-server "$IMAP_HOST" -port "$IMAPS_PORT" -ca-file "$CA_FILE" -client-id "$CC_CLIENT_ID"
             -scopes "$MAIL_SCOPE" -shared-mailbox "$CC_MAILBOX" -token-url "$OIDC_TOKEN_URL" -t 10)
MAILOAUTH_STATE_DIR="$tmp/root-state" "$MAILOAUTH_BIN_DIR/check_imap_mailbox_oauth2" -folders "$folder" \
  "${oauth2_args[@]}" -client-secret-file "$tmp/etc/alice.secret" >"$tmp/root-run.out" 2>&1
check "root's own run made $tmp/root-state" test -e "$tmp/root-state/store.key"

mkdir -m 755 "$tmp/root-only"  # the daemon's user cannot create a state directory in it

# A probe that shows what a plugin sees of its environment.
cat >"$tmp/etc/environment-probe" <<'EOF'
#!/bin/sh
echo "OK: user=$(id -un) home=${HOME-unset} xdg_state=${XDG_STATE_HOME-unset} daemon_env=${MAILOAUTH_PROBE-unset}"
echo "probe: a line on stderr" >&2
EOF
chmod 755 "$tmp/etc/environment-probe"

wait_for_every_check() {  # wait_for_every_check NAME: at most 60 s for the test's all_checked
  local start
  start=$(date +%s)
  for _ in $(seq 600); do
    all_checked && break
    kill -0 "$daemon_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "every service checked after $(($(date +%s) - start)) s (limit 60 s)"
  check "$1 ran every check within 60 s" all_checked
}
