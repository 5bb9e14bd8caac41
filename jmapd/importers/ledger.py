"""What an import remembers, kept in the store beside the messages it covers.

Two kinds of record, both invisible to clients (no change log):

- `ImportState`, one per source folder or file: how far the import got (an IMAP folder's
  UIDVALIDITY, highest UID and HIGHESTMODSEQ; an mbox file's byte offset and fingerprint).
- `ImportKey`, one per way of recognising a message again, pointing at the Email it became:
  its content (the blob id: the same octets from any source, or from several Gmail labels, are one
  Email in several mailboxes), an IMAP folder's UID (for flag changes), and Message-ID plus size
  (to find the messages again after a folder's UIDVALIDITY changed).

Each is written in the transaction that stores the messages it describes.
"""

from __future__ import annotations

import hashlib

import msgspec

from store import ReadTxn, WriteTxn

STATE, KEY = "ImportState", "ImportKey"


class FolderState(msgspec.Struct, kw_only=True):
    uidvalidity: int = 0
    highest_uid: int = 0
    highest_modseq: int = 0
    offset: int = 0
    fingerprint: str = ""
    #: IMAP UIDs the server could not return, below highest_uid: asked for again by the next run.
    failed: list[int] = []


class KeyTarget(msgspec.Struct, array_like=True):
    email_id: str


def _short(*parts: object) -> str:
    """Record ids stay short and free of separators whatever the folder names and Message-IDs hold."""
    return hashlib.blake2b("\0".join(map(str, parts)).encode("utf-8", "surrogateescape"),
                           digest_size=16).hexdigest()


def state_id(source: str, folder: str) -> str:
    return _short("state", source, folder)


def read_state(txn: ReadTxn, account_id: str, source: str, folder: str) -> FolderState:
    return txn.get(account_id, STATE, state_id(source, folder), FolderState) or FolderState()


def write_state(txn: WriteTxn, account_id: str, source: str, folder: str, state: FolderState) -> None:
    txn.put_unlogged(account_id, STATE, state_id(source, folder), state)


def content_key(blob_id: str) -> str:
    return "c" + _short(blob_id)


def uid_key(source: str, folder: str, uidvalidity: int, uid: int) -> str:
    return "u" + _short(source, folder, uidvalidity, uid)


def message_id_key(source: str, message_id: str, size: int) -> str:
    return "m" + _short(source, message_id, size)


def lookup(txn: ReadTxn, account_id: str, key: str) -> str | None:
    """The Email a key points at, if that Email still exists."""
    target = txn.get(account_id, KEY, key, KeyTarget)
    if target is None or not txn.exists(account_id, "Email", target.email_id):
        return None
    return target.email_id


def remember(txn: WriteTxn, account_id: str, key: str, email_id: str) -> None:
    txn.put_unlogged(account_id, KEY, key, KeyTarget(email_id))
