"""Mailbox names: JMAP's tree of Mailboxes as IMAP's hierarchy of names (RFC 9051 §5.1).

The hierarchy separator is "/". The mailbox with the inbox role is always `INBOX` (any case); the
others are their names joined with their parents'. Names travel in modified UTF-7 (RFC 3501 §5.1.3)
unless the client enabled UTF-8 (IMAP4rev2 or UTF8=ACCEPT). An account holds tens of mailboxes, so
each command reads them all: there is no cache to go stale when another client renames one.
"""

from __future__ import annotations

from dataclasses import dataclass

from store import ReadTxn
from store.records import Mailbox

from .. import mutf7
from .errors import Bad, No

SEPARATOR = "/"
SPECIAL_USE = {"drafts": "\\Drafts", "sent": "\\Sent", "archive": "\\Archive", "junk": "\\Junk",
               "trash": "\\Trash", "all": "\\All", "flagged": "\\Flagged", "important": "\\Important"}


@dataclass
class Folder:
    id: str
    name: str  # full IMAP name, with separators, in Unicode
    mailbox: Mailbox
    has_children: bool = False


def folders(txn: ReadTxn, account_id: str) -> list[Folder]:
    """Every mailbox of the account with its full name, parents before children."""
    boxes = dict(txn.scan(account_id, "Mailbox", Mailbox))
    names: dict[str, str] = {}

    def full(mailbox_id: str, depth: int = 0) -> str:
        if mailbox_id in names:
            return names[mailbox_id]
        box = boxes[mailbox_id]
        own = "INBOX" if box.role == "inbox" and box.parent_id is None else box.name
        if box.parent_id in boxes and depth < 64:
            own = full(box.parent_id, depth + 1) + SEPARATOR + own
        names[mailbox_id] = own
        return own

    parents = {b.parent_id for b in boxes.values()}
    out = [Folder(i, full(i), b, i in parents) for i, b in boxes.items()]
    out.sort(key=lambda f: (f.name != "INBOX", f.name))
    return out


def canonical(name: str) -> str:
    """INBOX is case-insensitive, and so is the INBOX part of INBOX/child (RFC 9051 §5.1)."""
    head, sep, rest = name.partition(SEPARATOR)
    if head.upper() == "INBOX":
        return "INBOX" + sep + rest
    return name


def find(txn: ReadTxn, account_id: str, name: str) -> Folder:
    name = canonical(name)
    for folder in folders(txn, account_id):
        if folder.name == name:
            return folder
    raise No(f"no mailbox named {name}", "NONEXISTENT")


# -- modified UTF-7 (RFC 3501 §5.1.3) ---------------------------------------------------------------
def encode_name(name: str, utf8: bool) -> str:
    return name if utf8 else mutf7.encode(name)


def decode_name(raw: bytes, utf8: bool) -> str:
    """A mailbox name from the wire; in modified UTF-7 unless UTF-8 was enabled."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Bad("mailbox name is not valid UTF-8") from None
    if utf8 or "&" not in text:
        return text
    try:
        return mutf7.decode(text)
    except mutf7.BadFolderName:
        raise Bad("bad modified UTF-7 in a mailbox name") from None


def matches(pattern: str, name: str) -> bool:
    """LIST wildcards (RFC 9051 §6.3.9): `*` matches anything, `%` anything but the separator."""
    import re

    regex = "".join(".*" if c == "*" else "[^/]*" if c == "%" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, name, re.DOTALL) is not None
