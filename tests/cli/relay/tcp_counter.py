#!/usr/bin/env python3
"""A tiny TCP forwarder that counts connections, for the relay's delivery tests.

Usage: tcp_counter.py LISTEN_PORT TARGET_HOST TARGET_PORT STATE_FILE
Listens on 127.0.0.1:LISTEN_PORT (0: any free port; the port is printed as
"listening PORT"), forwards every connection to the target byte for byte (TLS
passes through untouched), and rewrites STATE_FILE as "now N max M total T" on
every change, so a test sees how many upstream sessions the relay held at
once without trusting the relay's own word.
"""
import asyncio
import sys

listen_port, target_host, target_port, state_file = (
    int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4])
now = peak = total = 0


def record():
    with open(state_file + ".tmp", "w") as out:
        out.write(f"now {now} max {peak} total {total}\n")
    import os
    os.replace(state_file + ".tmp", state_file)


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        try:
            writer.close()
        except OSError:
            pass


async def handle(client_reader, client_writer):
    global now, peak, total
    now += 1
    total += 1
    peak = max(peak, now)
    record()
    try:
        up_reader, up_writer = await asyncio.wait_for(
            asyncio.open_connection(target_host, target_port), 10)
        await asyncio.gather(pipe(client_reader, up_writer), pipe(up_reader, client_writer))
    except (ConnectionError, OSError, asyncio.TimeoutError):
        client_writer.close()
    finally:
        now -= 1
        record()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
    record()
    print("listening", server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
