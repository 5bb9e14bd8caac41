"""A stored message as IMAP describes it: ENVELOPE, BODYSTRUCTURE and body sections
(RFC 9051 §7.5.2), from jmapd's own MIME parser.

A stored message's ENVELOPE is rendered by `jmapd.mime.envelope` when its Email is written and
kept beside the record (jmapd/mail/envelopes.py), so a mailbox's initial sync never reads a
message's octets. BODYSTRUCTURE and sections split the octets with `jmapd.mime`'s splitter;
parts are numbered the IMAP way (§6.4.5: a multipart's children 1, 2, ...; a message/rfc822
part's own parts beneath it). The message's own header section and its fields (a list view's
FETCH) are read from its first octets only (`StoredMessage`), without the rest of the message or
its MIME tree.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from ..mime import parse_message, summarize
from ..mime.envelope import MONTHS, envelope
from ..mime.headers import fields_finder, header_end
from ..mime.parse import Part, own_header, parse_tree
from . import wire
from .errors import Bad, No


def internal_date(epoch: int) -> bytes:
    """date-time (RFC 9051 §9): "dd-Mon-yyyy hh:mm:ss +0000"."""
    t = datetime.fromtimestamp(epoch, timezone.utc)
    return b'"%02d-%s-%04d %02d:%02d:%02d +0000"' % (t.day, MONTHS[t.month - 1].encode(), t.year, t.hour,
                                                     t.minute, t.second)


# -- BODYSTRUCTURE ---------------------------------------------------------------------------------
def _raw_header(part: Part, name: str) -> str | None:
    value = part.get(name)
    if value is None:
        return None
    return re.sub(r"\r?\n[ \t]*", " ", value.decode("utf-8", "replace")).strip()


def _params(params: dict[str, str]) -> bytes:
    if not params:
        return b"NIL"
    return b"(" + b" ".join(b"%s %s" % (wire.string(k.upper()), wire.string(v)) for k, v in params.items()) + b")"


def _lines(data: bytes) -> int:
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def _extension(part: Part, multipart: bool) -> bytes:
    disposition = b"NIL"
    if part.disposition:
        disposition = b"(%s %s)" % (wire.string(part.disposition.upper()), _params(part.disp_params))
    language = _raw_header(part, "content-language")
    fields = [disposition, wire.string(language) if language else b"NIL",
              wire.string(_raw_header(part, "content-location"))]
    if not multipart:
        fields.insert(0, wire.string(_raw_header(part, "content-md5")))
    return b" ".join(fields)


def body_structure(part: Part, extensible: bool = True, depth: int = 0) -> bytes:
    """BODYSTRUCTURE (or BODY without extension data) of an entity."""
    major, _, minor = part.type.partition("/")
    if part.children is not None:
        inner = b"".join(body_structure(child, extensible, depth + 1) for child in part.children)
        out = inner + b" " + wire.string(minor.upper())
        if extensible:
            out += b" " + _params(part.params) + b" " + _extension(part, True)
        return b"(" + out + b")"
    params = dict(part.params)
    if major == "text" and "charset" not in params:
        params["charset"] = "us-ascii"
    body = part.body
    fields = [wire.string(major.upper()), wire.string(minor.upper()), _params(params),
              wire.string(_raw_header(part, "content-id")), wire.string(_raw_header(part, "content-description")),
              wire.string((part.cte or "7bit").upper()), b"%d" % len(body)]
    if part.type == "message/rfc822" and depth < 20:
        inner = parse_tree(body)
        fields += [envelope(summarize(parse_message(body, "")), False),
                   body_structure(inner, extensible, depth + 1), b"%d" % _lines(body)]
    elif major == "text":
        fields.append(b"%d" % _lines(body))
    if extensible:
        fields.append(_extension(part, False))
    return b"(" + b" ".join(fields) + b")"


# -- sections ----------------------------------------------------------------------------------------
class Section:
    """A parsed section spec: part path, and what of it (RFC 9051 §6.4.5)."""

    def __init__(self, path: list[int], text: str = "", fields: list[str] | None = None):
        self.path = path
        self.text = text  # "", HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT, MIME
        self.fields = fields or []
        self._label: bytes | None = None

    def label(self) -> bytes:
        """The section as the response names it (written once per command, not per message)."""
        if self._label is None:
            spec = ".".join(str(n) for n in self.path)
            if self.text:
                spec = f"{spec}.{self.text}" if spec else self.text
            if self.fields:
                spec += " (" + " ".join(f.upper() for f in self.fields) + ")"
            self._label = spec.encode()
        return self._label


class StoredMessage:
    """A stored message's octets as FETCH reads them, from a view into the store's map (or the
    bytes themselves): its own header section from the first pages only (`own_header`), the
    whole message copied once when an item needs it; or, `from_header`, only the header section
    kept beside its Email (jmapd/mail/envelopes.py). A view is valid only while the read
    transaction that gave it is open; nothing here returns one."""

    __slots__ = ("view", "_whole", "_header", "_end", "plain")

    def __init__(self, view: bytes | memoryview):
        self.view = view
        self._whole: bytes | None = None
        self._header: bytes | None = None
        self._end = 0
        # Every line of the header section is a field or a folded line (RFC 5322 §2.2).
        self.plain = False

    @classmethod
    def from_header(cls, header: bytes, plain: bool) -> "StoredMessage":
        """A message known by its header section only: for header items, never for its text."""
        message = cls(b"")
        message._header, message.plain = header, plain
        return message

    def whole(self) -> bytes:
        if self._whole is None:
            self._whole = bytes(self.view)
        return self._whole

    def header(self) -> bytes:
        """The message's own header section, its empty line included."""
        if self._header is None:
            self._find_header()
        return self._header

    def text(self) -> bytes:
        """What follows the header section."""
        if self._header is None:
            self._find_header()
        return self.whole()[self._end:]

    def _find_header(self) -> None:
        self._header, self._end, self.plain, whole = own_header(self.view)
        if whole is not None:
            self._whole = whole


