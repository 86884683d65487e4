#!/usr/bin/env bash
# Every entry of the error catalogue proven: for each row of proofs.tsv (one
# per entry, the provider's exact text; tests/unit/catalogue/proofs_test.cpp
# fails when an entry has none) the replaying peer (tests/peers/replay_peer.py)
# answers with that text where the provider would, and the program a user runs
# must show that entry's explanation and remedy and exit with its class's
# code: SMTP replies through `mailoauth send`, IMAP responses through
# `mailoauth imap check` (the Nagios plugin: CRITICAL, exit 2), Entra and
# OAuth token endpoint bodies through `mailoauth token get`, Graph error
# bodies through `mailoauth send --transport graph`. What the entry says
# (meaning, remedy, class) comes from `mailoauth explain --list --json`, so
# the proof is that the program reached the entry the catalogue lists.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
m="$MAILOAUTH_BIN_DIR/mailoauth"
here="${BASH_SOURCE%/*}"
tmp=$(mktemp -d)
peer_pid=""
trap '[ -n "$peer_pid" ] && kill "$peer_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
export MAILOAUTH_CONFIG="$tmp/config.toml" MAILOAUTH_STATE_DIR="$tmp/state"

# A certificate for the IMAP listener, trusted by the account (ca_file).
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null ||
  { echo "FAIL: openssl could not make a certificate"; exit 1; }
echo '{}' >"$tmp/control.json"
python3 "$MAILOAUTH_SOURCE_DIR/tests/peers/replay_peer.py" "$tmp/control.json" "$tmp/cert.pem" \
  "$tmp/key.pem" >"$tmp/peer.log" 2>&1 &
peer_pid=$!
for _ in $(seq 100); do grep -q listening "$tmp/peer.log" && break; sleep 0.1; done
read -r smtp_port imap_port http_port < <(sed -n 's/^replay peer listening smtp \([0-9]*\) imap \([0-9]*\) http \([0-9]*\)$/\1 \2 \3/p' "$tmp/peer.log")
[ -n "${http_port:-}" ] || { echo "FAIL: the replay peer did not start within 10 s"; show "$tmp/peer.log"; exit 1; }

printf 'replay-secret\n' >"$tmp/secret"; chmod 600 "$tmp/secret"
account() {  # NAME TOKEN_PATH
  cat <<EOF
[accounts.$1]
provider = "generic"
flow = "app"
token_url = "http://127.0.0.1:$http_port/$2/token"
client_id = "replay-client"
client_secret_file = "$tmp/secret"
scopes = ["https://outlook.office365.com/.default"]
mailbox = "printer@contoso.com"
smtp_server = "127.0.0.1"
smtp_port = $smtp_port
smtp_tls = "none"
imap_server = "127.0.0.1"
imap_port = $imap_port
imap_tls = "implicit"
ca_file = "$tmp/cert.pem"
graph_url = "http://127.0.0.1:$http_port"

EOF
}
{ account good good; account refused replay; } >"$tmp/config.toml"
chmod 600 "$tmp/config.toml"

# What each entry says, from the catalogue itself: id, exit code, meaning, remedy.
"$m" explain --list --json >"$tmp/list.json" || { echo "FAIL: explain --list --json"; exit 1; }
python3 - "$tmp/list.json" >"$tmp/expect.tsv" <<'PY'
import json, sys
for e in json.load(open(sys.argv[1])):
    print("\t".join([e["id"], str(e["exit_code"]), e["meaning"], e["remedy"]]))
PY

control() {  # PATH STAGE STATUS PAYLOAD: what the peer answers from now on
  python3 -c 'import json,sys; json.dump({"path":sys.argv[1],"stage":sys.argv[2],"status":int(sys.argv[3]) if sys.argv[3].isdigit() else 0,"payload":sys.argv[4].replace("\\n","\n")}, open(sys.argv[5],"w"))' \
    "$1" "$2" "$3" "$4" "$tmp/control.json.new" && mv "$tmp/control.json.new" "$tmp/control.json"
}

# A first token for the good account, and a baseline: with nothing replayed,
# every path succeeds (so a refusal below is the replayed text's doing).
# PROOFS_ONLY=smtp|imap|token|graph runs one path's rows (by hand, while editing).
control none none 0 ""
"$m" send --account good --transport smtp --allow-plaintext-auth --to a@example.com --subject proof --body proof >"$tmp/out" 2>"$tmp/err"
check "baseline: SMTP through the peer sends" test $? -eq 0 || show "$tmp/err"
"$m" send --account good --transport graph --to a@example.com --subject proof --body proof >"$tmp/out" 2>"$tmp/err"
check "baseline: Graph through the peer sends" test $? -eq 0 || show "$tmp/err"
"$m" imap check good -f Junk >"$tmp/out" 2>"$tmp/err"
check "baseline: the IMAP check through the peer is OK" test $? -eq 0 || { show "$tmp/out"; show "$tmp/err"; }

proven=0
while IFS=$'\t' read -r id path stage status payload; do
  case $id in ''|'#'*) continue ;; esac
  [ -z "${PROOFS_ONLY:-}" ] || [ "$path" = "$PROOFS_ONLY" ] || continue  # by hand: one path
  exit_code="" meaning="" remedy=""
  IFS=$'\t' read -r _ exit_code meaning remedy < <(awk -F'\t' -v id="$id" '$1 == id' "$tmp/expect.tsv")
  if [ -z "$exit_code" ]; then check "$id: is an entry of the catalogue" false; continue; fi
  control "$path" "$stage" "$status" "$payload"
  case $path in
    smtp)  "$m" send --account good --transport smtp --allow-plaintext-auth --to a@example.com --subject proof --body proof >"$tmp/out" 2>"$tmp/said"; rc=$? ;;
    graph) "$m" send --account good --transport graph --to a@example.com --subject proof --body proof >"$tmp/out" 2>"$tmp/said"; rc=$? ;;
    token) "$m" token get refused >"$tmp/out" 2>"$tmp/said"; rc=$? ;;
    imap)  "$m" imap check good -f Junk -t 10 >"$tmp/said" 2>"$tmp/err"; rc=$?; exit_code=2 ;;
    *)     rc=-1 ;;
  esac
  ok=true
  [ "$rc" -eq "$exit_code" ] || { echo "  exit $rc, expected $exit_code"; ok=false; }
  if [ "$path" = imap ] && grep -q '^CRITICAL: mailbox not found: "Junk"' "$tmp/said"; then
    :  # check-mail's own words for a missing folder (the plugin's format)
  elif [ -n "$remedy" ]; then
    grep -qF -- "(remedy: $remedy)" "$tmp/said" || { echo "  the remedy is not shown"; ok=false; }
  else
    words=${payload#\* }
    grep -qF -- "$words" "$tmp/said" || { echo "  the server's words are not shown"; ok=false; }
  fi
  if [ "$path" != imap ]; then
    grep -qF -- "$meaning" "$tmp/said" || { echo "  the meaning is not shown"; ok=false; }
  fi
  if check "$id: $path replays it, the user sees its explanation and remedy, exit $exit_code" $ok; then
    proven=$((proven + 1))
  else
    show "$tmp/said"
  fi
done <"$here/proofs.tsv"
entries=$(wc -l <"$tmp/expect.tsv")
if [ -z "${PROOFS_ONLY:-}" ]; then
  check "every one of the $entries entries was proven ($proven)" test "$proven" -eq "$entries"
fi

finish
