#!/usr/bin/env bash
# The monitoring tools as Nagios and cron run them, against the stack:
#  1. list-emails over a folder of COUNT messages (10,000 by default): wall
#     time, messages per second and peak memory (/usr/bin/time), the report
#     checked to have one row per message;
#  2. one cached-token check, whole process, median of RUNS runs:
#     `mailoauth imap check` and check_imap_mailbox_oauth2 (token from its
#     cache) against curl logging in with the same cached token and asking
#     STATUS (the least a check can do), same folder, same run, alternating.
# Writes bench/results/monitor.md. Usage: bench/monitor.sh [BUILD_DIR]   (COUNT=10000 RUNS=30)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
count=${COUNT:-10000}
runs=${RUNS:-30}
source "$here/bench/lib.sh"
bench_start_stack
source "$here/tests/stack/app_account.sh"
apps=$build/apps
export MAILOAUTH_CONFIG=$tmp/config.toml MAILOAUTH_STATE_DIR=$tmp/state
printf '%s\n' "$CC_CLIENT_SECRET" >"$tmp/cc.secret"
{
stack_app_account bench "$tmp/cc.secret"
cat <<CONF
imap_server = "$IMAP_HOST"
imap_port = $IMAPS_PORT
ca_file = "$CA_FILE"
CONF
} >"$tmp/config.toml"
chmod 600 "$tmp/config.toml"
"$apps/mailoauth" imap check bench -f INBOX >/dev/null || true  # creates the Maildir, caches the token
bench_fill_folder "$USER1" Bench "$count"
"$apps/mailoauth" imap check bench -f Bench >/dev/null || true  # Dovecot indexes the folder

# 1. list-emails
cat >"$tmp/accounts.ini" <<INI
[DEFAULT]
auth_type = basic
server_name = $IMAP_HOST
server_port = $IMAPS_PORT

[bench]
folders = "Bench"
username = $USER1
password = \`$USER1_PASSWORD\`
INI
start=$(date +%s%N)
/usr/bin/time -f '%M' -o "$tmp/rss" "$apps/list-emails" -config-file "$tmp/accounts.ini" -ca-file "$CA_FILE" \
  -report-file-dir "$tmp/reports" -log-file-dir "$tmp/logs" -pause 0 >"$tmp/list.out" 2>"$tmp/list.err"
list_us=$((($(date +%s%N) - start) / 1000))
rows=$(grep -c '^| Bench | ' "$tmp"/reports/*.txt || true)
[ "$rows" = "$count" ] || { echo "the report has $rows rows, not $count" >&2; cat "$tmp/list.out" "$tmp/list.err" >&2; ls -R "$tmp" >&2; head -30 "$tmp"/reports/* >&2; exit 1; }
rate=$(awk -v n="$count" -v us="$list_us" 'BEGIN { printf "%.0f", n / (us / 1e6) }')

# 2. one cached-token check, whole process
"$apps/check_imap_mailbox_oauth2" -folders Bench -server "$IMAP_HOST" -port "$IMAPS_PORT" -ca-file "$CA_FILE" \
  -client-id "$CC_CLIENT_ID" -client-secret "$CC_CLIENT_SECRET" -scopes "$MAIL_SCOPE" \
  -shared-mailbox "$USER1" -token-url "$OIDC_TOKEN_URL" >/dev/null || true  # fills its cache
native() { "$apps/mailoauth" imap check bench -f Bench -w "$((count + 1))" >/dev/null; }
plugin() {
  "$apps/check_imap_mailbox_oauth2" -folders Bench -server "$IMAP_HOST" -port "$IMAPS_PORT" -ca-file "$CA_FILE" \
    -client-id "$CC_CLIENT_ID" -client-secret "$CC_CLIENT_SECRET" -scopes "$MAIL_SCOPE" \
    -shared-mailbox "$USER1" -token-url "$OIDC_TOKEN_URL" -w "$((count + 1))" >/dev/null
}
with_curl() {
  printf 'oauth2-bearer = "%s"\n' "$("$apps/mailoauth" token get bench)" |
    curl -sf --max-time 10 -K - --cacert "$CA_FILE" --login-options AUTH=XOAUTH2 -u "$USER1:" \
      "imaps://$IMAP_HOST:$IMAPS_PORT/" -X 'STATUS Bench (MESSAGES)' >/dev/null
}
time_us() { local s; s=$(date +%s%N); "$@" || true; echo $((($(date +%s%N) - s) / 1000)); }
declare -A t
for _ in $(seq "$runs"); do for f in native plugin with_curl; do t[$f]+="$(time_us $f) "; done; done
med() { echo "${t[$1]}" | tr ' ' '\n' | grep . | median; }
ours=$(med native)
row() { local m; m=$(med "$2"); printf '| %s | %s ms | %s |\n' "$1" "$(awk -v u="$m" 'BEGIN { printf "%.1f", u / 1000 }')" "$(awk -v a="$m" -v b="$ours" 'BEGIN { printf "%.2f", a / b }')"; }
{
  echo "# Benchmark: the monitoring tools"
  echo
  bench_machine_lines
  echo "- command: \`COUNT=$count RUNS=$runs bench/monitor.sh\`"
  echo "- server: the stack's Dovecot (IMAPS on 127.0.0.1); $count messages in folder Bench"
  echo
  echo "## list-emails over $count messages"
  echo
  echo "| wall time | messages/s | peak RSS |"
  echo "|---:|---:|---:|"
  echo "| $((list_us / 1000)) ms | $rate | $(cat "$tmp/rss") KB |"
  echo
  echo "The report has one row per message ($rows); the fetch goes in batches of UIDs, so memory"
  echo "does not grow with the folder."
  echo
  echo "## One check with a cached token (whole process, median of $runs alternating runs)"
  echo
  echo "| client | median | time ÷ mailoauth imap check |"
  echo "|---|---:|---:|"
  row "mailoauth imap check (native account)" native
  row "check_imap_mailbox_oauth2 (cached token)" plugin
  row "curl: mailoauth token get + LOGIN + STATUS" with_curl
} >"$here/bench/results/monitor.md"
cat "$here/bench/results/monitor.md"
