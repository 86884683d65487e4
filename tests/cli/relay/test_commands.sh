#!/usr/bin/env bash
# `mailoauth relay check-config` and `user add|remove|list`, through the
# `mailoauth` front program (which execs mailoauth-relay): an open relay, TLS
# without a certificate and a typo are refused with the reason and exit 78;
# users are stored as Argon2id, 0600, and listed without their hashes.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "${BASH_SOURCE%/*}/relay_lib.sh"

base="spool_directory = \"$work/spool\"
users_file = \"$work/users\""
printf '%s\n[listeners.local]\nclients = ["127.0.0.1"]\n' "$base" >"$work/good.toml"
output=$("$mailoauth_bin" relay --config "$work/good.toml" check-config 2>&1)
check "a good config passes check-config" test $? -eq 0
check "check-config says what it would listen on" matches "$output" 'listener local: 127\.0\.0\.1:25'

printf '%s\n[listeners.wan]\naddress = "0.0.0.0"\nclients = ["0.0.0.0/0"]\n' "$base" >"$work/open.toml"
output=$("$mailoauth_bin" relay --config "$work/open.toml" check-config 2>&1)
check "an open relay is refused with exit 78" test $? -eq 78
check "with the reason and the line" matches "$output" 'open.toml:[0-9]+.*never an open relay'
output=$("$mailoauth_bin" relay --config "$work/open.toml" run 2>&1)
check "run refuses it too" test $? -eq 78

printf '%s\n[listeners.a]\ntls = "starttls"\n' "$base" >"$work/nocert.toml"
output=$("$mailoauth_bin" relay --config "$work/nocert.toml" check-config 2>&1)
check "TLS without a certificate is refused" matches "$output" 'no certificate'
printf '%s\n[listeners.a]\ntls = "implicit"\ncertificate = "%s"\n' "$base" "$work/missing.pem" >"$work/badcert.toml"
output=$("$mailoauth_bin" relay --config "$work/badcert.toml" check-config 2>&1)
check "a certificate that does not load is refused by check-config" test $? -ne 0
check "naming the listener" matches "$output" 'listener "a"'
printf '%s\n[listeners.a]\nclinets = ["127.0.0.1"]\n' "$base" >"$work/typo.toml"
output=$("$mailoauth_bin" relay --config "$work/typo.toml" check-config 2>&1)
check "a typo gets did-you-mean" matches "$output" "clients"

printf '%s' 'long-enough-password' | "$mailoauth_bin" relay --config "$work/good.toml" user add erp --sender contoso.com --sender fabrikam.com >/dev/null
check "user add writes the users file 0600" test "$(stat -c %a "$work/users")" = 600
printf '%s' 'another-password-2' | "$mailoauth_bin" relay --config "$work/good.toml" user add scanner >/dev/null
output=$("$mailoauth_bin" relay --config "$work/good.toml" user list)
check "user list shows both users and their senders" matches "$output" 'erp.contoso\.com,fabrikam\.com'
check "user list does not show hashes" not matches "$output" 'argon2'
output=$(printf '' | "$mailoauth_bin" relay --config "$work/good.toml" user add empty 2>&1)
check "an empty password is refused" matches "$output" 'no password on stdin'
check "user remove" "$mailoauth_bin" relay --config "$work/good.toml" user remove erp
output=$("$mailoauth_bin" relay --config "$work/good.toml" user list)
check "the removed user is gone" not matches "$output" 'erp'
output=$("$mailoauth_bin" relay --config "$work/good.toml" user remove nobody 2>&1)
check "removing an unknown user fails" test $? -ne 0
# A file piped in by mistake is refused, not read into memory whole.
output=$(head -c 100000 /dev/zero | "$mailoauth_bin" relay --config "$work/good.toml" user add big 2>&1); rc=$?
check "user add: a password over 1024 bytes is refused [1/3]" test $rc -eq 78
check "user add: a password over 1024 bytes is refused [2/3]" grep -q "longer than 1024 bytes" <<<"$output"
check "user add: a password over 1024 bytes is refused [3/3]" not grep -q "^big " "$work/users"
finish
