"""An account's data copied out whole and put back whole.

Every database that holds per-account data keys it by the account id first (store/keys.py), so an
account is a set of contiguous key ranges: copying them out and writing them back restores the
account exactly, ids, states and counters included, at the cost of the bytes copied and nothing
else. A test server resets an account between tests this way; nothing else should, since states
go back in time (RFC 8620 §1.6.2 would have them only move forward for a real client).
"""

from __future__ import annotations

import msgspec

from . import keys
from .txn import ReadTxn, WriteTxn

# The databases whose keys start with `account id \0` (blobs themselves are shared by content).
ACCOUNT_DATABASES = ("records", "changes", "counters", "blobrefs", "msgids", "by_mailbox", "uids", "uid_of",
                     "uid_flags", "envelopes", "email_facts", "email_headers", "email_list_fields")


class AccountSnapshot(msgspec.Struct, frozen=True):
    account_id: str
    entries: dict[str, list[tuple[bytes, bytes]]]


def _prefix(account_id: str) -> bytes:
    return account_id.encode() + keys.SEP


def _range(txn: ReadTxn, db: str, prefix: bytes):
    with txn.txn.cursor(db=txn.dbs[db]) as cur:
        if not cur.set_range(prefix):
            return
        for key, value in cur:
            if not key.startswith(prefix):
                return
            yield key, value


def take(txn: ReadTxn, account_id: str) -> AccountSnapshot:
    prefix = _prefix(account_id)
    return AccountSnapshot(account_id, {db: list(_range(txn, db, prefix)) for db in ACCOUNT_DATABASES})


def record_ids(txn: ReadTxn, account_id: str, kind: str) -> list[str]:
    """The ids of one type's records, read from the keys alone."""
    prefix = keys.prefix(account_id, kind)
    with txn.txn.cursor(db=txn.dbs["records"]) as cur:
        if not cur.set_range(prefix):
            return []
        found = []
        for key in cur.iternext(keys=True, values=False):
            if not key.startswith(prefix):
                break
            found.append(key[len(prefix):].decode())
        return found


def restore(txn: WriteTxn, snapshot: AccountSnapshot) -> None:
    """Put the account back as it was when the snapshot was taken; push listeners hear of every
    type whose state the account has."""
    prefix = _prefix(snapshot.account_id)
    for db in ACCOUNT_DATABASES:
        handle = txn.dbs[db]
        stale = [key for key, _ in _range(txn, db, prefix)]
        for key in stale:
            txn.txn.delete(key, db=handle)
        for key, value in snapshot.entries[db]:
            txn.txn.put(key, value, db=handle)
    state = keys.counter(snapshot.account_id, "state:")
    for key, _ in snapshot.entries["counters"]:
        if key.startswith(state):
            txn.touched.add((snapshot.account_id, key[len(state):].decode()))
