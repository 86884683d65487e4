#!/usr/bin/env python3
"""Small upstreams for the relay's delivery tests, each counting what the
relay did to it, so a test does not have to trust the relay's own word.

  upstream_peers.py forward LISTEN_PORT TARGET_HOST TARGET_PORT STATE_FILE
    A TCP forwarder on 127.0.0.1:LISTEN_PORT (0: any free port) to the target,
    byte for byte (TLS passes through untouched); STATE_FILE holds
    "now N max M total T pipelined P": upstream sessions open now, at most at
    once, in all; and reads from the client in which a message's end
    (CRLF.CRLF) and the next MAIL FROM came together, i.e. messages pipelined
    in one write (RFC 2920 3.1; visible in plain text only).
  upstream_peers.py tls-forward LISTEN_PORT TARGET_HOST TARGET_PORT STATE_FILE CERT KEY
    The same, but TLS is ended here with CERT and KEY (a PEM chain and its
    key) and plain bytes go on to the target: an HTTPS front for the stack's
    plain-HTTP identity server, to test which CA a client trusts.
  upstream_peers.py throttle STATE_FILE
    A plain-text SMTP server on a free port offering AUTH XOAUTH2 (any token
    is taken) that answers every MAIL FROM of its first connection with
    Exchange Online's "432 4.3.2 STOREDRV.ClientSubmit; sender thread limit
    exceeded" and serves later connections; STATE_FILE holds
    "connections C throttled T accepted A", so the test sees whether the relay
    backed off (one refusal, then a new connection after the pause) or
    hammered (a refusal per queued message). A recipient starting with "odd"
    is refused with ODD_REPLY, which holds a tab, a backslash and a Latin-1
    byte (how the relay stores and logs such text).
  upstream_peers.py exchange STATE_FILE MODE_FILE
    A plain-text stand-in for Exchange Online's submission server (its EHLO,
    AUTH LOGIN XOAUTH2) that answers each AUTH as MODE_FILE says at that
    moment: "tenant", "mailbox" or "security-defaults" refuse with Exchange
    Online's exact 535 5.7.139 texts (SMTP AUTH switched off; security
    defaults), "bad-credentials" with 535 5.7.8 (a token the server does not
    take), "accept" takes any token and the mail. STATE_FILE holds
    "connections C refused R accepted A"; each accepted message's Subject
    is appended to STATE_FILE.subjects. Exchange itself cannot run here.

Each prints "listening PORT" once it listens and rewrites STATE_FILE
atomically on every change.
"""
import asyncio
import os
import re
import ssl
import sys
import time

counts = {}

# upstream_peers.py forward LISTEN_PORT TARGET_HOST TARGET_PORT STATE_FILE STARTS_FILE:
# for a plain-text upstream (a route with tls = "none"), also one line
# "UNIX_TIME SESSION" appended to STARTS_FILE per MAIL command the relay sends
# (a line starting "MAIL FROM:", outside DATA) when the forwarder saw it: the
# message starts as the upstream sees them, for the rate limit's test.
STARTS_FILE = sys.argv[6] if sys.argv[1] == "forward" and len(sys.argv) > 6 else None


def record(state_file):
    with open(state_file + ".tmp", "w") as out:
        out.write(" ".join(f"{key} {value}" for key, value in counts.items()) + "\n")
    os.replace(state_file + ".tmp", state_file)


class MailStarts:
    """A client reader that writes down each MAIL command read through it."""

    def __init__(self, reader, session):
        self.reader, self.session = reader, session
        self.pending, self.in_data = b"", False

    async def read(self, size):
        data = await self.reader.read(size)
        self.pending += data
        *lines, self.pending = self.pending.split(b"\r\n")
        for line in lines:
            if self.in_data:
                self.in_data = line != b"."
            elif line.upper() == b"DATA":
                self.in_data = True
            elif line.upper().startswith(b"MAIL FROM:"):
                with open(STARTS_FILE, "a") as out:
                    out.write(f"{time.time():.3f} {self.session}\n")
        return data


# --- forward ---------------------------------------------------------------------


async def pipe(reader, writer, count_pipelined=False):
    try:
        while data := await reader.read(65536):
            if count_pipelined and re.search(rb"\r\n\.\r\nMAIL FROM:", data, re.IGNORECASE):
                counts["pipelined"] += 1
                record(sys.argv[5])
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        try:
            writer.close()
        except OSError:
            pass


def forwarder(target_host, target_port, state_file):
    counts.update(now=0, max=0, total=0, pipelined=0)

    async def handle(client_reader, client_writer):
        counts["now"] += 1
        counts["total"] += 1
        counts["max"] = max(counts["max"], counts["now"])
        record(state_file)
        if STARTS_FILE:
            client_reader = MailStarts(client_reader, counts["total"])
        try:
            up_reader, up_writer = await asyncio.wait_for(
                asyncio.open_connection(target_host, target_port), 10)
            await asyncio.gather(pipe(client_reader, up_writer, True),
                                 pipe(up_reader, client_writer))
        except (ConnectionError, OSError, asyncio.TimeoutError):
            client_writer.close()
        finally:
            counts["now"] -= 1
            record(state_file)

    return handle


# --- throttle --------------------------------------------------------------------

ODD_REPLY = b"550 5.1.1 <odd@example.test>\tunknown in C:\\mail \xff"
EHLO = "250-throttling-peer\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 AUTH XOAUTH2"


