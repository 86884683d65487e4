#!/usr/bin/env bash
# Every `mailoauth` command's usage errors, as a user meets them. The commands
# are found by walking the "Subcommands:" sections of --help (so a new one is
# tested the day it appears); for each: an unknown option, and an unknown word
# before --help (which must not print some help and exit 0), are named on
# stderr with the command's path and exit 64 with nothing on stdout (`imap
# check` is a Nagios check: UNKNOWN, exit 3, on stdout), unless the word is
# the command's own argument (then its own help). Then each missing
# required argument or option is named (`account add work` without
# --provider once called "work" an unknown command; `token export` without
# --file called "export" one), a misspelt command or option gets a
# suggestion, a global option given after the command says where it goes,
# and --scopes (the configuration key's spelling) works like --scope.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
m="$MAILOAUTH_BIN_DIR/mailoauth"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export MAILOAUTH_CONFIG="$tmp/config.toml" MAILOAUTH_STATE_DIR="$tmp/state"

run() { "$m" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }
subcommands() { "$m" "$@" --help | sed -n '/^Subcommands:/,/^$/s/^  \([a-z-]*\) .*/\1/p'; }
# A usage error: exit 64, nothing on stdout, stderr has every given fixed string.
usage_error() {
  [ "$rc" -eq 64 ] && [ ! -s "$tmp/out" ] || return 1
  local text
  for text in "$@"; do grep -qF -- "$text" "$tmp/err" || return 1; done
}
# imap check's usage errors: UNKNOWN (3) on stdout, for Nagios.
nagios_unknown() {
  [ "$rc" -eq 3 ] || return 1
  head -n 1 "$tmp/out" | grep -q '^UNKNOWN: ' || return 1
  local text
  for text in "$@"; do grep -qF -- "$text" "$tmp/out" || return 1; done
}

# `COMMAND frobnicate --help`: a command with no place for the word names it;
# one that takes an argument takes it and shows its own help (never another's).
word_named_or_own_help() {
  if [ "$rc" -eq 0 ]; then grep -q "^Usage: mailoauth $2 " "$tmp/out"; return; fi
  "$1" '"frobnicate"' "mailoauth $2: "
}

commands=()
for top in $(subcommands) send imap relay doctor; do
  nested=$(subcommands "$top")
  if [ -z "$nested" ]; then commands+=("$top"); continue; fi
  for sub in $nested; do commands+=("$top $sub"); done
done
check "the walk finds the commands (account add ... imap list)" \
  test "${#commands[@]}" -ge 16
for command in "${commands[@]}"; do
  read -ra words <<<"$command"
  expect=usage_error
  [ "$command" = "imap check" ] && expect=nagios_unknown
  run "${words[@]}" --bogus-option
  check "mailoauth $command --bogus-option: named with the command" \
    $expect "mailoauth $command: unknown option \"--bogus-option\""
  run "${words[@]}" frobnicate --help
  check "mailoauth $command frobnicate --help: the word named, or taken as its argument" \
    word_named_or_own_help "$expect" "$command"
done
for top in account token imap relay; do
  run "$top" frobnicate --help
  check "mailoauth $top frobnicate --help: unknown command, the commands listed" \
    usage_error "mailoauth $top: unknown command \"frobnicate\"; the commands are "
  run "$top"
  check "mailoauth $top alone: a command is needed" usage_error "mailoauth $top: a command is needed: "
done
run frobnicate --help
check "mailoauth frobnicate --help: exit 64 naming the word (was: the top-level help, exit 0)" \
  usage_error 'mailoauth: unknown command "frobnicate"' "send, sendmail, imap"

# Missing arguments and options, each named.
run account add work
check "account add work (no --provider): --provider named, not \"work\"" \
  usage_error "mailoauth account add: --provider is required"
check "account add work: \"work\" is not called unknown" not grep -q '"work"' "$tmp/err"
run account add --provider generic
check "account add without a name: the name named" usage_error "mailoauth account add: name is required"
run token export
check "token export (no --file): --file named, not \"export\"" \
  usage_error "mailoauth token export: --file is required"
run token import
check "token import (no --file): --file named" usage_error "mailoauth token import: --file is required"
for command in "account show" "account remove" "account secret"; do
  read -ra words <<<"$command"
  run "${words[@]}"
  check "$command without a name: named" usage_error "mailoauth $command: name is required"
done
for command in "token login" "token get" "token revoke"; do
  read -ra words <<<"$command"
  run "${words[@]}"
  check "$command without an account: named" usage_error "mailoauth $command: account is required"
done
run doctor
check "doctor without an account: named" usage_error "mailoauth doctor: account is required"
run doctor work --imap --send-test someone@example.com
check "doctor --imap --send-test: refused, sending needs SMTP or Graph" usage_error "--send-test"
run doctor work --imap --graph
check "doctor --imap --graph: one path at a time" usage_error "mailoauth doctor: "
run token inspect
check "token inspect with neither account nor --token: exit 64" usage_error "--token"
run token login work --timeout soon
check "a value that is no number: the option named" usage_error "mailoauth token login: " "--timeout"
run account show a b
check "an extra argument: named" usage_error 'mailoauth account show: unexpected argument "b"'
run imap check
check "imap check without an account: UNKNOWN naming it" nagios_unknown "account is required"

# Suggestions and global options in the wrong place.
run tokn get work
check "a misspelt command: the close one suggested" usage_error 'unknown command "tokn" (did you mean token?)'
run account add work --provider generic --client-secret s3cret
check "--client-secret: the three secret options suggested" \
  usage_error "--client-secret-file or --client-secret-env or --client-secret-stdin"
check "the rejected value is not echoed (it may be a secret)" not grep -q s3cret "$tmp/err"
run token get work -v
check "token get work -v: -v goes before the command" \
  usage_error "mailoauth token get: -v is an option of \`mailoauth\`: give it before the command"

# --scopes, the configuration key's spelling, is --scope.
run account add work --provider generic --flow app --token-url http://127.0.0.1:9/token \
  --client-id c --client-secret-env NO_SUCH_SECRET --mailbox box@example.test --scopes mail --scopes other
check "account add --scopes: accepted (exit 0)" test "$rc" -eq 0
check "account add --scopes mail --scopes other: both scopes written" \
  grep -qF 'scopes = ["mail", "other"]' "$tmp/config.toml"
finish
