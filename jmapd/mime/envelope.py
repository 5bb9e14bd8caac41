"""A message's ENVELOPE: its header fields as RFC 9051 §7.5.2 structures them (date, subject, from,
sender, reply-to, to, cc, bcc, in-reply-to, message-id), written from the summary the Email record
keeps, in the syntax of RFC 9051 §4 (quoted strings, literals, NIL).

Messages never change, so the mail layer renders this once, when an Email is written, and keeps it
(jmapd/mail/envelopes.py); a message/rfc822 part's ENVELOPE inside a BODYSTRUCTURE is rendered
from its own summary. Two forms: the 7-bit one, with non-ASCII names and subjects as RFC 2047
encoded-words, and the one for a client that takes UTF-8 in strings (IMAP4rev2, RFC 9051 §6.3.1),
with them as they are.
"""

from __future__ import annotations

import base64
import re
from datetime import date, datetime

from .summary import EmailSummary

__all__ = ["envelope", "nstring", "MONTHS"]

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# Printable ASCII but the quote and the backslash: quoted as it is. Anything but CR, LF and NUL:
# quoted with escapes (8-bit only where the client enabled UTF-8).
_QUOTABLE = re.compile(rb"[\x20\x21\x23-\x5B\x5D-\x7E]*\Z")
_ESCAPABLE = re.compile(rb"[^\r\n\x00]*\Z")


def nstring(value: str | bytes | None, utf8: bool = False) -> bytes:
    """nstring (RFC 9051 §4.3, §4.5): NIL, a quoted string, or a literal."""
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


def _header_text(text: str | None, utf8: bool) -> bytes:
    if text is None:
        return b"NIL"
    if not text.isascii() and not utf8:
        text = "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="
    return nstring(text, utf8)


def _rfc5322_date(sent_at: str | None) -> str | None:
    if sent_at is None:
        return None
    if len(sent_at) in (20, 25) and sent_at[10] == "T":  # "2024-01-01T10:00:00Z" or "...+02:00"
        try:
            day = date(int(sent_at[:4]), int(sent_at[5:7]), int(sent_at[8:10]))
        except ValueError:
            return None
        zone = "+0000" if sent_at[19] == "Z" else sent_at[19:22] + sent_at[23:25]
        return f"{_DAYS[day.weekday()]}, {sent_at[8:10]} {MONTHS[day.month - 1]} {sent_at[:4]} {sent_at[11:19]} {zone}"
    try:
        when = datetime.fromisoformat(sent_at.replace("Z", "+00:00"))
    except ValueError:
        return None
    offset = when.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    return "%s, %02d %s %04d %02d:%02d:%02d %s%02d%02d" % (
        _DAYS[when.weekday()], when.day, MONTHS[when.month - 1],
        when.year, when.hour, when.minute, when.second, sign, abs(minutes) // 60, abs(minutes) % 60)


def _addresses(addresses: list[dict] | None, utf8: bool) -> bytes:
    if not addresses:
        return b"NIL"
    out = []
    for address in addresses:
        email = address.get("email") or ""
        local, at, host = email.rpartition("@")
        if not at:
            local, host = email, ""
        out.append(b"(%s NIL %s %s)" % (_header_text(address.get("name"), utf8), nstring(local, utf8),
                                         nstring(host, utf8) if host else b"NIL"))
    return b"(" + b"".join(out) + b")"


def _ids(ids: list[str] | None) -> bytes:
    return b"NIL" if not ids else nstring(" ".join(f"<{i}>" for i in ids))


def envelope(summary: EmailSummary, utf8: bool = False) -> bytes:
    """The ENVELOPE structure: sender and reply-to default to from, as the RFC requires; `utf8`
    gives the form for a client that takes UTF-8 in strings (IMAP4rev2)."""
    from_ = _addresses(summary.from_, utf8)
    sender = _addresses(summary.sender, utf8) if summary.sender else from_
    reply_to = _addresses(summary.reply_to, utf8) if summary.reply_to else from_
    return b"(%s %s %s %s %s %s %s %s %s %s)" % (
        nstring(_rfc5322_date(summary.sent_at)), _header_text(summary.subject, utf8), from_, sender, reply_to,
        _addresses(summary.to, utf8), _addresses(summary.cc, utf8), _addresses(summary.bcc, utf8),
        _ids(summary.in_reply_to), _ids(summary.message_id))
