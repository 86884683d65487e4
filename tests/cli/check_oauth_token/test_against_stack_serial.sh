#!/usr/bin/env bash
# check_oauth_token against the stack's oidc-provider: a fresh app-only
# account is OK with exact perfdata; the configured client secret expiry
# within -w / -c days is WARNING / CRITICAL (dates set relative to now);
# --renew asks the server (one grant, counted in its log: so this runs
# alone, "serial") and the cached run asks nothing; a wrong secret is
# CRITICAL with the catalogue's words; a delegated account (device flow)
# shows its refresh token age, and once its refresh token is revoked at the
# server, --renew is CRITICAL with invalid_grant and the next cached run
# WARNS with the recorded error; the stack's certificate client shows
# certificate_days_left from the certificate, a generated one too; usage
# errors are UNKNOWN (3); the plugin runs without HOME; the secret never
# appears in the output, not even at trace level.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
source "$MAILOAUTH_SOURCE_DIR/tests/stack/app_account.sh"
plugin="$MAILOAUTH_BIN_DIR/check_oauth_token"
m="$MAILOAUTH_BIN_DIR/mailoauth"
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
export MAILOAUTH_CONFIG="$tmp/config.toml" MAILOAUTH_STATE_DIR="$tmp/state"
unset BROWSER DISPLAY WAYLAND_DISPLAY
(umask 077 && printf '%s\n' "$CC_CLIENT_SECRET" >"$tmp/cc.secret" && printf 'NOT-THE-SECRET\n' >"$tmp/wrong.secret")
grants() { grep -c "grant.success client=$1\$" "$OIDC_LOG" || true; }
run() { env -u HOME "$plugin" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }
line() { head -n 1 "$tmp/out"; }
# Days from now to midnight UTC of the day N days ahead, as the plugin counts them (rounded down).
day_in() { date -u -d "+$1 days" +%F; }
days_to() { echo $(( ($(date -u -d "$1" +%s) - $(date -u +%s)) / 86400 )); }
cert_days=$(( ($(date -u -d "$(openssl x509 -enddate -noout -in "$CERT_CLIENT_CERT_FILE" | cut -d= -f2)" +%s) - $(date -u +%s)) / 86400 ))

far=$(day_in 120); soon=$(day_in 20); close=$(day_in 5)
{
  stack_app_account app "$tmp/cc.secret"; echo "client_secret_expires = \"$far\""
  stack_app_account soon "$tmp/cc.secret"; echo "client_secret_expires = \"$soon\""
  stack_app_account close "$tmp/cc.secret"; echo "client_secret_expires = \"$close\""
  stack_app_account plain "$tmp/cc.secret"
  stack_app_account wrong "$tmp/wrong.secret"; echo "client_secret_expires = \"$far\""
  cat <<CONF
[accounts.cert]
provider = "generic"
flow = "app"
token_url = "$OIDC_TOKEN_URL"
client_id = "$CERT_CLIENT_ID"
certificate_file = "$CERT_CLIENT_CERT_FILE"
private_key_file = "$CERT_CLIENT_KEY_FILE"
scopes = ["$MAIL_SCOPE"]
mailbox = "$CERT_CLIENT_MAILBOX"

[accounts.gencert]
provider = "generic"
flow = "app"
token_url = "$OIDC_TOKEN_URL"
client_id = "$CERT_CLIENT_ID"
certificate_file = "$tmp/gen.crt"
private_key_file = "$tmp/gen.key"
scopes = ["$MAIL_SCOPE"]
mailbox = "$CERT_CLIENT_MAILBOX"

[accounts.dev]
provider = "generic"
flow = "delegated"
issuer = "$OIDC_ISSUER"
authorize_url = "$OIDC_AUTHORIZE_URL"
token_url = "$OIDC_TOKEN_URL"
device_url = "$OIDC_DEVICE_URL"
revocation_url = "$OIDC_REVOKE_URL"
client_id = "$PUBLIC_CLIENT_ID"
scopes = ["openid", "offline_access", "$MAIL_SCOPE"]
login_hint = "$USER1"
mailbox = "$USER1"
CONF
} >"$tmp/config.toml"
chmod 600 "$tmp/config.toml"
openssl req -x509 -newkey rsa:2048 -nodes -days 3 -subj "/CN=check_oauth_token test" \
  -keyout "$tmp/gen.key" -out "$tmp/gen.crt" >/dev/null 2>&1 || { echo "FAIL: openssl req"; exit 1; }
