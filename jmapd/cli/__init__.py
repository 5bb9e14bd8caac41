"""The `jmapd` command: one module per command group, each adding its parser and how it runs.

A command module offers `register(sub)`, which adds its subcommands with `set_defaults(run=...)`;
`run(args, config)` returns the exit status. Mistakes in how a command was called end with one line
on standard error and status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys

from store import SchemaError, StoreOpenError

from ..config import ConfigError, load
from . import addresses, imports, index, serve, sync, users
from . import dkim, queue
from .common import CommandError

COMMANDS = (serve, users, addresses, index, queue, dkim, imports, sync)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jmapd", description="An embedded JMAP mail server.")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(sub)
    seed = sub.add_parser("seed", help="write a deterministic benchmark mail dataset", add_help=False)
    seed.add_argument("args", nargs=argparse.REMAINDER)
    bench = sub.add_parser("bench", help="load-test any JMAP server with standard scenarios", add_help=False)
    bench.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # Subcommands with their own argument parsers.
    if argv[:1] == ["seed"]:
        from ..seed import main as seed_main

        return seed_main(argv[1:])
    if argv[:1] == ["bench"]:
        from ..loadgen import main as bench_main

        return bench_main(argv[1:])
    args = build_parser().parse_args(argv)
    # What jmapd creates (index segments, backups, logs of its own) is its user's alone.
    os.umask(0o077)
    try:
        config = load(args.config, {"data": args.data, **getattr(args, "overrides", lambda a: {})(args)})
        return args.run(args, config)
    except (ConfigError, SchemaError, StoreOpenError, CommandError) as exc:
        print(f"jmapd: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C at a prompt, or during a long command: nothing to explain
        print(file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
