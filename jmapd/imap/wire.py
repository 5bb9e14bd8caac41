"""Writing IMAP data (RFC 9051 §4): strings as quoted or literal, NIL, parenthesized lists.

Values are turned into octets here only, so every response quotes the same way: a string is
quoted when it is short 7-bit text without quotes' troubles, and sent as a literal otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Printable ASCII but the quote and the backslash: quoted as it is. Anything but CR, LF and NUL:
# quoted with escapes (8-bit only where the client enabled UTF-8).
_QUOTABLE = re.compile(rb"[\x20\x21\x23-\x5B\x5D-\x7E]*\Z")
_ESCAPABLE = re.compile(rb"[^\r\n\x00]*\Z")


def string(value: str | bytes | None, utf8: bool = False) -> bytes:
    """nstring: NIL, a quoted string, or a literal."""
    if value is None:
        return b"NIL"
    if isinstance(value, str):
        # the common case, checked without a regular expression: printable ASCII, no quote or backslash
        if len(value) < 1024 and value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
            return b'"' + value.encode() + b'"'
        data = value.encode("utf-8")
    else:
        data = value
    if len(data) < 1024:
        if _QUOTABLE.match(data):
            return b'"' + data + b'"'
        if _ESCAPABLE.match(data) and (utf8 or data.isascii()):
            return b'"' + data.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
    return b"{%d}\r\n" % len(data) + data


def literal(data: bytes) -> bytes:
    return b"{%d}\r\n" % len(data) + data


def number(n: int | None) -> bytes:
    return b"NIL" if n is None else b"%d" % n


def paren(items: Iterable[bytes]) -> bytes:
    return b"(" + b" ".join(items) + b")"


def flags(names: Iterable[str]) -> bytes:
    return ("(" + " ".join(names) + ")").encode()


def compact_set(numbers: Iterable[int]) -> str:
    """1,2,3,7 as "1:3,7": how UIDs travel in COPYUID, VANISHED and ESEARCH ALL."""
    out: list[str] = []
    start = prev = None
    for n in numbers:
        if prev is not None and n == prev + 1:
            prev = n
            continue
        if start is not None:
            out.append(str(start) if start == prev else f"{start}:{prev}")
        start = prev = n
    if start is not None:
        out.append(str(start) if start == prev else f"{start}:{prev}")
    return ",".join(out)
