"""Records kept only for a while, and their removal.

A delivery's mark against duplicates matters for a week, a vacation response's note of whom it
answered for its period, a finished EmailSubmission for as long as the server keeps them (RFC 8621
§7 lets it delete them). Left alone, each grows with every message an account ever received or sent.
So each is entered, when written, in one server-wide index ordered by the time it may go, and
`prune` walks that index from its oldest end: its cost is what has expired, never the size of an
account.

The module that writes a kind of record says how to remove it (`removes`), and its remover checks
the record once more before it goes: a record written again since (a sender answered again after
the period) has a later entry of its own and is left for that one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import msgspec

from store import WriteTxn

from .addresses import SERVER

EXPIRY = "Expiry"  # server-wide: "<time, hex>.<digest>" -> what goes then

#: A remover: (transaction, account id, record id, now); it removes the record if it is still due.
Remover = Callable[[WriteTxn, str, str, int], None]
_REMOVERS: dict[str, Remover] = {}


class _Due(msgspec.Struct, array_like=True):
    account_id: str
    kind: str
    record_id: str


def removes(kind: str) -> Callable[[Remover], Remover]:
    """Register how records of `kind` are removed once their time has come."""

    def register(remover: Remover) -> Remover:
        _REMOVERS[kind] = remover
        return remover

    return register


def removes_once_older(kind: str, record_type: type, keep_for: int) -> None:
    """Register the usual remover: an unlogged record with an `at` time goes once it is `keep_for`
    seconds old (one written again since is younger, and stays)."""

    def remover(txn: WriteTxn, account_id: str, record_id: str, now: int) -> None:
        record = txn.get(account_id, kind, record_id, record_type)
        if record is not None and now - record.at >= keep_for:
            txn.delete_unlogged(account_id, kind, record_id)

    removes(kind)(remover)


def expire_at(txn: WriteTxn, when: int, account_id: str, kind: str, record_id: str) -> None:
    """Have the record looked at for removal at `when` (seconds since the epoch)."""
    digest = hashlib.blake2b(f"{account_id}\0{kind}\0{record_id}".encode(), digest_size=8).hexdigest()
    txn.put_unlogged(SERVER, EXPIRY, f"{max(when, 0):012x}.{digest}", _Due(account_id, kind, record_id))


def prune(txn: WriteTxn, *, now: int, limit: int = 500) -> int:
    """Look at up to `limit` records whose time has come, removing those still due; returns how
    many were looked at (fewer than `limit`: nothing more is due)."""
    from . import delivery, submissions, vacation  # noqa: F401  (each registers its remover)

    done: list[str] = []
    for key, due in txn.scan(SERVER, EXPIRY, _Due):
        if int(key.partition(".")[0], 16) > now or len(done) >= limit:
            break
        remover = _REMOVERS.get(due.kind)
        if remover is not None:
            remover(txn, due.account_id, due.record_id, now)
        done.append(key)
    for key in done:
        txn.delete_unlogged(SERVER, EXPIRY, key)
    return len(done)
