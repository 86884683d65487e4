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
source "$here/bench/lib.sh"
bench_start_stack
printf '%s\n' "$USER1_PASSWORD" >"$tmp/password"
# One login creates alice's Maildir; then the folder "Bench" is filled directly.
"$tool" "$IMAP_HOST" "$IMAPS_PORT" "$CA_FILE" "$USER1" "$tmp/password" INBOX status >/dev/null
bench_fill_folder "$USER1" Bench "$count"
index_start=$(date +%s%N)
read -r _ seen < <("$tool" "$IMAP_HOST" "$IMAPS_PORT" "$CA_FILE" "$USER1" "$tmp/password" Bench envelopes)
index_ms=$((($(date +%s%N) - index_start) / 1000000))
[ "$seen" = "$count" ] || { echo "Dovecot sees $seen of $count messages" >&2; exit 1; }

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
  bench_machine_lines
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
