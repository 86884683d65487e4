#!/usr/bin/env bash
# The migration guide's worked examples (docs/relay.md, "Migrating to
# mailoauth relay") stay valid: each fenced block after a
# `<!-- migration-example: SET FILE -->` comment is written to a directory
# of its own (the /etc/mailoauth and /var/lib/mailoauth paths moved into it,
# placeholder secret files made 0600), `mailoauth relay check-config` loads
# the relay.toml (exit 0, every listener and every route with its account
# named), and `mailoauth account show` loads each account a route names from
# the accounts config (check-config reads the accounts only for Graph and
# auto routes). No server is needed.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "${BASH_SOURCE%/*}/relay_lib.sh"

source_dir=${MAILOAUTH_SOURCE_DIR:-$(cd "${BASH_SOURCE%/*}/../../.." && pwd)}
guide=$source_dir/docs/relay.md
export HOME=$work/home MAILOAUTH_STATE_DIR=$work/state
unset MAILOAUTH_CONFIG XDG_CONFIG_HOME XDG_STATE_HOME
mkdir -p "$HOME"

# extract SET FILE: the fenced block right after the marker, without its fences.
extract() {
  awk -v marker="<!-- migration-example: $1 $2 -->" '
    $0 == marker { found = 1; next }
    found == 1 && /^```/ { found = 2; next }
    found == 2 && /^```/ { exit }
    found == 2 { print }
  ' "$guide"
}

# has_line TEXT PREFIX: a line of TEXT starts with PREFIX (no regex: names are literal).
has_line() {
  printf '%s\n' "$1" | awk -v prefix="$2" 'index($0, prefix) == 1 { found = 1 } END { exit !found }'
}

# localise DIR: the example's system paths moved under DIR.
localise() {
  sed -e "s#/etc/mailoauth/#$1/etc/#g" -e "s#/var/lib/mailoauth/#$1/var/#g"
}

sets=$(sed -n 's/^<!-- migration-example: \([a-z0-9-]*\) [a-z.]* -->$/\1/p' "$guide" | sort -u)
check "the guide marks worked examples" test -n "$sets"

for set in $sets; do
  dir=$work/$set
  mkdir -p "$dir/etc" "$dir/var"
  extract "$set" relay.toml | localise "$dir" >"$dir/etc/relay.toml"
  extract "$set" accounts.toml | localise "$dir" >"$dir/etc/accounts.toml"
  check "$set: the guide has a relay.toml block" test -s "$dir/etc/relay.toml"
  check "$set: the guide has an accounts.toml block" test -s "$dir/etc/accounts.toml"
  check "$set: every system path was moved into the test directory" \
    not grep -Eq '"/(etc|var)/' "$dir/etc/relay.toml" "$dir/etc/accounts.toml"

  # Placeholder files for every secret, certificate and key an account names.
  for file in $(sed -n -E 's/^(client_secret_file|previous_client_secret_file|certificate_file|private_key_file|service_account_file) *= *"([^"]*)".*/\2/p' \
    "$dir/etc/accounts.toml"); do
    (umask 077 && printf 'placeholder\n' >"$file")
  done

  output=$("$mailoauth_bin" relay --config "$dir/etc/relay.toml" check-config 2>&1)
  status=$?
  check "$set: check-config accepts the example (exit 0)" test "$status" -eq 0 ||
    printf '%s\n' "$output"
  for listener in $(sed -n 's/^\[listeners\.\([^]]*\)\].*/\1/p' "$dir/etc/relay.toml"); do
    check "$set: check-config names listener $listener" has_line "$output" "listener $listener: "
  done
  routes=$(sed -n 's/^\[routes\.\([^]]*\)\].*/\1/p' "$dir/etc/relay.toml")
  check "$set: the example has routes" test -n "$routes"
  for route in $routes; do
    account=$(awk -v table="[routes.$route]" '
      $1 == table { inside = 1; next }
      /^\[/ { inside = 0 }
      inside && $1 == "account" { gsub(/"/, "", $3); print $3; exit }
    ' "$dir/etc/relay.toml")
    check "$set: route $route names an account" test -n "$account"
    check "$set: check-config names route $route with account $account" \
      has_line "$output" "route $route: account $account via "
    shown=$(MAILOAUTH_CONFIG=$dir/etc/accounts.toml "$mailoauth_bin" account show "$account" 2>&1)
    status=$?
    check "$set: the accounts config loads and has account $account" test "$status" -eq 0 ||
      printf '%s\n' "$shown"
  done
done

finish
