"""What every command shares: the data-folder options, the store, reading a password."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from store import Store

from ..config import Config
from ..mail import envelopes  # noqa: F401  (provides the data layout step that renders ENVELOPEs)
from ..hints import jmapd_command


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


def data_folder(config: Config, *, create: bool) -> str:
    """The data folder, checked before the store opens it: a path that is not a folder, or a folder
    that cannot be written, is named with the fix rather than met as a traceback. Only `serve`
    creates a missing folder, and never its missing parents (a mistyped --data would otherwise
    silently become a new, empty server); so does `user add`, the usual first step of a setup."""
    path = config.data
    try:
        os.stat(path)
    except PermissionError:
        raise CommandError(f"the data folder {path} cannot be reached by this user: fix the permissions of "
                           "the folders above it, or choose another --data") from None
    except OSError:
        pass
    if os.path.exists(path) and not os.path.isdir(path):
        raise CommandError(f"the data folder {path} is a file, not a folder: give a folder with --data")
    if not os.path.exists(path):
        parent = os.path.dirname(os.path.abspath(path))
        if not create:
            raise CommandError(f"there is no data folder at {path}: check --data (the server creates its folder "
                               f"on first start: {jmapd_command()} serve --data {path})")
        if not os.path.isdir(parent):
            raise CommandError(f"the folder {parent} does not exist: create it first, or choose another --data")
        try:
            os.mkdir(path, 0o700)
        except OSError as exc:
            raise CommandError(f"cannot create the data folder {path} ({exc.strerror}): choose another --data "
                               "or fix the permissions of its parent") from None
    if not os.access(path, os.R_OK | os.W_OK | os.X_OK):
        raise CommandError(f"the data folder {path} is not writable by this user: fix its permissions "
                           "or choose another --data")
    return path


@contextmanager
def open_store(config: Config, *, create: bool = False) -> Iterator[Store]:
    data_folder(config, create=create)
    store = Store.open(config.data)
    try:
        yield store
    finally:
        store.close()


def read_password(given: str | None) -> str:
    """The password given, else one line of standard input, else asked for twice on the terminal.
    An empty one is refused: with standard input at /dev/null it would otherwise be set silently."""
    if given is not None:
        password = given
    elif not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("password: ")
        if password != getpass.getpass("again: "):
            raise CommandError("the two passwords differ: run the command again")
    if not password:
        raise CommandError("the password is empty: give one with --password, on standard input, "
                           "or at the prompt")
    return password
