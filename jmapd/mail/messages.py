"""Blob ids as clients see them: uploaded or stored blobs, and the parts of stored messages.

A part of a message is addressed as `<message blob id>_<partId>` and is readable exactly when its
message is (RFC 8621 §4.1.4 gives every body part a blobId).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from store import ReadTxn
from store.blobs import blob_ref, read_blob

from ..mime import Message, parse_message, split_part_blob_id


class ParsedMessages:
    """Recently parsed stored messages, by blob id.

    Opening a conversation, its snippets, a header filter and an attachment download all parse
    the same few messages again and again. A blob id is a hash of the blob's bytes, so a parse
    never goes stale, whichever account or store it came from; only access is checked each time.
    Bounded by the bytes of the messages held; a message larger than an eighth of that is parsed
    every time rather than evicting everything else.
    """

    def __init__(self, max_bytes: int = 32 * 1024 * 1024):
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._items: OrderedDict[str, Message] = OrderedDict()
        self._bytes = 0

    def get(self, blob_id: str) -> Message | None:
        with self._lock:
            message = self._items.get(blob_id)
            if message is not None:
                self._items.move_to_end(blob_id)
            return message

    def put(self, message: Message) -> None:
        size = len(message.raw)
        if size > self.max_bytes // 8:
            return
        with self._lock:
            if message.blob_id in self._items:
                return
            self._items[message.blob_id] = message
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped.raw)


_PARSED = ParsedMessages()


def stored_message(txn: ReadTxn, account_id: str, blob_id: str) -> Message:
    """The parsed message of a blob this account may read; an empty message if it may not (or the
    blob is gone), which is what a broken record shows rather than failing the whole request."""
    if blob_ref(txn, account_id, blob_id) is None:
        return parse_message(b"", blob_id)
    message = _PARSED.get(blob_id)
    if message is None:
        message = parse_message(read_blob(txn, account_id, blob_id) or b"", blob_id)
        _PARSED.put(message)
    return message


def read_blob_any(txn: ReadTxn, account_id: str, blob_id: str) -> bytes | None:
    data = read_blob(txn, account_id, blob_id)
    parts = split_part_blob_id(blob_id) if data is None else None
    if parts is None:
        return data
    message_id, part_id = parts
    if blob_ref(txn, account_id, message_id) is None:
        return None
    part = stored_message(txn, account_id, message_id).part_content(part_id)
    return None if part is None else part[0]
