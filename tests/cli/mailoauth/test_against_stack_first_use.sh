#!/usr/bin/env bash
# The first use of a new state directory, and state directories this user
# cannot use, as a user meets them (issue 11):
# - several `mailoauth token get` at once on an empty state directory, many
#   rounds: every round leaves a store that works afterwards (before, each
#   process wrote its own store.key, the last rename won, and the store was
#   sealed with a key no longer on disk: "created with another key" for ever);
# - a state directory owned by another user, and HOME pointing at a directory
#   this user cannot read (a daemon started from a root shell that drops to
#   nobody): a clear refusal naming the directory and its reason, never an
#   abort (signal 6, a core file); the plugin, whose cache is optional with
#   the flags' grant, goes without it, says why (naming the directory) in
#   its long output, and the server decides the state (OK or WARNING here).
# Runs as root (the test machines do) to act as `nobody` through setpriv.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
source "$MAILOAUTH_SOURCE_DIR/tests/stack/app_account.sh"
m="$MAILOAUTH_BIN_DIR/mailoauth"
plugin="$MAILOAUTH_BIN_DIR/check_imap_mailbox_oauth2"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
chmod 711 "$tmp"
export MAILOAUTH_CONFIG="$tmp/config.toml"
unset MAILOAUTH_STORE_KEY CREDENTIALS_DIRECTORY XDG_STATE_HOME
printf '%s\n' "$CC_CLIENT_SECRET" > "$tmp/cc.secret"; chmod 600 "$tmp/cc.secret"
stack_app_account app "$tmp/cc.secret" > "$tmp/config.toml"; chmod 600 "$tmp/config.toml"

# --- many processes, a fresh state directory, many rounds ------------------------
rounds=10; processes=10; bricked=0
for round in $(seq $rounds); do
  export MAILOAUTH_STATE_DIR="$tmp/state.$round"
  for i in $(seq $processes); do "$m" token get app >"$tmp/get.$i" 2>"$tmp/err.$i" & done
  wait
  failed=0
  for i in $(seq $processes); do [ -s "$tmp/get.$i" ] || failed=$((failed + 1)); done
  if ! "$m" token get app >"$tmp/after" 2>"$tmp/after.err" || [ "$failed" -gt 0 ]; then
    bricked=$((bricked + 1))
    echo "round $round: $failed of $processes first gets failed; later get: $(head -c 300 "$tmp/after.err")"
    head -c 300 "$tmp/err.1"; echo
  fi
done
echo "rounds with a failed or unusable store: $bricked of $rounds"
check "$processes parallel first token gets on a fresh state dir: every round usable" test $bricked -eq 0
unset MAILOAUTH_STATE_DIR

# --- a state directory that belongs to another user -----------------------------------
as_nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
install -d -m 711 -o nobody "$tmp/nobody"
cp "$tmp/config.toml" "$tmp/nobody/config.toml"; cp "$tmp/cc.secret" "$tmp/nobody/cc.secret"
sed -i "s|$tmp/cc.secret|$tmp/nobody/cc.secret|" "$tmp/nobody/config.toml"
chown nobody "$tmp/nobody/config.toml" "$tmp/nobody/cc.secret"
install -d -m 700 "$tmp/rootstate"  # root's, as after `sudo mailoauth token get`
MAILOAUTH_STATE_DIR="$tmp/rootstate" "$m" token get app >/dev/null 2>&1
MAILOAUTH_CONFIG="$tmp/nobody/config.toml" MAILOAUTH_STATE_DIR="$tmp/rootstate" \
  "${as_nobody[@]}" "$m" token get app >"$tmp/out" 2>"$tmp/err"; rc=$?
