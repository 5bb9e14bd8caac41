"""Users' push subscriptions (RFC 8620 §7.2): a push service URL the server POSTs StateChanges to.

They belong to a user, not to an account, so they are kept under one store-wide pseudo-account with
a change log of their own: whichever process creates or verifies a subscription, the process that
delivers pushes learns exactly which ones changed by reading that log, never by rescanning them all.
Keys are the user's name then the subscription's id, so one user's subscriptions are one range.
"""

from __future__ import annotations

from collections.abc import Iterator

import msgspec

from . import keys
from .codec import decode
from .records import Change
from .txn import ReadTxn, WriteTxn

OWNER = "~push"  # never an account id: those are "a" and hex digits
KIND = "PushSubscription"
_SEP = "\x00"


class PushKeys(msgspec.Struct, kw_only=True):
    """RFC 8291 keys, URL-safe base64 as the client sent them."""

    p256dh: str
    auth: str


class PushSubscriptionRecord(msgspec.Struct, kw_only=True):
    id: str
    user: str
    device_client_id: str
    url: str
    verification_code: str
    expires: int
    keys: PushKeys | None = None
    verified: bool = False
    types: list[str] | None = None
    created_at: int = 0
    # The credentials that created it ("password", "token:<id>"): only they see it, and it goes
    # when they are revoked (RFC 8620 §7.2).
    credential: str = ""


def _record_id(user: str, subscription_id: str) -> str:
    return user + _SEP + subscription_id


def new_id(txn: WriteTxn) -> str:
    return txn.new_id(OWNER, KIND, "P")


def put(txn: WriteTxn, record: PushSubscriptionRecord, *, created: bool) -> None:
    record_id = _record_id(record.user, record.id)
    if created:
        txn.create(OWNER, KIND, record_id, record)
    else:
        txn.update(OWNER, KIND, record_id, record)


def delete(txn: WriteTxn, user: str, subscription_id: str) -> None:
    """The URL and keys go with the record (RFC 8620 §7.2: erased as soon as possible)."""
    txn.destroy(OWNER, KIND, _record_id(user, subscription_id))


def destroy_for_credentials(txn: WriteTxn, user: str, revoked) -> int:
    """Destroy the user's subscriptions whose credentials `revoked(credential)` says are gone;
    returns how many."""
    doomed = [record.id for record in of_user(txn, user) if revoked(record.credential)]
    for subscription_id in doomed:
        delete(txn, user, subscription_id)
    return len(doomed)


def get(txn: ReadTxn, user: str, subscription_id: str) -> PushSubscriptionRecord | None:
    if _SEP in subscription_id:
        return None
    return txn.get(OWNER, KIND, _record_id(user, subscription_id), PushSubscriptionRecord)


def count_of_user(txn: ReadTxn, user: str) -> int:
    return sum(1 for _ in of_user(txn, user))


def of_user(txn: ReadTxn, user: str) -> Iterator[PushSubscriptionRecord]:
    """One user's subscriptions, without reading anyone else's."""
    prefix = keys.record(OWNER, KIND, user + _SEP)
    with txn.txn.cursor(db=txn.dbs["records"]) as cur:
        if not cur.set_range(prefix):
            return
        for key, value in cur:
            if not key.startswith(prefix):
                break
            yield decode(value, PushSubscriptionRecord)


def every(txn: ReadTxn) -> Iterator[PushSubscriptionRecord]:
    for _, record in txn.scan(OWNER, KIND, PushSubscriptionRecord):
        yield record


def state(txn: ReadTxn) -> int:
    return txn.state(OWNER, KIND)


def changed_since(txn: ReadTxn, modseq: int) -> Iterator[tuple[int, str, str, Change]]:
    """(modseq, user, subscription id, change) for each change after `modseq`, oldest first."""
    for seq, change in txn.changes_since(OWNER, KIND, modseq):
        user, _, subscription_id = change.id.partition(_SEP)
        yield seq, user, subscription_id, change
