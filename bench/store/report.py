#!/usr/bin/env python3
"""Reads a bench/store run's temp dir (results.tsv, meta, start/*.json, *-ls.json) and prints the
Markdown report; exit 0 when every bar is met, 1 when one is missed.

  report.py TMP_DIR [--out FILE]      (TMP_DIR kept with `run --keep-tmp`)
"""
import argparse
import glob
import json
import os
import statistics
import sys

MB = 1e6  # throughput in MB/s (10^6 bytes), sizes in MiB where stated


def read_meta(d):
    meta = {}
    with open(os.path.join(d, "meta")) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            meta[k] = v  # the last value wins (rootfs_bytes_* etc. repeat per run)
    return meta


def read_results(d):
    rows = {}
    path = os.path.join(d, "results.tsv")
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        for line in f:
            part, name, run, secs, nbytes = line.rstrip("\n").split("\t")
            rows.setdefault((part, name), []).append((int(run), float(secs), int(nbytes)))
    return rows


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def fmt_range(xs, fmt="{:,.0f}"):
    if not xs:
        return "–"
    if len(xs) == 1:
        return fmt.format(xs[0])
    return f"{fmt.format(med(xs))} [{fmt.format(min(xs))}–{fmt.format(max(xs))}]"


def throughput(rows, part, name):
    return [b / s / MB for _, s, b in rows.get((part, name), []) if s > 0]


def build_section(out, meta, rows, bars):
    if not rows.get(("build", "sha256sum (files)")):
        return
    tree_mb = int(meta.get("tree_bytes", 0)) / MB
    out.append(f"#### Build: a {tree_mb:,.0f} MB tree, {int(meta.get('tree_files', 0)):,} files")
    out.append("")
    out.append("80% of the bytes in 8 incompressible files, 20% in 1–64 KiB files (half random, "
               "half text that gzip shrinks ~3.5:1); read from the page cache. MB/s of input "
               "(10^6 bytes of the tree's files per second).")
    out.append("")
    peer = med(throughput(rows, "build", "sha256sum (files)"))
    out.append("| what | MB/s | × sha256sum (files) |")
    out.append("|---|---:|---:|")
    names = ["sha256sum (files)", "sha256sum (tar c)", "openssl dgst -sha256 (files)",
             "cairn image build --compression gzip", "cairn image build --compression zstd",
             "profile: gzip -6 (files)", "profile: gzip -1 (files)", "profile: zstd -3 (files)"]
    for n in names:
        xs = throughput(rows, "build", n)
        if not xs:
            continue
        label = f"`{n}`" if not n.startswith("profile") else f"{n.split(': ')[0]}: `{n.split(': ')[1]}`"
        out.append(f"| {label} | {fmt_range(xs)} | {med(xs) / peer:.2f} |")
    for n in ("cairn image build --compression gzip", "cairn image build --compression zstd"):
        xs = throughput(rows, "build", n)
        if xs:
            bars.append((f"{n} ≥ 0.8× sha256sum (files)", med(xs) / peer >= 0.8,
                         f"{med(xs) / peer:.2f}×"))
    out.append("")


def import_section(out, meta, rows, bars):
    fmts = [("layout", "OCI layout dir (`cairn image export`)"),
            ("oci.tar", "OCI archive (`export --format oci-archive`)"),
            ("docker.tar", "docker archive (`skopeo copy oci:… docker-archive:…`)")]
    present = [(f, d) for f, d in fmts if rows.get((f"import:{f}", "cairn image import"))]
    if not present:
        return
    out.append("#### Import of the gzip image into a fresh server")
    out.append("")
    out.append("MB/s of the archive's bytes; the peer is `sha256sum` over the same bytes (a "
               "layout dir: its files in sorted order). Import re-hashes every blob and, "
               "for the diff_id check, also gunzips the layer and hashes the tar.")
    out.append("")
    out.append("| source | MB | cairn image import MB/s | sha256sum MB/s | ratio |")
    out.append("|---|---:|---:|---:|---:|")
    for f, d in present:
        c = throughput(rows, f"import:{f}", "cairn image import")
        s = throughput(rows, f"import:{f}", "sha256sum")
        mb = int(meta.get(f"import_bytes_{f}", 0)) / MB
        out.append(f"| {d} | {mb:,.0f} | {fmt_range(c)} | {fmt_range(s)} | {med(c) / med(s):.2f} |")
        bars.append((f"import of {f} ≥ 0.8× sha256sum", med(c) / med(s) >= 0.8,
                     f"{med(c) / med(s):.2f}×"))
    out.append("")


