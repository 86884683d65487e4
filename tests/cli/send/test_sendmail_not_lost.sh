#!/usr/bin/env bash
# Sendmail mode never loses a message without a word (issue 11), with no
# server needed: the account's SMTP server is a closed port, so every send
# fails before any token is asked for.
# - `failed` is a file, so the unsent message cannot be kept: the command says
#   loudly that it was NOT kept, with the reason, and exits 73 — not 75, which
#   PHP's mail() counts as success ("queued"). Same for `mailoauth send`.
# - A message larger than MAILOAUTH_MAX_MESSAGE_SIZE is refused (exit 73, not
#   kept, said so) after reading at most that much.
# - -f / --envelope-from with CR/LF is refused (64 / 78), shown escaped; no
#   kept file gets a forged X-Mailoauth-Envelope-To line, stderr no raw CR.
# - The message is on disk before anything is sent: while the server stays
#   silent, the copy is already in failed/, and it survives a kill.
# - A failed send with a usable state directory keeps the message once, with
#   its envelope (no stray "incoming" copy).
set -u
source "${BASH_SOURCE%/*}/../common.sh"
m="$MAILOAUTH_BIN_DIR/mailoauth"
tmp=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
export MAILOAUTH_CONFIG="$tmp/config.toml" MAILOAUTH_STATE_DIR="$tmp/state"
unset MAILOAUTH_ACCOUNT MAILOAUTH_MAX_MESSAGE_SIZE
show_raw() { echo "--- $1"; cat -A "$1"; }  # show, with a CR as ^M
printf 'secret\n' >"$tmp/secret"; chmod 600 "$tmp/secret"
account() {  # NAME PORT
  cat <<CONF
[accounts.$1]
provider = "generic"
flow = "app"
token_url = "http://127.0.0.1:1/token"
client_id = "test"
client_secret_file = "$tmp/secret"
scopes = ["mail"]
mailbox = "cron@example.test"
smtp_server = "127.0.0.1"
smtp_port = $2
smtp_tls = "none"

CONF
}
# A server that accepts connections and never says a word.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(5)
print(s.getsockname()[1], flush=True)
held = []
while True:
    c, _ = s.accept(); held.append(c)
' >"$tmp/silent.port" &
for _ in $(seq 50); do [ -s "$tmp/silent.port" ] && break; sleep 0.1; done
silent_port=$(cat "$tmp/silent.port")
{ echo 'default_account = "down"'; account down 1; account silent "$silent_port"; } >"$tmp/config.toml"
chmod 600 "$tmp/config.toml"
message() { printf 'From: cron@example.test\nTo: ops@example.test\nSubject: %s\n\n%s\n' "$1" "$2"; }

# --- the message cannot be kept --------------------------------------------------
mkdir -p "$tmp/state"; : >"$tmp/state/failed"   # a file where the directory should be
message "lost?" "keep me" | "$m" sendmail -t >"$tmp/out" 2>"$tmp/err"; rc=$?
check "sendmail, failed/ unusable and the server down: exit 73, not 75" test $rc -eq 73 || show_raw "$tmp/err"
check "... and it says loudly the message was NOT kept, with the reason [1/3]" grep -q "NOT SENT AND COULD NOT BE KEPT" "$tmp/err" || show_raw "$tmp/err"
check "... and it says loudly the message was NOT kept, with the reason [2/3]" grep -q "not a directory\|Not a directory" "$tmp/err" || show_raw "$tmp/err"
check "... and it says loudly the message was NOT kept, with the reason [3/3]" grep -q "own copy" "$tmp/err" || show_raw "$tmp/err"
check "... after the failure itself (connection refused)" grep -qi "refused\|connect" "$tmp/err" || show_raw "$tmp/err"
"$m" send --to ops@example.test --subject x --body "keep me" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "mailoauth send likewise: exit 73 and NOT kept said [1/2]" test $rc -eq 73 || show_raw "$tmp/err"
check "mailoauth send likewise: exit 73 and NOT kept said [2/2]" grep -q "COULD NOT BE KEPT" "$tmp/err" || show_raw "$tmp/err"
rm -f "$tmp/state/failed"

# --- a usable state directory: kept once, with the envelope ------------------------
message "kept" "keep me" | "$m" sendmail -t -f bounce@example.test >"$tmp/out" 2>"$tmp/err"; rc=$?
kept=$(sed -n 's/^mailoauth: the message was kept in //p' "$tmp/err")
check "server down: exit 75, kept with its envelope, no other copy left [1/6]" test $rc -eq 75 || show_raw "$tmp/err"
check "server down: exit 75, kept with its envelope, no other copy left [2/6]" test -f "$kept" || show_raw "$tmp/err"
check "server down: exit 75, kept with its envelope, no other copy left [3/6]" grep -q "^X-Mailoauth-Envelope-From: bounce@example.test" "$kept"
check "server down: exit 75, kept with its envelope, no other copy left [4/6]" grep -q "^X-Mailoauth-Envelope-To: ops@example.test" "$kept"
check "server down: exit 75, kept with its envelope, no other copy left [5/6]" grep -q "keep me" "$kept"
check "server down: exit 75, kept with its envelope, no other copy left [6/6]" test "$(ls "$tmp/state/failed" | wc -l)" -eq 1 ||
  ls -la "$tmp/state/failed"
