"""Header sections: splitting them out of raw octets, and the RFC 8621 §4.1.2 parsed forms.

Header values are kept as the raw octets between the colon and the line end
(folding included), so every form can be derived from the exact source, and
nothing is decoded until someone asks for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from .addresses import parse_addresses, parse_grouped_addresses
from .dates import parse_date
from .text import decode_encoded_words, decode_header_bytes, decode_raw_header, nfc

__all__ = [
    "RawHeader",
    "split_header_block",
    "header_end",
    "plain_lines",
    "FORMS",
    "form_allowed",
    "parse_header_property",
    "header_form",
    "unfold",
]

RawHeader = tuple[str, bytes]  # (field name as written, raw value octets)

# field-name = 1*ftext (RFC 5322 §3.6.8), allowing obsolete WSP before the colon
_FIELD = re.compile(rb"([!-9;-~]+)[ \t]*:")


# A whole field: name, colon, value up to the line end, plus continuation lines.
_FIELD_LINES = re.compile(rb"([!-9;-~]+)[ \t]*:([^\n]*(?:\n[ \t][^\n]*)*)")


def split_header_block(raw: bytes, start: int, end: int) -> tuple[list[RawHeader], int]:
    """Read header fields from raw[start:end]; return (headers, body offset).

    The header section ends at the first empty line. A line that is neither a
    field nor a continuation also ends it, and that line starts the body (the
    separator was missing) unless the next line is a field again, in which case
    it is taken as a continuation that lost its indentation. Continuation lines
    before any field are dropped. LF, CRLF and mixed line endings are all
    accepted; a field's raw value keeps its internal folding but not the line
    terminator.
    """
    headers: list[RawHeader] = []
    pos = start
    match = _FIELD_LINES.match
    vstart = 0
    while pos < end:
        m = match(raw, pos, end)
        if m is not None:
            vstart, vend = m.span(2)
            if vend > vstart and raw[vend - 1] == 13:
                vend -= 1
            headers.append((m.group(1).decode("ascii"), raw[vstart:vend]))
            pos = m.end() + 1
            continue
        nl = raw.find(b"\n", pos, end)
        line_end = end if nl == -1 else nl
        next_pos = end if nl == -1 else nl + 1
        line = raw[pos:line_end]
        if line == b"" or line == b"\r":
            return headers, min(next_pos, end)
        first = line[0]
        if first == 32 or first == 9:
            if headers:  # folded line following a repaired continuation
                vend = line_end - 1 if line.endswith(b"\r") else line_end
                headers[-1] = (headers[-1][0], raw[vstart:vend])
            pos = next_pos  # before any field it is dropped
            continue
        if headers and _next_is_header(raw, next_pos, end):
            vend = line_end - 1 if line.endswith(b"\r") else line_end
            headers[-1] = (headers[-1][0], raw[vstart:vend])
            pos = next_pos
            continue
        return headers, pos
    return headers, min(pos, end)


# Whole lines that each begin a field (a name and its colon) or fold one (white space first): one
# flat, possessive repetition, so a line that fits neither stops it at once, without backtracking
# through the lines before it.
_PLAIN_LINES = re.compile(rb"(?:(?:[ \t]|[!-9;-~]++[ \t]*+:)[^\n]*+\n)*+")


def plain_lines(raw: bytes, start: int = 0) -> int:
    """Where the run of whole lines from `start` that are fields or folded lines ends: at the
    first other line (the empty one, when the header section is plainly well-formed), or at a
    line the end of `raw` cuts short."""
    return _PLAIN_LINES.match(raw, start).end()


def header_end(raw: bytes, start: int = 0) -> int | None:
    """Where the header section beginning at `start` ends (after its empty line), when every line
    of it is a field or a folded line: then `split_header_block` ends it at the same offset.
    None for anything else (a line that is neither, or no empty line before the end of `raw`),
    which `split_header_block` must decide.

    It reads nothing past the empty line, so it can run over the first octets of a message: a
    section cut short by the end of `raw` gives None, never a wrong offset."""
    return _after_empty_line(raw, plain_lines(raw, start))


def _after_empty_line(raw: bytes, pos: int) -> int | None:
    if raw[pos:pos + 1] == b"\n":
        return pos + 1
    if raw[pos:pos + 2] == b"\r\n":
        return pos + 2
    return None


def _next_is_header(raw: bytes, pos: int, end: int) -> bool:
    """Whether the line at pos continues a header section (a field or a folded line)."""
    if pos >= end:
        return False
    c = raw[pos]
    if c == 32 or c == 9:
        nl = raw.find(b"\n", pos, end)
        return bool(raw[pos : end if nl == -1 else nl].strip())
    return _FIELD.match(raw, pos, end) is not None and raw.find(b"\n", pos, end) != -1


_FOLD = re.compile(r"\r?\n(?=[ \t])")


def unfold(value: bytes) -> str:
    """Decode 8-bit octets and unfold (RFC 5322 §2.2.3); stray line breaks become nothing."""
    text = decode_header_bytes(value)
    if "\n" in text or "\r" in text:
        text = _FOLD.sub("", text).replace("\r", "").replace("\n", "")
    return text


def text_form(value: bytes) -> str:
    """RFC 8621 §4.1.2.2 Text: unfold, drop leading SP, decode encoded words, NFC."""
    return nfc(decode_encoded_words(unfold(value).lstrip(" ")))


_MSGID = re.compile(r"<([^<>]*)>")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)


def _strip_cfws(text: str) -> str:
    from .params import strip_comments

    return strip_comments(text)


def message_ids_form(value: bytes) -> list[str] | None:
    """RFC 8621 §4.1.2.5 MessageIds: the msg-ids with CFWS and angle brackets removed.

    Phrases between ids (RFC 5322 §4.5.4 obs-in-reply-to) are skipped; a value
    with no bracketed id at all is a parse failure.
    """
    text = unfold(value)
    if "(" in text:
        text = _strip_cfws(text)
    ids = []
    for m in _MSGID.finditer(text):
        mid = "".join(m.group(1).split())
        if mid:
            ids.append(mid)
    return ids or None


def urls_form(value: bytes) -> list[str] | None:
    """RFC 8621 §4.1.2.7 URLs: the bracketed URLs of an RFC 2369 field, comments dropped.

    RFC 2369 §2 lets white space inside the brackets be ignored, so it is removed.
    """
    text = unfold(value)
    if "(" in text:
        text = _strip_cfws(text)
    urls = ["".join(m.group(1).split()) for m in _MSGID.finditer(text)]
    urls = [u for u in urls if u]
    return urls or None


def date_form(value: bytes) -> str | None:
    """RFC 8621 §4.1.2.6 Date."""
    return parse_date(unfold(value))


def addresses_form(value: bytes) -> list[dict]:
    """RFC 8621 §4.1.2.3 Addresses."""
    return parse_addresses(unfold(value))


def grouped_addresses_form(value: bytes) -> list[dict]:
    """RFC 8621 §4.1.2.4 GroupedAddresses."""
    return parse_grouped_addresses(unfold(value))


FORMS = {
    "Raw": decode_raw_header,
    "Text": text_form,
    "Addresses": addresses_form,
    "GroupedAddresses": grouped_addresses_form,
    "MessageIds": message_ids_form,
    "Date": date_form,
    "URLs": urls_form,
}


def header_form(value: bytes, form: str) -> Any:
    """Apply a parsed form by name (a key of FORMS) to one raw value."""
    return FORMS[form](value)


# Fields defined by RFC 5322 and RFC 2369, lowercased. Only these are limited
# to specific forms; any other field may be fetched in every form (RFC 8621 §4.1.2).
_RFC5322 = {
    "date", "from", "sender", "reply-to", "to", "cc", "bcc", "message-id",
    "in-reply-to", "references", "subject", "comments", "keywords",
    "resent-date", "resent-from", "resent-sender", "resent-to", "resent-cc",
    "resent-bcc", "resent-message-id", "return-path", "received",
}
_RFC2369 = {
    "list-help", "list-unsubscribe", "list-subscribe", "list-post", "list-owner", "list-archive",
}
_ADDRESS_FIELDS = {
    "from", "sender", "reply-to", "to", "cc", "bcc", "resent-from", "resent-sender",
    "resent-reply-to", "resent-to", "resent-cc", "resent-bcc",
}
_ALLOWED = {
    "Text": {"subject", "comments", "keywords", "list-id"},
    "Addresses": _ADDRESS_FIELDS,
    "GroupedAddresses": _ADDRESS_FIELDS,
    "MessageIds": {"message-id", "in-reply-to", "references", "resent-message-id"},
    "Date": {"date", "resent-date"},
    "URLs": _RFC2369,
}


def form_allowed(name: str, form: str) -> bool:
    """Whether RFC 8621 §4.1.2 lets header field ``name`` be fetched in ``form``.

    ``form`` is a parsed-form name without the ``as`` prefix ("Raw", "Text",
    "Addresses", "GroupedAddresses", "MessageIds", "Date", "URLs"). Raw is
    always allowed; the others only for the fields the RFC lists, or for any
    field not defined in RFC 5322 or RFC 2369. An unknown form is not allowed.
    A server must answer ``invalidArguments`` when this is False.
    """
    if form == "Raw":
        return True
    allowed = _ALLOWED.get(form)
    if allowed is None:
        return False
    key = name.lower()
    if key in allowed:
        return True
    return key not in _RFC5322 and key not in _RFC2369


def parse_header_property(prop: str) -> tuple[str, str, bool] | None:
    """Split ``header:{name}[:as{Form}][:all]`` (RFC 8621 §4.1.3) into (name, form, all).

    Returns None when the property is not a syntactically valid header
    property: the name must be printable ASCII without colons, the suffixes
    must come in that order, and the form must be a known one. Whether the
    form suits the field is a separate question (``form_allowed``).
    """
    if not prop.startswith("header:"):
        return None
    parts = prop[7:].split(":")
    name = parts[0]
    if not name or not all(33 <= ord(c) <= 126 for c in name):
        return None
    form = "Raw"
    want_all = False
    rest = parts[1:]
    if rest and rest[0].startswith("as"):
        form = rest[0][2:]
        if form not in FORMS:
            return None
        rest = rest[1:]
    if rest and rest[0] == "all":
        want_all = True
        rest = rest[1:]
    if rest:
        return None
    return name, form, want_all


_FIELD_NAME = re.compile(r"[!-9;-~]+\Z")


@lru_cache(maxsize=64)
def field_lines_pattern(fields: tuple[str, ...], keep: bool) -> re.Pattern[bytes] | None:
    """The fields a list names (keep) or all others (not keep), as IMAP's HEADER.FIELDS and
    HEADER.FIELDS.NOT pick them, each with its folded lines (RFC 9051 §6.4.5: names matched
    without regard to case), found with the line break before it and without its own last one; None when no field can be left. For HEADER.FIELDS a
    line's first character is looked at before the names: most lines of a header are not asked
    for. Field names are ASCII, so a name asked for that is not one (or not ASCII once lowered)
    matches none."""
    names = sorted({f.lower() for f in fields if f.lower().isascii() and _FIELD_NAME.match(f.lower())})
    if keep and not names:
        return None
    wanted = b"|".join(re.escape(name.encode()) for name in names) or b"(?!)"
    named = rb"(?:" + wanted + rb")[ \t]*+:"
    if keep:
        first = b"".join(re.escape(bytes([c])) for c in sorted({name.encode()[0] for name in names}))
        start = rb"(?=[" + first + rb"])" + named
    else:
        start = rb"(?!" + named + rb")[!-9;-~]++[ \t]*+:"
    return re.compile(rb"\n" + start + rb"[^\n]*+(?:\n[ \t][^\n]*+)*+", re.IGNORECASE)


def fields_finder(fields: list[str], keep: bool) -> Callable[[bytes], bytes]:
    """The lines of the fields `field_lines_pattern` picks from a header section whose every line
    is a field or a folded line, given after a line break (LF + section), then an empty line:
    one search per section, the pattern built once for many sections."""
    pattern = field_lines_pattern(tuple(fields), keep)
    if pattern is None:
        return lambda lined: b"\r\n"
    findall, join = pattern.findall, b"".join

    def find(lined: bytes) -> bytes:
        found = findall(lined)
        return join(found)[1:] + b"\n\r\n" if found else b"\r\n"

    return find
