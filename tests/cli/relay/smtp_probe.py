#!/usr/bin/env python3
"""Test client for the relay's CLI tests: Python's smtplib as a legacy client,
a raw socket for hostile input, and a reader of spooled files. Each command
prints what it saw and exits 0 when the relay answered as expected, 1 when not.
Every socket operation has a timeout (10 s), so a silent relay fails the test
instead of hanging it.

  content FILE                        the message content of a spool file
  smtplib HOST PORT MODE FROM TO FILE [USER PASSWORD CAFILE]
                                      send FILE; MODE plain|starttls|ssl
  expect-mail-refused PORT FROM CODE  MAIL FROM gets CODE (no AUTH)
  hostile PORT SPOOL MAXSIZE          overlong line, NUL, bare LF, 10,000 RCPTs,
                                      oversized DATA, pipelining
  early-talker PORT                   talks before the greeting: 554 5.5.1
  auth-needs-tls PORT                 AUTH neither offered nor accepted before TLS
  idle PORT SECONDS                   silent after EHLO: 421 4.4.2 in time
  starttls-injection PORT             text pipelined after STARTTLS: closed
  parallel PORT SESSIONS EACH         concurrent sessions, all acknowledged
  graceful PORT PID                   SIGTERM during a session: it finishes
  idle-tls-at-sigterm STARTTLS_PORT IMPLICIT_PORT PID CAFILE
                                      an idle TLS session on each listener, then
                                      SIGTERM; prints what each was told
  send-many PORT COUNT IDFILE         sends COUNT messages, appends each
                                      acknowledged Message-ID to IDFILE
  auth-budget PORT USER PASSWORD      three sessions of three wrong passwords
                                      (535, then 421 and close); the fourth
                                      session's right password gets 454 4.7.0
"""
import os
import re
import smtplib
import socket
import ssl
import sys
import time

TIMEOUT = 10


def content(path):
    data = open(path, "rb").read()
    start = data.index(b"\n\n") + 2
    end = data.rindex(b"MAILOAUTH-END ")
    size = int(data[end + len("MAILOAUTH-END "):].split()[0])
    sys.stdout.buffer.write(data[start:start + size])
    return 0


def smtplib_send(host, port, mode, sender, recipient, path, user=None, password=None, cafile=None):
    message = open(path, "rb").read()
    context = ssl.create_default_context(cafile=cafile) if cafile else None
    if mode == "ssl":
        client = smtplib.SMTP_SSL(host, int(port), timeout=TIMEOUT, context=context)
    else:
        client = smtplib.SMTP(host, int(port), timeout=TIMEOUT)
    client.ehlo("smtplib.test")
    if mode == "starttls":
        client.starttls(context=context)
        client.ehlo("smtplib.test")
    if user:
        client.login(user, password)
    try:
        refused = client.sendmail(sender, [recipient], message)
    except smtplib.SMTPException as error:
        print("refused:", error)
        return 1
    client.quit()
    print("sent; refused recipients:", refused)
    return 0 if not refused else 1


