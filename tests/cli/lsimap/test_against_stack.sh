#!/usr/bin/env bash
# lsimap against the stack's Dovecot: the sorted "Capability: X" log lines
# on stderr over implicit TLS (the same set and order as `sort -u` of what
# curl sees); -starttls with -json on stdout: the capabilities before
# (with STARTTLS) and after it, the mechanisms, LOGINDISABLED, TLS version
# and the certificate's subject and expiry; an untrusted certificate and a
# missing -server exit non-zero (check-mail exits 0); -log-level trace logs
# the connection's steps and the IMAP dialogue.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
lsimap="$MAILOAUTH_BIN_DIR/lsimap"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

"$lsimap" -server "$IMAP_HOST" -port "$IMAPS_PORT" -ca-file "$CA_FILE" >"$tmp/out" 2>"$tmp/err"; rc=$?
sed -n 's/.*INFO  Capability: //p' "$tmp/err" >"$tmp/caps"
# What the server says, read by curl on its own connection.
curl -s --max-time 5 --cacert "$CA_FILE" "imaps://$IMAP_HOST:$IMAPS_PORT/" -X CAPABILITY -u "$USER1:$USER1_PASSWORD" -v 2>&1 |
  sed -n 's/^< \* OK \[CAPABILITY \([^]]*\)\].*/\1/p' | head -n 1 | tr ' ' '\n' | LC_ALL=C sort -u >"$tmp/expected"
check "implicit TLS: one 'Capability: X' line per capability, sorted as check-mail prints them [1/4]" test $rc -eq 0
check "implicit TLS: one 'Capability: X' line per capability, sorted as check-mail prints them [2/4]" test -s "$tmp/caps"
check "implicit TLS: one 'Capability: X' line per capability, sorted as check-mail prints them [3/4]" cmp -s "$tmp/caps" "$tmp/expected"
check "implicit TLS: one 'Capability: X' line per capability, sorted as check-mail prints them [4/4]" test ! -s "$tmp/out"

"$lsimap" -server "$IMAP_HOST" -port "$IMAP_PORT" -starttls -ca-file "$CA_FILE" -json >"$tmp/json" 2>"$tmp/err"; rc=$?
field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$tmp/json" "$1"; }
check "-starttls -json: valid JSON on stdout [1/2]" test $rc -eq 0
check "-starttls -json: valid JSON on stdout [2/2]" grep -qx True <(field "d[\"starttls\"]")
check "-json: STARTTLS offered before, not listed after [1/2]" grep -qx True <(field "\"STARTTLS\" in d[\"capabilities_before_starttls\"]")
check "-json: STARTTLS offered before, not listed after [2/2]" grep -qx False <(field "\"STARTTLS\" in d[\"capabilities\"]")
check "-json: auth mechanisms and LOGINDISABLED [1/2]" grep -qx True <(field "\"XOAUTH2\" in d[\"auth_mechanisms\"]")
check "-json: auth mechanisms and LOGINDISABLED [2/2]" grep -qx False <(field "d[\"login_disabled\"]")
check "-json: TLS version and certificate [1/3]" grep -q "^TLSv1\.[23]$" <(field "d[\"tls\"][\"version\"]")
check "-json: TLS version and certificate [2/3]" grep -q "CN=" <(field "d[\"tls\"][\"subject\"]")
check "-json: TLS version and certificate [3/3]" grep -Eq "^20[0-9]{2}-" <(field "d[\"tls\"][\"not_after\"]")

"$lsimap" -server "$IMAP_HOST" -port "$IMAPS_PORT" -ca-file "$CA_FILE" -log-level trace >"$tmp/out" 2>"$tmp/err"
check "-log-level debug/trace: the connection's steps and the dialogue on stderr [1/3]" grep -q "Connecting to server server=$IMAP_HOST port=$IMAPS_PORT tls=implicit" "$tmp/err"
check "-log-level debug/trace: the connection's steps and the dialogue on stderr [2/3]" grep -q "Connection established to server .*tls=TLSv1" "$tmp/err"
check "-log-level debug/trace: the connection's steps and the dialogue on stderr [3/3]" grep -q "LOGOUT dir=C" "$tmp/err"

"$lsimap" -server "$IMAP_HOST" -port "$IMAPS_PORT" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "untrusted certificate: exit 1 naming it [1/2]" test $rc -eq 1
check "untrusted certificate: exit 1 naming it [2/2]" grep -q "not trusted" "$tmp/err"
"$lsimap" -port "$IMAPS_PORT" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "no -server: exit 2 (check-mail exits 0) [1/2]" test $rc -eq 2
check "no -server: exit 2 (check-mail exits 0) [2/2]" grep -q "server FQDN not provided" "$tmp/err"
"$lsimap" -bogus >"$tmp/out" 2>"$tmp/err"; rc=$?
check "unknown flag: exit 2, Go's message on stdout [1/2]" test $rc -eq 2
check "unknown flag: exit 2, Go's message on stdout [2/2]" grep -q "flag provided but not defined: -bogus" "$tmp/out"
finish