def _child(part: Part, n: int) -> Part:
    """Part n of an entity: a multipart's nth child, a message/rfc822's body, or a leaf itself."""
    if part.children is not None:
        if n < 1 or n > len(part.children):
            raise No("no such body part", "NONEXISTENT")
        return part.children[n - 1]
    if part.type == "message/rfc822":
        return _child(parse_tree(part.body), n)
    if n != 1:
        raise No("no such body part", "NONEXISTENT")
    return part


def resolve(root: Part, path: list[int]) -> Part:
    part = root
    for n in path:
        part = _child(part, n)
    return part


def _header_block(part: Part) -> bytes:
    return part.raw[part.start:part.body_start]


def _filtered(header: bytes, fields: list[str], keep: bool, plain: bool = False) -> bytes:
    """The field lines of a header section that HEADER.FIELDS (keep) or HEADER.FIELDS.NOT leave,
    then an empty line. `plain`: every line of `header` is known to be a field or a folded line.
    Lines end at LF (a CR before it is part of the line), as the header section's end is found."""
    if not (plain or header_end(header) == len(header)):
        return _filtered_by_line(header, {f.lower() for f in fields}, keep)
    return filtered_lines(b"\n" + header, fields, keep)


def filtered_lines(lined: bytes, fields: list[str], keep: bool) -> bytes:
    """`_filtered` of a header section whose every line is a field or a folded line, given after
    a line break (as jmapd/mail/envelopes.py keeps it): one search finds the lines."""
    return fields_finder(fields, keep)(lined)


def _filtered_by_line(header: bytes, wanted: set[str], keep: bool) -> bytes:
    """`_filtered` for any header section: a line that neither is a field nor folds one starts a
    field all the same, named by what precedes its colon."""
    out = []
    current_keep = False
    *ended, last = header.split(b"\n")
    for line in [line + b"\n" for line in ended] + ([last] if last else []):
        if line in (b"\r\n", b"\n"):
            break
        if line[:1] in (b" ", b"\t"):
            if current_keep:
                out.append(line)
            continue
        name = line.split(b":", 1)[0].strip().decode("latin-1").lower()
        current_keep = (name in wanted) == keep
        if current_keep:
            out.append(line)
    return b"".join(out) + b"\r\n"


def section_bytes(message: StoredMessage, section: Section) -> bytes:
    if not section.path and not section.text:
        return message.whole()
    if not section.path and section.text in ("HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT"):
        # The message's own header or text: found where its header section ends, without the
        # MIME tree, reading only the header's octets unless the text is asked for (a mail
        # app's list view asks for header fields, fifty messages at a time).
        if section.text == "TEXT":
            return message.text()
        header = message.header()
        if section.text == "HEADER":
            return header
        return _filtered(header, section.fields, keep=section.text == "HEADER.FIELDS", plain=message.plain)
    raw = message.whole()
    root = parse_tree(raw)
    target = resolve(root, section.path) if section.path else root
    if section.text == "MIME":
        if not section.path:
            raise Bad("MIME needs a part number")
        return _header_block(target)
    if section.text:
        if section.path:
            if target.type != "message/rfc822":
                raise No("HEADER and TEXT apply to a message part", "NONEXISTENT")
            target = parse_tree(target.body)
        if section.text == "TEXT":
            return target.raw[target.body_start:target.end]
        header = _header_block(target)
        if section.text == "HEADER":
            return header
        return _filtered(header, section.fields, keep=section.text == "HEADER.FIELDS")
    if target is root and root.children is None and section.path == [1]:
        return root.raw[root.body_start:root.end]
    if target.children is not None:
        return target.raw[target.body_start:target.end]
    return target.body


def binary_bytes(raw: bytes, path: list[int]) -> bytes:
    """BINARY[section] (RFC 3516): the part's content with its transfer encoding undone."""
    root = parse_tree(raw)
    if not path:
        return raw
    part = resolve(root, path)
    if part.children is not None:
        return part.raw[part.body_start:part.end]
    data, broken = part.decoded()
    if broken and part.cte not in ("", "7bit", "8bit", "binary", "base64", "quoted-printable"):
        raise No(f"unknown Content-Transfer-Encoding {part.cte}", "UNKNOWN-CTE")
    return data