class Raw:
    """A client that sends exactly the bytes it is given."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", int(port)), timeout=TIMEOUT)
        self.buffer = b""

    def reply(self):
        """One complete (possibly multi-line) reply: (code, text)."""
        lines = []
        while True:
            while b"\r\n" not in self.buffer:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise EOFError("the relay closed the connection; had: %r" % lines)
                self.buffer += chunk
            line, self.buffer = self.buffer.split(b"\r\n", 1)
            lines.append(line.decode("latin-1"))
            if len(line) < 4 or line[3:4] != b"-":
                return int(line[:3]), "\n".join(lines)

    def send(self, data):
        self.sock.sendall(data)

    def start_tls(self, context):
        """TLS on this connection (after STARTTLS's 220, or at once for implicit TLS)."""
        assert not self.buffer, "bytes after the reply to STARTTLS"
        self.sock = context.wrap_socket(self.sock, server_hostname="127.0.0.1")

    def command(self, data):
        self.send(data)
        return self.reply()


failures = 0


def expect(description, condition, seen=""):
    global failures
    print(("ok: " if condition else "FAIL: ") + description + ("" if condition else " (saw %r)" % (seen,)))
    if not condition:
        failures += 1


def spool_files(spool):
    directory = os.path.join(spool, "queue")
    return sorted(f for f in os.listdir(directory) if not f.endswith(".state") and not f.startswith("."))


def greeted(port):
    raw = Raw(port)
    code, _ = raw.reply()
    assert code == 220
    code, _ = raw.command(b"EHLO hostile.test\r\n")
    assert code == 250
    return raw


def hostile(port, spool, max_size):
    max_size = int(max_size)
    before = len(spool_files(spool))
    raw = greeted(port)
    code, text = raw.command(b"NOOP " + b"x" * 100000 + b"\r\n")
    expect("an overlong line (100 KB) gets 500 5.5.2", code == 500 and "5.5.2" in text, text)
    code, text = raw.command(b"NOOP\r\n")
    expect("the session goes on after the overlong line", code == 250, text)
    code, text = raw.command(b"MAIL FROM:<big@contoso.com> SIZE=%d\r\n" % (max_size + 1))
    expect("MAIL with SIZE over the limit gets 552 5.3.4", code == 552 and "5.3.4" in text, text)
    code, text = raw.command(b"MAIL FROM:<a\x00b@contoso.com>\r\n")
    expect("a NUL in a command is refused (5xx)", 500 <= code < 600, text)
    code, text = raw.command(b"MAIL FROM:<nul@contoso.com>\r\n")
    expect("MAIL after the NUL line works", code == 250, text)
    # 10,000 recipients pipelined: replies in order, the limit says 452 4.5.3.
    rcpts = b"".join(b"RCPT TO:<r%d@example.com>\r\n" % i for i in range(10000))
    raw.send(rcpts)
    codes = []
    try:
        for _ in range(10000):
            code, text = raw.reply()
            codes.append(code)
            if code == 421:
                break
    except (EOFError, OSError):
        pass
    accepted = codes.count(250)
    expect("10,000 RCPTs: 250 up to the limit, then refusals", accepted >= 100 and accepted < 10000,
           accepted)
    expect("past the recipient limit: 452 4.5.3, then 421 when the error budget is spent",
           codes[accepted:] and all(c == 452 for c in codes[accepted:-1]) and codes[-1] in (452, 421),
           set(codes[accepted:]))
    expect("every reply came in order (250s first)", codes[:accepted] == [250] * accepted, codes[:5])
    raw.sock.close()

    # Bare LF inside DATA: kept as it came; a bare LF.LF never ends the message.
    raw = greeted(port)
    raw.command(b"MAIL FROM:<lf@contoso.com>\r\n")
    raw.command(b"RCPT TO:<x@example.com>\r\n")
    code, _ = raw.command(b"DATA\r\n")
    expect("DATA gets 354", code == 354, code)
    raw.send(b"Subject: bare lf\r\n\r\nline one\nline two\n.\nstill content\r\n.\r\n")
    code, text = raw.reply()
    expect("bare LF content is accepted (250) and .LF did not end it", code == 250, text)
    queue_id = text.split()[-1]
    body = open(os.path.join(spool, "queue", queue_id), "rb").read()
    # (A dot after a bare LF is unstuffed as a line start: ServerInput's rule.)
    expect("the bare-LF lines reached the spool with their bare LFs, and all of it",
           b"line one\nline two\n" in body and b"still content\r\n" in body, body[-200:])

    # DATA larger than max_message_size: 552 after the end, nothing spooled, session goes on.
    count = len(spool_files(spool))
    raw.command(b"MAIL FROM:<big@contoso.com>\r\n")
    raw.command(b"RCPT TO:<x@example.com>\r\n")
    code, _ = raw.command(b"DATA\r\n")
    line = b"y" * 998 + b"\r\n"
    blob = line * (max_size // len(line) + 100)
    raw.send(b"Subject: big\r\n\r\n" + blob + b".\r\n")
    code, text = raw.reply()
    expect("an oversized DATA gets 552 5.3.4", code == 552 and "5.3.4" in text, text)
    expect("nothing of the oversized message was spooled", len(spool_files(spool)) == count,
           len(spool_files(spool)))
    expect("no leftover in incoming/", os.listdir(os.path.join(spool, "incoming")) == [],
           os.listdir(os.path.join(spool, "incoming")))
    code, text = raw.command(b"MAIL FROM:<after@contoso.com>\r\n")
    expect("the session goes on after 552", code == 250, text)
    raw.command(b"RSET\r\n")

    # Pipelined transaction with the content: every reply in order.
    raw.send(b"MAIL FROM:<p@contoso.com>\r\nRCPT TO:<x@example.com>\r\nDATA\r\n")
    codes = [raw.reply()[0] for _ in range(3)]
    expect("pipelined MAIL/RCPT/DATA answered in order", codes == [250, 250, 354], codes)
    raw.send(b"Subject: p\r\n\r\npipelined\r\n.\r\nQUIT\r\n")
    codes = [raw.reply()[0] for _ in range(2)]
    expect("content end and QUIT answered in order", codes == [250, 221], codes)
    expect("two messages were spooled (bare LF, pipelined)",
           len(spool_files(spool)) == before + 2, len(spool_files(spool)) - before)
    return 1 if failures else 0


def early_talker(port):
    raw = Raw(port)
    raw.send(b"EHLO impatient.test\r\n")
    code, text = raw.reply()
    expect("a client that talks before the greeting gets 554 5.5.1", code == 554 and "5.5.1" in text,
           text)
    try:
        data = raw.sock.recv(100)
    except OSError:
        data = b""
    expect("and the connection is closed", data == b"", data)
    return 1 if failures else 0


def expect_mail_refused(port, sender, wanted):
    raw = greeted(port)
    code, text = raw.command(b"MAIL FROM:<" + sender.encode() + b">\r\n")
    print(text)
    return 0 if str(code) == wanted else 1


def send_many(port, count, id_file):
    """Messages until COUNT are acknowledged or the relay dies; the IDs of the
    acknowledged ones are written (flushed) as the 250 arrives."""
    out = open(id_file, "a")
    sent = 0
    try:
        raw = greeted(port)
        for i in range(int(count)):
            message_id = "<%d.%d@durability.test>" % (os.getpid(), i)
            raw.send(b"MAIL FROM:<d@contoso.com>\r\nRCPT TO:<x@example.com>\r\nDATA\r\n")
            codes = [raw.reply()[0] for _ in range(3)]
            if codes != [250, 250, 354]:
                break
            raw.send(b"Message-ID: " + message_id.encode() + b"\r\nSubject: d\r\n\r\nbody\r\n.\r\n")
            code, _ = raw.reply()
            if code == 250:
                out.write(message_id + "\n")
                out.flush()
                sent += 1
    except (EOFError, OSError):
        pass
    print("acknowledged:", sent)
    return 0


def graceful(port, pid):
    """SIGTERM with a transaction open: no new connections, the transaction
    finishes; a session idle between transactions gets 421 4.3.2 at once."""
    import signal
    raw = greeted(port)
    quiet = greeted(port)  # says nothing after EHLO
    raw.send(b"MAIL FROM:<late@contoso.com>\r\nRCPT TO:<x@example.com>\r\n")
    codes = [raw.reply()[0] for _ in range(2)]
    os.kill(int(pid), signal.SIGTERM)
    quiet.sock.settimeout(5.0)
    try:
        said = quiet.reply()
    except (OSError, EOFError) as error:
        said = (0, "no reply: %s" % error)
    expect("the idle session is told 421 4.3.2 before it is closed (RFC 5321 3.8)",
           said[0] == 421 and "4.3.2" in said[1], said)
    refused = False
    for _ in range(50):  # up to 5 s for the listener to close
        try:
            socket.create_connection(("127.0.0.1", int(port)), timeout=TIMEOUT).close()
        except ConnectionRefusedError:
            refused = True
            break
        time.sleep(0.1)
    expect("after SIGTERM new connections are refused", refused)
    raw.send(b"DATA\r\n")
    codes.append(raw.reply()[0])
    raw.send(b"Subject: during shutdown\r\n\r\nstill accepted\r\n.\r\nQUIT\r\n")
    codes += [raw.reply()[0] for _ in range(2)]
    # After its transaction the session ends: QUIT gets 221, or 421 4.3.2 if
    # the relay closes first (SmtpServer::stop_accepting).
    expect("the open transaction still delivers its message",
           codes[:4] == [250, 250, 354, 250] and codes[4] in (221, 421), codes)
    return 1 if failures else 0


def idle_tls_at_sigterm(starttls_port, implicit_port, pid, cafile):
    """An idle session inside TLS on each listener kind, then SIGTERM: each
    should be told 421 4.3.2 over TLS (RFC 5321 3.8). Prints one line per
    session: "<kind> idle at SIGTERM: <code> <text>" (or "closed: ...")."""
    import signal
    context = ssl.create_default_context(cafile=cafile)
    upgraded = greeted(starttls_port)
    code, text = upgraded.command(b"STARTTLS\r\n")
    assert code == 220, text
    upgraded.start_tls(context)
    implicit = Raw(implicit_port)
    implicit.start_tls(context)
    assert implicit.reply()[0] == 220
    for raw in (upgraded, implicit):
        code, text = raw.command(b"EHLO device.test\r\n")
        assert code == 250, text
    os.kill(int(pid), signal.SIGTERM)
    for kind, raw in (("starttls", upgraded), ("implicit", implicit)):
        try:
            code, text = raw.reply()
            said = "%d %s" % (code, text.split("\n")[-1][4:])
        except (OSError, EOFError) as error:
            said = "closed: %s" % error
        print("%s idle at SIGTERM: %s" % (kind, said))
    return 0


def idle(port, wait_limit):
    """A client that says nothing after EHLO gets 421 4.4.2 within the limit."""
    raw = greeted(port)
    raw.sock.settimeout(float(wait_limit))
    started = time.monotonic()
    code, text = raw.reply()
    waited = time.monotonic() - started
    expect("a silent client gets 421 4.4.2 (after %.1f s)" % waited, code == 421 and "4.4.2" in text,
           text)
    return 1 if failures else 0


def starttls_injection(port):
    """Plain text pipelined after STARTTLS must not be read as if it came over TLS."""
    raw = greeted(port)
    raw.send(b"STARTTLS\r\nMAIL FROM:<injected@contoso.com>\r\n")
    code, text = raw.reply()
    expect("STARTTLS answered 220", code == 220, text)
    try:
        data = raw.sock.recv(100)
    except OSError:
        data = b""
    expect("then the relay closes the connection instead of a handshake", data == b"", data)
    return 1 if failures else 0


def parallel(port, sessions, each):
    """SESSIONS clients at once, EACH messages each: every one acknowledged."""
    import threading
    results = []

    def one(index):
        path = "/dev/null"
        raw = greeted(port)
        ok = 0
        for i in range(int(each)):
            raw.send(b"MAIL FROM:<p@contoso.com>\r\nRCPT TO:<x@example.com>\r\nDATA\r\n")
            codes = [raw.reply()[0] for _ in range(3)]
            raw.send(b"Subject: parallel\r\n\r\n" + b"x" * 4000 + b"\r\n.\r\n")
            code, _ = raw.reply()
            ok += codes == [250, 250, 354] and code == 250
        results.append(ok)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(int(sessions))]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    elapsed = time.monotonic() - started
    total = int(sessions) * int(each)
    expect("%s parallel sessions: %d of %d messages acknowledged (%.0f/s)"
           % (sessions, sum(results), total, sum(results) / elapsed), sum(results) == total)
    return 1 if failures else 0


def auth_needs_tls(port):
    """Before STARTTLS: AUTH not offered, and refused with 538 5.7.11 when tried."""
    raw = Raw(port)
    raw.reply()
    code, text = raw.command(b"EHLO plain.test\r\n")
    expect("EHLO before TLS offers STARTTLS", "STARTTLS" in text, text)
    expect("EHLO before TLS does not offer AUTH", "AUTH" not in text, text)
    code, text = raw.command(b"AUTH PLAIN AHNjYW5uZXIAc2Nhbm5lci1wYXNzd29yZC0x\r\n")
    expect("AUTH before TLS gets 538 5.7.11", code == 538 and "5.7.11" in text, text)
    return 1 if failures else 0


def auth_plain(raw, user, password):
    import base64
    token = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode())
    return raw.command(b"AUTH PLAIN " + token + b"\r\n")


