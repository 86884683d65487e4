#!/usr/bin/env bash
# SMTP client throughput: COUNT messages of SIZE bytes over ONE connection to
# Postfix's smtp-sink (which accepts everything and stores nothing), sent by
# mailoauth's client library (bench/smtp_submit_tool.cpp: pipelined MAIL/RCPT,
# DATA with dot-stuffing) and by Postfix's own smtp-source (-d: one session)
# as the reference, in the same run, alternating, median of REPS runs each.
# No TLS, no AUTH: this measures the protocol engine, not OpenSSL.
# Writes bench/results/smtp_throughput.md.
# Usage: bench/smtp_throughput.sh [BUILD_DIR]   (COUNT=1000 SIZE=2000 REPS=5)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
count=${COUNT:-1000}
size=${SIZE:-2000}
reps=${REPS:-5}
tool=$build/bench/smtp_submit_tool
[ -x "$tool" ] || { echo "build first: $tool is missing" >&2; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# -c: count; -u: run as this user's uid; 1000: backlog.
/usr/sbin/smtp-sink -u "$(id -un)" 127.0.0.1:"$port" 1000 &
sink=$!
trap 'kill $sink 2>/dev/null || true' EXIT
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done

median() { sort -n | awk '{v[NR]=$1} END {printf "%d\n", (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
ours=() theirs=()
for _ in $(seq "$reps"); do
  read -r us accepted < <("$tool" 127.0.0.1 "$port" "$count" "$size")
  [ "$accepted" = "$count" ] || { echo "only $accepted of $count accepted" >&2; exit 1; }
  ours+=("$us")
  start=$(date +%s%N)
  /usr/sbin/smtp-source -d -s 1 -m "$count" -l "$size" -f bench@example.test -t sink@example.test \
    127.0.0.1:"$port"
  end=$(date +%s%N)
  theirs+=($(((end - start) / 1000)))
done
ours_median=$(printf '%s\n' "${ours[@]}" | median)
theirs_median=$(printf '%s\n' "${theirs[@]}" | median)
rate() { awk -v n="$count" -v us="$1" 'BEGIN { printf "%.0f", n / (us / 1e6) }'; }
ratio=$(awk -v a="$theirs_median" -v b="$ours_median" 'BEGIN { printf "%.2f", a / b }')
{
  echo "# Benchmark: SMTP client throughput over one connection"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "- commit: $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo none)"
  echo "- command: \`COUNT=$count SIZE=$size REPS=$reps bench/smtp_throughput.sh\`"
  echo "- server: Postfix smtp-sink on 127.0.0.1 (accepts and discards), no TLS, no AUTH"
  echo
  echo "$count messages of ~$size bytes, one connection, median of $reps alternating runs."
  echo "smtp-source's time is a whole process (start-up included, < 2 ms); the library's is"
  echo "measured inside the process from connect to QUIT."
  echo
  echo "| client | median time | messages/s | time ÷ mailoauth time |"
  echo "|---|---:|---:|---:|"
  echo "| mailoauth smtp::submit | $((ours_median / 1000)) ms | $(rate "$ours_median") | 1.00 |"
  echo "| Postfix smtp-source -d | $((theirs_median / 1000)) ms | $(rate "$theirs_median") | $ratio |"
  echo
  echo "Raw (µs): mailoauth ${ours[*]}; smtp-source ${theirs[*]}"
} >"$here/bench/results/smtp_throughput.md"
cat "$here/bench/results/smtp_throughput.md"
