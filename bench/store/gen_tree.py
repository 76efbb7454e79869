#!/usr/bin/env python3
"""Deterministic test trees for bench/store: the same seed gives the same bytes on any machine.

  gen_tree.py mix DIR --mb N [--seed S]        large incompressible files + many small ones
  gen_tree.py payload DIR --mb N [--seed S]    N MB of incompressible 8 MiB files (image payload)
  gen_tree.py versions DIR [--files N] [--seed S]             a tree of N files (version 1)
  gen_tree.py mutate DIR --version V [--count C] [--seed S]   rewrite C files for version V

Incompressible bytes come from AES-128-CTR over zeros (`openssl enc`, ~1 GB/s) keyed by the seed
and the file's name; small files from SHAKE-256 of the same. "Text" files are slices of a
seeded word salad (compresses about 3:1 with gzip, like source code or configuration).
"""
import argparse
import hashlib
import os
import random
import subprocess
import sys

MIB = 1 << 20
WORDS = ("the image store keeps every blob under its digest and a tag names one manifest at a "
         "time while the controller starts instances from a shared read only root so nothing is "
         "copied int return const std string value options error status result config layer "
         "manifest index json yaml service replicas health probe interval timeout port http "
         "listen router canary rolling revision history apply plan rollout").split()


def key_for(seed, name):
    return hashlib.sha256(f"{seed}:{name}".encode()).hexdigest()[:32]


def aes_stream(seed, name):
    """openssl writing AES-128-CTR of zeros forever; the caller reads what it needs, then kills."""
    return subprocess.Popen(
        ["openssl", "enc", "-aes-128-ctr", "-nosalt", "-K", key_for(seed, name),
         "-iv", "0" * 32, "-in", "/dev/zero"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def random_bytes(seed, name, size):
    return hashlib.shake_256(f"{seed}:{name}".encode()).digest(size)


def write_random_file(path, seed, name, size):
    """Writes `size` incompressible bytes: SHAKE-256 below 4 MiB, else AES-CTR in 4 MiB pieces."""
    with open(path, "wb") as f:
        if size < 4 * MIB:
            f.write(random_bytes(seed, name, size))
            return
        proc = aes_stream(seed, name)
        left = size
        while left > 0:
            b = proc.stdout.read(min(left, 4 * MIB))
            if not b:
                break
            f.write(b)
            left -= len(b)
        proc.kill()
        proc.wait()
        if left:
            sys.exit(f"gen_tree: openssl stopped {left} bytes short for {path}")


def text_corpus(seed):
    rng = random.Random(f"{seed}:corpus")
    words = rng.choices(WORDS, k=400_000)
    lines, line = [], []
    for w in words:
        line.append(w)
        if rng.random() < 0.1:
            lines.append(" " * (4 * rng.randrange(4)) + " ".join(line))
            line = []
    return ("\n".join(lines) + "\n").encode()


def cmd_mix(args):
    """80% of the bytes in 8 large random files, 20% in small files (1-64 KiB) under 20 dirs,
    half random, half text."""
    total = args.mb * MIB
    large_total = total * 8 // 10
    large_n = 8
    os.makedirs(args.dir, exist_ok=True)
    os.makedirs(os.path.join(args.dir, "large"), exist_ok=True)
    for i in range(large_n):
        name = f"large/blob-{i:02d}.bin"
        write_random_file(os.path.join(args.dir, name), args.seed, name, large_total // large_n)
    rng = random.Random(f"{args.seed}:small")
    corpus = text_corpus(args.seed)
    small_left, i = total - large_total, 0
    while small_left > 0:
        size = min(small_left, rng.randrange(1024, 64 * 1024))
        d = os.path.join(args.dir, f"small/d{i % 20:02d}")
        os.makedirs(d, exist_ok=True)
        if i % 2 == 0:
            name = f"small/d{i % 20:02d}/f{i:05d}.bin"
            data = random_bytes(args.seed, name, size)
        else:
            name = f"small/d{i % 20:02d}/f{i:05d}.txt"
            off = rng.randrange(0, len(corpus) - size)
            data = corpus[off:off + size]
        with open(os.path.join(args.dir, name), "wb") as f:
            f.write(data)
        small_left -= size
        i += 1


def cmd_payload(args):
    total = args.mb * MIB
    os.makedirs(args.dir, exist_ok=True)
    i = 0
    while total > 0:
        size = min(total, 8 * MIB)
        name = f"payload-{i:04d}.bin"
        write_random_file(os.path.join(args.dir, name), args.seed, name, size)
        total -= size
        i += 1


def version_file(seed, i, version):
    """File i's name and bytes at `version` (sizes 1-200 KiB, every third file text)."""
    rng = random.Random(f"{seed}:size:{i}")
    size = rng.randrange(1024, 200 * 1024)
    name = f"d{i % 10}/file-{i:04d}" + (".txt" if i % 3 == 0 else ".bin")
    return name, size


def cmd_versions(args):
    os.makedirs(args.dir, exist_ok=True)
    corpus = text_corpus(args.seed)
    for i in range(args.files):
        name, size = version_file(args.seed, i, 1)
        os.makedirs(os.path.join(args.dir, os.path.dirname(name)), exist_ok=True)
        write_version(args.dir, args.seed, corpus, name, size, 1)


def write_version(root, seed, corpus, name, size, version):
    if name.endswith(".txt"):
        off = random.Random(f"{seed}:{name}:{version}").randrange(0, len(corpus) - size)
        data = corpus[off:off + size]
    else:
        data = random_bytes(seed, f"{name}:{version}", size)
    with open(os.path.join(root, name), "wb") as f:
        f.write(data)


def cmd_mutate(args):
    """Rewrites `count` files chosen by the seed and the version (same size, new bytes)."""
    files = sum(1 for _, _, fs in os.walk(args.dir) for _ in fs)
    corpus = text_corpus(args.seed)
    rng = random.Random(f"{args.seed}:mutate:{args.version}")
    changed = 0
    for i in rng.sample(range(files), args.count):
        name, size = version_file(args.seed, i, args.version)
        write_version(args.dir, args.seed, corpus, name, size, args.version)
        changed += size
    print(changed)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("mix", "payload"):
        s = sub.add_parser(name)
        s.add_argument("dir")
        s.add_argument("--mb", type=int, required=True)
        s.add_argument("--seed", default="cairn-bench-store")
    s = sub.add_parser("versions")
    s.add_argument("dir")
    s.add_argument("--files", type=int, default=1000)
    s.add_argument("--seed", default="cairn-bench-store")
    s = sub.add_parser("mutate")
    s.add_argument("dir")
    s.add_argument("--version", type=int, required=True)
    s.add_argument("--count", type=int, default=10)
    s.add_argument("--seed", default="cairn-bench-store")
    args = p.parse_args()
    {"mix": cmd_mix, "payload": cmd_payload, "versions": cmd_versions,
     "mutate": cmd_mutate}[args.cmd](args)


if __name__ == "__main__":
    main()
