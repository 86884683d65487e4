#!/usr/bin/env bash
# `mailoauth token get` with a cached token, as msmtp's passwordeval or
# mbsync's PassCmd runs it before every connection: whole-process wall time,
# median of RUNS runs, next to peers measured in the same run — /bin/true
# (the floor of starting any process here), fetch-token from its cache, and
# `curl` asking the token endpoint for a new token (what a script without a
# cache does). Also the grants the server saw for the cached runs (must be 0).
# Against the local stack. Writes bench/results/token_get.md.
# Usage: bench/token_get.sh [BUILD_DIR]   (RUNS=200 by default)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
runs=${RUNS:-200}
export MAILOAUTH_STACK_DIR=$build/bench-stack
tmp=$(mktemp -d)
cleanup() { "$here/tests/stack/stop" >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT
"$here/tests/stack/start" >/dev/null
source "$MAILOAUTH_STACK_DIR/stack.env"
export MAILOAUTH_STATE_DIR=$tmp/state MAILOAUTH_CONFIG=$tmp/config.toml
printf '%s' "$CC_CLIENT_SECRET" > "$tmp/secret"
"$build/apps/mailoauth" account add bench --provider generic --flow app --token-url "$OIDC_TOKEN_URL" \
  --client-id "$CC_CLIENT_ID" --client-secret-file "$tmp/secret" --scope "$MAIL_SCOPE" \
  --mailbox "$USER1" >/dev/null
grants() { grep -c "grant.success client=$CC_CLIENT_ID\$" "$OIDC_LOG" || true; }
ft_args=(-client-id "$CC_CLIENT_ID" -client-secret-file "$tmp/secret" -scopes "$MAIL_SCOPE" -token-url "$OIDC_TOKEN_URL")

measure_command() {
  local i start end
  for i in $(seq 1 "$runs"); do
    start=$(date +%s%N)
    "$@" >/dev/null
    end=$(date +%s%N)
    echo $(((end - start) / 1000))
  done
}
median() { sort -n | awk '{v[NR]=$1} END {printf "%d\n", (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
curl_grant() {
  curl -sf --max-time 5 -d grant_type=client_credentials -d "client_id=$CC_CLIENT_ID" \
    --data-urlencode "client_secret@$tmp/secret" -d "scope=$MAIL_SCOPE" "$OIDC_TOKEN_URL"
}

"$build/apps/mailoauth" token get bench >/dev/null   # warm: one grant fills the store
"$build/apps/fetch-token" "${ft_args[@]}" >/dev/null
baseline=$(measure_command /bin/true | median)
g0=$(grants); cached=$(measure_command "$build/apps/mailoauth" token get bench | median); g1=$(grants)
fetch=$(measure_command "$build/apps/fetch-token" "${ft_args[@]}" | median)
curl_runs=$((runs < 50 ? runs : 50))
curl_time=$(runs=$curl_runs measure_command curl_grant | median)

# perf stat's own timing (no shell in the loop), when perf is installed.
perf_mean() { perf stat -r "$runs" "$@" 2>&1 >/dev/null | awk '/seconds time elapsed/ { printf "%d", $1 * 1e6 }'; }
perf_line=""
if command -v perf >/dev/null 2>&1; then
  perf_true=$(perf_mean /bin/true)
  perf_get=$(perf_mean "$build/apps/mailoauth" token get bench)
  perf_line="With \`perf stat -r $runs\` (mean, no shell in the loop): \`token get\` $perf_get µs, \`/bin/true\` $perf_true µs."
fi
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
{
  echo "# Benchmark: mailoauth token get (cached token)"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "- commit: $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo none)"
  echo "- command: \`bench/token_get.sh\` (RUNS=$runs; curl: $curl_runs runs)"
  echo
  echo "Whole-process wall time, median, microseconds (lower is better); the last column is"
  echo "each one's time divided by \`mailoauth token get\`'s."
  echo
  echo "| command | median µs | ÷ token get |"
  echo "|---|---:|---:|"
  echo "| \`/bin/true\` (process start floor) | $baseline | $(ratio "$baseline" "$cached") |"
  echo "| \`mailoauth token get\` (cached) | $cached | 1.00 |"
  echo "| \`fetch-token\` (cached) | $fetch | $(ratio "$fetch" "$cached") |"
  echo "| \`curl\` client-credentials grant (no cache) | $curl_time | $(ratio "$curl_time" "$cached") |"
  echo
  echo "Grants the identity server saw during the $runs cached \`token get\` runs: $((g1 - g0))."
  [ -z "$perf_line" ] || { echo; echo "$perf_line"; }
  echo
  echo "The shell loop's own cost (two \`date\` processes per run) is in every row; the"
  echo "difference to \`/bin/true\` is the command's own time."
} > "$here/bench/results/token_get.md"
cat "$here/bench/results/token_get.md"
