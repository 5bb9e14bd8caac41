"""RFC 8621 §4.1.4 body part views: EmailBodyPart objects and textBody/htmlBody/attachments."""

from __future__ import annotations

from typing import Any, Iterable

from .headers import FORMS, parse_header_property, unfold
from .params import strip_comments
from .parse import Part
from .text import decode_raw_header

__all__ = [
    "DEFAULT_BODY_PROPERTIES",
    "BODY_PROPERTIES",
    "part_blob_id",
    "split_part_blob_id",
    "flatten",
    "render_part",
]

DEFAULT_BODY_PROPERTIES = [
    "partId", "blobId", "size", "name", "type", "charset",
    "disposition", "cid", "language", "location",
]
BODY_PROPERTIES = frozenset(DEFAULT_BODY_PROPERTIES + ["headers", "subParts"])


def part_blob_id(blob_id: str, part_id: str) -> str:
    """The blobId of a leaf part: the message's blobId, "_", and the partId."""
    return f"{blob_id}_{part_id}"


def split_part_blob_id(blob_id: str) -> tuple[str, str] | None:
    """Inverse of part_blob_id: (message blobId, partId), or None if not a part blob id."""
    base, sep, part_id = blob_id.rpartition("_")
    if not sep or not base or not part_id.isdigit():
        return None
    return base, part_id


def _is_inline_media(t: str) -> bool:
    return t.startswith(("image/", "audio/", "video/"))


def flatten(root: Part) -> tuple[list[Part], list[Part], list[Part]]:
    """(textBody, htmlBody, attachments) by the RFC 8621 §4.1.4 ``parseStructure`` algorithm.

    This follows the RFC's JavaScript line by line. Where the JavaScript would
    push to a list that an enclosing alternative has nulled (a case it does not
    guard), the push is skipped.
    """
    html_body: list[Part] = []
    text_body: list[Part] = []
    attachments: list[Part] = []
    _walk([root], "mixed", False, html_body, text_body, attachments)
    return text_body, html_body, attachments


def _walk(
    parts: list[Part],
    multipart_type: str,
    in_alternative: bool,
    html_body: list[Part] | None,
    text_body: list[Part] | None,
    attachments: list[Part],
) -> None:
    text_length = len(text_body) if text_body is not None else -1
    html_length = len(html_body) if html_body is not None else -1

    for i, part in enumerate(parts):
        ptype = part.type
        is_multipart = part.children is not None
        is_inline = (
            part.disposition != "attachment"
            and (ptype == "text/plain" or ptype == "text/html" or _is_inline_media(ptype))
            and (i == 0 or (multipart_type != "related" and (_is_inline_media(ptype) or not part.name)))
        )
        if is_multipart:
            sub = ptype.split("/", 1)[1]
            _walk(part.children, sub, in_alternative or sub == "alternative", html_body, text_body, attachments)
        elif is_inline:
            if multipart_type == "alternative":
                if ptype == "text/plain":
                    if text_body is not None:
                        text_body.append(part)
                elif ptype == "text/html":
                    if html_body is not None:
                        html_body.append(part)
                else:
                    attachments.append(part)
                continue
            elif in_alternative:
                if ptype == "text/plain":
                    html_body = None
                if ptype == "text/html":
                    text_body = None
            if text_body is not None:
                text_body.append(part)
            if html_body is not None:
                html_body.append(part)
            if (text_body is None or html_body is None) and _is_inline_media(ptype):
                attachments.append(part)
        else:
            attachments.append(part)

    if multipart_type == "alternative" and text_body is not None and html_body is not None:
        # Found HTML part only
        if text_length == len(text_body) and html_length != len(html_body):
            for k in range(html_length, len(html_body)):
                text_body.append(html_body[k])
        # Found plaintext part only
        if html_length == len(html_body) and text_length != len(text_body):
            for k in range(text_length, len(text_body)):
                html_body.append(text_body[k])


def _cid(part: Part) -> str | None:
    v = part.get("content-id")
    if v is None:
        return None
    text = unfold(v)
    if "(" in text:
        text = strip_comments(text)
    text = text.strip()
    if text.startswith("<"):
        text = text[1:]
        gt = text.find(">")
        if gt != -1:
            text = text[:gt]
    elif text.endswith(">"):
        text = text[:-1]
    text = "".join(text.split())
    return text or None


def _language(part: Part) -> list[str] | None:
    v = part.get("content-language")
    if v is None:
        return None
    text = unfold(v)
    if "(" in text:
        text = strip_comments(text)
    tags = [t.strip() for t in text.split(",")]
    tags = [t for t in tags if t]
    return tags or None


def _location(part: Part) -> str | None:
    v = part.get("content-location")
    if v is None:
        return None
    text = unfold(v)
    if "(" in text:
        text = strip_comments(text)
    text = "".join(text.split()).strip('"')
    return text or None


def render_part(part: Part, blob_id: str, props: Iterable[str], recurse: bool = False) -> dict[str, Any]:
    """One EmailBodyPart as a JSON-ready dict with the requested properties.

    ``recurse`` is set for bodyStructure: multipart parts then carry subParts
    (always, since a bodyStructure without its children would be meaningless).
    Unknown property names are ignored; the caller validates them.
    """
    out: dict[str, Any] = {}
    leaf = part.children is None
    for prop in props:
        if prop == "partId":
            out[prop] = part.part_id
        elif prop == "blobId":
            out[prop] = part_blob_id(blob_id, part.part_id) if leaf else None
        elif prop == "size":
            out[prop] = part.size
        elif prop == "name":
            out[prop] = part.name
        elif prop == "type":
            out[prop] = part.type
        elif prop == "charset":
            out[prop] = part.charset
        elif prop == "disposition":
            out[prop] = part.disposition
        elif prop == "cid":
            out[prop] = _cid(part)
        elif prop == "language":
            out[prop] = _language(part)
        elif prop == "location":
            out[prop] = _location(part)
        elif prop == "headers":
            out[prop] = [{"name": n, "value": decode_raw_header(v)} for n, v in part.headers]
        elif prop == "subParts":
            if not leaf:
                out[prop] = [render_part(c, blob_id, props, recurse) for c in part.children]
            else:
                out[prop] = None
        elif prop.startswith("header:"):
            spec = parse_header_property(prop)
            if spec is None:
                continue
            name, form, want_all = spec
            values = part.get_all(name)
            fn = FORMS[form]
            out[prop] = [fn(v) for v in values] if want_all else (fn(values[-1]) if values else None)
    if recurse and not leaf and "subParts" not in out:
        out["subParts"] = [render_part(c, blob_id, props, True) for c in part.children]
    return out