def auth_budget(port, user, password):
    raw = greeted(port)
    code, text = auth_plain(raw, user, password)
    expect("the right password logs in before any failure", code == 235, text)
    raw.sock.close()
    for session in range(1, 4):
        raw = greeted(port)
        for attempt in range(1, 4):
            code, text = auth_plain(raw, user, "wrong-%d-%d" % (session, attempt))
            expect("session %d guess %d: 535 5.7.8" % (session, attempt), code == 535, text)
        try:
            code, text = raw.reply()  # the 421 after the third failure
        except EOFError as error:
            code, text = 0, str(error)
        expect("session %d closed after 3 failures with 421 4.7.0" % session,
               code == 421 and "4.7.0" in text, text)
        raw.sock.close()
    raw = greeted(port)
    code, text = auth_plain(raw, user, password)
    expect("the 4th session's AUTH, even with the right password, gets 454 4.7.0",
           code == 454 and text.startswith("454 4.7.0"), text)
    code, text = raw.command(b"NOOP\r\n")
    expect("... and the session goes on", code == 250, text)
    raw.sock.close()
    return 1 if failures else 0


def main(argv):
    command = argv[1]
    if command == "content":
        return content(argv[2])
    if command == "smtplib":
        return smtplib_send(*argv[2:])
    if command == "hostile":
        return hostile(*argv[2:5])
    if command == "early-talker":
        return early_talker(argv[2])
    if command == "expect-mail-refused":
        return expect_mail_refused(*argv[2:5])
    if command == "auth-needs-tls":
        return auth_needs_tls(argv[2])
    if command == "idle":
        return idle(argv[2], argv[3])
    if command == "starttls-injection":
        return starttls_injection(argv[2])
    if command == "parallel":
        return parallel(*argv[2:5])
    if command == "graceful":
        return graceful(argv[2], argv[3])
    if command == "idle-tls-at-sigterm":
        return idle_tls_at_sigterm(*argv[2:6])
    if command == "send-many":
        return send_many(*argv[2:5])
    if command == "auth-budget":
        return auth_budget(*argv[2:5])
    print("unknown command", command)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