rm -rf "$tmp/state/failed"

# --- the size cap ------------------------------------------------------------------------
head -c 5000 /dev/zero | tr '\0' 'x' | fold -w 70 >"$tmp/big.txt"
{ message "big" "start"; cat "$tmp/big.txt"; } |
  MAILOAUTH_MAX_MESSAGE_SIZE=1000 "$m" sendmail -t >"$tmp/out" 2>"$tmp/err"; rc=$?
check "a message over MAILOAUTH_MAX_MESSAGE_SIZE: exit 73, refused and NOT kept, said so [1/4]" test $rc -eq 73 || show_raw "$tmp/err"
check "a message over MAILOAUTH_MAX_MESSAGE_SIZE: exit 73, refused and NOT kept, said so [2/4]" grep -q "larger than the maximum of 1000 bytes" "$tmp/err" || show_raw "$tmp/err"
check "a message over MAILOAUTH_MAX_MESSAGE_SIZE: exit 73, refused and NOT kept, said so [3/4]" grep -q "COULD NOT BE KEPT" "$tmp/err" || show_raw "$tmp/err"
check "a message over MAILOAUTH_MAX_MESSAGE_SIZE: exit 73, refused and NOT kept, said so [4/4]" test -z "$(ls -A "$tmp/state/failed" 2>/dev/null)"
MAILOAUTH_MAX_MESSAGE_SIZE=lots "$m" sendmail -t </dev/null >"$tmp/out" 2>"$tmp/err"; rc=$?
check "a bad MAILOAUTH_MAX_MESSAGE_SIZE: exit 78 [1/2]" test $rc -eq 78 || show_raw "$tmp/err"
check "a bad MAILOAUTH_MAX_MESSAGE_SIZE: exit 78 [2/2]" grep -q "MAILOAUTH_MAX_MESSAGE_SIZE" "$tmp/err" || show_raw "$tmp/err"
rm -rf "$tmp/state/failed"

# --- CR/LF in the envelope sender ---------------------------------------------------------
evil=$'a@example.test\r\nX-Mailoauth-Envelope-To: evil@example.test'
message "inject" "body" | "$m" sendmail -t -f "$evil" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "sendmail -f with CR/LF: exit 64, shown escaped, no raw CR on stderr [1/3]" test $rc -eq 64 || show_raw "$tmp/err"
check "sendmail -f with CR/LF: exit 64, shown escaped, no raw CR on stderr [2/3]" grep -qF 'a@example.test\r\nX-Mailoauth' "$tmp/err" || show_raw "$tmp/err"
check "sendmail -f with CR/LF: exit 64, shown escaped, no raw CR on stderr [3/3]" not grep -q $'\r' "$tmp/err" || show_raw "$tmp/err"
check "... and no kept file carries a forged envelope line" not grep -rqs "^X-Mailoauth-Envelope-To: evil" "$tmp/state/failed"
"$m" send --dry-run --envelope-from "$evil" --to ops@example.test --subject x --body y >"$tmp/out" 2>"$tmp/err"; rc=$?
check "send --envelope-from with CR/LF: exit 78 naming the option, nothing printed raw [1/3]" test $rc -eq 78 || show_raw "$tmp/err"
check "send --envelope-from with CR/LF: exit 78 naming the option, nothing printed raw [2/3]" grep -q -- "--envelope-from" "$tmp/err" || show_raw "$tmp/err"
check "send --envelope-from with CR/LF: exit 78 naming the option, nothing printed raw [3/3]" not grep -q $'\r' "$tmp/err" "$tmp/out" ||
  { show_raw "$tmp/out"; show_raw "$tmp/err"; }

# --- on disk before sending ----------------------------------------------------------------
message "early" "on disk first" | "$m" sendmail --account silent -t >"$tmp/out" 2>"$tmp/err" &
pid=$!
copy=""
for _ in $(seq 100); do  # up to 10 s for the copy to appear while the server is silent
  copy=$(grep -ls "on disk first" "$tmp/state/failed/"*.eml 2>/dev/null | head -1)
  [ -n "$copy" ] && break
  sleep 0.1
done
kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
check "the message is in failed/ while the server has not answered, and stays after a kill [1/4]" test -n "$copy" ||
  { ls -la "$tmp/state/failed"; show_raw "$tmp/err"; }
check "the message is in failed/ while the server has not answered, and stays after a kill [2/4]" test -f "$copy"
check "the message is in failed/ while the server has not answered, and stays after a kill [3/4]" test "$(stat -c %a "$copy" 2>/dev/null)" = 600
check "the message is in failed/ while the server has not answered, and stays after a kill [4/4]" grep -q "^X-Mailoauth-Envelope-From: " "$copy"
finish
