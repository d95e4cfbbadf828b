#!/usr/bin/env python3
"""smtp_sink.py: a tiny SMTP server for the tests of src/mail.c.

    python3 smtp_sink.py --port-file F --out DIR [--parent PID]

Listens on 127.0.0.1, port 0, and writes the bound port to F (atomically,
so a reader never sees half a number). Each message received is written to
DIR/<n>.eml (atomically too): the lines "X-Sink-Mail-From: <...>" and one
"X-Sink-Rcpt-To: <...>" per recipient, then the message as received, with
the SMTP dot-stuffing undone. It speaks just enough SMTP for libcurl (EHLO,
HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), offers no STARTTLS and no AUTH,
and exits when its parent dies (PID, when given, is the parent's pid: a
parent that dies before Python has started is noticed too) or after 60
seconds, whichever comes first, so a crashed test never leaves it behind.

Raw asyncio: the smtpd module is deprecated and gone from Python 3.12.
"""

import argparse
import asyncio
import os
import sys

LIFETIME_S = 60
MAX_MESSAGE = 10 * 1024 * 1024


def write_atomic(path, data):
    tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)


class Sink:
    def __init__(self, out):
        self.out = out
        self.count = 0

    def store(self, mail_from, rcpts, data):
        self.count += 1
        head = b"X-Sink-Mail-From: " + mail_from + b"\r\n"
        for r in rcpts:
            head += b"X-Sink-Rcpt-To: " + r + b"\r\n"
        write_atomic(os.path.join(self.out, "%d.eml" % self.count), head + data)

    async def session(self, reader, writer):
        def reply(line):
            writer.write(line.encode() + b"\r\n")

        mail_from, rcpts = None, []
        reply("220 127.0.0.1 smtp_sink ready")
        try:
            while True:
                await writer.drain()
                line = await reader.readline()
                if not line:
                    break
                cmd = line.rstrip(b"\r\n")
                verb = cmd[:4].upper()
                arg = cmd[5:].strip() if len(cmd) > 4 else b""
                if verb == b"EHLO":
                    reply("250-127.0.0.1 hello")
                    reply("250 8BITMIME")
                elif verb == b"HELO":
                    reply("250 127.0.0.1 hello")
                elif verb == b"MAIL":
                    # "FROM:<a@b> SIZE=..." -> "<a@b>"
                    mail_from = arg.split(b":", 1)[-1].split()[0] if b":" in arg else b""
                    rcpts = []
                    reply("250 OK")
                elif verb == b"RCPT":
                    if mail_from is None:
                        reply("503 MAIL first")
                        continue
                    rcpts.append(arg.split(b":", 1)[-1].strip())
                    reply("250 OK")
                elif verb == b"DATA":
                    if not rcpts:
                        reply("503 RCPT first")
                        continue
                    reply("354 end with <CRLF>.<CRLF>")
                    await writer.drain()
                    data = bytearray()
                    while True:
                        l = await reader.readline()
                        if not l:
                            return
                        if l in (b".\r\n", b".\n"):
                            break
                        if l.startswith(b"."):
                            l = l[1:]
                        data += l
                        if len(data) > MAX_MESSAGE:
                            reply("552 too big")
                            return
                    self.store(mail_from, rcpts, bytes(data))
                    mail_from, rcpts = None, []
                    reply("250 OK queued")
                elif verb == b"RSET":
                    mail_from, rcpts = None, []
                    reply("250 OK")
                elif verb == b"NOOP":
                    reply("250 OK")
                elif verb == b"QUIT":
                    reply("221 bye")
                    await writer.drain()
                    break
                else:
                    reply("502 not implemented")
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


async def watch_parent(ppid):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LIFETIME_S
    while loop.time() < deadline and os.getppid() == ppid:
        await asyncio.sleep(0.2)


async def main():
    ap = argparse.ArgumentParser(description="a tiny SMTP sink for tests")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--parent", type=int, default=0)
    args = ap.parse_args()

    ppid = args.parent if args.parent > 0 else os.getppid()
    if os.getppid() != ppid:
        return 1
    os.makedirs(args.out, exist_ok=True)
    sink = Sink(args.out)
    server = await asyncio.start_server(sink.session, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pf = os.path.abspath(args.port_file)
    write_atomic(pf, b"%d\n" % port)
    async with server:
        await watch_parent(ppid)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main()))
    except KeyboardInterrupt:
        sys.exit(0)
