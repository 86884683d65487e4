#!/usr/bin/env python3
# TEST-ONLY replaying peer for the error catalogue's proofs
# (tests/cli/catalogue/test_proofs.sh): Exchange Online, Gmail and Microsoft
# Entra cannot run here, and no real server can be made to answer with their
# exact words. One process, Python's standard library only, three listeners on
# 127.0.0.1 (port 0, printed on start):
#   SMTP (plain; clients run with --allow-plaintext-auth): a normal dialogue
#     (EHLO offering AUTH XOAUTH2, AUTH inline or two-step, MAIL, RCPT, DATA),
#     except at the configured stage (greeting, auth, mail, rcpt, data), which
#     is answered with the configured reply, exactly;
#   IMAP (implicit TLS, the certificate given): greeting, CAPABILITY,
#     AUTHENTICATE (SASL-IR or continuation), LIST, STATUS, EXAMINE, LOGOUT,
#     except at the configured stage (greeting: an untagged line instead of
#     the greeting; auth: the tagged answer to AUTHENTICATE; after_auth: the
#     answer to every command after it; status: the answer to STATUS);
#   HTTP: /good/token always issues a token (client credentials);
#     /replay/token and /v1.0/users/<mailbox>/sendMail answer with the
#     configured status and body (with Retry-After: 0, so a client that
#     retries does so at once).
# What to replay is read at each use from the JSON file named on the command
# line: {"path": "smtp|imap|token|graph", "stage": ..., "status": N,
# "payload": "..."}; an SMTP or IMAP payload's lines are separated by "\n".
# Usage: replay_peer.py CONTROL_FILE CERT_FILE KEY_FILE
import json
import socketserver
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONTROL, CERT, KEY = sys.argv[1], sys.argv[2], sys.argv[3]


def control():
    try:
        with open(CONTROL, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return {"path": "", "stage": "", "status": 200, "payload": ""}


def lines_of(payload):
    return "".join(line + "\r\n" for line in payload.split("\n"))


class Smtp(socketserver.StreamRequestHandler):
    timeout = 30

    def say(self, text):
        self.wfile.write(text.encode("utf-8"))
        self.wfile.flush()

    def refuse_at(self, stage):
        c = control()
        if c.get("path") == "smtp" and c.get("stage") == stage:
            self.say(lines_of(c["payload"]))
            return True
        return False

    def handle(self):
        if self.refuse_at("greeting"):
            return
        self.say("220 replay.example.com Microsoft ESMTP MAIL Service ready\r\n")
        while True:
            raw = self.rfile.readline(65536)
            if not raw:
                return
            line = raw.decode("latin-1").rstrip("\r\n")
            verb = line.split(" ")[0].upper()
            if verb in ("EHLO", "HELO"):
                self.say("250-replay.example.com Hello\r\n250-SIZE 157286400\r\n"
                         "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 AUTH LOGIN XOAUTH2\r\n")
            elif verb == "AUTH":
                if len(line.split(" ")) < 3:
                    self.say("334 \r\n")
                    if not self.rfile.readline(65536):
                        return
                if not self.refuse_at("auth"):
                    self.say("235 2.7.0 Authentication successful\r\n")
            elif verb == "MAIL":
                if not self.refuse_at("mail"):
                    self.say("250 2.1.0 Sender OK\r\n")
            elif verb == "RCPT":
                if not self.refuse_at("rcpt"):
                    self.say("250 2.1.5 Recipient OK\r\n")
            elif verb == "DATA":
                self.say("354 Start mail input; end with <CRLF>.<CRLF>\r\n")
                while True:
                    data = self.rfile.readline(1 << 20)
                    if not data or data in (b".\r\n", b".\n"):
                        break
                if not self.refuse_at("data"):
                    self.say("250 2.0.0 OK <replay@example.com> [Hostname=replay]\r\n")
            elif verb == "RSET":
                self.say("250 2.0.0 Resetting\r\n")
            elif verb == "QUIT":
                self.say("221 2.0.0 Service closing transmission channel\r\n")
                return
            else:
                self.say("500 5.3.3 Unrecognized command\r\n")


class Imap(socketserver.StreamRequestHandler):
    timeout = 30

    def say(self, text):
        self.wfile.write(text.encode("utf-8"))
        self.wfile.flush()

    def replay(self, tag, stage):
        c = control()
        if c.get("path") == "imap" and c.get("stage") == stage:
            payload = c["payload"]
            self.say(lines_of(payload if payload.startswith("*") else tag + " " + payload))
            return True
        return False

    def handle(self):
        if self.replay("*", "greeting"):
            return
        self.say("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] replay ready\r\n")
        authenticated = False
        while True:
            raw = self.rfile.readline(65536)
            if not raw:
                return
            words = raw.decode("latin-1").rstrip("\r\n").split(" ")
            tag, verb = words[0], (words[1].upper() if len(words) > 1 else "")
            if authenticated and self.replay(tag, "after_auth"):
                continue
            if verb == "CAPABILITY":
                self.say("* CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2\r\n" + tag + " OK done\r\n")
            elif verb == "AUTHENTICATE":
                if len(words) < 4:
                    self.say("+ \r\n")
                    if not self.rfile.readline(65536):
                        return
                if not self.replay(tag, "auth"):
                    authenticated = True
                    self.say(tag + " OK Logged in\r\n")
            elif verb == "LIST":
                self.say('* LIST (\\HasNoChildren) "/" INBOX\r\n'
                         '* LIST (\\HasNoChildren) "/" Junk\r\n' + tag + " OK LIST completed\r\n")
            elif verb == "STATUS":
                if not self.replay(tag, "status"):
                    self.say("* STATUS " + words[2] + " (MESSAGES 0 UNSEEN 0)\r\n" + tag +
                             " OK STATUS completed\r\n")
            elif verb == "EXAMINE":
                self.say("* 0 EXISTS\r\n* OK [UIDVALIDITY 1] UIDs valid\r\n* OK [UIDNEXT 1] next\r\n"
                         + tag + " OK [READ-ONLY] EXAMINE completed\r\n")
            elif verb == "LOGOUT":
                self.say("* BYE logging out\r\n" + tag + " OK LOGOUT completed\r\n")
                return
            else:
                self.say(tag + " OK " + verb + " completed\r\n")


class ImapServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, *args):
        super().__init__(*args)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(CERT, KEY)

    def get_request(self):
        sock, address = super().get_request()
        sock.settimeout(30)
        return self.context.wrap_socket(sock, server_side=True), address


class Http(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Retry-After", "0")
        self.send_header("request-id", "00000000-0000-0000-0000-000000000001")
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        c = control()
        if self.path == "/good/token":
            self.answer(200, json.dumps({"access_token": "replay-access-token",
                                         "token_type": "Bearer", "expires_in": 3600}))
        elif self.path == "/replay/token" and c.get("path") == "token":
            self.answer(int(c["status"]), c["payload"])
        elif self.path.startswith("/v1.0/users/") and c.get("path") == "graph":
            self.answer(int(c["status"]), c["payload"])
        elif self.path.startswith("/v1.0/users/"):
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.answer(404, json.dumps({"error": "not_found"}))


class SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    smtp = SmtpServer(("127.0.0.1", 0), Smtp)
    imap = ImapServer(("127.0.0.1", 0), Imap)
    http = ThreadingHTTPServer(("127.0.0.1", 0), Http)
    http.daemon_threads = True
    for server in (smtp, imap, http):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"replay peer listening smtp {smtp.server_address[1]} imap {imap.server_address[1]} "
          f"http {http.server_address[1]}", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