def throttler(state_file):
    counts.update(connections=0, throttled=0, accepted=0)

    async def handle(reader, writer):
        counts["connections"] += 1
        first = counts["connections"] == 1
        record(state_file)

        def say(line):
            writer.write(line.encode() + b"\r\n")

        say("220 throttling-peer ESMTP")
        try:
            while line := await asyncio.wait_for(reader.readline(), 30):
                verb = line.decode(errors="replace").strip().split(" ")[0].upper()
                if verb == "EHLO":
                    say(EHLO)
                elif verb == "AUTH":
                    say("235 2.7.0 Authentication successful")
                elif verb == "MAIL" and first:  # the whole first connection is throttled
                    counts["throttled"] += 1
                    record(state_file)
                    say("432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded")
                elif verb == "RCPT" and b"<odd" in line.lower():
                    writer.write(ODD_REPLY + b"\r\n")
                elif verb == "DATA":
                    say("354 Start mail input; end with <CRLF>.<CRLF>")
                    await writer.drain()
                    while (await asyncio.wait_for(reader.readline(), 30)) != b".\r\n":
                        pass
                    counts["accepted"] += 1
                    record(state_file)
                    say(f"250 2.0.0 Ok: queued as P{counts['accepted']}")
                elif verb == "QUIT":
                    say("221 2.0.0 Bye")
                    await writer.drain()
                    break
                else:  # MAIL (later connections), RCPT, RSET, NOOP
                    say("250 2.0.0 OK")
                await writer.drain()
        except (ConnectionError, asyncio.TimeoutError):
            pass
        writer.close()

    return handle


# --- exchange ----------------------------------------------------------------------

# Exchange Online's words (FACTS.md section 3; the bracketed part is its server name).
EXCHANGE_REFUSALS = {
    "tenant": "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for "
              "the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. "
              "[AM0PR01CA0001.eurprd01.prod.exchangelabs.com 2026-12-02T00:00:00.000Z "
              "08DC0000000000]",
    "mailbox": "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for "
               "the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information. "
               "[SN4PR0201CA0034.namprd02.prod.outlook.com]",
    "security-defaults": "535 5.7.139 Authentication unsuccessful, user is locked by your "
                         "organization's security defaults policy. Contact your administrator. "
                         "[BN9PR03CA0123.namprd03.prod.outlook.com]",
    "bad-credentials": "535 5.7.8 Authentication failed.",
}
EXCHANGE_EHLO = ("250-AM0PR01CA0001.outlook.office365.com Hello\r\n250-SIZE 157286400\r\n"
                 "250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n"
                 "250-AUTH LOGIN XOAUTH2\r\n250 SMTPUTF8")


def exchange(state_file, mode_file):
    counts.update(connections=0, refused=0, accepted=0)

    def answer_auth():
        with open(mode_file) as mode:
            refusal = EXCHANGE_REFUSALS.get(mode.read().strip())
        if refusal is None:
            return "235 2.7.0 Authentication successful"
        counts["refused"] += 1
        record(state_file)
        return refusal

    async def handle(reader, writer):
        counts["connections"] += 1
        record(state_file)

        def say(line):
            writer.write(line.encode() + b"\r\n")

        say("220 AM0PR01CA0001.outlook.office365.com Microsoft ESMTP MAIL Service ready")
        try:
            while line := await asyncio.wait_for(reader.readline(), 30):
                words = line.decode(errors="replace").strip().split(" ")
                verb = words[0].upper()
                if verb == "EHLO":
                    say(EXCHANGE_EHLO)
                elif verb == "AUTH":
                    if len(words) < 3:  # the two-step form: the response on the next line
                        say("334 ")
                        await writer.drain()
                        await asyncio.wait_for(reader.readline(), 30)
                    say(answer_auth())
                elif verb == "DATA":
                    say("354 Start mail input; end with <CRLF>.<CRLF>")
                    await writer.drain()
                    subject = ""
                    while (data := await asyncio.wait_for(reader.readline(), 30)) != b".\r\n":
                        if not subject and data.lower().startswith(b"subject:"):
                            subject = data[8:].decode(errors="replace").strip()
                    counts["accepted"] += 1
                    with open(state_file + ".subjects", "a") as out:
                        out.write(subject + "\n")
                    record(state_file)
                    say(f"250 2.6.0 <{counts['accepted']}@exchange.test> Queued mail for delivery")
                elif verb == "QUIT":
                    say("221 2.0.0 Service closing transmission channel")
                    await writer.drain()
                    break
                else:  # MAIL, RCPT, RSET, NOOP
                    say("250 2.1.0 Sender OK" if verb == "MAIL" else "250 2.0.0 OK")
                await writer.drain()
        except (ConnectionError, asyncio.TimeoutError):
            pass
        writer.close()

    return handle


async def main():
    tls = None
    if sys.argv[1] in ("forward", "tls-forward"):
        port, state_file = int(sys.argv[2]), sys.argv[5]
        handle = forwarder(sys.argv[3], int(sys.argv[4]), state_file)
        if sys.argv[1] == "tls-forward":
            tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            tls.load_cert_chain(sys.argv[6], sys.argv[7])
    elif sys.argv[1] == "exchange":
        port, state_file = 0, sys.argv[2]
        handle = exchange(state_file, sys.argv[3])
    else:
        port, state_file = 0, sys.argv[2]
        handle = throttler(state_file)
    server = await asyncio.start_server(handle, "127.0.0.1", port, ssl=tls)
    record(state_file)
    print("listening", server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
