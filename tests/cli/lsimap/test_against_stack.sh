#!/usr/bin/env bash
# lsimap against the stack's Dovecot: the sorted "Capability: X" log lines
# on stderr over implicit TLS (the same set and order as `sort -u` of what
# curl sees); -starttls with -json on stdout: the capabilities before
# (with STARTTLS) and after it, the mechanisms, LOGINDISABLED, TLS version
# and the certificate's subject and expiry; an untrusted certificate and a
# missing -server exit non-zero (check-mail exits 0); -log-level trace logs
# the connection's steps and the IMAP dialogue.
set -u
[ -n "${DEBUG_TEST:-}" ] && set -x
source "$MAILOAUTH_STACK_ENV"
lsimap="$MAILOAUTH_BIN_DIR/lsimap"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
status=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; status=1; fi; }

"$lsimap" -server "$IMAP_HOST" -port "$IMAPS_PORT" -ca-file "$CA_FILE" >"$tmp/out" 2>"$tmp/err"; rc=$?
sed -n 's/.*INFO  Capability: //p' "$tmp/err" >"$tmp/caps"
# What the server says, read by curl on its own connection.
curl -s --max-time 5 --cacert "$CA_FILE" "imaps://$IMAP_HOST:$IMAPS_PORT/" -X CAPABILITY -u "$USER1:$USER1_PASSWORD" -v 2>&1 |
  sed -n 's/^< \* OK \[CAPABILITY \([^]]*\)\].*/\1/p' | head -n 1 | tr ' ' '\n' | LC_ALL=C sort -u >"$tmp/expected"
check "implicit TLS: one 'Capability: X' line per capability, sorted as check-mail prints them" \
  '[ $rc -eq 0 ] && [ -s "$tmp/caps" ] && cmp -s "$tmp/caps" "$tmp/expected" && [ ! -s "$tmp/out" ]'

"$lsimap" -server "$IMAP_HOST" -port "$IMAP_PORT" -starttls -ca-file "$CA_FILE" -json >"$tmp/json" 2>"$tmp/err"; rc=$?
field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$tmp/json" "$1"; }
check "-starttls -json: valid JSON on stdout" '[ $rc -eq 0 ] && field "d[\"starttls\"]" | grep -qx True'
check "-json: STARTTLS offered before, not listed after" \
  'field "\"STARTTLS\" in d[\"capabilities_before_starttls\"]" | grep -qx True && field "\"STARTTLS\" in d[\"capabilities\"]" | grep -qx False'
check "-json: auth mechanisms and LOGINDISABLED" \
  'field "\"XOAUTH2\" in d[\"auth_mechanisms\"]" | grep -qx True && field "d[\"login_disabled\"]" | grep -qx False'
check "-json: TLS version and certificate" \
  'field "d[\"tls\"][\"version\"]" | grep -q "^TLSv1\.[23]$" && field "d[\"tls\"][\"subject\"]" | grep -q "CN=" && field "d[\"tls\"][\"not_after\"]" | grep -Eq "^20[0-9]{2}-"'

"$lsimap" -server "$IMAP_HOST" -port "$IMAPS_PORT" -ca-file "$CA_FILE" -log-level trace >"$tmp/out" 2>"$tmp/err"
check "-log-level debug/trace: the connection's steps and the dialogue on stderr" \
  'grep -q "Connecting to server server=$IMAP_HOST port=$IMAPS_PORT tls=implicit" "$tmp/err" && grep -q "Connection established to server .*tls=TLSv1" "$tmp/err" && grep -q "LOGOUT dir=C" "$tmp/err"'

"$lsimap" -server "$IMAP_HOST" -port "$IMAPS_PORT" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "untrusted certificate: exit 1 naming it" '[ $rc -eq 1 ] && grep -q "not trusted" "$tmp/err"'
"$lsimap" -port "$IMAPS_PORT" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "no -server: exit 2 (check-mail exits 0)" '[ $rc -eq 2 ] && grep -q "server FQDN not provided" "$tmp/err"'
"$lsimap" -bogus >"$tmp/out" 2>"$tmp/err"; rc=$?
check "unknown flag: exit 2, Go's message on stdout" '[ $rc -eq 2 ] && grep -q "flag provided but not defined: -bogus" "$tmp/out"'
exit $status
