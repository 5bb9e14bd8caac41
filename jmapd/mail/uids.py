"""IMAP UIDs: each mailbox's messages numbered in the order they entered it (RFC 9051 §2.3.1.1).

A message gets the mailbox's next UID whenever it enters a mailbox, by whatever path (delivery,
JMAP create, import, copy, move); leaving frees nothing, as UIDs are never reused. The numbering is
kept by the writer in the same transaction as the membership change, so it survives restarts and
every process sees the same numbers.

Two named databases hold it:

- `uids`:   account \\0 mailbox \\0 UID (4 bytes, big-endian)  ->  modseq (8) + savedate (8) + email id
- `uid_of`: account \\0 mailbox \\0 email id                     ->  UID (4 bytes)

and the counter `uidnext:<mailbox>` of each account holds the last UID given out there. The value
keeps the message's per-mailbox MODSEQ (RFC 7162: the modseq of its last flag or placement change)
and SAVEDATE (RFC 8514: when it entered the mailbox). Reading a mailbox's UIDs is one range scan
of that mailbox: nothing scans an account.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterable, Iterator

import msgspec

from store import ReadTxn, WriteTxn
from store.codec import from_u64, u64

UIDS, UID_OF = "uids", "uid_of"
MAX_UID = 0xFFFFFFFF


class UidEntry(msgspec.Struct, frozen=True):
    """A message as one mailbox numbers it."""

    uid: int
    email_id: str
    modseq: int
    saved_at: int


def _prefix(account_id: str, mailbox_id: str) -> bytes:
    return b"%s\x00%s\x00" % (account_id.encode(), mailbox_id.encode())


def uid_validity(account_id: str, mailbox_id: str) -> int:
    """UIDVALIDITY: fixed for a mailbox id, and mailbox ids are never reused, so a mailbox deleted
    and created again under the same name gets (with overwhelming likelihood) another value."""
    return zlib.crc32(b"%s\x00%s" % (account_id.encode(), mailbox_id.encode())) or 1


def uid_next(txn: ReadTxn, account_id: str, mailbox_id: str) -> int:
    return txn.counter(account_id, "uidnext:" + mailbox_id) + 1


def _value(modseq: int, saved_at: int, email_id: str) -> bytes:
    return u64(modseq) + u64(saved_at) + email_id.encode()


def _entry(key: bytes, value: bytes, skip: int) -> UidEntry:
    return UidEntry(int.from_bytes(key[skip:skip + 4], "big"), value[16:].decode(), from_u64(value[:8]),
                    from_u64(value[8:16]))


# -- the writer's side -----------------------------------------------------------------------------
def _modseq(txn: WriteTxn, account_id: str) -> int:
    return txn.counter(account_id, "modseq")


def enter(txn: WriteTxn, account_id: str, email_id: str, mailboxes: Iterable[str]) -> None:
    """The message entered these mailboxes: each gives it its next UID."""
    modseq, now = _modseq(txn, account_id), int(time.time())
    uids, uid_of = txn.dbs[UIDS], txn.dbs[UID_OF]
    for mailbox_id in mailboxes:
        uid = txn.bump(account_id, "uidnext:" + mailbox_id)
        prefix = _prefix(account_id, mailbox_id)
        txn.txn.put(prefix + uid.to_bytes(4, "big"), _value(modseq, now, email_id), db=uids)
        txn.txn.put(prefix + email_id.encode(), uid.to_bytes(4, "big"), db=uid_of)


def leave(txn: WriteTxn, account_id: str, email_id: str, mailboxes: Iterable[str]) -> None:
    """The message left these mailboxes: its UIDs there are gone for good."""
    uids, uid_of = txn.dbs[UIDS], txn.dbs[UID_OF]
    for mailbox_id in mailboxes:
        prefix = _prefix(account_id, mailbox_id)
        raw = txn.txn.pop(prefix + email_id.encode(), db=uid_of)
        if raw is not None:
            txn.txn.delete(prefix + bytes(raw), db=uids)


def touch(txn: WriteTxn, account_id: str, email_id: str, mailboxes: Iterable[str]) -> None:
    """The message's flags changed: its MODSEQ in each of its mailboxes becomes this change's."""
    modseq = _modseq(txn, account_id)
    uids, uid_of = txn.dbs[UIDS], txn.dbs[UID_OF]
    for mailbox_id in mailboxes:
        prefix = _prefix(account_id, mailbox_id)
        raw = txn.txn.get(prefix + email_id.encode(), db=uid_of)
        if raw is None:
            continue
        key = prefix + bytes(raw)
        old = txn.txn.get(key, db=uids)
        if old is not None:
            txn.txn.put(key, u64(modseq) + bytes(old)[8:], db=uids)


# -- readers ---------------------------------------------------------------------------------------
def entries(txn: ReadTxn, account_id: str, mailbox_id: str, first_uid: int = 1) -> Iterator[UidEntry]:
    """A mailbox's messages in UID order, from `first_uid`."""
    prefix = _prefix(account_id, mailbox_id)
    skip = len(prefix)
    with txn.txn.cursor(db=txn.dbs[UIDS]) as cur:
        if not cur.set_range(prefix + min(first_uid, MAX_UID).to_bytes(4, "big")):
            return
        for key, value in cur:
            if not key.startswith(prefix):
                return
            yield _entry(key, value, skip)


def uid_list(txn: ReadTxn, account_id: str, mailbox_id: str, first_uid: int = 1) -> list[int]:
    """Only the UIDs (from `first_uid`): what a selected mailbox keeps, decoded from keys alone."""
    prefix = _prefix(account_id, mailbox_id)
    skip = len(prefix)
    out: list[int] = []
    with txn.txn.cursor(db=txn.dbs[UIDS]) as cur:
        if not cur.set_range(prefix + min(first_uid, MAX_UID).to_bytes(4, "big")):
            return out
        for key in cur.iternext(keys=True, values=False):
            if not key.startswith(prefix):
                break
            out.append(int.from_bytes(key[skip:skip + 4], "big"))
    return out


def entry(txn: ReadTxn, account_id: str, mailbox_id: str, uid: int) -> UidEntry | None:
    prefix = _prefix(account_id, mailbox_id)
    value = txn.txn.get(prefix + uid.to_bytes(4, "big"), db=txn.dbs[UIDS])
    return None if value is None else UidEntry(uid, bytes(value[16:]).decode(), from_u64(value[:8]),
                                                from_u64(value[8:16]))


def uid_of(txn: ReadTxn, account_id: str, mailbox_id: str, email_id: str) -> int | None:
    raw = txn.txn.get(_prefix(account_id, mailbox_id) + email_id.encode(), db=txn.dbs[UID_OF])
    return None if raw is None else int.from_bytes(raw, "big")
