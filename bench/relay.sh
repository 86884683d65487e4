#!/usr/bin/env bash
# The relay benchmark (issue 12): Postfix's smtp-source (SESSIONS sessions,
# SIZE-byte messages, COUNT messages) into `mailoauth relay`, delivered end to
# end, against a second, private Postfix 3.7 doing the same relay job
# (relayhost = the stack's Dovecot submission, STARTTLS, SASL PLAIN: the
# nearest peer Debian has), and against smtp-source straight into smtp-sink
# (the ceiling). Both relays run with the same number of upstream sessions
# (UPSTREAM_SESSIONS) and take the two upstreams in the same run, the order of
# the two relays alternating from repetition to repetition:
#   dovecot  the stack's Dovecot submission (mailoauth: XOAUTH2 with an app
#            token; Postfix: PLAIN with alice's password), which hands each
#            message to the stack's Postfix and on to alice's Maildir;
#   sink     smtp-sink behind relay_bench_tool's forwarder (which adds XOAUTH2
#            to smtp-sink's AUTH line and answers AUTH itself: smtp-sink would
#            say 250); the direct ceiling is measured with and without it.
# Measured per run: messages/s accepted and delivered (upstream's 250 for the
# last message, from each relay's own log, polled every 50 ms), and the
# relay's CPU per delivered message (/proc/PID/stat: the relay process; for
# Postfix every process of its instance, exited ones through the master's
# cutime). Then the acceptance latency (DATA end -> reply, relay_bench_tool
# latency, LATENCY_MESSAGES over SESSIONS sessions), the relay's RSS idle and
# with IDLE sessions sitting after EHLO, fsyncs per message (strace -c -f on a
# short run) and a run with the spool on tmpfs (what fsync costs), and a perf
# profile of the relay on the sink route. Medians of REPS.
# Writes bench/results/relay.md. Not part of `make test`.
# Usage: bench/relay.sh [BUILD_DIR]
#   (COUNT=10000 SESSIONS=20 SIZE=4096 REPS=3 UPSTREAM_SESSIONS=10 IDLE=1000
#    LATENCY_MESSAGES=2000 PROFILE=1 PEER_TLS_REUSE=yes; RELAY_BIN=another
#    mailoauth-relay; RELAY_BIN_B=a second build, measured beside the first;
#    ROUTES="sink" for a quick look at the relay alone; PROFILE_ROUTE=dovecot)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
count=${COUNT:-10000}
sessions=${SESSIONS:-20}
size=${SIZE:-4096}
reps=${REPS:-3}
upstream_sessions=${UPSTREAM_SESSIONS:-10}
idle_sessions=${IDLE:-1000}
latency_messages=${LATENCY_MESSAGES:-2000}
profile=${PROFILE:-1}
peer_tls_reuse=${PEER_TLS_REUSE:-yes}
routes=${ROUTES:-sink dovecot}
profile_route=${PROFILE_ROUTE:-sink}
relay_bin=${RELAY_BIN:-$build/apps/mailoauth-relay}
tool=$build/bench/relay_bench_tool
for f in "$relay_bin" "$tool"; do
  [ -x "$f" ] || { echo "build first: $f is missing (cmake --build build --target mailoauth-relay relay_bench_tool)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "run as root: the stack and the peer Postfix drop privileges themselves" >&2; exit 1; }
need=()
command -v smtp-source >/dev/null || [ -x /usr/sbin/smtp-source ] || need+=(postfix)
[ -e /usr/lib/x86_64-linux-gnu/sasl2/libplain.so ] || ls /usr/lib/*/sasl2/libplain.so >/dev/null 2>&1 || need+=(libsasl2-modules)
command -v strace >/dev/null || need+=(strace)
[ "$profile" = 1 ] && ! command -v perf >/dev/null && need+=(linux-perf)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} (the peer, its SASL PLAIN, the tracers)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}" >/dev/null
fi

source "$here/bench/lib.sh"
bench_start_stack
: "${tmp:?bench_start_stack sets it}"
chmod 0755 "$tmp"  # the peer Postfix's unprivileged processes traverse it
pids=()
# shellcheck disable=SC2329
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -n "${pf_master:-}" ] && kill "$pf_master" 2>/dev/null
  sleep 0.5
  "$here/tests/stack/stop" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
source "$here/tests/stack/app_account.sh"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_line() {  # wait_line FILE ERE SECONDS
  for _ in $(seq $(($3 * 10))); do grep -Eq "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "gave up after $3 s waiting for /$2/ in $1:" >&2; tail -20 "$1" >&2; return 1
}
now_us() { echo $(($(date +%s%N) / 1000)); }

# --- the sink and its forwarder ------------------------------------------------
sink_port=$(free_port)
/usr/sbin/smtp-sink -u postfix 127.0.0.1:"$sink_port" 1000 &
pids+=($!)
"$tool" proxy 0 "$sink_port" >"$tmp/proxy.out" &
pids+=($!)
wait_line "$tmp/proxy.out" '^listening' 5
proxy_port=$(awk '{print $2}' "$tmp/proxy.out")

# --- mailoauth relay -------------------------------------------------------------
export MAILOAUTH_STATE_DIR=$tmp/state
printf '%s' "$CC_CLIENT_SECRET" >"$tmp/secret"
chmod 600 "$tmp/secret"
{
  stack_app_account bench "$tmp/secret"
  echo "ca_file = \"$CA_FILE\""
} >"$tmp/accounts.toml"
chmod 600 "$tmp/accounts.toml"
# relay_config SPOOL: the bench's relay.toml (two routes chosen by sender domain).
relay_config() {
  cat <<TOML
hostname = "relay.bench.test"
spool_directory = "$1"
users_file = "$tmp/relay-users"
accounts = "$tmp/accounts.toml"
greeting_pause_ms = 0
max_sessions = $((idle_sessions + 100))
max_sessions_per_client = $((idle_sessions + 100))
[listeners.lan]
port = 0
clients = ["127.0.0.1"]
[routes.dovecot]
senders = ["dovecot.test"]
account = "bench"
server = "$SMTP_HOST"
port = $SUBMISSION_PORT
tls = "starttls"
connections = $upstream_sessions
messages_per_minute = 100000
[routes.sink]
senders = ["sink.test"]
account = "bench"
server = "127.0.0.1"
port = $proxy_port
tls = "none"
connections = $upstream_sessions
messages_per_minute = 100000
TOML
}
# start_relay NAME SPOOL [BINARY]: sets relay_pid, relay_port, relay_log.
start_relay() {
  relay_config "$2" >"$tmp/$1.toml"
  relay_log=$tmp/$1.log
  "${3:-$relay_bin}" relay --config "$tmp/$1.toml" run >"$relay_log" 2>&1 &
  relay_pid=$!
  pids+=("$relay_pid")
  wait_line "$relay_log" 'msg=listening listener=lan ' 10
  relay_port=$(grep 'msg=listening listener=lan ' "$relay_log" | sed -E 's/.*address=127\.0\.0\.1:([0-9]+).*/\1/')
}
variant_bin=${RELAY_BIN_B:-}
if [ -n "$variant_bin" ]; then  # a second build measured beside the first, same runs
  start_relay variant "$tmp/spool-variant" "$variant_bin"
  variant_pid=$relay_pid variant_port=$relay_port variant_log=$relay_log
