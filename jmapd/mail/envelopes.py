"""What never changes about an Email, rendered once when it is written: its ENVELOPE (the
structure of its header fields that `jmapd.mime.envelope` writes, RFC 9051 §7.5.2), its size and
its receivedAt. Not the SMTP envelope of a submission.

Messages are immutable, so these are written by the writer in the transaction that creates the
Email (every path ends in `writer.insert_email`) and deleted in the one that destroys it; a
mailbox's initial sync then reads one small value per message instead of decoding its record and
building the structure again.

One named database, `envelopes`: account \\0 email id -> received_at (8 bytes) + size (8) + the
length of the 7-bit form (4) + the 7-bit form + the UTF-8 form where it differs (only when a
name, subject or address has non-ASCII text), else nothing. Both forms are `jmapd.mime.envelope`'s.

An older data folder gets the entries by the layout 6 step, `fill`, in transactions of BATCH
Emails, so its memory stays bounded whatever the folder's size.
"""

from __future__ import annotations

import lmdb

from store import ReadTxn, WriteTxn, schema
from store.codec import decode, from_u64, u64

from ..mime.envelope import envelope
from ..mime.summary import EmailSummary
from .records import EmailRecord

ENVELOPES = "envelopes"
BATCH = 2000


def _key(account_id: str, email_id: str) -> bytes:
    return b"%s\x00%s" % (account_id.encode(), email_id.encode())


def render(summary: EmailSummary, size: int, received_at: int) -> bytes:
    """The stored value."""
    plain = envelope(summary, False)
    wide = envelope(summary, True)
    return u64(received_at) + u64(size) + len(plain).to_bytes(4, "big") + plain + (b"" if wide == plain else wide)


def envelopes_of(values: list[bytes], utf8: bool) -> list[bytes]:
    """The ENVELOPEs of stored values, in the form asked for."""
    plain = [value[20:20 + int.from_bytes(value[16:20], "big")] for value in values]
    if not utf8:
        return plain
    return [value[20 + len(form):] or form for value, form in zip(values, plain)]


def received_at_of(value: bytes) -> int:
    return from_u64(value[:8])


def size_of(value: bytes) -> int:
    return from_u64(value[8:16])


# -- the writer's side -----------------------------------------------------------------------------
def keep(txn: WriteTxn, account_id: str, email_id: str, record: EmailRecord) -> None:
    txn.txn.put(_key(account_id, email_id), render(record.summary, record.size, record.received_at),
                db=txn.dbs[ENVELOPES])


def drop(txn: WriteTxn, account_id: str, email_id: str) -> None:
    txn.txn.delete(_key(account_id, email_id), db=txn.dbs[ENVELOPES])


# -- readers ---------------------------------------------------------------------------------------
def read(txn: ReadTxn, account_id: str, email_id: str) -> bytes | None:
    return txn.txn.get(_key(account_id, email_id), db=txn.dbs[ENVELOPES])


def read_many(txn: ReadTxn, account_id: str, email_ids: list[bytes]) -> list[bytes | None]:
    """The stored values of many Emails (ids as bytes), in their order; None for one without."""
    prefix = account_id.encode() + b"\x00"
    with txn.txn.cursor(db=txn.dbs[ENVELOPES]) as cur:
        found = cur.getmulti([prefix + email_id for email_id in email_ids])
    if len(found) == len(email_ids):
        return [value for _, value in found]
    skip = len(prefix)
    by_id = {key[skip:]: value for key, value in found}
    return [by_id.get(email_id) for email_id in email_ids]


# -- layout 6: entries for the Emails an older folder holds ----------------------------------------
def fill(txn: lmdb.Transaction, dbs: dict[str, object], after: bytes | None) -> bytes | None:
    """Write the entries of up to BATCH Emails whose record keys follow `after`; return the last key
    done, or None once every Email has its entry."""
    done = 0
    envelopes = dbs[ENVELOPES]
    with txn.cursor(db=dbs["records"]) as cur:
        found = cur.set_range(after + b"\x00") if after is not None else cur.first()
        while found:
            key = cur.key()
            account, _, rest = key.partition(b"\x00")
            if rest.startswith(b"Email\x00"):
                record = decode(cur.value(), EmailRecord)
                txn.put(account + b"\x00" + rest[6:], render(record.summary, record.size, record.received_at),
                        db=envelopes)
                done += 1
                if done == BATCH:
                    return key
            found = cur.next()
    return None


schema.provide(schema.Migration(5, "each Email's ENVELOPE, size and receivedAt kept beside its record", fill,
                                batched=True))
