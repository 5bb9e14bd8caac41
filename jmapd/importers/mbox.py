"""mbox files, read and written as mboxrd.

A line beginning "From " starts a message; the newline before it ends the previous one and belongs
to neither. Inside a message, a line of one or more '>' followed by "From " lost one '>' when it was
written; reading gives it back. Everything else is the message's bytes, unchanged: CRLF, bare LF
and 8-bit octets alike.

jmapd's own exports put the message's receivedAt in the From line's date (UTC) and its keywords
after it ("keywords=$seen,$flagged"), so no header of the message is touched. Files from mail
programs carry flags in headers instead (Thunderbird's X-Mozilla-Status, mutt's Status/X-Status):
those are read, and the messages Thunderbird marked expunged but had not compacted away are skipped.
"""

from __future__ import annotations

import calendar
import hashlib
import os
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from . import flags

_QUOTED_FROM = re.compile(rb"^>+From ")
_FROM_LINE = re.compile(
    rb"^From (\S*) +(\w{3} \w{3} [ \d]?\d \d\d:\d\d:\d\d \d{4})(?: +keywords=(\S*))?")


class NotMbox(Exception):
    """The file does not begin with a From line."""


@dataclass
class MboxMessage:
    raw: bytes
    start: int
    end: int
    received_at: int | None
    keywords: list[str]
    expunged: bool
    truncated: bool


FINGERPRINT_BYTES = 1024


def fingerprint(f: BinaryIO, upto: int) -> str:
    """Recognises the same file again by its first KB, or as much of it as was imported (a file
    still being written may grow, but what was read from it stays), so a resume offset is never
    applied to another file that took its name."""
    return hashlib.blake2b(os.pread(f.fileno(), min(upto, FINGERPRINT_BYTES), 0), digest_size=12).hexdigest()


def _from_line_facts(line: bytes) -> tuple[int | None, list[str] | None]:
    match = _FROM_LINE.match(line)
    if not match:
        return None, None
    try:
        when = calendar.timegm(time.strptime(match.group(2).decode("ascii"), "%a %b %d %H:%M:%S %Y"))
    except ValueError:
        when = None
    kws = match.group(3)
    keywords = None if kws is None else flags.keywords(k for k in kws.decode("ascii", "replace").split(",") if k)
    return when, keywords


def read_messages(f: BinaryIO, start: int = 0) -> Iterator[MboxMessage]:
    """The messages of an mbox file from byte `start` (the beginning of a From line) on.

    Reads a line at a time: memory holds one message, whatever the file's size."""
    f.seek(start)
    offset = start
    first = f.readline()
    if not first:
        return
    if not first.startswith(b"From "):
        raise NotMbox("not an mbox file: it does not begin with a From line" if start == 0
                      else f"no From line at byte {start}")
    head_start, head = offset, first
    offset += len(first)
    lines: list[bytes] = []
    while True:
        line = f.readline()
        if not line or line.startswith(b"From "):
            yield _message(head, head_start, offset, lines, at_eof=not line)
            if not line:
                return
            head_start, head, lines = offset, line, []
        elif _QUOTED_FROM.match(line):
            lines.append(line[1:])
        else:
            lines.append(line)
        offset += len(line)


def _message(from_line: bytes, start: int, end: int, lines: list[bytes], at_eof: bool) -> MboxMessage:
    raw = b"".join(lines)
    # A file cut short ends without the newline every message is followed by.
    truncated = at_eof and not (raw.endswith(b"\n") or (not raw and from_line.endswith(b"\n")))
    if raw.endswith(b"\n") and not truncated:
        raw = raw[:-1]
    received_at, keywords = _from_line_facts(from_line)
    expunged = False
    if keywords is None:
        keywords, expunged = flags.from_mbox_headers(raw)
    return MboxMessage(raw, start, end, received_at, keywords, expunged, truncated)


def from_line(received_at: int, keywords: Iterable[str]) -> bytes:
    date = time.asctime(time.gmtime(received_at))
    return f"From MAILER-DAEMON {date} keywords={','.join(keywords)}\n".encode("ascii")


def quote(raw: bytes) -> bytes:
    """mboxrd quoting: one more '>' before every (already quoted or not) From line."""
    if b"From " not in raw:
        return raw
    return re.sub(rb"(?m)^(>*From )", rb">\1", raw)


def write_message(out: BinaryIO, raw: bytes, received_at: int, keywords: Iterable[str]) -> None:
    out.write(from_line(received_at, keywords))
    out.write(quote(raw))
    out.write(b"\n")
