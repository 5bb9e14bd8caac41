"""What a durable commit's disk flush costs on this machine, by how widely its pages lie in the file.

    .venv/bin/python bench/sync_locality.py [--dir DIR] [--file-mb 615] [--pages 60] [--rounds 40]

An LMDB commit writes every page it changed to a new place (copy on write) and then flushes them
(fdatasync). On a large store, a delivery changes pages all over the file: the leaves its
content-hashed blob, blob reference, Message-ID and delivery mark land in are anywhere. This writes
--pages pages of 4 KB at random places within the first 14 MB of a file of --file-mb MB, at random
places within all of it, and side by side, and times the fdatasync after each batch (median ms).
Prints one JSON object. The file (in --dir, default the current folder) is deleted afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time

PAGE = 4096


def flush_ms(fd: int, pages: list[int]) -> float:
    for page in sorted(pages):
        os.pwrite(fd, b"\2" * PAGE, page * PAGE)
    started = time.perf_counter()
    os.fdatasync(fd)
    return (time.perf_counter() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", default=".")
    parser.add_argument("--file-mb", type=int, default=615, help="the size of the 100,000-message store")
    parser.add_argument("--pages", type=int, default=60, help="about what one delivery's commit writes")
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    path = os.path.join(args.dir, "sync-locality.tmp")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for mb in range(args.file_mb):  # written, not sparse: as a store's file is
            os.pwrite(fd, b"\1" * (1 << 20), mb << 20)
        os.fsync(fd)
        total = (args.file_mb << 20) // PAGE
        rng = random.Random(1)
        shapes = {
            "random_in_14_mb": lambda: rng.sample(range((14 << 20) // PAGE), args.pages),
            f"random_in_{args.file_mb}_mb": lambda: rng.sample(range(total), args.pages),
            "side_by_side": lambda: list(range(start := rng.randrange(total - args.pages), start + args.pages)),
        }
        report = {"pages": args.pages, "file_mb": args.file_mb, "load_average_before": os.getloadavg()}
        for name, shape in shapes.items():
            report[name + "_ms"] = round(statistics.median(flush_ms(fd, shape()) for _ in range(args.rounds)), 2)
        report["load_average_after"] = os.getloadavg()
    finally:
        os.close(fd)
        os.unlink(path)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
