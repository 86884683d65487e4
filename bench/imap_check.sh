#!/usr/bin/env bash
# Checking a large folder: COUNT messages (100,000 by default) in one folder
# of the stack's Dovecot, counted by mailoauth's IMAP client two ways in the
# same run, alternating, median of REPS runs each (bench/imap_count_tool.cpp):
# STATUS, as the check_imap_mailbox_* plugins do, against EXAMINE + UID FETCH
# 1:* ENVELOPE of every message, as check-mail does. The messages are written
# straight into the Maildir (APPENDing 100,000 would take minutes) and one
# untimed run lets Dovecot build its index first. Also the peak memory of the
# envelope run. Writes bench/results/imap_check.md.
# Usage: bench/imap_check.sh [BUILD_DIR]   (COUNT=100000 REPS=5)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
count=${COUNT:-100000}
reps=${REPS:-5}
tool=$build/bench/imap_count_tool
[ -x "$tool" ] || { echo "build first: $tool is missing" >&2; exit 1; }
export MAILOAUTH_STACK_DIR=$build/bench-stack
tmp=$(mktemp -d)
cleanup() { "$here/tests/stack/stop" >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT
"$here/tests/stack/start" >/dev/null
source "$MAILOAUTH_STACK_DIR/stack.env"
printf '%s\n' "$USER1_PASSWORD" >"$tmp/password"
# One login creates alice's Maildir; then the folder "Bench" is filled directly.
"$tool" "$IMAP_HOST" "$IMAPS_PORT" "$CA_FILE" "$USER1" "$tmp/password" INBOX status >/dev/null
maildir=$MAILOAUTH_STACK_DIR/mail/${USER1#*@}/${USER1%@*}/Maildir
folder=$maildir/.Bench
mkdir -p "$folder/cur" "$folder/new" "$folder/tmp"
touch "$folder/maildirfolder"
start=$(date +%s)
awk -v n="$count" -v dir="$folder/cur" -v t="$start" 'BEGIN {
  for (i = 1; i <= n; i++) {
    f = sprintf("%s/%d.M%dP1.bench:2,S", dir, t, i)
    printf "From: Sender %d <sender%d@example.test>\r\nTo: alice@example.test\r\nSubject: message %d\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <%d@bench.example.test>\r\n\r\nbody %d\r\n", i, i, i, i, i > f
    close(f)
  }
}'
chown -R "$(stat -c %u "$maildir"):$(stat -c %g "$maildir")" "$folder"
index_start=$(date +%s%N)
read -r _ seen < <("$tool" "$IMAP_HOST" "$IMAPS_PORT" "$CA_FILE" "$USER1" "$tmp/password" Bench envelopes)
index_ms=$((($(date +%s%N) - index_start) / 1000000))
[ "$seen" = "$count" ] || { echo "Dovecot sees $seen of $count messages" >&2; exit 1; }

median() { sort -n | awk '{v[NR]=$1} END {printf "%d\n", (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
status_runs=() envelope_runs=()
for _ in $(seq "$reps"); do
  read -r us n < <("$tool" "$IMAP_HOST" "$IMAPS_PORT" "$CA_FILE" "$USER1" "$tmp/password" Bench status)
  [ "$n" = "$count" ] || { echo "STATUS counted $n" >&2; exit 1; }
  status_runs+=("$us")
  read -r us n < <("$tool" "$IMAP_HOST" "$IMAPS_PORT" "$CA_FILE" "$USER1" "$tmp/password" Bench envelopes)
  [ "$n" = "$count" ] || { echo "the envelope fetch counted $n" >&2; exit 1; }
  envelope_runs+=("$us")
done
rss=$( { /usr/bin/time -f '%M' "$tool" "$IMAP_HOST" "$IMAPS_PORT" "$CA_FILE" "$USER1" "$tmp/password" Bench envelopes >/dev/null; } 2>&1 | tail -1)
rss_status=$( { /usr/bin/time -f '%M' "$tool" "$IMAP_HOST" "$IMAPS_PORT" "$CA_FILE" "$USER1" "$tmp/password" Bench status >/dev/null; } 2>&1 | tail -1)
s=$(printf '%s\n' "${status_runs[@]}" | median)
e=$(printf '%s\n' "${envelope_runs[@]}" | median)
ms() { awk -v us="$1" 'BEGIN { printf "%.1f ms", us / 1000 }'; }
{
  echo "# Benchmark: checking a folder of $count messages"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "- commit: $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo none)"
  echo "- command: \`COUNT=$count REPS=$reps bench/imap_check.sh\`"
  echo "- server: the stack's Dovecot $(dovecot --version 2>/dev/null | cut -d' ' -f1) (IMAPS on 127.0.0.1, Maildir, index built by an untimed first run of $index_ms ms)"
  echo
  echo "Median of $reps alternating runs of the same client, timed inside the process from connect"
  echo "(TCP, TLS, LOGIN) to LOGOUT. Peak RSS of the whole process from \`/usr/bin/time -f %M\`."
  echo
  echo "| method | median | peak RSS | time ÷ STATUS time |"
  echo "|---|---:|---:|---:|"
  echo "| STATUS (mailoauth's plugins) | $(ms "$s") | ${rss_status} KB | 1.00 |"
  echo "| EXAMINE + FETCH 1:* ENVELOPE (check-mail's way) | $(ms "$e") | ${rss} KB | $(awk -v a="$e" -v b="$s" 'BEGIN { printf "%.0f", a / b }') |"
  echo
  echo "Raw (µs): STATUS ${status_runs[*]}; envelopes ${envelope_runs[*]}"
} >"$here/bench/results/imap_check.md"
cat "$here/bench/results/imap_check.md"
