# Sourced by CLI tests and benchmarks after stack.env: prints the TOML of a
# mailoauth app-only account for the stack's cc-alice client (alice's mailbox),
# to which the caller appends the keys of its test (servers, transport, ...).
# Usage: stack_app_account NAME SECRET_FILE >>config.toml
stack_app_account() {
  cat <<EOF
[accounts.$1]
provider = "generic"
flow = "app"
token_url = "$OIDC_TOKEN_URL"
client_id = "$CC_CLIENT_ID"
client_secret_file = "$2"
scopes = ["$MAIL_SCOPE"]
mailbox = "$USER1"
EOF
}

# The same for any client-credentials client of the stack (the relay's tenant
# tests: cc-alice, cc-bob, cc-carol, each its own mailbox). AUTH is the
# client's token endpoint authentication, post (default) or basic.
# Usage: stack_client_account NAME CLIENT_ID SECRET_FILE MAILBOX [AUTH] >>config.toml
stack_client_account() {
  cat <<EOF2
[accounts.$1]
provider = "generic"
flow = "app"
token_url = "$OIDC_TOKEN_URL"
client_id = "$2"
client_secret_file = "$3"
client_authentication = "${5:-post}"
scopes = ["$MAIL_SCOPE"]
mailbox = "$4"
EOF2
}

# The relay tests' tenants: writes DIR/accounts.toml with one account per
# LETTER, named PREFIX-LETTER: a = cc-alice (alice's mailbox), b = cc-bob
# (bob's, HTTP Basic), c = cc-carol (carol's); each secret in DIR/LETTER.secret.
# Usage: stack_tenant_accounts DIR PREFIX LETTER...
stack_tenant_accounts() {
  local dir=$1 prefix=$2 letter id secret mailbox auth
  shift 2
  for letter in "$@"; do
    case $letter in
      a) id=$CC_CLIENT_ID secret=$CC_CLIENT_SECRET mailbox=$CC_MAILBOX auth=post ;;
      b) id=$CC_BOB_CLIENT_ID secret=$CC_BOB_CLIENT_SECRET mailbox=$CC_BOB_MAILBOX auth=basic ;;
      c) id=$CC_CAROL_CLIENT_ID secret=$CC_CAROL_CLIENT_SECRET mailbox=$CC_CAROL_MAILBOX auth=post ;;
    esac
    (umask 077 && printf '%s\n' "$secret" >"$dir/$letter.secret")
    stack_client_account "$prefix-$letter" "$id" "$dir/$letter.secret" "$mailbox" "$auth"
    echo "ca_file = \"$CA_FILE\""
  done >"$dir/accounts.toml"
  chmod 600 "$dir/accounts.toml"
}
