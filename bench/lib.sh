# Shared by the whole-process benchmarks (sourced): a stack of their own in
# BUILD/bench-stack, stopped on exit with the temporary directory, the median
# of numbers on stdin, and a folder filled with COUNT messages written straight
# into a user's Maildir (APPENDing 100,000 messages would take minutes).
# Expects $here (the checkout) and $build; sets $tmp and sources stack.env.
bench_start_stack() {
  export MAILOAUTH_STACK_DIR=$build/bench-stack
  tmp=$(mktemp -d)
  trap '"$here/tests/stack/stop" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
  "$here/tests/stack/start" >/dev/null
  # shellcheck disable=SC1091
  source "$MAILOAUTH_STACK_DIR/stack.env"
}

median() { sort -n | awk '{v[NR]=$1} END {printf "%d\n", (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

bench_machine_lines() {
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "- commit: $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo none)"
}

# bench_fill_folder USER FOLDER COUNT: the user's Maildir must exist (log in once first).
bench_fill_folder() {
  local user=$1 name=$2 count=$3
  local maildir=$MAILOAUTH_STACK_DIR/mail/${user#*@}/${user%@*}/Maildir
  local folder=$maildir/.$name
  mkdir -p "$folder/cur" "$folder/new" "$folder/tmp"
  touch "$folder/maildirfolder"
  awk -v n="$count" -v dir="$folder/cur" -v t="$(date +%s)" -v to="$user" 'BEGIN {
    for (i = 1; i <= n; i++) {
      f = sprintf("%s/%d.M%dP1.bench:2,S", dir, t, i)
      printf "From: Sender %d <sender%d@example.test>\r\nTo: %s\r\nSubject: message %d\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <%d@bench.example.test>\r\n\r\nbody %d\r\n", i, i, to, i, i, i > f
      close(f)
    }
  }'
  chown -R "$(stat -c %u "$maildir"):$(stat -c %g "$maildir")" "$folder"
}