check "state dir of another user: exit 78 (not an abort), nothing on stdout [1/2]" test $rc -eq 78
check "state dir of another user: exit 78 (not an abort), nothing on stdout [2/2]" test ! -s "$tmp/out"
check "state dir of another user: the directory, the refusal and its owner named [1/3]" grep -q "$tmp/rootstate" "$tmp/err"
check "state dir of another user: the directory, the refusal and its owner named [2/3]" grep -q "Permission denied" "$tmp/err"
check "state dir of another user: the directory, the refusal and its owner named [3/3]" grep -q "root" "$tmp/err"

# --- a read-only state directory still serves a valid cached token ------------------------
ro="$tmp/nobody/state"
MAILOAUTH_CONFIG="$tmp/nobody/config.toml" MAILOAUTH_STATE_DIR="$ro" "${as_nobody[@]}" "$m" token get app >"$tmp/ro.first" 2>"$tmp/err"
chmod 0400 "$ro"/tokens.db* "$ro/store.key"; chmod 0500 "$ro"
MAILOAUTH_CONFIG="$tmp/nobody/config.toml" MAILOAUTH_STATE_DIR="$ro" "${as_nobody[@]}" "$m" token get app >"$tmp/ro.second" 2>"$tmp/err"; rc=$?
check "read-only state dir: the cached token is served (exit 0, same token) [1/3]" test $rc -eq 0
check "read-only state dir: the cached token is served (exit 0, same token) [2/3]" test -s "$tmp/ro.first"
check "read-only state dir: the cached token is served (exit 0, same token) [3/3]" cmp -s "$tmp/ro.first" "$tmp/ro.second"
MAILOAUTH_CONFIG="$tmp/nobody/config.toml" MAILOAUTH_STATE_DIR="$ro" "${as_nobody[@]}" "$m" token get app --min-valid 999999 >"$tmp/out" 2>"$tmp/err"; rc=$?
check "read-only state dir: a renewal says the store cannot be written (exit 78) [1/2]" test $rc -eq 78
check "read-only state dir: a renewal says the store cannot be written (exit 78) [2/2]" grep -q "cannot write to the token store" "$tmp/err"
chmod 0700 "$ro"

# --- HOME pointing at a directory this user cannot read ---------------------------------
env -u MAILOAUTH_STATE_DIR HOME=/root MAILOAUTH_CONFIG="$tmp/nobody/config.toml" \
  "${as_nobody[@]}" "$m" token get app >"$tmp/out" 2>"$tmp/err"; rc=$?
check "HOME=/root as nobody: mailoauth token get exits 78 naming /root's state directory [1/2]" test $rc -eq 78
check "HOME=/root as nobody: mailoauth token get exits 78 naming /root's state directory [2/2]" grep -q "/root/.local/state/mailoauth" "$tmp/err"
env -u MAILOAUTH_STATE_DIR HOME=/root "${as_nobody[@]}" "$plugin" -folders INBOX -server "$IMAP_HOST" \
  -port "$IMAPS_PORT" -ca-file "$CA_FILE" -scopes "$MAIL_SCOPE" -shared-mailbox "$CC_MAILBOX" \
  -token-url "$OIDC_TOKEN_URL" -client-id "$CC_CLIENT_ID" -client-secret-file "$tmp/nobody/cc.secret" \
  >"$tmp/out" 2>"$tmp/err"; rc=$?
echo "plugin as nobody with HOME=/root: exit $rc, first line: $(head -n1 "$tmp/out")"
check "HOME=/root as nobody: the plugin answers (no signal 6) with a Nagios state [1/2]" test $rc -ge 0
check "HOME=/root as nobody: the plugin answers (no signal 6) with a Nagios state [2/2]" test $rc -le 3
check "HOME=/root as nobody: the server decides the state without the cache, the output names the state directory [1/2]" \
  grep -Eq "^(OK|WARNING): " <(head -n1 "$tmp/out")
check "HOME=/root as nobody: the server decides the state without the cache, the output names the state directory [2/2]" \
  grep -q "/root/.local/state/mailoauth" "$tmp/out"
finish
