"""What every command shares: the data-folder options, the store, reading a password."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from store import Store

from ..config import Config


class CommandError(Exception):
    """A mistake in how a command was called: one line, exit status 2."""


def common_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", help="data folder (default ./data, or `data` in jmapd.toml, or $JMAPD_DATA)")
    p.add_argument("--config", help="TOML configuration file (default ./jmapd.toml if present)")


def command(sub, name: str, run: Callable[[argparse.Namespace, Config], int], **kwargs) -> argparse.ArgumentParser:
    """A subcommand with the common options, run by `run(args, config)`."""
    parser = sub.add_parser(name, **kwargs)
    common_options(parser)
    parser.set_defaults(run=run)
    return parser


@contextmanager
def open_store(config: Config) -> Iterator[Store]:
    store = Store.open(config.data)
    try:
        yield store
    finally:
        store.close()


def read_password(given: str | None) -> str:
    if given:
        return given
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise SystemExit("jmapd: the passwords differ")
    return first
