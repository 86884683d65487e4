#!/usr/bin/env python3
"""A plain-text SMTP upstream that is slow on purpose, so a test can act on a
message while the relay is delivering it: it offers AUTH XOAUTH2 (any token is
taken) and waits HOLD_SECONDS after the content before its 250.

  slow_upstream.py HOLD_SECONDS STATE_FILE
    Prints "listening PORT" once it listens; STATE_FILE gets "receiving" when
    the content has arrived (the 250 not yet sent) and "accepted N" after.
"""
import asyncio
import os
import sys

hold_seconds, state_file = float(sys.argv[1]), sys.argv[2]
accepted = 0


def record(text):
    with open(state_file + ".tmp", "w") as out:
        out.write(text + "\n")
    os.replace(state_file + ".tmp", state_file)


async def handle(reader, writer):
    global accepted

    def say(line):
        writer.write(line.encode() + b"\r\n")

    say("220 slow-peer ESMTP")
    try:
        while line := await asyncio.wait_for(reader.readline(), 60):
            verb = line.decode(errors="replace").strip().split(" ")[0].upper()
            if verb == "EHLO":
                say("250-slow-peer\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 AUTH XOAUTH2")
            elif verb == "AUTH":
                say("235 2.7.0 Authentication successful")
            elif verb == "DATA":
                say("354 Start mail input; end with <CRLF>.<CRLF>")
                await writer.drain()
                while (await asyncio.wait_for(reader.readline(), 60)) != b".\r\n":
                    pass
                record("receiving")
                await asyncio.sleep(hold_seconds)
                accepted += 1
                record(f"accepted {accepted}")
                say(f"250 2.0.0 Ok: queued as S{accepted}")
            elif verb == "QUIT":
                say("221 2.0.0 Bye")
                await writer.drain()
                break
            else:  # MAIL, RCPT, RSET, NOOP
                say("250 2.0.0 OK")
            await writer.drain()
    except (ConnectionError, asyncio.TimeoutError):
        pass
    writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    record("idle")
    print("listening", server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
