#!/usr/bin/env bash
# One message to the local submission server (Dovecot, STARTTLS, AUTH XOAUTH2
# with a cached app-only token), whole-process wall and CPU time, medians of
# RUNS paired runs, for the clients sending the same message to the same
# server in the same run, alternating: `mailoauth send --raw` (token from its
# store), `mailoauth-send` directly (as the sendmail link runs it), msmtp 1.8
# (Debian package; `passwordeval "mailoauth token get bench"`, auth xoauth2),
# msmtp alone (the token written into its msmtprc: msmtp's own cost, which
# no change to mailoauth moves), and curl (`--oauth2-bearer "$(mailoauth
# token get bench)"` in a shell).
# All but msmtp alone fetch the cached token; none makes a grant. Writes
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
sed "s|^passwordeval .*|password $("$m" token get bench)|" "$tmp/msmtprc" >"$tmp/msmtprc-alone"
chmod 600 "$tmp/msmtprc-alone"

send_mailoauth() { "$m" send --account bench --raw "$tmp/message.eml" >/dev/null; }
send_direct() { "$m-send" send --account bench --raw "$tmp/message.eml" >/dev/null; }
send_msmtp() { msmtp -C "$tmp/msmtprc" -a bench "$USER1" <"$tmp/message.eml"; }
send_msmtp_alone() { msmtp -C "$tmp/msmtprc-alone" -a bench "$USER1" <"$tmp/message.eml"; }
send_curl() {
  curl -sf --max-time 10 --ssl-reqd --cacert "$CA_FILE" --login-options AUTH=XOAUTH2 \
    --oauth2-bearer "$("$m" token get bench)" -u "$USER1:" --mail-from "$USER1" \
    --mail-rcpt "$USER1" --upload-file "$tmp/message.eml" "smtp://$SMTP_HOST:$SUBMISSION_PORT"
}
export -f send_mailoauth send_direct send_msmtp send_msmtp_alone send_curl
export m tmp USER1 CA_FILE SMTP_HOST SUBMISSION_PORT
# Each run: wall time from fork to exit, and CPU time (user + system) of the
# process and every process it waited for (wait4's rusage: mailoauth's exec
# of mailoauth-send, msmtp's passwordeval, curl's $(...)), of `bash -c FUNCTION`
# minus an empty `bash -c :` measured the same way. Clients alternate.
python3 - "$runs" send_mailoauth send_direct send_msmtp send_msmtp_alone send_curl >"$tmp/times" <<'PY'
import os, statistics, subprocess, sys, time
runs, names = int(sys.argv[1]), sys.argv[2:] + [":"]
def once(name):
    start = time.perf_counter()
    child = subprocess.Popen(["bash", "-c", name])
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if child.returncode != 0:
        sys.exit(f"{name} failed with {child.returncode}")
    return wall * 1e6, (usage.ru_utime + usage.ru_stime) * 1e6
for name in names:
    once(name)  # warm caches
samples = {name: [] for name in names}
for _ in range(runs):
    for name in names:
        samples[name].append(once(name))
base_wall = statistics.median(w for w, _ in samples[":"])
base_cpu = statistics.median(c for _, c in samples[":"])
for name in names[:-1]:
    wall = statistics.median(w for w, _ in samples[name]) - base_wall
    cpu = statistics.median(c for _, c in samples[name]) - base_cpu
    print(name, int(wall), int(cpu))
PY
value() { awk -v n="$1" -v f="$2" '$1 == n { print $f }' "$tmp/times"; }
row() {
  local wall cpu peer_wall peer_cpu
  wall=$(value "$2" 2) cpu=$(value "$2" 3)
  peer_wall=$(value send_msmtp 2) peer_cpu=$(value send_msmtp 3)
  awk -v l="$1" -v w="$wall" -v c="$cpu" -v pw="$peer_wall" -v pc="$peer_cpu" \
    'BEGIN { printf "| %s | %.1f ms | %.2f | %.1f ms | %.2f |\n", l, w / 1000, w / pw, c / 1000, c / pc }'
}
{
  echo "# Benchmark: sending one message (whole process)"
  echo
  bench_machine_lines
  echo "- command: \`RUNS=$runs bench/send.sh\`"
  echo "- server: the stack's Dovecot submission on 127.0.0.1 (STARTTLS, AUTH XOAUTH2), relaying to Postfix"
  echo "- peers: $(msmtp --version | head -1), $(curl --version | head -1 | cut -d' ' -f1-2)"
  echo
  echo "Medians of $runs alternating runs, each client sending the same file to the same server"
  echo "with the same cached token. Wall: from fork to exit (the server's work included: each 250"
  echo "waits for Postfix to queue the message). CPU: user + system of the process and the"
  echo "processes it waited for (msmtp's \`passwordeval mailoauth token get\`, curl's \$(...),"
  echo "mailoauth's exec of mailoauth-send), from wait4(2). An empty \`bash -c :\` is subtracted."
  echo
  echo "| client | wall | wall ÷ msmtp | CPU | CPU ÷ msmtp |"
  echo "|---|---:|---:|---:|---:|"
  row "mailoauth send --raw" send_mailoauth
  row "mailoauth-send send --raw (what a sendmail link runs)" send_direct
  row "msmtp (passwordeval mailoauth token get)" send_msmtp
  row "msmtp alone (token in its msmtprc)" send_msmtp_alone
  row "curl --oauth2-bearer" send_curl
} >"$here/bench/results/send.md"
cat "$here/bench/results/send.md"
