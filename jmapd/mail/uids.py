"""IMAP UIDs: each mailbox's messages numbered in the order they entered it (RFC 9051 §2.3.1.1).

A message gets the mailbox's next UID whenever it enters a mailbox, by whatever path (delivery,
JMAP create, import, copy, move); leaving frees nothing, as UIDs are never reused. The numbering is
kept by the writer in the same transaction as the membership change, so it survives restarts and
every process sees the same numbers.

Three named databases hold it:

- `uids`:      account \\0 mailbox \\0 UID (4 bytes, big-endian)  ->  modseq (8) + savedate (8) + email id
- `uid_of`:    account \\0 mailbox \\0 email id                     ->  UID (4 bytes)
- `uid_flags`: account \\0 mailbox \\0 keyword \\0 UID (4 bytes)    ->  email id

and the counter `uidnext:<mailbox>` of each account holds the last UID given out there. The value
keeps the message's per-mailbox MODSEQ (RFC 7162: the modseq of its last flag or placement change)
and SAVEDATE (RFC 8514: when it entered the mailbox). Reading a mailbox's UIDs is one range scan
of that mailbox: nothing scans an account.

`uid_flags` lists, per mailbox and keyword, the UIDs of the messages that have it, with the
counters `kw:<mailbox>:<keyword>` (how many) and `size:<mailbox>` (the octets of its messages)
beside it: expunging reads only the messages flagged `$deleted`, STATUS UNSEEN, DELETED and SIZE
read a counter, and a search on flags reads the UIDs of the flag it names, never the records.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterable, Iterator
from itertools import takewhile

import msgspec

from store import ReadTxn, WriteTxn
from store.codec import from_u64, u64

UIDS, UID_OF, UID_FLAGS = "uids", "uid_of", "uid_flags"
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


def _flag_key(prefix: bytes, keyword: str, uid: bytes) -> bytes:
    return prefix + keyword.encode() + b"\x00" + uid


def _count(mailbox_id: str, keyword: str) -> str:
    return f"kw:{mailbox_id}:{keyword}"


def _size(mailbox_id: str) -> str:
    return "size:" + mailbox_id


def _flag(txn: WriteTxn, prefix: bytes, account_id: str, mailbox_id: str, uid: bytes, email_id: str,
          keywords: Iterable[str], sign: int) -> None:
    flags = txn.dbs[UID_FLAGS]
    for keyword in keywords:
        key = _flag_key(prefix, keyword, uid)
        if sign > 0:
            txn.txn.put(key, email_id.encode(), db=flags)
        else:
            txn.txn.delete(key, db=flags)
        txn.bump(account_id, _count(mailbox_id, keyword), sign)


def enter(txn: WriteTxn, account_id: str, email_id: str, mailboxes: Iterable[str], keywords: Iterable[str],
          size: int) -> None:
    """The message entered these mailboxes: each gives it its next UID."""
    modseq, now = _modseq(txn, account_id), int(time.time())
    uids, uid_of = txn.dbs[UIDS], txn.dbs[UID_OF]
    keywords = list(keywords)
    for mailbox_id in mailboxes:
        uid = txn.bump(account_id, "uidnext:" + mailbox_id).to_bytes(4, "big")
        prefix = _prefix(account_id, mailbox_id)
        txn.txn.put(prefix + uid, _value(modseq, now, email_id), db=uids)
        txn.txn.put(prefix + email_id.encode(), uid, db=uid_of)
        _flag(txn, prefix, account_id, mailbox_id, uid, email_id, keywords, +1)
        txn.bump(account_id, _size(mailbox_id), size)


def leave(txn: WriteTxn, account_id: str, email_id: str, mailboxes: Iterable[str], keywords: Iterable[str],
          size: int) -> None:
    """The message (with these keywords and size) left these mailboxes: its UIDs there are gone for good."""
    uids, uid_of = txn.dbs[UIDS], txn.dbs[UID_OF]
    keywords = list(keywords)
    for mailbox_id in mailboxes:
        prefix = _prefix(account_id, mailbox_id)
        raw = txn.txn.pop(prefix + email_id.encode(), db=uid_of)
        if raw is not None:
            uid = bytes(raw)
            txn.txn.delete(prefix + uid, db=uids)
            _flag(txn, prefix, account_id, mailbox_id, uid, email_id, keywords, -1)
            txn.bump(account_id, _size(mailbox_id), -size)


def touch(txn: WriteTxn, account_id: str, email_id: str, mailboxes: Iterable[str], old_keywords: Iterable[str],
          new_keywords: Iterable[str]) -> None:
    """The message's flags changed: its MODSEQ in each of its mailboxes becomes this change's, and
    the flag index follows its keywords."""
    modseq = _modseq(txn, account_id)
    uids, uid_of = txn.dbs[UIDS], txn.dbs[UID_OF]
    old, new = set(old_keywords), set(new_keywords)
    for mailbox_id in mailboxes:
        prefix = _prefix(account_id, mailbox_id)
        raw = txn.txn.get(prefix + email_id.encode(), db=uid_of)
        if raw is None:
            continue
        uid = bytes(raw)
        key = prefix + uid
        value = txn.txn.get(key, db=uids)
        if value is not None:
            txn.txn.put(key, u64(modseq) + bytes(value)[8:], db=uids)
        _flag(txn, prefix, account_id, mailbox_id, uid, email_id, sorted(old - new), -1)
        _flag(txn, prefix, account_id, mailbox_id, uid, email_id, sorted(new - old), +1)


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
    with txn.txn.cursor(db=txn.dbs[UIDS]) as cur:
        if not cur.set_range(prefix + min(first_uid, MAX_UID).to_bytes(4, "big")):
            return []
        keys = list(takewhile(_past(prefix, MAX_UID).__gt__, cur.iternext(keys=True, values=False)))
    number = int.from_bytes
    return [number(key[skip:], "big") for key in keys]


def entry(txn: ReadTxn, account_id: str, mailbox_id: str, uid: int) -> UidEntry | None:
    prefix = _prefix(account_id, mailbox_id)
    value = txn.txn.get(prefix + uid.to_bytes(4, "big"), db=txn.dbs[UIDS])
    return None if value is None else UidEntry(uid, bytes(value[16:]).decode(), from_u64(value[:8]),
                                                from_u64(value[8:16]))


def _past(prefix: bytes, uid: int) -> bytes:
    """The smallest key beyond `prefix` + every UID up to `uid`."""
    return prefix + (uid + 1).to_bytes(4, "big") if uid < MAX_UID else prefix + b"\xff" * 5


def walk(txn: ReadTxn, account_id: str, mailbox_id: str, wanted: list[int]) -> list[tuple[int, bytes, bytes]]:
    """(UID, email id as bytes, stored value) of those of the `wanted` UIDs (ascending) that the
    mailbox has, in order; `modseq_of` and `saved_at_of` read the value. A set that covers most of
    its span (a range such as 1:*) is read by walking a cursor along it; a sparse one by looking
    each UID up."""
    if not wanted:
        return []
    prefix = _prefix(account_id, mailbox_id)
    skip = len(prefix)
    number = int.from_bytes
    with txn.txn.cursor(db=txn.dbs[UIDS]) as cur:
        if wanted[-1] - wanted[0] + 1 > 2 * len(wanted):
            rows = cur.getmulti([prefix + uid.to_bytes(4, "big") for uid in wanted])
        elif cur.set_range(prefix + wanted[0].to_bytes(4, "big")):
            # (end,) > (key, value) exactly when key < end: the scan stops at the range's end, in C.
            rows = list(takewhile((_past(prefix, wanted[-1]),).__gt__, cur.iternext()))
        else:
            return []
    out = [(number(key[skip:], "big"), value[16:], value) for key, value in rows]
    if wanted[-1] - wanted[0] + 1 != len(wanted):  # not every UID of the span asked for
        asked = set(wanted)
        out = [row for row in out if row[0] in asked]
    return out


def modseq_of(value: bytes) -> int:
    return from_u64(value[:8])


def saved_at_of(value: bytes) -> int:
    return from_u64(value[8:16])


def uid_of(txn: ReadTxn, account_id: str, mailbox_id: str, email_id: str) -> int | None:
    raw = txn.txn.get(_prefix(account_id, mailbox_id) + email_id.encode(), db=txn.dbs[UID_OF])
    return None if raw is None else int.from_bytes(raw, "big")


# -- the flag index --------------------------------------------------------------------------------
def flagged(txn: ReadTxn, account_id: str, mailbox_id: str, keyword: str) -> Iterator[tuple[int, str]]:
    """(UID, email id) of the mailbox's messages with this keyword, in UID order: a range scan of
    those messages only."""
    prefix = _flag_key(_prefix(account_id, mailbox_id), keyword, b"")
    skip = len(prefix)
    with txn.txn.cursor(db=txn.dbs[UID_FLAGS]) as cur:
        if not cur.set_range(prefix):
            return
        for key, value in cur:
            if not key.startswith(prefix):
                return
            yield int.from_bytes(key[skip:skip + 4], "big"), bytes(value).decode()


def flagged_uids(txn: ReadTxn, account_id: str, mailbox_id: str, keyword: str) -> list[int]:
    """Only the UIDs of `flagged`, decoded from the keys alone."""
    prefix = _flag_key(_prefix(account_id, mailbox_id), keyword, b"")
    skip = len(prefix)
    out: list[int] = []
    with txn.txn.cursor(db=txn.dbs[UID_FLAGS]) as cur:
        if not cur.set_range(prefix):
            return out
        for key in cur.iternext(keys=True, values=False):
            if not key.startswith(prefix):
                break
            out.append(int.from_bytes(key[skip:skip + 4], "big"))
    return out


def keywords_in(txn: ReadTxn, account_id: str, mailbox_id: str, low: int, high: int) -> dict[int, tuple[str, ...]]:
    """The keywords of the mailbox's messages with UIDs from `low` to `high`, by UID (a message
    without any is left out), in sorted order as the Email record keeps them: for each keyword the
    mailbox has, one range scan of that keyword's UIDs, never a record."""
    prefix = _prefix(account_id, mailbox_id)
    start = low.to_bytes(4, "big")
    number = int.from_bytes
    out: dict[int, tuple[str, ...]] = {}
    with txn.txn.cursor(db=txn.dbs[UID_FLAGS]) as cur:
        found = cur.set_range(prefix)
        while found:
            key = cur.key()
            if not key.startswith(prefix):
                break
            name = key[len(prefix):key.index(b"\x00", len(prefix))]
            own = prefix + name + b"\x00"
            skip, keys = len(own), []
            if cur.set_range(own + start):
                keys = list(takewhile(_past(own, high).__gt__, cur.iternext(keys=True, values=False)))
            keyword, get = (name.decode(),), out.get
            for key in keys:  # keywords come in sorted order: each is added after the earlier ones
                uid = number(key[skip:], "big")
                out[uid] = get(uid, ()) + keyword
            found = cur.set_range(own[:-1] + b"\x01")
    return out


def has_flag(txn: ReadTxn, account_id: str, mailbox_id: str, keyword: str, uid: int) -> bool:
    key = _flag_key(_prefix(account_id, mailbox_id), keyword, uid.to_bytes(4, "big"))
    return txn.txn.get(key, db=txn.dbs[UID_FLAGS]) is not None


def flag_count(txn: ReadTxn, account_id: str, mailbox_id: str, keyword: str) -> int:
    """How many of the mailbox's messages have this keyword (a counter, not a scan)."""
    return txn.counter(account_id, _count(mailbox_id, keyword))


def mailbox_size(txn: ReadTxn, account_id: str, mailbox_id: str) -> int:
    """The octets of the mailbox's messages (RFC 8438 STATUS SIZE), a counter."""
    return txn.counter(account_id, _size(mailbox_id))
