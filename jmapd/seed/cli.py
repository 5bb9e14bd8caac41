"""Command line: ``jmapd seed --out DIR --count N ...``.

``main`` returns an exit status instead of exiting, so a parent command can
delegate to it and decide what to do with the status.
"""

from __future__ import annotations

import argparse
import sys
import time

from .model import SeedOptions
from .writers import FORMATS, write_dataset


_DEFAULTS = SeedOptions()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="jmapd seed",
        description="Write a deterministic benchmark mailbox (.eml files or mbox, plus manifests).",
    )
    p.add_argument("--out", required=True, help="output directory (must be empty or absent)")
    p.add_argument("--count", type=int, default=1000, help="number of messages (default 1000)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--format", choices=FORMATS, default="eml", help="eml files or one mbox per folder")
    p.add_argument(
        "--max-attachment-bytes",
        type=int,
        default=None,
        metavar="B",
        help="cap each attachment's decoded size; nothing else in the dataset changes",
    )
    p.add_argument("--start", default=_DEFAULTS.start, help="first day, RFC 3339 UTC (default %(default)s)")
    p.add_argument("--days", type=int, default=_DEFAULTS.days, help="days the mail spans (default %(default)s)")
    p.add_argument("--owner-name", default=_DEFAULTS.owner_name)
    p.add_argument("--owner-address", default=_DEFAULTS.owner_address)
    p.add_argument("--quiet", action="store_true", help="print nothing on success")
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:  # --help or a usage error; argparse has printed why
        return int(e.code or 0)
    if args.count < 0:
        print("jmapd seed: --count must be >= 0", file=sys.stderr)
        return 2
    options = SeedOptions(
        max_attachment_bytes=args.max_attachment_bytes,
        owner_name=args.owner_name,
        owner_address=args.owner_address,
        start=args.start,
        days=args.days,
    )
    t0 = time.perf_counter()
    try:
        summary = write_dataset(args.out, args.seed, args.count, args.format, options)
    except (FileExistsError, ValueError) as e:
        print(f"jmapd seed: {e}", file=sys.stderr)
        return 1
    dt = time.perf_counter() - t0
    if not args.quiet:
        rate = summary.count / dt if dt > 0 else 0.0
        print(
            f"wrote {summary.count} messages ({summary.total_bytes / 1e6:.1f} MB, {summary.threads} threads) "
            f"to {args.out} in {dt:.1f}s ({rate:.0f} msg/s)"
        )
        for m in summary.markers:
            print(f"  marker {m.word!r}: {m.messages} messages")
    return 0
