"""Reading what imaplib hands back: LIST lines, FETCH items, UID sets, INTERNALDATE.

imaplib leaves responses as bytes, with literals split out into (prefix, octets) tuples; these
functions turn them into values and nothing else, so the importer reads as what it does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

_LIST = re.compile(rb'^\((?P<attrs>[^)]*)\) (?P<delim>"(?:[^"\\]|\\.)*"|NIL) (?P<name>.*)$', re.IGNORECASE)
_UID = re.compile(rb"\bUID (\d+)", re.IGNORECASE)
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)", re.IGNORECASE)
_FLAGS = re.compile(rb"\bFLAGS \(([^)]*)\)", re.IGNORECASE)
_INTERNALDATE = re.compile(rb'\bINTERNALDATE "([^"]+)"', re.IGNORECASE)
_MODSEQ = re.compile(rb"\bMODSEQ \((\d+)\)", re.IGNORECASE)
_MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*((?:.|\r?\n[ \t])*)", re.IGNORECASE | re.MULTILINE)


@dataclass
class ListedFolder:
    raw_name: bytes
    delimiter: str | None
    attributes: list[str]


@dataclass
class Fetched:
    uid: int
    flags: list[str] = field(default_factory=list)
    internaldate: int | None = None
    size: int | None = None
    modseq: int | None = None
    body: bytes | None = None


def _unquote(data: bytes) -> bytes:
    if data.startswith(b'"') and data.endswith(b'"') and len(data) >= 2:
        return re.sub(rb"\\(.)", rb"\1", data[1:-1])
    return data


def parse_list(data: list) -> list[ListedFolder]:
    folders = []
    for entry in data:
        if entry is None:
            continue
        if isinstance(entry, tuple):  # the name came as a literal
            head, name = entry[0], entry[1]
            match = _LIST.match(head.rsplit(b" ", 1)[0] + b" x")
        else:
            match = _LIST.match(entry)
            name = _unquote(match.group("name").strip()) if match else b""
        if not match:
            continue
        delim = match.group("delim")
        folders.append(ListedFolder(name, None if delim.upper() == b"NIL" else _unquote(delim).decode(),
                                    match.group("attrs").decode("ascii", "replace").split()))
    return folders


def quote(name: bytes | str) -> str:
    text = name.decode("ascii", "replace") if isinstance(name, bytes) else name
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def uid_set(uids: list[int]) -> str:
    """Sorted UIDs as ranges: "1:5,7,9:12"."""
    parts, start, prev = [], None, None
    for uid in sorted(uids):
        if start is None:
            start = prev = uid
        elif uid == prev + 1:
            prev = uid
        else:
            parts.append(f"{start}:{prev}" if start != prev else str(start))
            start = prev = uid
    if start is not None:
        parts.append(f"{start}:{prev}" if start != prev else str(start))
    return ",".join(parts)


def parse_fetch(data: list) -> list[Fetched]:
    """FETCH responses, each message's items gathered from around its literal."""
    out: list[Fetched] = []
    meta, body = b"", None

    def finish() -> None:
        if meta:
            uid = _UID.search(meta)
            if uid:
                item = Fetched(int(uid.group(1)), body=body)
                if (m := _FLAGS.search(meta)) is not None:
                    item.flags = m.group(1).decode("ascii", "replace").split()
                if (m := _INTERNALDATE.search(meta)) is not None:
                    item.internaldate = internaldate(m.group(1).decode("ascii"))
                if (m := _SIZE.search(meta)) is not None:
                    item.size = int(m.group(1))
                if (m := _MODSEQ.search(meta)) is not None:
                    item.modseq = int(m.group(1))
                out.append(item)

    for part in data:
        if isinstance(part, tuple):
            finish()
            meta, body = part[0], part[1]  # the one literal asked for: BODY[] or a header field set
        elif isinstance(part, bytes):
            if part.startswith(b")") or part.startswith(b" "):
                meta += part  # the items after the literal
            else:
                finish()
                meta, body = part, None
    finish()
    return out


def internaldate(text: str) -> int | None:
    try:
        return int(datetime.strptime(text.strip(), "%d-%b-%Y %H:%M:%S %z").timestamp())
    except ValueError:
        return None


def message_id(header: bytes) -> str | None:
    """The Message-ID field of a message's header section, unfolded, or None."""
    end = header.find(b"\r\n\r\n")
    if end < 0:
        end = header.find(b"\n\n")
    match = _MESSAGE_ID.search(header if end < 0 else header[:end])
    if not match:
        return None
    value = re.sub(rb"\s+", b"", match.group(1)).decode("ascii", "replace")
    return value or None