fi
start_relay relay "$tmp/spool"
sleep 1
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
rss_start=$(rss_kb "$relay_pid")

# --- the peer: a second, private Postfix as relay ----------------------------------
PF=$tmp/pf
peer_port=$(free_port)
mkdir -p "$PF/etc" "$PF/data" "$PF/spool"
cat >"$PF/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PF/spool
data_directory = $PF/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = $PF/postfix.log
maillog_file_prefixes = $PF
myhostname = peer.relay-bench.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
alias_maps =
alias_database =
local_recipient_maps =
biff = no
relayhost = [127.0.0.1]:$SUBMISSION_PORT
sender_dependent_relayhost_maps = inline:{ @sink.test=[127.0.0.1]:$proxy_port }
smtp_sasl_auth_enable = yes
smtp_sasl_password_maps = inline:{ [127.0.0.1]:$SUBMISSION_PORT=$USER1:$USER1_PASSWORD, [127.0.0.1]:$proxy_port=sink:sink }
smtp_sasl_security_options = noanonymous
smtp_sasl_tls_security_options = noanonymous
smtp_tls_security_level = may
smtp_tls_policy_maps = inline:{ [127.0.0.1]:$SUBMISSION_PORT=encrypt }
smtp_tls_CAfile = $CA_FILE
# Reuse TLS sessions to the relayhost as plain ones are (Postfix >= 3.4; off by
# default, and then every message costs a TLS handshake and a SASL login).
smtp_tls_connection_reuse = $peer_tls_reuse
default_destination_concurrency_limit = $upstream_sessions
smtp_destination_concurrency_limit = $upstream_sessions
EOF
chmod 0600 "$PF/etc/main.cf"
cat >"$PF/etc/master.cf" <<EOF
127.0.0.1:$peer_port inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
tlsproxy  unix  -       -       n       -       0       tlsproxy
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
touch -d "@$(($(date +%s) - 60))" "$PF/etc/main.cf" "$PF/etc/master.cf"
chown postfix "$PF/data"
for q in active bounce corrupt defer deferred flush hold incoming private saved trace; do
  install -d -o postfix -g root -m 0700 "$PF/spool/$q"
