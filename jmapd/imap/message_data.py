"""A stored message as IMAP describes it: ENVELOPE, BODYSTRUCTURE and body sections
(RFC 9051 §7.5.2), from jmapd's own MIME parser.

A stored message's ENVELOPE is rendered by `jmapd.mime.envelope` when its Email is written and
kept beside the record (jmapd/mail/envelopes.py), so a mailbox's initial sync never reads a
message's octets. BODYSTRUCTURE and sections split the octets with `jmapd.mime`'s splitter;
parts are numbered the IMAP way (§6.4.5: a multipart's children 1, 2, ...; a message/rfc822
part's own parts beneath it).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from ..mime import parse_message, summarize
from ..mime.envelope import MONTHS, envelope
from ..mime.headers import split_header_block
from ..mime.parse import Part, message_start, parse_tree
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

    def label(self) -> bytes:
        spec = ".".join(str(n) for n in self.path)
        if self.text:
            spec = f"{spec}.{self.text}" if spec else self.text
        if self.fields:
            spec += " (" + " ".join(f.upper() for f in self.fields) + ")"
        return spec.encode()


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


def _filtered(header: bytes, fields: list[str], keep: bool) -> bytes:
    wanted = {f.lower() for f in fields}
    out = []
    current_keep = False
    for line in header.splitlines(keepends=True):
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


def section_bytes(raw: bytes, section: Section) -> bytes:
    if not section.path and not section.text:
        return raw
    if not section.path and section.text in ("HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT"):
        # The message's own header or text: found where its header section ends, without the
        # MIME tree (a mail app's list view asks for this, fifty messages at a time).
        start = message_start(raw)
        _, body_start = split_header_block(raw, start, len(raw))
        if section.text == "TEXT":
            return raw[body_start:]
        header = raw[start:body_start]
        return header if section.text == "HEADER" else _filtered(header, section.fields,
                                                                  keep=section.text == "HEADER.FIELDS")
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
