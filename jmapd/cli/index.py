"""`jmapd index rebuild`: the full-text index made again from the stored messages."""

from __future__ import annotations

import argparse

from ..config import Config
from .common import CommandError, command, open_store


def register(sub) -> None:
    index = sub.add_parser("index", help="manage the full-text index")
    index_sub = index.add_subparsers(dest="action", required=True)
    command(index_sub, "rebuild", rebuild, help="rebuild the index from the stored messages, beside the old one (server stopped)")


def rebuild(args: argparse.Namespace, config: Config) -> int:
    from index import IndexBusyError

    from ..workers.indexer import rebuild_index

    with open_store(config) as store:
        try:
            count = rebuild_index(store, config.data)
        except IndexBusyError:
            raise CommandError("the index is in use by a running server: stop the server first") from None
    print(f"indexed {count} emails")
    return 0
