#!/usr/bin/env bash
# One message to the local submission server (Dovecot, STARTTLS, AUTH XOAUTH2
# with a cached app-only token), whole-process wall time, median of RUNS runs,
# for three clients sending the same message to the same server in the same
# run, alternating: `mailoauth send --raw` (token from its store), msmtp 1.8
# (Debian package; `passwordeval "mailoauth token get bench"`, auth xoauth2),
# and curl (`--oauth2-bearer "$(mailoauth token get bench)"` in a shell).
# All three fetch the cached token; none makes a grant. Writes
# bench/results/send.md. Usage: bench/send.sh [BUILD_DIR]   (RUNS=30)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
runs=${RUNS:-30}
if ! command -v msmtp >/dev/null; then
  echo "installing msmtp (the peer of this benchmark)" >&2
  ${SUDO:-$( [ "$(id -u)" = 0 ] || echo sudo )} apt-get install -y msmtp >/dev/null
fi
source "$here/bench/lib.sh"
bench_start_stack
source "$here/tests/stack/app_account.sh"
export MAILOAUTH_STATE_DIR=$tmp/state MAILOAUTH_CONFIG=$tmp/config.toml
m=$build/apps/mailoauth
printf '%s' "$CC_CLIENT_SECRET" >"$tmp/secret"
{
stack_app_account bench "$tmp/secret"
cat <<CONF
smtp_server = "$SMTP_HOST"
smtp_port = $SUBMISSION_PORT
smtp_tls = "starttls"
ca_file = "$CA_FILE"
CONF
} >"$tmp/config.toml"
chmod 600 "$tmp/config.toml"
cat >"$tmp/msmtprc" <<CONF
account bench
host $SMTP_HOST
port $SUBMISSION_PORT
tls on
tls_starttls on
tls_trust_file $CA_FILE
auth xoauth2
user $USER1
from $USER1
passwordeval "$m token get bench"
CONF
chmod 600 "$tmp/msmtprc"
cat >"$tmp/message.eml" <<MSG
From: $USER1
To: $USER1
Subject: bench/send.sh
Date: Mon, 1 Jan 2024 00:00:00 +0000
Message-ID: <bench-send@example.test>

A short message, as cron sends.
MSG
"$m" token get bench >/dev/null  # one grant fills the store

send_mailoauth() { "$m" send --account bench --raw "$tmp/message.eml" >/dev/null; }
send_msmtp() { msmtp -C "$tmp/msmtprc" -a bench "$USER1" <"$tmp/message.eml"; }
send_curl() {
  curl -sf --max-time 10 --ssl-reqd --cacert "$CA_FILE" --login-options AUTH=XOAUTH2 \
    --oauth2-bearer "$("$m" token get bench)" -u "$USER1:" --mail-from "$USER1" \
    --mail-rcpt "$USER1" --upload-file "$tmp/message.eml" "smtp://$SMTP_HOST:$SUBMISSION_PORT"
}
time_us() { local s e; s=$(date +%s%N); "$@"; e=$(date +%s%N); echo $(((e - s) / 1000)); }
for f in send_mailoauth send_msmtp send_curl; do $f >/dev/null; done  # warm caches
declare -A times
for _ in $(seq "$runs"); do
  for f in send_mailoauth send_msmtp send_curl; do times[$f]+="$(time_us $f) "; done
done
ours=$(echo "${times[send_mailoauth]}" | tr ' ' '\n' | grep . | median)
row() {
  local t; t=$(echo "${times[$2]}" | tr ' ' '\n' | grep . | median)
  printf '| %s | %d.%d ms | %s |\n' "$1" $((t / 1000)) $((t % 1000 / 100)) \
    "$(awk -v a="$t" -v b="$ours" 'BEGIN { printf "%.2f", a / b }')"
}
{
  echo "# Benchmark: sending one message (whole process)"
  echo
  bench_machine_lines
  echo "- command: \`RUNS=$runs bench/send.sh\`"
  echo "- server: the stack's Dovecot submission on 127.0.0.1 (STARTTLS, AUTH XOAUTH2), relaying to Postfix"
  echo "- peers: $(msmtp --version | head -1), $(curl --version | head -1 | cut -d' ' -f1-2)"
  echo
  echo "Median wall time of $runs alternating runs, from exec to exit (the server's work included:"
  echo "each 250 waits for Postfix to queue the message). Each client gets the cached token from"
  echo "\`mailoauth token get\` (msmtp via passwordeval, curl via \$(...)); mailoauth reads its store directly."
  echo
  echo "| client | median | time ÷ mailoauth time |"
  echo "|---|---:|---:|"
  row "mailoauth send --raw" send_mailoauth
  row "msmtp (passwordeval mailoauth token get)" send_msmtp
  row "curl --oauth2-bearer" send_curl
} >"$here/bench/results/send.md"
cat "$here/bench/results/send.md"
