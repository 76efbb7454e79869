#!/usr/bin/env python3
"""Parses the wrk outputs that ./run collected and prints the Markdown report.

Usage: report.py META.tsv INDEX.tsv [--out FILE]
       report.py --parse WRK_OUTPUT      (prints one parsed run as JSON; for checking the parser)

Per target and case: median and [min-max] of requests/s, p50, p99 and errors over the runs, and
the ratios cairn/nginx and cairn/HAProxy of the medians (req/s: higher is better for cairn;
p99: lower is better for cairn). Standard library only.
"""
import json
import re
import statistics
import sys

TARGET_NAMES = {"direct": "backend direct", "nginx": "nginx", "haproxy": "HAProxy", "cairn": "cairn"}
MODE_NAMES = {"pinned": "1 worker, pinned (proxy on CPU 0; wrk and backend on CPU 1)",
              "unpinned": "2 workers, unpinned"}
UNIT_US = {"us": 1.0, "ms": 1000.0, "s": 1_000_000.0, "m": 60_000_000.0}


def parse_latency_us(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        raise ValueError(f"bad latency {text!r}")
    return float(m.group(1)) * UNIT_US[m.group(2)]


def parse_wrk(text):
    """Returns {rps, p50_us, p99_us, requests, non2xx, socket_errors, errors} or raises ValueError."""
    run = {}
    m = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    if not m:
        raise ValueError("no Requests/sec line (wrk failed?)")
    run["rps"] = float(m.group(1))
    m = re.search(r"^\s*(\d+) requests in", text, re.M)
    run["requests"] = int(m.group(1)) if m else None
    for q, key in (("50", "p50_us"), ("99", "p99_us")):
        m = re.search(rf"^\s+{q}%\s+(\S+)", text, re.M)
        if not m:
            raise ValueError(f"no {q}% latency line (was --latency given?)")
        run[key] = parse_latency_us(m.group(1))
    # wrk counts statuses > 399 here ("Non-2xx or 3xx responses").
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    run["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    run["socket_errors"] = sum(int(g) for g in m.groups()) if m else 0
    run["errors"] = run["non2xx"] + run["socket_errors"]
    return run


def fmt_rps(v):
    return f"{v:,.0f}"


def fmt_lat(us):
    return f"{us / 1000:.3f}" if us < 10_000 else f"{us / 1000:.1f}"


def fmt_err(v):
    return f"{v:,.0f}"


def stat(values, fmt):
    med = statistics.median(values)
    if len(values) == 1:
        return fmt(med)
    return f"{fmt(med)} [{fmt(min(values))}–{fmt(max(values))}]"


def ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b else "—"


def main(argv):
    if len(argv) == 3 and argv[1] == "--parse":
        with open(argv[2]) as f:
            print(json.dumps(parse_wrk(f.read()), indent=1))
        return 0
    out = None
    if "--out" in argv:
        i = argv.index("--out")
        out = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    meta_path, index_path = argv[1], argv[2]
    meta = {}
    with open(meta_path) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("\t")
            meta[k] = v
    targets = meta["targets"].split()

    cases = {}  # (mode, ka, path) -> target -> list of runs
    commands = {}
    failures = []
    with open(index_path) as f:
        for line in f:
            mode, ka, path, target, r, file, cmd, _conns = line.rstrip("\n").split("\t")
            key = (mode, ka, path)
            commands.setdefault(key, cmd.replace(f"<{target}>", "<port>"))
            with open(file) as wf:
                text = wf.read()
            try:
                run = parse_wrk(text)
            except ValueError as e:
                failures.append(f"{mode}/{ka}/{path} {target} run {r}: {e}: {text.strip()[-200:]!r}")
                continue
            cases.setdefault(key, {}).setdefault(target, []).append(run)

    lines = []
    w = lines.append
    w(f"Measured {meta['date']} on this machine: {meta['machine']}.")
    w(f"Peers: {meta['versions']}.")
    w(f"Command: `{meta['invocation']}` — {meta['runs']} run(s) of {meta['duration']} s per target "
      "and case, targets alternating within each round; median [min–max] over the runs.")
    w(f"Load average (1/5/15 min) before the run: {meta.get('load_before', '?')}; after: "
      f"{meta.get('load_after', '?')}.")
    if meta.get("cairn_note"):
        w("")
        w(f"**cairn: pending.** {meta['cairn_note']}.")
    else:
        w(f"cairn: `{meta['cairn_bin']}`.")
    w("")
    w("Latencies in ms. Errors = non-2xx/3xx responses + socket errors (connect, read, write, "
      "timeout), per run. Ratios are of the medians; for p99 below 1.00 means cairn is faster.")
    summary = []
    for key in sorted(cases, key=lambda k: (list(MODE_NAMES).index(k[0]), k[1] != "on", k[2] != "small")):
        mode, ka, path = key
        per = cases[key]
        w("")
        w(f"### {MODE_NAMES[mode]} · keep-alive {ka} · /{path}")
        w("")
        w(f"`{commands[key]}`")
        w("")
        w("| target | requests/s | p50 | p99 | errors |")
        w("|---|---:|---:|---:|---:|")
        med = {}
        for t in targets:
            runs = per.get(t)
            if not runs:
                w(f"| {TARGET_NAMES[t]} | failed | | | |")
                continue
            rps = [x["rps"] for x in runs]
            med[t] = (statistics.median(rps), statistics.median([x["p99_us"] for x in runs]))
            w(f"| {TARGET_NAMES[t]} | {stat(rps, fmt_rps)} | {stat([x['p50_us'] for x in runs], fmt_lat)} "
              f"| {stat([x['p99_us'] for x in runs], fmt_lat)} | {stat([x['errors'] for x in runs], fmt_err)} |")
        c = med.get("cairn")
        row = [f"{mode}, ka {ka}, /{path}"]
        for peer in ("nginx", "haproxy"):
            p = med.get(peer)
            if c and p:
                rr, pr = ratio(c[0], p[0]), ratio(c[1], p[1])
            else:
                rr = pr = "pending" if "cairn" not in targets else "—"
            row += [rr, pr]
        summary.append(row)
    w("")
    w("### Ratios (medians)")
    w("")
    w("| case | cairn/nginx req/s | cairn/nginx p99 | cairn/HAProxy req/s | cairn/HAProxy p99 |")
    w("|---|---:|---:|---:|---:|")
    for row in summary:
        w("| " + " | ".join(row) + " |")
    if failures:
        w("")
        w("Runs that produced no result:")
        for f_ in failures:
            w(f"- {f_}")
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if out:
        with open(out, "w") as f:
            f.write(text)
        raw = {"meta": meta,
               "cases": [{"mode": k[0], "keepalive": k[1], "path": k[2], "command": commands[k],
                          "runs": v} for k, v in cases.items()]}
        with open(out.rsplit(".md", 1)[0] + ".json" if out.endswith(".md") else out + ".json", "w") as f:
            json.dump(raw, f, indent=1)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