def start_figures(d, size):
    """Per run: the figure's value in ms (the median over the phase's instances)."""
    figs = {}
    for path in sorted(glob.glob(os.path.join(d, "start", f"{size}-*-first.json"))):
        run = path.split("-")[-2]
        def load(phase):
            p = os.path.join(d, "start", f"{size}-{run}-{phase}.json")
            return json.load(open(p)) if os.path.exists(p) else None
        first, scale, rev = load("first"), load("scale"), load("revision")
        stall = load("stall")
        if first:
            i = first["instances"][0]
            figs.setdefault("first_apply_started", []).append(i["started_ms"] - first["applied_ms"])
            figs.setdefault("first_started_healthy", []).append(i["healthy_ms"] - i["started_ms"])
            figs.setdefault("first_apply_healthy", []).append(i["healthy_ms"] - first["applied_ms"])
        if stall:
            figs.setdefault("first_stall", []).append(stall["max_ms"])
        if scale:
            ins = scale["instances"]
            figs.setdefault("scale_apply_started", []).append(
                med([i["started_ms"] - scale["applied_ms"] for i in ins]))
            figs.setdefault("scale_started_healthy", []).append(
                med([i["healthy_ms"] - i["started_ms"] for i in ins]))
            figs.setdefault("scale_apply_healthy", []).append(
                med([i["healthy_ms"] - scale["applied_ms"] for i in ins]))
        if rev:
            ins = rev["instances"]
            figs.setdefault("rev_started_healthy", []).append(
                med([i["healthy_ms"] - i["started_ms"] for i in ins]))
            figs.setdefault("rev_apply_first_started", []).append(
                min(i["started_ms"] for i in ins) - rev["applied_ms"])
    return figs


def start_section(d, out, meta, rows, bars):
    big = meta.get("big_mb")
    small_f, big_f = start_figures(d, "10"), start_figures(d, big)
    if not small_f or not big_f:
        return
    out.append(f"#### Instance start: a 10 MB and a {int(big):,} MB image")
    out.append("")
    out.append("busybox (static) + the payload in incompressible 8 MiB files, gzip; one `web` "
               "service with `image:`, `httpd` on `$PORT`, an http probe every 100 ms. Times "
               "are the server's event stamps (ms): `revision.applied`, `instance.started` "
               "(stamped after the rootfs is prepared and runc has started the init), "
               "`instance.healthy`. The controller ticks every 100 ms: that is the resolution.")
    out.append("")
    ratio_of = lambda k: med(big_f.get(k, [])) / med(small_f.get(k, [])) if med(small_f.get(k, [])) else float("nan")
    out.append(f"| ms, median [min–max] over runs | 10 MB | {int(big):,} MB | ratio |")
    out.append("|---|---:|---:|---:|")
    labels = [
        ("first_apply_started", "first start: apply → started (unpack + runc)"),
        ("first_started_healthy", "first start: started → healthy"),
        ("first_apply_healthy", "**first start: apply → healthy**"),
        ("first_stall", "first start: longest the API went unanswered"),
        ("scale_apply_started", "cached, scale 1→3: apply → started"),
        ("scale_started_healthy", "cached, scale 1→3: started → healthy"),
        ("scale_apply_healthy", "**cached, scale 1→3: apply → healthy**"),
        ("rev_apply_first_started", "cached, new revision (env change): apply → first started"),
        ("rev_started_healthy", "**cached, new revision: started → healthy**"),
    ]
    for k, label in labels:
        if k in small_f or k in big_f:
            out.append(f"| {label} | {fmt_range(small_f.get(k, []))} | "
                       f"{fmt_range(big_f.get(k, []))} | {ratio_of(k):.2f} |")
    apply_first = [s * 1000 for _, s, _ in rows.get((f"start:{big}", "first: cairn apply returns"), [])]
    if apply_first:
        out.append(f"| `cairn apply` (first start) returns after, {int(big):,} MB | | "
                   f"{fmt_range(apply_first)} | |")
    out.append("")
    rootfs = int(meta.get(f"rootfs_bytes_{big}", 0))
    blob = int(meta.get(f"image_blob_bytes_{big}", 0))
    out.append(f"The {int(big):,} MB image: {blob / MB:,.0f} MB of blobs, a {rootfs / MB:,.0f} MB "
               "unpacked rootfs in the cache, shared by every instance.")
    out.append("")
    for k, what in (("scale_apply_healthy", "cached start (scale 1→3: apply → healthy)"),
                    ("rev_started_healthy", "cached start (new revision: started → healthy)")):
        r = ratio_of(k)
        diff = abs(med(big_f.get(k, [])) - med(small_f.get(k, [])))
        bars.append((f"{what}, {big} MB within 20% of 10 MB", r <= 1.2,
                     f"{r:.2f}× ({diff:.0f} ms apart)"))


