"""Append-only, store-wide feeds that background workers follow (e.g. the search indexer).

Change logs are per account; a worker that serves every account needs one global order instead. An
entry is appended in the same transaction as the change it announces, so a worker that records the
last sequence number it finished can always resume exactly after a crash.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

from .codec import decode, encode, from_u64, u64
from .txn import ReadTxn, WriteTxn

T = TypeVar("T")


def _key(feed: str, seq: int) -> bytes:
    return feed.encode() + b"\x00" + u64(seq)


def append(txn: WriteTxn, feed: str, entry: object) -> int:
    seq = txn.bump("", "feed:" + feed)
    txn.txn.put(_key(feed, seq), encode(entry), db=txn.dbs["feeds"])
    txn.touched.add(("", "feed:" + feed))
    return seq


def last(txn: ReadTxn, feed: str) -> int:
    return txn.counter("", "feed:" + feed)


def since(txn: ReadTxn, feed: str, after: int, entry_type: type[T], limit: int) -> Iterator[tuple[int, T]]:
    prefix = feed.encode() + b"\x00"
    with txn.txn.cursor(db=txn.dbs["feeds"]) as cur:
        if not cur.set_range(_key(feed, after + 1)):
            return
        for n, (key, value) in enumerate(cur):
            if n >= limit or not key.startswith(prefix):
                return
            yield from_u64(key[len(prefix):]), decode(value, entry_type)


def trim(txn: WriteTxn, feed: str, upto: int) -> None:
    """Forget entries every follower has finished with."""
    prefix = feed.encode() + b"\x00"
    with txn.txn.cursor(db=txn.dbs["feeds"]) as cur:
        if not cur.set_range(prefix):
            return
        while cur.key().startswith(prefix) and from_u64(cur.key()[len(prefix):]) <= upto:
            if not cur.delete():
                break
