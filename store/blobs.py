"""Content-addressed blobs with per-account access records.

A blob's id is derived from a hash of its bytes, so the same message uploaded twice is stored once.
Reading a blob always goes through the account's access record: knowing a blob id never grants access
to it from another account (RFC 8620 §6, and the security considerations of §8).
"""

from __future__ import annotations

import hashlib
import time

from . import keys
from .codec import decode, encode
from .records import BlobRef
from .txn import ReadTxn, WriteTxn

BLOB_PREFIX = "B"


def blob_id_for(data: bytes) -> str:
    return BLOB_PREFIX + hashlib.sha256(data).hexdigest()[:40]


def put_blob(txn: WriteTxn, account_id: str, data: bytes, content_type: str,
             blob_id: str | None = None) -> tuple[str, BlobRef]:
    """Store `data` once by content; `blob_id` is blob_id_for(data) when the caller has it already
    (hashing a large message costs as much as much of the rest of storing it)."""
    blob_id = blob_id or blob_id_for(data)
    db = txn.dbs["blobs"]
    if txn.txn.get(blob_id.encode(), db=db) is None:
        txn.txn.put(blob_id.encode(), data, db=db)
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
    return txn.txn.get(blob_id.encode(), db=txn.dbs["blobs"])
