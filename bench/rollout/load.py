#!/usr/bin/env python3
"""Constant load through cairn's router for bench/rollout/run: a fixed set of users, each
request carrying its user in `X-User-Id` (the canary's cohort header), paced at a fixed rate
over a few keep-alive connections. Every answer is recorded with its send and receive time
(seconds since the epoch, the clock the server stamps its events with), the user, the status
and the version in the body.

Usage: load.py --port P --out FILE [--users 100] [--conns 4] [--rate 200] [--max-seconds 300]
Stops on SIGTERM or SIGINT (or after --max-seconds), then writes FILE: one line per request,
  t_send t_recv user status version kind
where kind is ok (200 with a version), injected (cairn-hello's HELLO_FAIL_RATE answer: only the
canary is configured to fail), http (any other status) or conn (no answer: refused, reset, 2 s
timeout). Everything goes to 127.0.0.1 only.
"""
import argparse
import http.client
import json
import os
import signal
import threading
import time


def worker(index, args, stop, records):
    users = [u for u in range(args.users) if u % args.conns == index]
    period = args.conns / args.rate  # this connection's share of the rate
    conn = None
    next_t = time.monotonic() + index * (1.0 / args.rate)  # stagger the connections
    i = 0
    while not stop.is_set():
        delay = next_t - time.monotonic()
        if delay > 0:
            stop.wait(delay)
            if stop.is_set():
                break
        next_t += period
        if next_t < time.monotonic() - 1.0:  # fell behind by a second: do not burst to catch up
            next_t = time.monotonic()
        user = "user-%d" % users[i % len(users)]
        i += 1
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=2)
        t_send = time.time()
        status, version, kind = 0, "-", "conn"
        try:
            conn.request("GET", "/", headers={"X-User-Id": user})
            resp = conn.getresponse()
            body = resp.read()
            status = resp.status
            if resp.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
            if status == 200:
                try:
                    version = json.loads(body).get("version", "?")
                    kind = "ok"
                except ValueError:
                    kind = "http"
            elif b"injected failure" in body:
                kind = "injected"
            else:
                kind = "http"
        except (OSError, http.client.HTTPException):
            if conn is not None:
                conn.close()
            conn = None
        records.append((t_send, time.time(), user, status, version, kind))
    if conn is not None:
        conn.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--users", type=int, default=100)
    p.add_argument("--conns", type=int, default=4)
    p.add_argument("--rate", type=float, default=200.0)
    p.add_argument("--max-seconds", type=float, default=300.0)
    args = p.parse_args()
    if not (1 <= args.conns <= args.users) or args.rate <= 0:
        p.error("need 1 <= conns <= users and rate > 0")

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    per_thread = [[] for _ in range(args.conns)]
    threads = [threading.Thread(target=worker, args=(k, args, stop, per_thread[k]), daemon=True)
               for k in range(args.conns)]
    for t in threads:
        t.start()
    stop.wait(args.max_seconds)
    stop.set()
    for t in threads:
        t.join(timeout=5)
    records = sorted(r for rs in per_thread for r in rs)
    with open(args.out + ".tmp", "w") as f:
        for r in records:
            f.write("%.6f %.6f %s %d %s %s\n" % r)
    os.replace(args.out + ".tmp", args.out)


if __name__ == "__main__":
    main()
