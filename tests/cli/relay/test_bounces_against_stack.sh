#!/usr/bin/env bash
# Delivery status notifications against the real stack. alice sends through
# the relay to a recipient Postfix refuses for good (550 5.1.1, behind Dovecot
# submission) and to herself: she gets her copy and ONE notification in her
# own mailbox, read over IMAPS and parsed (Python's email package, not our
# code): multipart/report of text/plain, message/delivery-status with the
# recipient's Action/Status/Diagnostic-Code, and text/rfc822-headers with the
# original Subject; sent upstream with MAIL FROM:<alice> (the route's mailbox,
# the default). bob's route sends its notifications with MAIL FROM:<>
# (bounce_envelope_from = "null"): Dovecot submission and Postfix take it and
# it lands in bob's mailbox. A null-sender message to the refused recipient
# makes no notification and stays in failed/; so does a message on a route
# with bounces = false. Each notification is logged with both queue ids.
set -u
source "${BASH_SOURCE%/*}/../common.sh"
source "$MAILOAUTH_STACK_ENV"
source "${BASH_SOURCE%/*}/relay_lib.sh"
source "$MAILOAUTH_SOURCE_DIR/tests/stack/app_account.sh"

use_app_and_wrong_accounts
upstream="account = \"app\"
server = \"$SMTP_HOST\"
port = $SUBMISSION_PORT
tls = \"starttls\""
{
  relay_toml_head "first_retry = 1"
  cat <<TOML
[routes.alice]
senders = ["$USER1"]
$upstream
[routes.bob]
senders = ["$USER2"]
bounce_envelope_from = "null"
$upstream
[routes.devices]
senders = ["devices.test"]
bounces = false
$upstream
[routes.anything]
listeners = ["lan"]
$upstream
TOML
} >"$work/relay.toml"
output=$("$relay_bin" relay --config "$work/relay.toml" check-config 2>&1)
check "check-config says which route does not bounce" \
  matches "$output" 'route devices: account app via smtp; bounces off'$'\n'
check "... and which sends its notifications with MAIL FROM <>" \
  matches "$output" 'route bob: account app via smtp; bounces with MAIL FROM <>'$'\n'
start_relay "$work/relay.toml" "$work/relay.log" || exit 1
port=$(port_of "$work/relay.log" lan)

# send FROM SUBJECT RCPT...: one message in a plain SMTP session (FROM "" is <>).
send() {
  python3 - "$port" "$@" <<'PY'
import smtplib, sys
port, sender, subject, recipients = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
with smtplib.SMTP("127.0.0.1", port, timeout=20) as s:
    s.sendmail(sender, recipients, f"From: <{sender or 'device@devices.test'}>\r\nTo: <{recipients[0]}>\r\n"
               f"Subject: {subject}\r\nMessage-ID: <{subject}@relay.test>\r\n\r\nbody of {subject}\r\n")
PY
}
# dsn_check FILE RECIPIENT ACTION STATUS SUBJECT: the notification's structure,
# parsed by Python's email package; prints what is wrong, exits 1 then.
dsn_check() {
  python3 - "$@" <<'PY'
import email, email.policy, sys
path, recipient, action, status, subject = sys.argv[1:]
message = email.message_from_binary_file(open(path, "rb"), policy=email.policy.compat32)
problems = []
def want(condition, what):
    if not condition: problems.append(what)
want(message.get_content_type() == "multipart/report", f"type {message.get_content_type()}")
want(message.get_param("report-type") == "delivery-status", "report-type")
want(message["Auto-Submitted"] == "auto-replied", "Auto-Submitted")
parts = message.get_payload() if message.is_multipart() else []
want([p.get_content_type() for p in parts] ==
     ["text/plain", "message/delivery-status", "text/rfc822-headers"],
     f"parts {[p.get_content_type() for p in parts]}")
if len(parts) == 3:
    groups = parts[1].get_payload()  # compat32: one Message per field group
    fields = [dict(g.items()) for g in groups]
    want(len(fields) == 2, f"{len(fields)} field groups")
    if len(fields) == 2:
        want(fields[0].get("Reporting-MTA") == "dns; relay.test", f"Reporting-MTA {fields[0]}")
        want("Arrival-Date" in fields[0], "Arrival-Date")
        r = fields[1]
        want(r.get("Final-Recipient") == f"rfc822; {recipient}", f"Final-Recipient {r}")
        want(r.get("Action") == action, f"Action {r.get('Action')}")
        want(r.get("Status") == status, f"Status {r.get('Status')}")
        want("Diagnostic-Code" in r, "Diagnostic-Code")
        want("Last-Attempt-Date" in r, "Last-Attempt-Date")
    headers = parts[2].get_payload(decode=True).decode()
    want(f"Subject: {subject}" in headers, "the original Subject in the headers part")
    want("body of" not in headers, "the body is not returned")
    text = parts[0].get_payload(decode=True).decode()
    want(recipient in text, "the recipient named in the text")
for p in problems: print("problem:", p)
sys.exit(1 if problems else 0)
PY
}
mark() { echo "relaybounce$$x$RANDOM$RANDOM"; }
spooled_ids() { find "$work/spool/$1" -maxdepth 1 -type f ! -name '*.state' ! -name '.*' -printf '%f\n'; }

