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


READ_CHUNK = 4 << 20


def read_messages(f: BinaryIO, start: int = 0) -> Iterator[MboxMessage]:
    """The messages of an mbox file from byte `start` (the beginning of a From line) on.

    Reads the file in large chunks and finds separators with bytes.find (a line-by-line loop in
    Python costs several times the parsing); memory holds a chunk and the message being read."""
    f.seek(start)
    buf = f.read(READ_CHUNK)
    if not buf:
        return
    if not buf.startswith(b"From "):
        raise NotMbox("not an mbox file: it does not begin with a From line" if start == 0
                      else f"no From line at byte {start}")
    base = start  # the file offset of buf[0]
    at_eof = len(buf) < READ_CHUNK
    head = 0  # where the current message's From line starts in buf
    while True:
        line_end = buf.find(b"\n", head)
        while line_end < 0 and not at_eof:
            buf, base, head, at_eof = _more(f, buf, base, head)
            line_end = buf.find(b"\n", head)
        body = len(buf) if line_end < 0 else line_end + 1
        following = buf.find(b"\nFrom ", body - 1)
        while following < 0 and not at_eof:
            buf, base, head, at_eof = _more(f, buf, base, head)
            body = buf.find(b"\n", head) + 1
            following = buf.find(b"\nFrom ", body - 1)
        if following < 0:
            yield _message(buf[head:body], base + head, base + len(buf), buf[body:], at_eof=True)
            return
        yield _message(buf[head:body], base + head, base + following + 1, buf[body:following + 1], at_eof=False)
        head = following + 1


def _more(f: BinaryIO, buf: bytes, base: int, head: int) -> tuple[bytes, int, int, bool]:
    """Drop what was consumed, read the next chunk: (buffer, its file offset, head in it, at EOF)."""
    chunk = f.read(READ_CHUNK)
    return buf[head:] + chunk, base + head, 0, len(chunk) < READ_CHUNK


_UNQUOTE = re.compile(rb"(?m)^>(>*From )")


def _message(from_line: bytes, start: int, end: int, raw: bytes, at_eof: bool) -> MboxMessage:
    if b">From " in raw:
        raw = _UNQUOTE.sub(rb"\1", raw)
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
