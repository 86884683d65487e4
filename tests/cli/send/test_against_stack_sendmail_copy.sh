#!/usr/bin/env bash
# Sendmail mode's copy on disk, against the real stack (Dovecot submission,
# STARTTLS, XOAUTH2 with an app-only token): once the server has taken the
# message, the copy written before sending is removed (failed/ stays empty);
# when failed/ cannot be used the message is still sent, exit 0, with a
# warning that a failure would have lost it.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
source "$MAILOAUTH_SOURCE_DIR/tests/stack/app_account.sh"
m="$MAILOAUTH_BIN_DIR/mailoauth"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export MAILOAUTH_CONFIG="$tmp/config.toml" MAILOAUTH_STATE_DIR="$tmp/state"
unset MAILOAUTH_ACCOUNT MAILOAUTH_MAX_MESSAGE_SIZE
printf '%s\n' "$CC_CLIENT_SECRET" >"$tmp/cc.secret"; chmod 600 "$tmp/cc.secret"
{
echo 'default_account = "app"'
stack_app_account app "$tmp/cc.secret"
cat <<EOF
smtp_server = "$SMTP_HOST"
smtp_port = $SUBMISSION_PORT
smtp_tls = "starttls"
ca_file = "$CA_FILE"
EOF
} >"$tmp/config.toml"
chmod 600 "$tmp/config.toml"

printf 'From: %s\nTo: %s\nSubject: copy %s\n\nsent, then the copy removed\n' "$USER1" "$USER1" "$$" |
  "$m" sendmail -t >"$tmp/out" 2>"$tmp/err"; rc=$?
check "sent: exit 0 and failed/ is empty again [1/3]" test $rc -eq 0 || show "$tmp/err"
check "sent: exit 0 and failed/ is empty again [2/3]" test -d "$tmp/state/failed"
check "sent: exit 0 and failed/ is empty again [3/3]" test -z "$(ls -A "$tmp/state/failed" 2>/dev/null)" || ls -la "$tmp/state/failed"

rm -rf "$tmp/state/failed"; : >"$tmp/state/failed"
printf 'From: %s\nTo: %s\nSubject: nocopy %s\n\nsent without a copy\n' "$USER1" "$USER1" "$$" |
  "$m" sendmail -t >"$tmp/out" 2>"$tmp/err"; rc=$?
check "failed/ unusable: still sent (exit 0), with a warning naming the reason [1/4]" test $rc -eq 0 || show "$tmp/err"
check "failed/ unusable: still sent (exit 0), with a warning naming the reason [2/4]" grep -q "^sent <" "$tmp/out" || show "$tmp/out"
check "failed/ unusable: still sent (exit 0), with a warning naming the reason [3/4]" grep -q "could not be kept before sending" "$tmp/err" ||
  show "$tmp/err"
check "failed/ unusable: still sent (exit 0), with a warning naming the reason [4/4]" grep -qi "not a directory" "$tmp/err" || show "$tmp/err"
finish
