#!/usr/bin/env bash
# The OAuth entry a real identity server produces on demand, proven against
# the stack's oidc-provider rather than a replay: a wrong client secret
# (invalid_client) through `mailoauth token get`, showing the catalogue's meaning and remedy
# (from `mailoauth explain --list --json`) and exiting 69; and the text the
# user then sees, pasted into `mailoauth explain`, finds the same entry.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
source "$MAILOAUTH_SOURCE_DIR/tests/stack/app_account.sh"
m="$MAILOAUTH_BIN_DIR/mailoauth"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export MAILOAUTH_CONFIG="$tmp/config.toml" MAILOAUTH_STATE_DIR="$tmp/state"
printf 'not-the-secret\n' >"$tmp/wrong.secret"
chmod 600 "$tmp/wrong.secret"
{
  stack_app_account wrong "$tmp/wrong.secret"
  echo "ca_file = \"$CA_FILE\""
} >"$tmp/config.toml"
chmod 600 "$tmp/config.toml"
"$m" explain --list --json >"$tmp/list.json"
field() {  # ID FIELD
  python3 -c 'import json,sys; print(next(e[sys.argv[3]] for e in json.load(open(sys.argv[1])) if e["id"] == sys.argv[2]))' "$tmp/list.json" "$1" "$2"
}

for pair in wrong:oauth.invalid_client; do
  account=${pair%%:*} id=${pair#*:}
  "$m" token get "$account" >"$tmp/out" 2>"$tmp/err"; rc=$?
  check "$id from oidc-provider: exit $(field "$id" exit_code)" test "$rc" -eq "$(field "$id" exit_code)" || show "$tmp/err"
  check "$id from oidc-provider: the catalogue's meaning" grep -qF -- "$(field "$id" meaning)" "$tmp/err" || show "$tmp/err"
  check "$id from oidc-provider: the catalogue's remedy" grep -qF -- "(remedy: $(field "$id" remedy))" "$tmp/err" || show "$tmp/err"
  "$m" explain "$(cat "$tmp/err")" >"$tmp/explained" 2>&1
  check "$id: what the user saw, pasted into explain, finds it" grep -q "^[0-9]\. $id " "$tmp/explained" || show "$tmp/explained"
done

finish
