"""Content-addressed blobs with per-account access records.

A blob's id is derived from a hash of its bytes, so the same message uploaded twice is stored once.
Reading a blob always goes through the account's access record: knowing a blob id never grants access
to it from another account (RFC 8620 §6, and the security considerations of §8).

Since layout 7 the bytes are kept in the order they were stored (`blob_data`, under a sequence
number), and `blob_index` gives each blob id its number. Keyed by their hash, as before, a new
message's octets landed in a random leaf of a tree of large values: every delivery rewrote such a
leaf, often split it, and so freed pages all over the file, which later commits then wrote to; a
durable flush costs the more the more widely its pages lie (bench/sync_locality.py), and those
writes were the largest part of a delivery's commit on a large store (bench/RESULTS.md, "Receiving
mail"). Appended in order, the octets go to the end of one tree, and only a small index entry goes
to a random place. Blobs stored before layout 7 stay in `blobs`, where they are still read.
"""

from __future__ import annotations

import hashlib
import time

import lmdb

from . import keys
from .codec import decode, encode, u64
from .records import BlobRef
from .txn import ReadTxn, WriteTxn

BLOB_PREFIX = "B"
# The store-wide counter numbering blobs in the order they are stored.
SEQUENCE = "seq:blob"


def blob_id_for(data: bytes) -> str:
    return BLOB_PREFIX + hashlib.sha256(data).hexdigest()[:40]


def put_blob(txn: WriteTxn, account_id: str, data: bytes, content_type: str,
             blob_id: str | None = None) -> tuple[str, BlobRef]:
    """Store `data` once by content; `blob_id` is blob_id_for(data) when the caller has it already
    (hashing a large message costs as much as much of the rest of storing it)."""
    blob_id = blob_id or blob_id_for(data)
    key = blob_id.encode()
    dbs = txn.dbs
    if txn.txn.get(key, db=dbs["blob_index"]) is None and txn.txn.get(key, db=dbs["blobs"]) is None:
        number = u64(txn.bump("", SEQUENCE))
        txn.txn.put(number, data, db=dbs["blob_data"], append=True)
        txn.txn.put(key, number, db=dbs["blob_index"])
    ref = grant(txn, account_id, blob_id, len(data), content_type)
    return blob_id, ref


def grant(txn: WriteTxn, account_id: str, blob_id: str, size: int, content_type: str) -> BlobRef:
    """Give an account read access to an existing blob (uploads, Blob/copy, imports)."""
    existing = blob_ref(txn, account_id, blob_id)
    if existing is not None:
        return existing
    ref = BlobRef(size=size, type=content_type, created_at=int(time.time()))
    txn.txn.put(keys.blob_ref(account_id, blob_id), encode(ref), db=txn.dbs["blobrefs"])
    return ref


def blob_ref(txn: ReadTxn, account_id: str, blob_id: str) -> BlobRef | None:
    raw = txn.txn.get(keys.blob_ref(account_id, blob_id), db=txn.dbs["blobrefs"])
    return None if raw is None else decode(raw, BlobRef)


def read_blob(txn: ReadTxn, account_id: str, blob_id: str) -> bytes | memoryview | None:
    """The blob's bytes if this account may read it, else None (indistinguishable from absent).

    In a `store.read(buffers=True)` transaction, a memoryview into the map rather than a copy: a
    reader can then look at the first octets of a large message without the rest being read from
    disk, but must copy what it keeps before the transaction ends."""
    if blob_ref(txn, account_id, blob_id) is None:
        return None
    return blob_bytes(txn.txn, txn.dbs, blob_id)


def blob_bytes(txn: lmdb.Transaction, dbs: dict[str, object], blob_id: str) -> bytes | memoryview | None:
    """A blob's bytes, whoever may read them: for the store's own work (a layout step), never for
    an account's request (that is `read_blob`)."""
    key = blob_id.encode()
    number = txn.get(key, db=dbs["blob_index"])
    if number is not None:
        return txn.get(number, db=dbs["blob_data"])
    return txn.get(key, db=dbs["blobs"])
