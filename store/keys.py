"""Key layout of the named databases.

Keys start with the account id so that one account's data is a contiguous range: a prefix scan over
one account never sees another's, and isolation does not depend on every caller remembering a check.
"""

from __future__ import annotations

from .codec import u64

SEP = b"\x00"


def prefix(account_id: str, kind: str) -> bytes:
    return account_id.encode() + SEP + kind.encode() + SEP


def record(account_id: str, kind: str, record_id: str) -> bytes:
    return prefix(account_id, kind) + record_id.encode()


def change(account_id: str, kind: str, modseq: int) -> bytes:
    return prefix(account_id, kind) + u64(modseq)


def counter(account_id: str, name: str) -> bytes:
    return account_id.encode() + SEP + name.encode()


def blob_ref(account_id: str, blob_id: str) -> bytes:
    return account_id.encode() + SEP + blob_id.encode()


def prefix_end(p: bytes) -> bytes:
    """The smallest key greater than every key starting with `p`."""
    return p[:-1] + bytes([p[-1] + 1])
