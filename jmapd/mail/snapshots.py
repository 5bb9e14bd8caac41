"""Putting an account back exactly as it was: a test server's reset between tests.

The store copies the account's key ranges out and back (store/snapshot.py); what the mail layer adds
is the search index, which lives outside the store: messages that left or changed are dropped from
it and the restored ones fed to it again, so a text search after a reset finds what the account holds.
Messages the same before and after (same id, same record) are left alone, so resetting to the same
seed again and again costs the index nothing.
"""

from __future__ import annotations

from store import Store, WriteTxn, feed
from store import keys
from store.snapshot import AccountSnapshot, restore, take

from .records import IndexEvent
from .writer import EMAIL, SEARCH_FEED


def snapshot_account(store: Store, account_id: str) -> AccountSnapshot:
    with store.read() as txn:
        return take(txn, account_id)


def _emails(txn, account_id: str) -> dict[str, bytes]:
    prefix = keys.prefix(account_id, EMAIL)
    out: dict[str, bytes] = {}
    with txn.txn.cursor(db=txn.dbs["records"]) as cur:
        if cur.set_range(prefix):
            for key, value in cur:
                if not key.startswith(prefix):
                    break
                out[key[len(prefix):].decode()] = value
    return out


def restore_account(txn: WriteTxn, snapshot: AccountSnapshot) -> None:
    account_id = snapshot.account_id
    before = _emails(txn, account_id)
    restore(txn, snapshot)
    after = _emails(txn, account_id)
    for email_id, record in before.items():
        if after.get(email_id) != record:
            feed.append(txn, SEARCH_FEED, IndexEvent(account_id, email_id, removed=True))
    for email_id, record in after.items():
        if before.get(email_id) != record:
            feed.append(txn, SEARCH_FEED, IndexEvent(account_id, email_id))
