"""Blob ids as clients see them: uploaded or stored blobs, and the parts of stored messages.

A part of a message is addressed as `<message blob id>_<partId>` and is readable exactly when its
message is (RFC 8621 §4.1.4 gives every body part a blobId).
"""

from __future__ import annotations

from store import ReadTxn
from store.blobs import read_blob

from .mime import parse_message, split_part_blob_id


def read_blob_any(txn: ReadTxn, account_id: str, blob_id: str) -> bytes | None:
    data = read_blob(txn, account_id, blob_id)
    parts = split_part_blob_id(blob_id) if data is None else None
    if parts is None:
        return data
    message_id, part_id = parts
    message = read_blob(txn, account_id, message_id)
    if message is None:
        return None
    part = parse_message(message, message_id).part_content(part_id)
    return None if part is None else part[0]
