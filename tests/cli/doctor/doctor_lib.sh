# Sourced by the doctor's CLI tests after common.sh and stack.env: a
# configuration with the stack's app-only account `box` (alice's mailbox;
# SMTP through Dovecot submission with STARTTLS, IMAP with STARTTLS, the
# stack's CA), the doctor run into files, and the fake servers of
# fake_servers.py started as jobs of this shell.
#   doctor ARG...          runs `mailoauth doctor ARG...`: $tmp/out, $tmp/err, $rc
#   step_is N NAME VERDICT  the text report's step N line is "N. NAME: VERDICT"
#   says TEXT              the report (stdout) holds TEXT (fixed string)
#   start_fake MODE [ARG...]  starts fake_servers.py MODE; sets fake_port
# The caller's EXIT trap calls doctor_cleanup.
source "$MAILOAUTH_SOURCE_DIR/tests/stack/app_account.sh"
m="$MAILOAUTH_BIN_DIR/mailoauth"
tmp=$(mktemp -d)
export MAILOAUTH_CONFIG="$tmp/config.toml" MAILOAUTH_STATE_DIR="$tmp/state"
(umask 077 && printf '%s\n' "$CC_CLIENT_SECRET" >"$tmp/cc.secret")
server_keys() {  # the stack's servers, with or without the CA
  cat <<CONF
smtp_server = "$SMTP_HOST"
smtp_port = $SUBMISSION_PORT
smtp_tls = "starttls"
imap_server = "$IMAP_HOST"
imap_port = $IMAP_PORT
imap_tls = "starttls"
CONF
}
{
  stack_app_account box "$tmp/cc.secret"
  server_keys
  echo "ca_file = \"$CA_FILE\""
} >"$tmp/config.toml"
chmod 600 "$tmp/config.toml"

doctor_cleanup() {
  local job
  for job in $(jobs -p); do kill "$job" 2>/dev/null; done
  rm -rf "$tmp"
}

doctor() {
  "$m" doctor "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
}

step_is() { grep -qx "$1\. $2: $3" "$tmp/out"; }
says() { grep -qF -e "$1" "$tmp/out"; }

start_fake() {
  local log="$tmp/fake-$1.log"
  python3 "${BASH_SOURCE%/*}/fake_servers.py" "$@" >"$log" 2>&1 &
  fake_port=
  for _ in $(seq 50); do
    fake_port=$(sed -n 's/^listening \([0-9]*\)$/\1/p' "$log")
    [ -n "$fake_port" ] && return 0
    sleep 0.1
  done
  echo "fake server $1 did not listen within 5 s:"
  cat "$log"
  return 1
}