def versions_section(d, out, meta, bars):
    path = os.path.join(d, "versions-ls.json")
    if not os.path.exists(path):
        return
    ls = json.load(open(path))
    ls = ls.get("images", ls) if isinstance(ls, dict) else ls
    sizes = {i["tag"]: i["size"] for i in ls}
    one = sizes.get("v:1", 0)
    stored = int(meta["versions_blob_bytes_after_10"])
    tree = int(meta["versions_tree_bytes"])
    changed = int(meta["versions_changed_bytes"])
    ratio = one / tree if tree else 1
    floor = one + changed * ratio
    out.append("#### Store size: ten versions, each changing 1% of 1,000 files")
    out.append("")
    out.append(f"A {tree / MB:,.0f} MB tree of 1,000 files (1–200 KiB; two thirds random, one "
               "third text); version 1 built, then nine times: 10 files rewritten (same size, "
               "new bytes) and built again (gzip). Bytes under `<data-dir>/images/blobs`.")
    out.append("")
    out.append("| | MB | × one image |")
    out.append("|---|---:|---:|")
    out.append(f"| one image (v:1: manifest + config + layer) | {one / MB:,.1f} | 1.00 |")
    out.append(f"| **stored after the 10 builds** | {stored / MB:,.1f} | {stored / one:.2f} |")
    out.append(f"| 10 full copies | {10 * one / MB:,.1f} | 10.00 |")
    out.append(f"| files changed over the 9 steps (uncompressed) | {changed / MB:,.1f} | "
               f"{changed / one:.2f} |")
    out.append(f"| a store keeping each distinct file once (estimate: v:1 + the changed files "
               f"at v:1's compression ratio) | {floor / MB:,.1f} | {floor / one:.2f} |")
    out.append("")
    growth = [int(meta[f"versions_blob_bytes_after_{v}"]) for v in range(1, 11)]
    steps = [b - a for a, b in zip(growth, growth[1:])]
    out.append(f"Each build after the first added {fmt_range([s / MB for s in steps], '{:,.1f}')} "
               f"MB ({int(meta.get('versions_blob_files', 0))} blob files in all).")
    out.append("")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--out")
    args = p.parse_args()
    meta, rows = read_meta(args.dir), read_results(args.dir)
    out, bars = [], []
    out.append(f"Measured {meta['date']} on this machine: {meta['machine']} (shared with "
               "another engineer's builds and tests).")
    out.append(f"Command: `{meta['invocation']}` — {meta['runs']} run(s) per figure, median "
               "[min–max] over the runs.")
    out.append(f"cairn: `{meta['cairn']}` ({meta.get('cairn_build') or 'unknown build type'}, "
               f"commit {meta['commit']}). Peers: {meta['sha256sum']}; {meta['openssl']}; "
               f"{meta['gzip']}; {meta['zstd']}.")
    out.append(f"Load average (1/5/15 min) before the run: {meta['load_before']}; after: "
               f"{meta.get('load_after', '?')}.")
    runc = os.path.join(args.dir, "runc-line")
    if os.path.exists(runc) and open(runc).read().strip():
        out.append("runc at server start: " + open(runc).read().strip().splitlines()[-1] + ".")
    out.append("")
    build_section(out, meta, rows, bars)
    import_section(out, meta, rows, bars)
    perf = os.path.join(args.dir, "perf.top")
    if os.path.exists(perf) and open(perf).read().strip():
        out.append("Where a gzip build spends the server's time (`perf record -p <server>`, "
                   "share of samples by library):")
        out.append("")
        out.append("```")
        out.extend(line.rstrip() for line in open(perf))
        out.append("```")
        out.append("")
    start_section(args.dir, out, meta, rows, bars)
    versions_section(args.dir, out, meta, bars)
    if bars:
        out.append("| bar | met | figure |")
        out.append("|---|---|---|")
        for what, ok, fig in bars:
            out.append(f"| {what} | {'yes' if ok else '**no**'} | {fig} |")
        out.append("")
    text = "\n".join(out)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    return 0 if all(ok for _, ok, _ in bars) else 1


if __name__ == "__main__":
    sys.exit(main())
