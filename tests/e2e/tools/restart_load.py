#!/usr/bin/env python3
"""A bounded HTTP load that counts every request that failed, for measuring what a client sees
while cairn restarts or hands over (tests/e2e/handoff_test.sh, bench/restart/run).

restart_load.py PORT [--concurrency N] [--until FILE] [--duration S] [--keepalive]
                     [--started FILE] [--out FILE]

Each of N threads sends GET / to 127.0.0.1:PORT in a loop, a new connection per request
(`Connection: close`), or with --keepalive over one connection that it reopens when the
server closes it (a request that finds its kept connection closed before any answer byte is
sent again once on a new connection, as HTTP clients do for an idle connection, and counted
as `retried`). It stops when FILE exists (--until), or after S seconds (--duration, at most
600), whichever comes first. --started FILE is created after the first answer of any status.

Failures: `refused` (nothing listened), `reset` (the connection closed or reset before a
whole answer), `timeout` (no answer in 5 s), `status_503` and `status_other` (any non-2xx
but 503). Prints one JSON object: the counts, `ok`, `total`, `failed`, and `first_failure` /
`last_failure` (seconds since the load began) so a window can be read off, and `slowest_ms`,
the longest a request took (one that waited in a socket's queue meanwhile); also to --out.
"""
import argparse
import json
import os
import socket
import threading
import time

REQUEST = b"GET / HTTP/1.1\r\nHost: load\r\n%s\r\n"


def read_response(sock):
    """The status of one response read whole (Content-Length framing), or None when the
    connection ended before it, and whether the server keeps the connection."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None, False
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length, close = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"connection" and value.strip().lower() == b"close":
            close = True
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None, False
        body += chunk
    return status, not close


class Counts:
    def __init__(self):
        self.lock = threading.Lock()
        self.c = {k: 0 for k in ("ok", "refused", "reset", "timeout", "status_503",
                                 "status_other", "retried")}
        self.first_failure = None
        self.last_failure = None
        self.started = None
        self.slowest = 0.0

    def add(self, kind, at, took=0.0):
        with self.lock:
            self.c[kind] += 1
            self.slowest = max(self.slowest, took)
            if kind not in ("ok", "retried"):
                if self.first_failure is None:
                    self.first_failure = at
                self.last_failure = at


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def one(port, sock, keepalive):
    """Sends one request; returns (kind, sock to keep or None)."""
    fresh = sock is None
    try:
        if sock is None:
            sock = connect(port)
        sock.sendall(REQUEST % (b"" if keepalive else b"Connection: close\r\n"))
        status, keep = read_response(sock)
    except ConnectionRefusedError:
        return "refused", None
    except socket.timeout:
        return "timeout", None
    except OSError:
        status, keep = None, False
    if status is None:
        if sock is not None:
            sock.close()
        return ("stale" if not fresh else "reset"), None
    if not (keepalive and keep):
        sock.close()
        sock = None
    if 200 <= status < 300:
        return "ok", sock
    return ("status_503" if status == 503 else "status_other"), sock


def worker(args, counts, begin, deadline):
    sock = None
    while time.monotonic() < deadline and not (args.until and os.path.exists(args.until)):
        sent = time.monotonic()
        kind, sock = one(args.port, sock, args.keepalive)
        if kind == "stale":  # a kept connection the server had closed: once more, anew
            counts.add("retried", time.monotonic() - begin)
            kind, sock = one(args.port, None, args.keepalive)
            if kind == "stale":
                kind = "reset"
        now = time.monotonic()
        counts.add(kind, now - begin, now - sent)
        if args.started and counts.started is None and kind != "refused":
            counts.started = True
            open(args.started, "w").close()
        if kind == "refused":
            time.sleep(0.001)  # nothing listens: do not spin a core while it comes back
    if sock is not None:
        sock.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--until")
    p.add_argument("--duration", type=float, default=60)
    p.add_argument("--keepalive", action="store_true")
    p.add_argument("--started")
    p.add_argument("--out")
    args = p.parse_args()
    counts = Counts()
    begin = time.monotonic()
    deadline = begin + min(args.duration, 600)
    threads = [threading.Thread(target=worker, args=(args, counts, begin, deadline))
               for _ in range(args.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    c = dict(counts.c)
    c["total"] = sum(v for k, v in c.items() if k != "retried")
    c["failed"] = c["total"] - c["ok"]
    c["seconds"] = round(time.monotonic() - begin, 3)
    c["first_failure"] = counts.first_failure and round(counts.first_failure, 3)
    c["last_failure"] = counts.last_failure and round(counts.last_failure, 3)
    c["slowest_ms"] = round(counts.slowest * 1000, 1)
    text = json.dumps(c, sort_keys=True)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
