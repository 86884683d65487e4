#!/usr/bin/env python3
"""HTTP clients for the relay's metrics listener tests, polite and hostile.
Every wait is bounded; each command prints what it saw and exits 0 when it
saw what it was asked to check, 1 otherwise.

  metrics_probe.py get PORT METHOD PATH
    One request; prints "status N", the headers as "header: Name: value",
    then "body:" and the body.
  metrics_probe.py huge PORT BYTES
    A request line of BYTES bytes; ok when the answer is a 4xx (431) or the
    connection is closed, and never a 2xx.
  metrics_probe.py slowloris PORT SECONDS
    Sends a request's first line, then one header byte every 0.2 s; ok when
    the server closes the connection within SECONDS (its deadline plus margin).
  metrics_probe.py hold PORT COUNT SECONDS
    Opens COUNT connections that send nothing, keeps them SECONDS, and
    prints how many connected.
  metrics_probe.py fields PORT
    GET /metrics and print one line per sample ("name{labels} value").
  metrics_probe.py names FILE...
    The metric names a YAML rules file or a JSON dashboard uses (for the
    check that every one of them is served).
"""
import http.client
import json
import re
import socket
import sys
import time


def get(port, method, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(method, path)
    response = connection.getresponse()
    body = response.read()
    print(f"status {response.status}")
    for name, value in response.getheaders():
        print(f"header: {name}: {value}")
    print("body:")
    sys.stdout.write(body.decode("utf-8", "replace"))
    return 0


def huge(port, size):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        try:
            s.sendall(b"GET /" + b"a" * size + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            print("closed while sending")
            return 0
        try:
            answer = s.recv(4096)
        except ConnectionResetError:
            print("reset")
            return 0
    first = answer.split(b"\r\n", 1)[0].decode("latin-1")
    print(f"answer: {first!r}")
    return 0 if (not answer or re.match(r"HTTP/1\.1 4\d\d", first)) else 1


def slowloris(port, seconds):
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(b"GET /metrics HTTP/1.1\r\n")
        while time.monotonic() - started < seconds:
            try:
                s.sendall(b"X")
                s.settimeout(0.2)
                data = s.recv(4096)
                if not data:
                    break
            except socket.timeout:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
        else:
            print(f"still open after {seconds} s")
            return 1
    print(f"closed by the server after {time.monotonic() - started:.1f} s")
    return 0


def hold(port, count, seconds):
    sockets = []
    for _ in range(count):
        try:
            sockets.append(socket.create_connection(("127.0.0.1", port), timeout=2))
        except OSError:
            break
    print(f"connected {len(sockets)}", flush=True)
    time.sleep(seconds)
    for s in sockets:
        s.close()
    return 0


def fields(port):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/metrics")
    text = connection.getresponse().read().decode()
    for line in text.splitlines():
        if line and not line.startswith("#"):
            print(line)
    return 0


def names(files):
    found = set()
    pattern = re.compile(r"\b((?:mailoauth|process)_[a-z0-9_]+)")
    for path in files:
        with open(path) as f:
            text = f.read()
        if path.endswith(".json"):
            exprs = [t["expr"] for p in json.loads(text)["panels"] for t in p["targets"]]
            text = "\n".join(exprs)
        for name in pattern.findall(text):
            found.add(re.sub(r"_(bucket|sum|count)$", "", name))
    for name in sorted(found):
        print(name)
    return 0


def main():
    command = sys.argv[1]
    if command == "get":
        return get(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    if command == "huge":
        return huge(int(sys.argv[2]), int(sys.argv[3]))
    if command == "slowloris":
        return slowloris(int(sys.argv[2]), float(sys.argv[3]))
    if command == "hold":
        return hold(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))
    if command == "fields":
        return fields(int(sys.argv[2]))
    if command == "names":
        return names(sys.argv[2:])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
