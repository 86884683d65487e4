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
