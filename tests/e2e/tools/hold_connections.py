#!/usr/bin/env python3
"""Opens N idle TCP connections to HOST:PORT and holds them until stdin closes or SIGTERM.

Prints "held K" once every connection was attempted (K: how many the peer kept open after a
short grace period, i.e. not closed or reset by it), then waits. Used by cairn's e2e tests to
flood a port the way a crowd of idle clients (or an attacker) would. Bounded: N connections,
no data sent."""
import resource
import select
import signal
import socket
import sys
import time

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

conns = []
for _ in range(count):
    s = socket.socket()
    s.setblocking(True)
    s.settimeout(2)
    try:
        s.connect((host, port))
    except OSError:
        s.close()
        continue
    conns.append(s)

# Connections the peer refused past its cap are closed (EOF or reset) at once; count the rest.
time.sleep(0.5)
kept = 0
poller = select.poll()  # select() stops at descriptor 1024
for s in conns:
    poller.register(s, select.POLLIN)
ready = {fd for fd, _ in poller.poll(0)}
for s in conns:
    if s.fileno() not in ready:
        kept += 1  # quiet and open: held
print(f"held {kept}", flush=True)
try:
    sys.stdin.read()
finally:
    for s in conns:
        s.close()
