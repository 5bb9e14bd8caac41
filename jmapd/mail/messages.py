"""Blob ids as clients see them: uploaded or stored blobs, and the parts of stored messages.

A part of a message is addressed as `<message blob id>_<partId>` and is readable exactly when its
message is (RFC 8621 §4.1.4 gives every body part a blobId).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from store import ReadTxn
from store.blobs import blob_ref, read_blob

from ..mime import Message, parse_message, split_part_blob_id
from ..mime.message import top_header
from . import envelopes


# What a parsed message costs in memory beyond its octets, measured with tracemalloc on the corpus
# and on messages of many small parts: each part's Part object, header list and decoded-text cache.
PART_COST = 1200
MESSAGE_COST = 4096  # the Message, its header index and its caches' own dicts
TEXT_COST_FACTOR = 3  # decoded text kept for body parts, as str, can take several times the octets


def parsed_cost(message: Message) -> int:
    """Bytes a parsed message may hold once its views are computed: its octets, a multiple of them
    for decoded text, and a fixed cost per MIME part (a 4 MB message of 100,000 parts holds
    ~120 MB of Part objects, not 4 MB)."""
    parts = 0
    stack = [message.root]
    while stack:
        part = stack.pop()
        parts += 1
        if part.children is not None:
            stack.extend(part.children)
    return MESSAGE_COST + len(message.raw) * TEXT_COST_FACTOR + parts * PART_COST


class ParsedMessages:
    """Recently parsed stored messages, by blob id.

    Opening a conversation, its snippets, a header filter and an attachment download all parse
    the same few messages again and again. A blob id is a hash of the blob's bytes, so a parse
    never goes stale, whichever account or store it came from; only access is checked each time.
    Bounded by what the parsed messages cost in memory (`parsed_cost`), not by their octets; a
    message costing more than an eighth of that is parsed every time rather than evicting
    everything else.
    """

    def __init__(self, max_bytes: int = 32 * 1024 * 1024):
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._items: OrderedDict[str, tuple[Message, int]] = OrderedDict()
        self._bytes = 0

    def get(self, blob_id: str) -> Message | None:
        with self._lock:
            held = self._items.get(blob_id)
            if held is None:
                return None
            self._items.move_to_end(blob_id)
            return held[0]

    def put(self, message: Message) -> None:
        if len(message.raw) * TEXT_COST_FACTOR > self.max_bytes // 8:
            return
        cost = parsed_cost(message)
        if cost > self.max_bytes // 8:
            return
        with self._lock:
            if message.blob_id in self._items:
                return
            self._items[message.blob_id] = (message, cost)
            self._bytes += cost
            while self._bytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped

    @property
    def held_bytes(self) -> int:
        return self._bytes


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


def stored_header(txn: ReadTxn, account_id: str, blob_id: str, name: str, form: str,
                  email_id: str | None = None) -> list[Any]:
    """``header:{name}:as{form}:all`` of a stored message this account may read (none if it may
    not): from the parse kept for it, else from its header section alone: the one kept beside
    its Email (`email_id`, jmapd/mail/envelopes.py) when there is one, else the blob's. A `header`
    filter reads every message of an account; parsing each whole (a 4 MB one of many parts among
    them, once per request in flight) held hundreds of MB under load and most of the filter's
    time."""
    if blob_ref(txn, account_id, blob_id) is None:
        return []
    message = _PARSED.get(blob_id)
    if message is None:
        head = None if email_id is None else envelopes.head(txn, account_id, email_id)
        if head is not None and envelopes.is_plain(head) and not head.startswith(b"\nFrom "):
            raw = head[1:]  # every line a field: split as the whole message's header section is
        else:
            raw = read_blob(txn, account_id, blob_id) or b""
        values = top_header(raw, name, form)
        if values is not None:
            return values
        message = stored_message(txn, account_id, blob_id)
    return message.header(name, form, all=True)


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
