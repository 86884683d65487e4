#!/usr/bin/env python3
"""Clients for the relay's end-to-end tests against the stack
(test_tenants.sh, test_kill_under_load.sh): devices that send through the
relay and write down which Message-IDs got a 250, and an IMAP reader that
counts the Message-IDs that arrived, so a test compares what the relay
promised with what the mailbox holds instead of trusting the relay's log.
Plain SMTP over raw sockets (each reply read in full, every operation with a
10 s timeout), so a client sees exactly which message was acknowledged.

  send PORT USER PASSWORD FROM TO TAG COUNT ACKFILE
      one session (AUTH PLAIN when USER is not empty), COUNT messages with
      Message-ID <TAG.N@relay.test>; each acknowledged ID is appended to
      ACKFILE; exit 0 when every message got 250
  mail-as PORT USER PASSWORD FROM
      logs in (when USER is not empty) and prints the reply to MAIL FROM
  load PORT FROM TO TAG COUNT ACKFILE SECONDS
      COUNT messages, one session at a time; a broken session or a refusal is
      retried with the same Message-ID (as a device would: at-least-once)
      after 0.2 s, until it is acknowledged or SECONDS passed; each 250 is
      appended (flushed) to ACKFILE at once
  imap-count HOST PORT CAFILE USER PASSWORD TAG
      prints "COUNT MESSAGE-ID" for each Message-ID containing TAG in INBOX
"""
import base64
import imaplib
import re
import socket
import ssl
import sys
import time

TIMEOUT = 10


class Session:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", int(port)), timeout=TIMEOUT)
        self.buffer = b""

    def reply(self):
        lines = []
        while True:
            while b"\r\n" not in self.buffer:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise EOFError("connection closed")
                self.buffer += chunk
            line, self.buffer = self.buffer.split(b"\r\n", 1)
            lines.append(line.decode(errors="replace"))
            if len(line) < 4 or line[3:4] != b"-":
                return int(line[:3]), "\n".join(lines)

    def command(self, text):
        self.sock.sendall(text.encode() + b"\r\n")
        return self.reply()

    def open(self, user="", password=""):
        code, text = self.reply()
        if code != 220:
            raise EOFError(text)
        self.command("EHLO tenant-client.test")
        if user:
            token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
            code, text = self.command("AUTH PLAIN " + token)
            if code != 235:
                raise EOFError(text)

    def message(self, sender, recipient, message_id, subject):
        """(code, text) of the reply to the message's end (or to the refused command)."""
        for line in (f"MAIL FROM:<{sender}>", f"RCPT TO:<{recipient}>", "DATA"):
            code, text = self.command(line)
            if code >= 400:
                self.command("RSET")
                return code, text
        body = (f"From: <{sender}>\r\nTo: <{recipient}>\r\nSubject: {subject}\r\n"
                f"Message-ID: {message_id}\r\n\r\n" + "relay test body line\r\n" * 20 + ".\r\n")
        self.sock.sendall(body.encode())
        return self.reply()

    def close(self):
        try:
            self.command("QUIT")
        except (OSError, EOFError):
            pass
        self.sock.close()


def send(port, user, password, sender, recipient, tag, count, ack_file):
    session = Session(port)
    session.open(user, password)
    good = 0
    with open(ack_file, "a") as acks:
        for n in range(int(count)):
            message_id = f"<{tag}.{n}@relay.test>"
            code, text = session.message(sender, recipient, message_id, f"{tag} {n}")
            print(message_id, text)
            if code == 250:
                acks.write(message_id + "\n")
                acks.flush()
                good += 1
    session.close()
    return 0 if good == int(count) else 1


def mail_as(port, user, password, sender):
    session = Session(port)
    session.open(user, password)
    _, text = session.command(f"MAIL FROM:<{sender}>")
    print(text)
    session.close()
    return 0


def load(port, sender, recipient, tag, count, ack_file, seconds):
    deadline = time.monotonic() + float(seconds)
    session = None
    acked = retries = 0
    with open(ack_file, "a") as acks:
        for n in range(int(count)):
            message_id = f"<{tag}.{n}@relay.test>"
            while time.monotonic() < deadline:
                try:
                    if session is None:
                        session = Session(port)
                        session.open()
                    code, _ = session.message(sender, recipient, message_id, f"{tag} {n}")
                    if code == 250:
                        acks.write(message_id + "\n")
                        acks.flush()
                        acked += 1
                        break
                except (OSError, EOFError, ValueError):
                    if session:
                        session.sock.close()
                    session = None
                retries += 1
                time.sleep(0.2)
    if session:
        session.close()
    print(f"{tag}: {acked} of {count} acknowledged, {retries} retries")
    return 0


def imap_count(host, port, cafile, user, password, tag):
    context = ssl.create_default_context(cafile=cafile)
    imap = imaplib.IMAP4_SSL(host, int(port), ssl_context=context, timeout=TIMEOUT)
    imap.login(user, password)
    imap.select("INBOX", readonly=True)
    _, found = imap.search(None, "HEADER", "Message-ID", tag)
    numbers = found[0].split()
    counts = {}
    for start in range(0, len(numbers), 200):
        batch = b",".join(numbers[start:start + 200]).decode()
        _, data = imap.fetch(batch, "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        for item in data:
            if isinstance(item, tuple):
                match = re.search(rb"<[^>]*>", item[1])
                if match and tag.encode() in match.group(0):
                    key = match.group(0).decode()
                    counts[key] = counts.get(key, 0) + 1
    imap.logout()
    for key, value in sorted(counts.items()):
        print(value, key)
    return 0


COMMANDS = {"send": send, "mail-as": mail_as, "load": load, "imap-count": imap_count}

if __name__ == "__main__":
    sys.exit(COMMANDS[sys.argv[1]](*sys.argv[2:]))
