#!/usr/bin/env bash
# fetch-token through the token cache versus asking the identity server on every
# run (-no-cache, which is what check-mail's fetch-token always does), against
# the local stack's oidc-provider, in the same run: median wall time per process
# run over RUNS runs, and the grants the server counted. Writes
# bench/results/token_cache.md with the command that produced it.
# Usage: bench/token_cache.sh [BUILD_DIR]   (RUNS=100 by default)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
runs=${RUNS:-100}
export MAILOAUTH_STACK_DIR=$build/bench-stack
tmp=$(mktemp -d)
cleanup() { "$here/tests/stack/stop" >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT
"$here/tests/stack/start" >/dev/null
source "$MAILOAUTH_STACK_DIR/stack.env"
export MAILOAUTH_STATE_DIR=$tmp/state
printf '%s' "$CC_CLIENT_SECRET" > "$tmp/secret"
args=(-client-id "$CC_CLIENT_ID" -client-secret-file "$tmp/secret" -scopes "$MAIL_SCOPE" -token-url "$OIDC_TOKEN_URL")
grants() { grep -c "grant.success client=$CC_CLIENT_ID\$" "$OIDC_LOG" || true; }

# One run per line: wall time in microseconds of the command given.
measure_command() {
  local i start end
  for i in $(seq 1 "$runs"); do
    start=$(date +%s%N)
    "$@" >/dev/null
    end=$(date +%s%N)
    echo $(((end - start) / 1000))
  done
}
measure() { measure_command "$build/apps/fetch-token" "${args[@]}" "$@"; }
median() { sort -n | awk '{v[NR]=$1} END {printf "%d\n", (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

"$build/apps/fetch-token" "${args[@]}" >/dev/null  # warm: fills the cache once
baseline=$(measure_command /bin/true | median)
g0=$(grants); cached=$(measure | median); g1=$(grants)
uncached=$(measure -no-cache | median); g2=$(grants)

{
  echo "# Benchmark: fetch-token with the token cache vs. a request per run"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "- commit: $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo none)"
  echo "- command: \`RUNS=$runs bench/token_cache.sh\` (local stack: oidc-provider on 127.0.0.1)"
  echo
  echo "Median wall time of one whole \`fetch-token\` process, $runs runs each. The"
  echo "peer is the same binary with \`-no-cache\`, which does what check-mail's"
  echo "fetch-token does on every run (a token request); check-mail itself cannot be"
  echo "built here (no Go toolchain). The server here is on loopback: against Entra"
  echo "each request costs 100-300 ms more, which the cached path never pays."
  echo "The baseline row is /bin/true timed the same way: what starting any process"
  echo "and reading the clock cost here; subtract it to get fetch-token's own time."
  echo
  echo "| mode | median per run | token requests at the server for $runs runs |"
  echo "|---|---:|---:|"
  echo "| baseline: /bin/true | $((baseline / 1000)).$(printf '%03d' $((baseline % 1000))) ms | - |"
  echo "| cached (default) | $((cached / 1000)).$(printf '%03d' $((cached % 1000))) ms | $((g1 - g0)) |"
  echo "| -no-cache (check-mail's way) | $((uncached / 1000)).$(printf '%03d' $((uncached % 1000))) ms | $((g2 - g1)) |"
} > "$here/bench/results/token_cache.md"
cat "$here/bench/results/token_cache.md"
