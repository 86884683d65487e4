#!/usr/bin/env python3
"""The service manager's end of sd_notify, for test_sd_notify.sh.

    notify_socket.py SOCKET_PATH RELAY_PORT LOG

Binds a unix datagram socket at SOCKET_PATH (what systemd would pass in
NOTIFY_SOCKET), prints "listening 0" once bound, and writes one line per
datagram to LOG: "<monotonic seconds> <datagram, newlines as |>". Each time
READY=1 arrives it connects to 127.0.0.1:RELAY_PORT right away and writes
"<t> connect ok" or "<t> connect refused", so the test can tell that READY
came only when the listener accepted connections. Runs until killed; gives
up by itself after 120 s so it never outlives a broken test.
"""
import socket
import sys
import time

path, port, log_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
receiver.bind(path)
receiver.settimeout(1.0)
print("listening 0", flush=True)
deadline = time.monotonic() + 120
with open(log_path, "a", buffering=1) as log:
    while time.monotonic() < deadline:
        try:
            data = receiver.recv(4096)
        except socket.timeout:
            continue
        now = time.monotonic()
        text = data.decode("utf-8", "replace").replace("\n", "|")
        log.write(f"{now:.3f} {text}\n")
        if "READY=1" in text.split("|"):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=2):
                    log.write(f"{time.monotonic():.3f} connect ok\n")
            except OSError:
                log.write(f"{time.monotonic():.3f} connect refused\n")
