#!/usr/bin/env python3
"""What a spooled message's files say, read here independently of mailoauth,
so the queue tool's output is checked against the spool and not against
itself.

  spool_facts.py row SPOOL_FILE STATE
    The table's message line as docs/queue.md promises it: id (22 wide),
    content size (10 wide, right), arrival "YYYY-MM-DD HH:MM:SS" UTC, state
    (8 wide), sender.
  spool_facts.py size SPOOL_FILE
    The content size: the file less the envelope and the 35-byte trailer.
"""
import datetime
import os
import sys


def facts(path):
    data = open(path, "rb").read()
    header_end = data.index(b"\n\n") + 2
    fields = {}
    for line in data[:header_end].decode().splitlines()[1:]:
        if line:
            key, _, value = line.partition(" ")
            fields.setdefault(key, value)
    size = os.path.getsize(path) - header_end - 35
    return fields, size


def main(argv):
    fields, size = facts(argv[2])
    if argv[1] == "size":
        print(size)
        return 0
    received = datetime.datetime.fromtimestamp(int(fields["received"]) // 1000000,
                                               datetime.timezone.utc)
    sender = fields.get("from", "") or "<>"
    print(f"{fields['id']:<22} {size:>10} {received:%Y-%m-%d %H:%M:%S} {argv[3]:<8} {sender}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