done
install -d -o postfix -g postdrop -m 0730 "$PF/spool/maildrop"
install -d -o postfix -g postdrop -m 0710 "$PF/spool/public"
install -d -o root -g root -m 0755 "$PF/spool/pid"
setsid /usr/lib/postfix/sbin/master -c "$PF/etc" -s </dev/null >>"$PF/master.log" 2>&1 &
pf_master=$!
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$peer_port") 2>/dev/null && break; sleep 0.1; done
touch "$PF/postfix.log"

# --- measuring -----------------------------------------------------------------
ticks=$(getconf CLK_TCK)
cpu_ticks_of() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# Every process of the peer's session (setsid: sid = master), plus what the
# master collected from children that exited.
cpu_ticks_postfix() {
  local total=0 sid
  for stat in /proc/[0-9]*/stat; do
    sid=$(awk '{print $6}' "$stat" 2>/dev/null) || continue
    [ "$sid" = "$pf_master" ] && total=$((total + $(awk '{print $14 + $15}' "$stat" 2>/dev/null || echo 0)))
  done
  echo $((total + $(awk '{print $16 + $17}' "/proc/$pf_master/stat")))
}
cpu_ticks() {
  case $1 in
    mailoauth) cpu_ticks_of "$relay_pid" ;;
    variant) cpu_ticks_of "$variant_pid" ;;
    *) cpu_ticks_postfix ;;
  esac
}
# wait_count LOG OFFSET ERE N SECONDS: until N lines after byte OFFSET of LOG
# match ERE (read incrementally every 50 ms); exits 1 on the deadline.
wait_count() {
  python3 - "$@" <<'PY'
import re, sys, time
path, offset, pattern, wanted, seconds = sys.argv[1], int(sys.argv[2]), re.compile(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
deadline, found, rest = time.monotonic() + seconds, 0, b""
with open(path, "rb") as log:
    log.seek(offset)
    while found < wanted:
        chunk = log.read()
        if chunk:
            lines = (rest + chunk).split(b"\n")
            rest = lines.pop()
            found += sum(1 for line in lines if pattern.search(line.decode(errors="replace")))
        elif time.monotonic() > deadline:
            sys.exit(f"only {found} of {wanted} lines matching /{pattern.pattern}/ in {path}")
        else:
            time.sleep(0.05)
PY
}
maildir=$MAILOAUTH_STACK_DIR/mail/example.test/alice/Maildir
source_cmd() {  # source_cmd PORT SENDER RECIPIENT
  /usr/sbin/smtp-source -s "$sessions" -m "$count" -l "$size" -f "$2" -t "$3" 127.0.0.1:"$1" >&2
}
deadline=$((count / 20 + 60))  # seconds: 20 messages/s would be very slow

# run_direct PORT: smtp-source into smtp-sink (or the forwarder); prints µs.
run_direct() {
  local start end
  start=$(now_us)
  source_cmd "$1" bench@sink.test sink@sink.test
  end=$(now_us)
  echo $((end - start))
}
# run_relay WHO ROUTE: one run; prints "accept_us deliver_us mailbox_us cpu_ticks".
run_relay() {
  local who=$1 route=$2 port log pattern offset cpu0 cpu1 start accepted delivered boxed=0 rcpt
  if [ "$who" = mailoauth ]; then
    port=$relay_port log=$relay_log pattern="msg=delivery .*route=$route .*status=sent"
  elif [ "$who" = variant ]; then
    port=$variant_port log=$variant_log pattern="msg=delivery .*route=$route .*status=sent"
  else
    port=$peer_port log=$PF/postfix.log pattern="status=sent"
  fi
  rcpt=sink@sink.test
  [ "$route" = dovecot ] && rcpt=$USER1 && find "$maildir/new" -type f -delete 2>/dev/null || true
  offset=$(stat -c %s "$log")
  cpu0=$(cpu_ticks "$who")
  start=$(now_us)
  source_cmd "$port" "bench@$route.test" "$rcpt"
  accepted=$(now_us)
  wait_count "$log" "$offset" "$pattern" "$count" "$deadline" >&2
  delivered=$(now_us)
  cpu1=$(cpu_ticks "$who")
  if [ "$route" = dovecot ]; then
    for _ in $(seq $((deadline * 5))); do
      [ "$(find "$maildir/new" -type f | wc -l)" -ge "$count" ] && break
      sleep 0.2
    done
    boxed=$(($(now_us) - start))
  fi
  echo "$((accepted - start)) $((delivered - start)) $boxed $((cpu1 - cpu0))"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$tmp/runs"
# Warm-up: a token, upstream sessions, page cache (not counted).
count_saved=$count
count=200
for route in $routes; do
  for who in mailoauth postfix ${variant_bin:+variant}; do run_relay "$who" "$route" >/dev/null; done
done
count=$count_saved
for rep in $(seq "$reps"); do
  echo "== repetition $rep of $reps" >&2
  echo "direct $(run_direct "$sink_port")" >>"$tmp/runs"
  echo "direct-forwarder $(run_direct "$proxy_port")" >>"$tmp/runs"
  order=(mailoauth postfix)
  [ -n "$variant_bin" ] && order=(mailoauth variant postfix)
  [ $((rep % 2)) = 0 ] && mapfile -t order < <(printf '%s\n' "${order[@]}" | tac)
  for route in $routes; do
    for who in "${order[@]}"; do
      echo "$who-$route $(run_relay "$who" "$route")" >>"$tmp/runs"
      tail -1 "$tmp/runs" >&2
    done
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# --- acceptance latency ---------------------------------------------------------------
per_session=$((latency_messages / sessions))
: >"$tmp/latency"
for rep in $(seq "$reps"); do
  echo "direct $("$tool" latency "$sink_port" "$sessions" "$per_session" "$size" bench@sink.test sink@sink.test)" >>"$tmp/latency"
  offset=$(stat -c %s "$relay_log")
  echo "mailoauth $("$tool" latency "$relay_port" "$sessions" "$per_session" "$size" bench@sink.test sink@sink.test)" >>"$tmp/latency"
  wait_count "$relay_log" "$offset" "msg=delivery .*route=sink .*status=sent" $((per_session * sessions)) "$deadline"
  if [ -n "$variant_bin" ]; then
    offset=$(stat -c %s "$variant_log")
    echo "variant $("$tool" latency "$variant_port" "$sessions" "$per_session" "$size" bench@sink.test sink@sink.test)" >>"$tmp/latency"
    wait_count "$variant_log" "$offset" "msg=delivery .*route=sink .*status=sent" $((per_session * sessions)) "$deadline"
  fi
  offset=$(stat -c %s "$PF/postfix.log")
  echo "postfix $("$tool" latency "$peer_port" "$sessions" "$per_session" "$size" bench@sink.test sink@sink.test)" >>"$tmp/latency"
  wait_count "$PF/postfix.log" "$offset" "status=sent" $((per_session * sessions)) "$deadline"
done

# --- memory -------------------------------------------------------------------------
rss_after_runs=$(rss_kb "$relay_pid")
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$relay_pid/status")
mkfifo "$tmp/idle.in"
"$tool" idle "$relay_port" "$idle_sessions" <"$tmp/idle.in" >"$tmp/idle.out" &
idle_pid=$!
exec 7>"$tmp/idle.in"
wait_line "$tmp/idle.out" '^idle' 120
sleep 1
rss_idle_sessions=$(rss_kb "$relay_pid")
exec 7>&-
wait "$idle_pid" || true
sleep 1
rss_after_idle=$(rss_kb "$relay_pid")

# --- fsyncs: strace on a short run, then the spool on tmpfs ----------------------------
short=${FSYNC_MESSAGES:-2000}
count_saved=$count
count=$short
strace -f -w -c -e trace=fsync,fdatasync,rename,renameat,renameat2,unlink,unlinkat,openat,write \
  -p "$relay_pid" -o "$tmp/strace.txt" &
strace_pid=$!
sleep 1
strace_run=$(run_relay mailoauth sink)
kill -INT "$strace_pid"
wait "$strace_pid" || true
count=$count_saved
# The same relay binary with its spool on /dev/shm: fsync costs nothing there.
kill -TERM "$relay_pid"
wait "$relay_pid" 2>/dev/null || true
shm_spool=$(mktemp -d /dev/shm/relay-bench.XXXXXX)
start_relay relay-shm "$shm_spool"
: >"$tmp/shm"
for rep in $(seq "$reps"); do
  echo "mailoauth-sink $(run_relay mailoauth sink)" >>"$tmp/shm"
done
# --- profile ----------------------------------------------------------------------------
kill -TERM "$relay_pid"
wait "$relay_pid" 2>/dev/null || true
rm -rf "$shm_spool"
start_relay relay-perf "$tmp/spool-perf"
run_relay mailoauth "$profile_route" >/dev/null  # warm
if [ "$profile" = 1 ]; then
  perf record -F 999 -g -p "$relay_pid" -o "$tmp/perf.data" >/dev/null 2>&1 &
  perf_pid=$!
  sleep 1
  run_relay mailoauth "$profile_route" >/dev/null
  kill -INT "$perf_pid"
  wait "$perf_pid" || true
  perf report -i "$tmp/perf.data" --stdio --no-children --sort dso 2>/dev/null |
    grep -E '^ +[0-9.]+%' | sed -E 's/ +$//' | head -8 >"$tmp/perf-dso.txt" || true
  perf report -i "$tmp/perf.data" --stdio --no-children -g none --sort dso,symbol 2>/dev/null |
    grep -E '^ +[0-9.]+%' | sed -E 's/[ -]+$//' | cut -c1-150 | head -25 >"$tmp/perf-sym.txt" || true
  # The C library's system call wrappers with the kernel work under them (the
  # kernel's own stacks unwind reliably; deeper user frames do not: no frame pointers).
  perf report -i "$tmp/perf.data" --stdio --children -g none --sort dso,symbol 2>/dev/null |
    grep -E '^ +[0-9.]+%.*libc\.so' | sed -E 's/[ -]+$//' | head -16 >"$tmp/perf-children.txt" || true
fi

# --- the report ------------------------------------------------------------------------
med() { awk -v n="$1" -v f="$2" '$1 == n { print $f }' "$3" | median; }
rate() { awk -v n="$1" -v us="$2" 'BEGIN { printf "%.0f", n / (us / 1e6) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
cpu_ms_per() { awk -v t="$1" -v hz="$ticks" -v n="$2" 'BEGIN { printf "%.3f", t / hz * 1000 / n }'; }
direct_us=$(med direct 2 "$tmp/runs")
direct_fwd_us=$(med direct-forwarder 2 "$tmp/runs")
row() {  # row WHO ROUTE
  grep -q "^$1-$2 " "$tmp/runs" || return 0
  local acc del box cpu
  acc=$(med "$1-$2" 2 "$tmp/runs") del=$(med "$1-$2" 3 "$tmp/runs")
  box=$(med "$1-$2" 4 "$tmp/runs") cpu=$(med "$1-$2" 5 "$tmp/runs")
  local peer_del
  peer_del=$(med "postfix-$2" 3 "$tmp/runs")
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$(rate "$count" "$acc")" \
    "$(rate "$count" "$del")" "$( [ "$box" -gt 0 ] && rate "$count" "$box" || echo –)" \
    "$(ratio "$peer_del" "$del")" "$(ratio "$direct_us" "$del")" "$(cpu_ms_per "$cpu" "$count")"
}
# The spool's file system, and for ext4 whether it has a journal: without one,
# fsync costs differ and every file created scans recently deleted inodes.
spool_filesystem() {
  local type device journal
  type=$(df -T "$tmp" | awk 'NR==2 {print $2}')
  device=$(df --output=source "$tmp" | awk 'NR==2 {print $1}')
  journal=/sys/fs/ext4/${device##*/}/journal_task
  if [ "$type" = ext4 ] && [ -r "$journal" ]; then
    [ "$(cat "$journal")" = "<none>" ] && type="ext4 without a journal" || type="ext4 with a journal"
  fi
  echo "$type"
}
target() {  # target TEXT VALUE LIMIT ge|le UNIT
  local verdict
  verdict=$(awk -v v="$2" -v l="$3" -v op="$4" 'BEGIN { print ((op == "ge" ? v >= l : v <= l) ? "yes" : "no") }')
  printf '| %s | %s%s | %s |\n' "$1" "$2" "$5" "$verdict"
}
lat_row() {
  printf '| %s | %s | %s | %s | %s |\n' "$1" \
    "$(awk -v n="$1" '$1 == n { print $9 }' "$tmp/latency" | median)" \
    "$(awk -v n="$1" '$1 == n { print $11 }' "$tmp/latency" | median)" \
    "$(awk -v n="$1" '$1 == n { print $13 }' "$tmp/latency" | median)" \
    "$(awk -v n="$1" '$1 == n { print $15 }' "$tmp/latency" | median)"
}
fsyncs=$(awk '$NF == "fsync" || $NF == "fdatasync" { s += $4 } END { print s + 0 }' "$tmp/strace.txt")
fsync_s=$(awk '$NF == "fsync" || $NF == "fdatasync" { s += $2 } END { print s + 0 }' "$tmp/strace.txt")
read -r _ s_del _ _ <<<"$strace_run"
shm_del=$(awk '{ print $3 }' "$tmp/shm" | median)
shm_acc=$(awk '{ print $2 }' "$tmp/shm" | median)
shm_cpu=$(awk '{ print $5 }' "$tmp/shm" | median)
{
  echo "# Benchmark: the relay, end to end (issue 12)"
  echo
  bench_machine_lines
  echo "- command: \`COUNT=$count SESSIONS=$sessions SIZE=$size REPS=$reps UPSTREAM_SESSIONS=$upstream_sessions IDLE=$idle_sessions LATENCY_MESSAGES=$latency_messages bench/relay.sh\`"
  echo "- load average (1, 5, 15 min) before the runs: $load_before; after: $load_after (the machine is shared with other builds: compare ratios within a run)"
  echo "- load generator: Postfix $(postconf -d -h mail_version 2>/dev/null) smtp-source -s $sessions -m $count -l $size"
  echo "- peer: a second, private Postfix $(postconf -d -h mail_version 2>/dev/null) (master -c), relayhost = the stack's Dovecot submission (STARTTLS, SASL PLAIN), ${upstream_sessions} upstream sessions (smtp_destination_concurrency_limit), smtp_tls_connection_reuse = $peer_tls_reuse, other settings Postfix's defaults"
  [ -n "$variant_bin" ] && echo "- variant: a second mailoauth relay build ($variant_bin), same configuration, own spool, in the same runs"
  echo "- mailoauth relay: route connections = $upstream_sessions, messages_per_minute unlimited, greeting_pause_ms = 0, spool on $(spool_filesystem)"
  echo
  if grep -q '^mailoauth-dovecot ' "$tmp/runs" && grep -q '^mailoauth-sink ' "$tmp/runs"; then
    echo "## Targets of issue 12 (from the tables below)"
    echo
    echo "| target | measured | reached |"
    echo "|---|---:|---|"
    target "≥ 2× Postfix's delivered rate through the same upstream (Dovecot)" \
      "$(ratio "$(med postfix-dovecot 3 "$tmp/runs")" "$(med mailoauth-dovecot 3 "$tmp/runs")")" 2 ge ×
    target "≥ 0.5× direct smtp-source→smtp-sink, smtp-sink as the upstream" \
      "$(ratio "$direct_us" "$(med mailoauth-sink 3 "$tmp/runs")")" 0.5 ge ×
    target "≤ 1 ms relay CPU per message (smtp-sink upstream)" \
      "$(cpu_ms_per "$(med mailoauth-sink 5 "$tmp/runs")" "$count")" 1 le " ms"
    target "≤ 1 ms relay CPU per message (Dovecot upstream, TLS)" \
      "$(cpu_ms_per "$(med mailoauth-dovecot 5 "$tmp/runs")" "$count")" 1 le " ms"
    target "≤ 20 MB RSS idle" "$((rss_start / 1024))" 20 le " MB"
    target "≤ 100 MB RSS with $idle_sessions sessions" "$((rss_idle_sessions / 1024))" 100 le " MB"
    echo
  fi
  echo "## Throughput and CPU (medians of $reps runs of $count messages, relays alternating)"
  echo
  echo "Accepted: smtp-source's start to its exit (every message had its 250). Delivered: to the"
  echo "upstream's 250 for the last message, from the relay's log. Mailbox: to the last message in"
  echo "alice's Maildir (Dovecot submission → the stack's Postfix → LMTP). CPU: the relay process"
  echo "(mailoauth: one process; Postfix: all the processes of its instance) per delivered message."
  echo
  echo "| relay | upstream | accepted/s | delivered/s | in mailbox/s | delivered ÷ Postfix's | delivered ÷ direct smtp-source→smtp-sink | relay CPU ms/message |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|"
  row mailoauth dovecot
  row variant dovecot
  row postfix dovecot
  row mailoauth sink
  row variant sink
  row postfix sink
  echo "| smtp-source → smtp-sink (ceiling) | – | $(rate "$count" "$direct_us") | | | | 1.00 | |"
  echo "| smtp-source → forwarder → smtp-sink | – | $(rate "$count" "$direct_fwd_us") | | | | $(ratio "$direct_us" "$direct_fwd_us") | |"
  echo
  echo "Raw (accepted µs, delivered µs, mailbox µs, CPU ticks of 1/$ticks s):"
  echo
  echo '```'
  cat "$tmp/runs"
  echo '```'
  echo
  echo "## Acceptance latency (DATA end → 250), medians of $reps runs"
  echo
  echo "relay_bench_tool latency: $sessions sessions at once, $latency_messages messages of $size bytes,"
  echo "upstream = the sink route (the relays deliver while they accept). µs:"
  echo
  echo "| receiver | p50 | p90 | p99 | max |"
  echo "|---|---:|---:|---:|---:|"
  lat_row mailoauth
  [ -n "$variant_bin" ] && lat_row variant
  lat_row postfix
  lat_row direct
  echo
  echo "## Memory (mailoauth relay, VmRSS)"
  echo
  echo "| state | RSS |"
  echo "|---|---:|"
  echo "| idle after start | $((rss_start / 1024)) MB ($rss_start kB) |"
  echo "| idle after the runs (peak during them: $((hwm / 1024)) MB) | $((rss_after_runs / 1024)) MB |"
  echo "| $idle_sessions sessions open after EHLO | $((rss_idle_sessions / 1024)) MB ($rss_idle_sessions kB) |"
  echo "| after they closed | $((rss_after_idle / 1024)) MB |"
  echo
  echo "## fsync (group commit?)"
  echo
  echo "strace -f -w -c on the relay during a $short-message run (sink route): $fsyncs fsyncs,"
  echo "$(awk -v f="$fsyncs" -v n="$short" 'BEGIN { printf "%.2f", f / n }') per message, $(awk -v s="$fsync_s" -v n="$short" 'BEGIN { printf "%.3f", s * 1000 / n }') ms of fsync wall time per message"
  echo "(summed over threads; the run took $((s_del / 1000)) ms under strace). Spool on tmpfs"
  echo "(fsync nearly free), the same relay binary, medians of $reps: accepted $(rate "$count" "$shm_acc")/s,"
  echo "delivered $(rate "$count" "$shm_del")/s, $(cpu_ms_per "$shm_cpu" "$count") ms CPU/message."
  echo
  echo '```'
  grep -E 'calls|----|fsync|fdatasync|rename|unlink|openat|write|total' "$tmp/strace.txt" || true
  echo '```'
  echo
  if [ "$profile" = 1 ]; then
    echo "## Profile (perf record -F 999 -g on the relay, one run of $count messages, $profile_route route)"
    echo
    echo "By shared object (self time):"
    echo
    echo '```'
    cat "$tmp/perf-dso.txt"
    echo '```'
    echo
    echo "Top symbols (self time):"
    echo
    echo '```'
    cat "$tmp/perf-sym.txt"
    echo '```'
    echo
    echo "The C library's entry points including what runs under them (the kernel's work in a"
    echo "system call is charged to its wrapper; % of all samples, self in the second column):"
    echo
    echo '```'
    cat "$tmp/perf-children.txt"
    echo '```'
  fi
} >"$here/bench/results/relay.md"
cat "$here/bench/results/relay.md"
