#!/usr/bin/env python3
"""Mail servers that fail in one way each, for `mailoauth doctor`'s tests,
where the real stack cannot be made to fail so (python3 stdlib only):

  fake_servers.py silent
    accepts every connection and never says a word (the deadline case).
  fake_servers.py no-starttls
    a plain SMTP server whose EHLO offers AUTH PLAIN LOGIN and no STARTTLS
    (a port without TLS, or a STARTTLS-stripping middlebox).
  fake_servers.py no-xoauth2 CERT KEY
    an SMTP server with implicit TLS (CERT and KEY: the stack's server
    certificate) whose EHLO offers AUTH PLAIN LOGIN only: SMTP AUTH without
    OAuth2 (Exchange with SMTP AUTH switched off for the tenant looks alike).

  fake_servers.py not-connected CERT KEY
    an IMAP server with implicit TLS that takes any XOAUTH2 token and then
    answers CAPABILITY (and anything else) with Exchange Online's
    "BAD User is authenticated but not connected.": the app whose service
    principal has no permission on the mailbox.

Each listens on a free port of 127.0.0.1, prints "listening PORT" once it
does, and runs until it is killed.
"""
import asyncio
import ssl
import sys


async def silent(reader, writer):
    await reader.read()  # until the client gives up
    writer.close()


def smtp_without(extensions):
    async def session(reader, writer):
        writer.write(b"220 fake.example ESMTP ready\r\n")
        await writer.drain()
        while True:
            line = await reader.readline()
            if not line:
                break
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                writer.write(b"250-fake.example\r\n" + b"".join(
                    b"250-" + e + b"\r\n" for e in extensions[:-1]) + b"250 " + extensions[-1] + b"\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 2.0.0 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"502 5.5.2 not implemented here\r\n")
            await writer.drain()
        writer.close()
    return session


async def not_connected(reader, writer):
    writer.write(b"* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2 SASL-IR] fake Exchange ready\r\n")
    await writer.drain()
    while True:
        line = await reader.readline()
        if not line:
            break
        words = line.split()
        if len(words) < 2:
            continue
        tag, verb = words[0], words[1].upper()
        if verb == b"AUTHENTICATE":
            writer.write(tag + b" OK AUTHENTICATE completed.\r\n")
        elif verb == b"LOGOUT":
            writer.write(b"* BYE\r\n" + tag + b" OK LOGOUT completed.\r\n")
            await writer.drain()
            break
        else:
            writer.write(tag + b" BAD User is authenticated but not connected.\r\n")
        await writer.drain()
    writer.close()


async def main():
    mode = sys.argv[1]
    context = None
    if mode == "silent":
        handler = silent
    elif mode == "no-starttls":
        handler = smtp_without([b"PIPELINING", b"AUTH PLAIN LOGIN", b"8BITMIME"])
    elif mode == "no-xoauth2":
        handler = smtp_without([b"PIPELINING", b"AUTH PLAIN LOGIN", b"8BITMIME"])
    elif mode == "not-connected":
        handler = not_connected
    else:
        sys.exit(f"unknown mode {mode}")
    if mode in ("no-xoauth2", "not-connected"):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(sys.argv[2], sys.argv[3])
    server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=context)
    print(f"listening {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
