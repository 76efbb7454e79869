#!/usr/bin/env python3
"""Start times read from cairn's events API (GET /v1/events), for bench/store/run.

  events.py seq --addr A
      the last event's seq (0 when none): what "after the next apply" is counted from
  events.py wait --addr A --service S --after SEQ --healthy K [--timeout T] --out FILE
      waits (at most T s, default 600) until K instances of S started after SEQ are healthy;
      writes {applied_ms, instances: [{id, started_ms, healthy_ms}]} to FILE. Exit 1 on
      timeout or on an instance.start_failed/crashed, with the events it saw on stderr.
  events.py stall --addr A --out FILE
      GET /v1/version every 50 ms until SIGTERM; writes {max_ms, n, over_1s} (how long the API
      did not answer while the controller unpacked an image).

All times are the server's event stamps (wall clock, ms), so no sleep or client clock is in them.
"""
import argparse
import json
import signal
import sys
import time
import urllib.request
from datetime import datetime, timezone


def get(addr, path, timeout=10):
    with urllib.request.urlopen(f"http://{addr}{path}", timeout=timeout) as r:
        return json.load(r)


def events(addr):
    d = get(addr, "/v1/events")
    return d.get("events", d) if isinstance(d, dict) else d


def ms(at):
    return int(datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.%fZ")
               .replace(tzinfo=timezone.utc).timestamp() * 1000 + 0.5)


def cmd_seq(args):
    ev = events(args.addr)
    print(max((e["seq"] for e in ev), default=0))


def measure(ev, service, after):
    applied = next((e for e in ev if e["seq"] > after and e["type"] == "revision.applied"), None)
    started, healthy, failed = {}, {}, []
    for e in ev:
        if e["seq"] <= after or e.get("service") != service:
            continue
        if e["type"] == "instance.started":
            started[e["instance"]] = ms(e["at"])
        elif e["type"] == "instance.healthy" and e["instance"] in started:
            healthy.setdefault(e["instance"], ms(e["at"]))
        elif e["type"] in ("instance.start_failed", "instance.crashed"):
            failed.append(e)
    return applied, started, healthy, failed


def cmd_wait(args):
    deadline = time.monotonic() + args.timeout
    ev = []
    while time.monotonic() < deadline:
        try:
            ev = events(args.addr)
        except OSError:
            time.sleep(0.2)  # the controller may be busy unpacking: the API answers after
            continue
        applied, started, healthy, failed = measure(ev, args.service, args.after)
        if failed:
            print(f"events.py: {failed[0]['type']}: {failed[0]['message']}", file=sys.stderr)
            break
        if applied and len(healthy) >= args.healthy:
            out = {"applied_ms": ms(applied["at"]),
                   "instances": [{"id": i, "started_ms": started[i], "healthy_ms": healthy[i]}
                                 for i in sorted(healthy, key=lambda i: started[i])]}
            with open(args.out, "w") as f:
                json.dump(out, f)
            return 0
        time.sleep(0.1)
    else:
        print(f"events.py: {args.healthy} healthy instances of {args.service} not seen within "
              f"{args.timeout} s", file=sys.stderr)
    for e in ev[-15:]:
        print(f"  {e['at']} {e['type']} {e.get('instance', '')} {e['message']}", file=sys.stderr)
    return 1


def cmd_stall(args):
    worst, n, over = 0.0, 0, 0
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    end = time.monotonic() + 3600  # bounded even if nobody stops it
    while not stop and time.monotonic() < end:
        t0 = time.monotonic()
        try:
            get(args.addr, "/v1/version", timeout=600)
        except OSError:
            pass
        dt = (time.monotonic() - t0) * 1000
        worst, n = max(worst, dt), n + 1
        over += dt > 1000
        time.sleep(0.05)
    with open(args.out, "w") as f:
        json.dump({"max_ms": round(worst), "n": n, "over_1s": over}, f)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("seq")
    s.add_argument("--addr", required=True)
    s = sub.add_parser("wait")
    s.add_argument("--addr", required=True)
    s.add_argument("--service", required=True)
    s.add_argument("--after", type=int, required=True)
    s.add_argument("--healthy", type=int, required=True)
    s.add_argument("--timeout", type=float, default=600)
    s.add_argument("--out", required=True)
    s = sub.add_parser("stall")
    s.add_argument("--addr", required=True)
    s.add_argument("--out", required=True)
    args = p.parse_args()
    sys.exit({"seq": cmd_seq, "wait": cmd_wait, "stall": cmd_stall}[args.cmd](args) or 0)


if __name__ == "__main__":
    main()
