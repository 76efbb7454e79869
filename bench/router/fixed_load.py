#!/usr/bin/env python3
"""Sends exactly N HTTP/1.1 keep-alive GETs of PATH on one connection and checks each answer.

Usage: fixed_load.py PORT PATH N

A fixed request count (not wrk's fixed duration) so callgrind and strace totals divide into
per-request figures that repeat on a loaded machine. See docs/benchmarks.md, Router, Profile.
"""
import http.client
import sys

port, path, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
length = None
for _ in range(n):
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    if resp.status != 200 or resp.will_close or (length is not None and len(body) != length):
        sys.exit(f"fixed_load: bad answer: status {resp.status}, {len(body)} bytes")
    length = len(body)
print(f"{n} requests, {length} bytes each")