# --- a refused recipient: the sender gets one notification in her own mailbox ---
k=$(mark)
send "$USER1" "$k" "$USER1" "$REFUSED_RECIPIENT"
check "alice's own copy arrives" wait_imap_search "$USER1" "$USER1_PASSWORD" "SUBJECT \"$k\" NOT SUBJECT Undelivered" 1 20
check "the delivery to alice is recorded" \
  wait_log "route=alice to=$USER1 .*status=sent" 10
check "the refusal is recorded" \
  wait_log "route=alice to=$REFUSED_RECIPIENT .*dsn=5\.1\.1 .*status=bounced" 10
check "the notification is logged with the original's and its own queue id" \
  wait_log "msg=\"delivery status notification\" queue_id=[0-9a-f-]+ bounce_id=[0-9a-f-]+ action=failed recipients=$REFUSED_RECIPIENT to=$USER1 route=alice" 10
check "the notification arrives in alice's mailbox" \
  wait_imap_search "$USER1" "$USER1_PASSWORD" "SUBJECT \"Undelivered Mail Returned to Sender\" TEXT \"$k\"" 1 20
uid=$(imap_search "$USER1" "$USER1_PASSWORD" "SUBJECT \"Undelivered Mail Returned to Sender\" TEXT \"$k\"" | awk '{print $1}')
imap_fetch "$USER1" "$USER1_PASSWORD" "$uid" "$work/dsn1.eml"
check "... a multipart/report with the refused recipient, failed, 5.1.1, the original header" \
  dsn_check "$work/dsn1.eml" "$REFUSED_RECIPIENT" failed 5.1.1 "$k" || show "$work/dsn1.eml"
check "... quoting Postfix's reply" grep -q "refused by the mailoauth test stack" "$work/dsn1.eml"
bounce_id=$(grep -Eo "bounce_id=[0-9a-f-]+ action=failed recipients=$REFUSED_RECIPIENT to=$USER1" "$work/relay.log" | head -1 | sed 's/bounce_id=//; s/ .*//')
check "... delivered upstream from the route's mailbox (MAIL FROM:<$USER1>)" \
  grep -q "^Return-Path: <$USER1>" "$work/dsn1.eml"
check "... and the notification itself logged as sent" \
  wait_log "msg=delivery queue_id=$bounce_id route=alice to=$USER1 .*status=sent" 10
check "exactly one notification for the message" \
  test "$(imap_search "$USER1" "$USER1_PASSWORD" "SUBJECT \"Undelivered Mail\" TEXT \"$k\"" | wc -w)" -eq 1

# --- bob's route sends notifications with MAIL FROM:<> ----------------------------------
k=$(mark)
send "$USER2" "$k" "$REFUSED_RECIPIENT"
check "with bounce_envelope_from = \"null\" the notification reaches bob (MAIL FROM:<> taken)" \
  wait_imap_search "$USER2" "$USER2_PASSWORD" "SUBJECT \"Undelivered Mail Returned to Sender\" TEXT \"$k\"" 1 20
uid=$(imap_search "$USER2" "$USER2_PASSWORD" "SUBJECT \"Undelivered Mail Returned to Sender\" TEXT \"$k\"" | awk '{print $1}')
imap_fetch "$USER2" "$USER2_PASSWORD" "$uid" "$work/dsn2.eml"
check "... with the null sender as its return path" grep -q "^Return-Path: <>" "$work/dsn2.eml" ||
  show "$work/dsn2.eml"
check "... and the report's structure" dsn_check "$work/dsn2.eml" "$REFUSED_RECIPIENT" failed 5.1.1 "$k"

# --- the null sender and bounces = false: no notification, kept in failed/ ----------------
before=$(grep -c 'msg="delivery status notification"' "$work/relay.log")
k=$(mark)
send "" "$k" "$REFUSED_RECIPIENT"
check "a null-sender message to a refused recipient fails" \
  wait_log "route=anything to=$REFUSED_RECIPIENT .*status=bounced" 10
check "... makes no notification (logged why)" \
  wait_log "msg=\"no delivery status notification\" queue_id=[0-9a-f-]+ reason=\"null sender\"" 5
k2=$(mark)
send "printer@devices.test" "$k2" "$REFUSED_RECIPIENT"
check "a refused recipient on a route with bounces = false fails" \
  wait_log "route=devices to=$REFUSED_RECIPIENT .*status=bounced" 10
check "... is only logged" \
  wait_log "reason=\"bounces = false on this route\"" 5
for _ in $(seq 50); do [ "$(queued_count "$work/spool")" -eq 0 ] && break; sleep 0.1; done
check "... nothing new in the queue (no notification spooled)" test "$(queued_count "$work/spool")" -eq 0
check "... no notification logged for either" \
  test "$(grep -c 'msg="delivery status notification"' "$work/relay.log")" -eq "$before"
failed_count=$(spooled_ids failed | wc -l)
check "the original messages are kept in failed/ (alice's, bob's, the null sender's, the device's: $failed_count)" \
  test "$failed_count" -eq 4
check "the null-sender message's state in failed/ has the 5.1.1 reply" \
  grep -q "5.1.1" "$work/spool/failed/"*.state

stop_relay
check "the relay stops cleanly" test $? -eq 0
finish
