# Shared helpers for tests/stack/{install,start,stop}; sourced, never run.
#
# The three scripts must agree on where things live (state directory, PID files,
# the node binary) and on how a recorded process is recognised and stopped, so
# that "stop" only ever touches what "start" launched. Keeping those rules in one
# place is the point of this file; it holds no configuration of the servers.

STACK_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STACK_REPO=$(cd "$STACK_HOME/../.." && pwd)
STACK_MARKER=.mailoauth-stack      # present in every state dir we created
STACK_NODE_MIN=20.18.0             # oidc-provider 9 needs URL.parse, crypto.hash

say() { printf 'stack: %s\n' "$*"; }
warn() { printf 'stack: %s\n' "$*" >&2; }

# The state directory, absolute, without creating it.
stack_dir() {
    local dir=${MAILOAUTH_STACK_DIR:-$STACK_REPO/build/stack}
    case $dir in
        /*) ;;
        *) dir=$PWD/$dir ;;
    esac
    printf '%s\n' "${dir%/}"
}

# version_ge A B: true when dotted version A >= B.
version_ge() {
    [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

# The node binary the stack uses: the local copy installed by ./install when
# the system one was too old, else the first node on PATH.
stack_node() {
    local local_node=$STACK_HOME/.node/node_modules/.bin/node
    if [ -x "$local_node" ]; then
        printf '%s\n' "$local_node"
    else
        command -v node || true
    fi
}

# pid_alive PID EXPECTED: true when PID runs and its command line contains
# EXPECTED (guards against a recycled PID after a reboot or a long pause).
pid_alive() {
    local pid=$1 expected=$2 cmdline
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
    cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    [[ $cmdline == *"$expected"* ]]
}

# session_pids SID: every process in session SID. Each server is started with
# setsid, so its session holds it and every child it forked (Dovecot's auth,
# login and mail processes; Postfix's smtpd, qmgr, lmtp...).
# Zombies are skipped: they are dead, only waiting for init to reap them.
session_pids() {
    ps -e -o pid=,sid=,stat= | awk -v sid="$1" '$2 == sid && $3 !~ /^Z/ { print $1 }'
}

oidc_provider_version() {
    sed -n 's/^  "version": "\(.*\)",$/\1/p' "$STACK_HOME/node_modules/oidc-provider/package.json"
}