chmod 600 "$tmp/gen.key"

# --- an app-only account with a secret far from its expiry ----------------------
before=$(grants "$CC_CLIENT_ID")
run app -w 30 -c 7
after=$(grants "$CC_CLIENT_ID")
days=$(days_to "$far")
echo "first line: $(line)"
check "fresh app account: OK, one grant [1/4]" test $rc -eq 0
check "fresh app account: OK, one grant [2/4]" matches "$(line)" "^OK: app: token valid for [0-9]+ min, client secret expires in $days days \\| 'access_token_seconds_left'=[0-9]+s;;;0; 'secret_days_left'=$days;30:;7:;;\$"
check "fresh app account: OK, one grant [3/4]" test $((after - before)) -eq 1
check "fresh app account: OK, one grant [4/4]" grep -q "^client secret from file $tmp/cc.secret expires in $days days" "$tmp/out" || { show "$tmp/out"; show "$tmp/err"; }
before=$(grants "$CC_CLIENT_ID")
run app
after=$(grants "$CC_CLIENT_ID")
check "second run: the stored token, no request [1/2]" test $rc -eq 0
check "second run: the stored token, no request [2/2]" test $((after - before)) -eq 0
run app --renew
after2=$(grants "$CC_CLIENT_ID")
check "--renew: a real renewal (one grant), said on the first line [1/2]" test $((after2 - after)) -eq 1
check "--renew: a real renewal (one grant), said on the first line [2/2]" matches "$(line)" "^OK: app: token valid for [0-9]+ min \\(renewed now\\)," || show "$tmp/out"

# --- the secret's expiry against -w / -c ------------------------------------------
run soon -w 30 -c 7
check "secret expiring in 20 days with -w 30 -c 7: WARNING naming it [1/2]" test $rc -eq 1
check "secret expiring in 20 days with -w 30 -c 7: WARNING naming it [2/2]" matches "$(line)" "^WARNING: soon: client secret expires in $(days_to "$soon") days \\| .*'secret_days_left'=$(days_to "$soon");30:;7:;;\$" || show "$tmp/out"
run close -w 30 -c 7
check "secret expiring in 5 days: CRITICAL [1/2]" test $rc -eq 2
check "secret expiring in 5 days: CRITICAL [2/2]" matches "$(line)" "^CRITICAL: close: client secret expires in $(days_to "$close") days" || show "$tmp/out"
run close -w 3 -c 2
check "the same with -w 3 -c 2: OK" test $rc -eq 0 || show "$tmp/out"
run plain
check "no client_secret_expires: OK, no secret perfdata, the long output says how to watch it [1/3]" test $rc -eq 0
check "no client_secret_expires: OK, no secret perfdata, the long output says how to watch it [2/3]" not grep -q secret_days_left "$tmp/out"
check "no client_secret_expires: OK, no secret perfdata, the long output says how to watch it [3/3]" grep -q "client_secret_expires" "$tmp/out" || show "$tmp/out"

# --- a wrong secret: the renewal fails, explained -----------------------------------
run wrong
check "wrong secret: CRITICAL, token renewal failed with invalid_client and the remedy [1/3]" test $rc -eq 2
check "wrong secret: CRITICAL, token renewal failed with invalid_client and the remedy [2/3]" matches "$(line)" "^CRITICAL: wrong: token renewal failed: .*invalid_client"
check "wrong secret: CRITICAL, token renewal failed with invalid_client and the remedy [3/3]" grep -q "^remedy: " "$tmp/out" || show "$tmp/out"

