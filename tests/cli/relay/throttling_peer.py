#!/usr/bin/env python3
"""A tiny SMTP upstream that throttles, for the relay's delivery tests.

Usage: throttling_peer.py STATE_FILE
Listens on 127.0.0.1 (a free port, printed as "listening PORT"), plain text,
offers AUTH XOAUTH2 (any token is taken) and answers every MAIL FROM of the
first connection with Exchange Online's "432 4.3.2 STOREDRV.ClientSubmit;
sender thread limit exceeded"; later connections are served. STATE_FILE
is rewritten as "connections C throttled T accepted A" after every change, so
the test sees whether the relay backed off (one refusal, then a new
connection after the cool-down) or hammered (a refusal per queued message).
"""
import asyncio
import os
import sys

state_file = sys.argv[1]
connections = throttled = accepted = 0


def record():
    with open(state_file + ".tmp", "w") as out:
        out.write(f"connections {connections} throttled {throttled} accepted {accepted}\n")
    os.replace(state_file + ".tmp", state_file)


async def handle(reader, writer):
    global connections, throttled, accepted
    connections += 1
    number = connections
    record()

    def say(line):
        writer.write(line.encode() + b"\r\n")

    say("220 throttling-peer ESMTP")
    try:
        while line := await asyncio.wait_for(reader.readline(), 30):
            verb = line.decode(errors="replace").strip().split(" ")[0].upper()
            if verb == "EHLO":
                say("250-throttling-peer\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 AUTH XOAUTH2")
            elif verb == "AUTH":
                say("235 2.7.0 Authentication successful")
            elif verb == "MAIL":
                if number == 1:  # the whole first connection is throttled
                    throttled += 1
                    record()
                    say("432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded")
                else:
                    say("250 2.1.0 Sender OK")
            elif verb == "RCPT":
                say("250 2.1.5 Recipient OK")
            elif verb == "DATA":
                say("354 Start mail input; end with <CRLF>.<CRLF>")
                while (await asyncio.wait_for(reader.readline(), 30)) != b".\r\n":
                    pass
                accepted += 1
                record()
                say(f"250 2.0.0 Ok: queued as P{accepted}")
            elif verb == "QUIT":
                say("221 2.0.0 Bye")
                await writer.drain()
                break
            else:
                say("250 2.0.0 OK")
            await writer.drain()
    except (ConnectionError, asyncio.TimeoutError):
        pass
    writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    record()
    print("listening", server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
