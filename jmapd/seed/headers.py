"""Header-field encoding: RFC 2047 encoded words, RFC 2231 parameters, dates.

Everything here is written by hand instead of with ``email.headerregistry``: the
stdlib folding is two orders of magnitude slower than the generator's budget, and
its output changes between Python versions, which would break byte-identical
datasets.  Every header produced is pure ASCII.
"""

from __future__ import annotations

import base64
import calendar
import time

# RFC 2047 section 5 (3): the characters that may appear unencoded in a Q-encoded
# word inside a phrase; using the strictest set makes the words valid anywhere.
_Q_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")
_Q_TABLE = tuple(
    "_" if b == 0x20 else (chr(b) if b in _Q_SAFE else f"={b:02X}") for b in range(256)
)
# RFC 2231 / RFC 5987 attr-char: what may stay unescaped in an extended value.
_ATTR_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~")
_PCT_TABLE = tuple(chr(b) if b in _ATTR_SAFE else f"%{b:02X}" for b in range(256))

CODECS = {"UTF-8": "utf-8", "ISO-8859-1": "latin-1"}
_SPECIALS = frozenset('()<>[]:;@\\,."')

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def encoded_words(text: str, charset: str = "UTF-8", enc: str = "B") -> list[str]:
    """Split text into RFC 2047 encoded words of at most 75 characters each.

    Splitting happens between characters, never inside a multi-octet UTF-8
    sequence, as RFC 2047 section 5 requires.
    """
    codec = CODECS[charset]
    prefix = f"=?{charset}?{enc}?"
    room = 75 - len(prefix) - 2
    out: list[str] = []
    if enc == "B":
        limit = room // 4 * 3
        chunk = b""
        for ch in text:
            b = ch.encode(codec)
            if len(chunk) + len(b) > limit:
                out.append(prefix + base64.b64encode(chunk).decode("ascii") + "?=")
                chunk = b""
            chunk += b
        if chunk:
            out.append(prefix + base64.b64encode(chunk).decode("ascii") + "?=")
        return out
    cur = ""
    for ch in text:
        q = "".join(_Q_TABLE[x] for x in ch.encode(codec))
        if len(cur) + len(q) > room:
            out.append(prefix + cur + "?=")
            cur = ""
        cur += q
    if cur:
        out.append(prefix + cur + "?=")
    return out


def fold_words(name: str, tokens: list[str], width: int = 78) -> str:
    """Join tokens with spaces and fold onto continuation lines (RFC 5322 2.2.3)."""
    lines: list[str] = []
    line = name + ":"
    for tok in tokens:
        if len(line) + 1 + len(tok) > width and line != name + ":":
            lines.append(line)
            line = " " + tok
        else:
            line += " " + tok
    lines.append(line)
    return "\n".join(lines) + "\n"


def unstructured(name: str, value: str, charset: str = "UTF-8", enc: str = "B", prefix: str = "") -> str:
    """A Subject-like field; non-ASCII values become encoded words."""
    if value.isascii():
        tokens = (prefix + value).split(" ")
        return fold_words(name, [t for t in tokens if t] or [""])
    words = encoded_words(value, charset, enc)
    if prefix:
        words = prefix.split() + words
    return fold_words(name, words)


def display_name(name: str, charset: str = "UTF-8", enc: str = "B", always_quote: bool = False) -> str:
    """A phrase for an address: atoms, a quoted string, or encoded words."""
    if not name:
        return ""
    if not name.isascii():
        return " ".join(encoded_words(name, charset, enc))
    if always_quote or any(c in _SPECIALS for c in name):
        return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return name


def address_list(name: str, mailboxes: list[str], width: int = 78) -> str:
    """An address field, folded after commas."""
    lines: list[str] = []
    line = name + ":"
    last = len(mailboxes) - 1
    for i, mb in enumerate(mailboxes):
        tok = mb + ("," if i < last else "")
        if len(line) + 1 + len(tok) > width and line != name + ":":
            lines.append(line)
            line = " " + tok
        else:
            line += " " + tok
    lines.append(line)
    return "\n".join(lines) + "\n"


def ext_param(attr: str, value: str, charset: str = "UTF-8") -> str:
    """An RFC 2231 extended parameter, split into continuations when long.

    Returns text to append after a ';', already folded onto its own lines.
    """
    codec = CODECS[charset]
    pieces = ["".join(_PCT_TABLE[b] for b in ch.encode(codec)) for ch in value]
    head = f"{charset}''"
    encoded = head + "".join(pieces)
    if len(attr) + len(encoded) < 70:
        return f"\n {attr}*={encoded}"
    # Continuations: RFC 2231 joins the octets before decoding, but many
    # parsers (Python's among them) decode each section on its own, so cut
    # only between characters.
    segs: list[str] = []
    cur = head
    for p in pieces:
        if len(cur) + len(p) > 60:
            segs.append(cur)
            cur = ""
        cur += p
    segs.append(cur)
    return ";".join(f"\n {attr}*{i}*={s}" for i, s in enumerate(segs))


def rfc5322_date(ts: int, offset_min: int) -> str:
    """RFC 5322 section 3.3 date-time in the sender's zone, without locale.

    ``time.strftime`` would use the process locale for day and month names; the
    names here are fixed, and gmtime never consults TZ.
    """
    t = time.gmtime(ts + offset_min * 60)
    sign = "+" if offset_min >= 0 else "-"
    off = abs(offset_min)
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} {sign}{off // 60:02d}{off % 60:02d}"
    )


def rfc3339(ts: int) -> str:
    """The JMAP UTCDate form, e.g. 2024-05-01T10:00:00Z."""
    t = time.gmtime(ts)
    return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}Z"


def asctime_utc(ts: int) -> str:
    """The date of an mbox From_ line (RFC 4155): asctime() format in UTC."""
    t = time.gmtime(ts)
    return (
        f"{_DAYS[t.tm_wday]} {_MONTHS[t.tm_mon - 1]} {t.tm_mday:2d} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} {t.tm_year}"
    )


def parse_rfc3339(s: str) -> int:
    """Seconds since the epoch for a 'YYYY-MM-DDTHH:MM:SSZ' string."""
    t = time.strptime(s.rstrip("Zz"), "%Y-%m-%dT%H:%M:%S")
    return calendar.timegm(t)
