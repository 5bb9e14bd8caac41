"""What the writer needs of a message, worked out before the write transaction.

Parsing and summarising a message is the expensive part of storing it; doing it here, outside the
store's single writer (in worker processes for large batches, see jmapd/workers/parsing.py), keeps
the writer busy only with the cheap part.
"""

from __future__ import annotations

import msgspec

from ..mime import EmailSummary, parse_message, summarize
from ..mime.dates import date_to_epoch
from ..mime.subjects import base_subject


class ParsedMessage(msgspec.Struct, array_like=True):
    """What an import needs of a message: its summary; the date of its topmost Received header
    (RFC 8621 §4.8: the default receivedAt), None when there is none that parses; and the subject
    that threading compares, worked out here rather than in the store's single writer."""

    summary: EmailSummary
    received_at: int | None
    thread_subject: str


def received_time(message) -> int | None:
    for value in message.header("Received", "Raw", all=True) or []:
        _, sep, date = value.rpartition(";")
        if sep:
            epoch = date_to_epoch(date.strip())
            if epoch is not None:
                return epoch
        break
    return None


def parse_for_import(raw: bytes, blob_id: str, *, received_at: int | None = None) -> ParsedMessage:
    """`received_at`, when given, is the date of the topmost Received field, known to the caller
    that wrote it (delivery), which is then not parsed again."""
    message = parse_message(raw, blob_id)
    summary = summarize(message)
    if received_at is None:
        received_at = received_time(message)
    return ParsedMessage(summary, received_at, base_subject(summary.subject))
