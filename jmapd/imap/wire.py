"""Writing IMAP data (RFC 9051 §4): strings as quoted or literal, NIL, parenthesized lists.

Values are turned into octets here only, so every response quotes the same way: a string is
quoted when it is short 7-bit text without quotes' troubles, and sent as a literal otherwise
(`string` is the ENVELOPE's quoting, `jmapd.mime.envelope.nstring`, as the stored ENVELOPEs
are written with it).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..mime.envelope import nstring as string

__all__ = ["string", "literal", "number", "paren", "flags", "compact_set"]


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