# --- certificates: days left from the certificate itself ---------------------------
run cert -w 30 -c 3
check "the stack's certificate ($cert_days days left): WARNING with certificate_days_left [1/3]" test $rc -eq 1
check "the stack's certificate ($cert_days days left): WARNING with certificate_days_left [2/3]" matches "$(line)" "^WARNING: cert: certificate expires in $cert_days days \\|"
check "the stack's certificate ($cert_days days left): WARNING with certificate_days_left [3/3]" matches "$(line)" "'certificate_days_left'=$cert_days;30:;3:;;" || show "$tmp/out"
run cert -w 3 -c 1
check "the same with -w 3 -c 1: OK (and a token through the certificate)" test $rc -eq 0 || show "$tmp/out"
run gencert -w 30 -c 7
check "a generated certificate made for 3 days: certificate_days_left=2, CRITICAL [1/2]" test $rc -eq 2
check "a generated certificate made for 3 days: certificate_days_left=2, CRITICAL [2/2]" matches "$(line)" "'certificate_days_left'=2;30:;7:;;" || show "$tmp/out"

# --- usage errors: UNKNOWN --------------------------------------------------------
run app -w thirty
check "a bad -w: UNKNOWN naming -w [1/2]" test $rc -eq 3
check "a bad -w: UNKNOWN naming -w [2/2]" matches "$(line)" "^UNKNOWN: .*-w" || show "$tmp/out"
run app --bogus
check "an unknown option: UNKNOWN (3)" test $rc -eq 3
run nosuch
check "an unknown account: UNKNOWN naming the known ones [1/2]" test $rc -eq 3
check "an unknown account: UNKNOWN naming the known ones [2/2]" grep -q "app" "$tmp/out"
run
check "no account: UNKNOWN" test $rc -eq 3
"$plugin" --help >"$tmp/help" 2>&1; rc=$?
check "--help answers with examples [1/2]" test $rc -eq 0
check "--help answers with examples [2/2]" grep -q "check_oauth_token relay -w 30 -c 7" "$tmp/help"

# --- a delegated account: refresh token age, then a revoked refresh token ------------
"$m" token login dev --device >"$tmp/device.out" 2>"$tmp/device.err" &
login=$!
for _ in $(seq 100); do grep -q "enter the code" "$tmp/device.err" 2>/dev/null && break; sleep 0.1; done
code=$(sed -n 's/.*enter the code \([A-Z0-9-]*\).*/\1/p' "$tmp/device.err")
curl -sf --max-time 5 -d "user_code=$code" -d "login_hint=$USER1" "$OIDC_TEST_DEVICE_APPROVE_URL" >/dev/null
wait $login
run dev
check "delegated account: OK with refresh_token_age_days (no lifetime known here) [1/2]" test $rc -eq 0
check "delegated account: OK with refresh_token_age_days (no lifetime known here) [2/2]" matches "$(line)" "'refresh_token_age_days'=0;;;0; *\$" || show "$tmp/out"
run dev --refresh-lifetime 30d
check "--refresh-lifetime 30d: the lifetime's thresholds in the perfdata" matches "$(line)" "'refresh_token_age_days'=0;20;30;0;30" || show "$tmp/out"
"$m" token revoke dev --keep-local >/dev/null 2>&1
run dev --renew
check "a revoked refresh token with --renew: CRITICAL, invalid_grant [1/2]" test $rc -eq 2
check "a revoked refresh token with --renew: CRITICAL, invalid_grant [2/2]" matches "$(line)" "^CRITICAL: dev: token renewal failed: .*invalid_grant" || show "$tmp/out"
run dev
check "then a run on the stored token: WARNING with the recorded renewal error [1/2]" test $rc -eq 1
check "then a run on the stored token: WARNING with the recorded renewal error [2/2]" matches "$(line)" "^WARNING: dev: the last renewal failed: .*invalid_grant" || show "$tmp/out"

# --- no secret anywhere in what the plugin says --------------------------------------
env -u HOME "$plugin" --log-level trace app --renew >"$tmp/out" 2>"$tmp/err"
check "trace level: the secret is in neither stdout nor stderr [1/2]" not grep -qF "$CC_CLIENT_SECRET" "$tmp/out"
check "trace level: the secret is in neither stdout nor stderr [2/2]" not grep -qF "$CC_CLIENT_SECRET" "$tmp/err"
token=$("$m" token get app)
check "the token is in neither stdout nor stderr [1/2]" test -n "$token"
check "the token is in neither stdout nor stderr [2/2]" not grep -qF "$token" "$tmp/out" "$tmp/err"
finish
