"""The Email view of one message (RFC 8621 §4.1): the API the server calls.

A Message is built from raw octets in one cheap pass (headers split, MIME
boundaries located); header forms, part sizes, body text and the
textBody/htmlBody/attachments lists are computed on first use and cached.
Every method returns JSON-ready values (dicts, lists, str, int, bool, None).
"""

from __future__ import annotations

from typing import Any, Iterable

from .bodies import body_value
from .headers import FORMS, parse_header_property, split_header_block
from .html_text import html_to_text
from .parse import Part, message_start, parse_tree
from .structure import DEFAULT_BODY_PROPERTIES, flatten, render_part
from .text import decode_bytes, decode_raw_header, lookup_charset

__all__ = ["Message", "parse_message", "top_header", "CONVENIENCE_HEADERS", "PREVIEW_LENGTH"]

PREVIEW_LENGTH = 256

# RFC 8621 §4.1.3 convenience properties: (header field, parsed form)
CONVENIENCE_HEADERS: dict[str, tuple[str, str]] = {
    "messageId": ("Message-ID", "MessageIds"),
    "inReplyTo": ("In-Reply-To", "MessageIds"),
    "references": ("References", "MessageIds"),
    "sender": ("Sender", "Addresses"),
    "from": ("From", "Addresses"),
    "to": ("To", "Addresses"),
    "cc": ("Cc", "Addresses"),
    "bcc": ("Bcc", "Addresses"),
    "replyTo": ("Reply-To", "Addresses"),
    "subject": ("Subject", "Text"),
    "sentAt": ("Date", "Date"),
}



def _collapse_prefix(text: str, want: int) -> str:
    """White-space-collapsed text, computed only as far as ``want`` characters need."""
    size = max(want, 64) * 2
    while True:
        chunk = text[:size]
        out = " ".join(chunk.split())
        if len(out) >= want or size >= len(text):
            return out[: max(want, 0)]
        size *= 4


class Message:
    """A parsed message. Construct with ``parse_message``; never raises on content.

    Attributes: ``blob_id`` (the message's blobId, prefix of part blobIds),
    ``raw`` (the octets), ``root`` (the MIME tree, see ``parse.Part``).
    """

    __slots__ = ("blob_id", "raw", "root", "_index", "_flat", "_leaves", "_texts", "_hint")

    def __init__(self, raw: bytes, blob_id: str, root: Part) -> None:
        self.blob_id = blob_id
        self.raw = raw
        self.root = root
        self._index: dict[str, list[bytes]] | None = None
        self._flat: tuple[list[Part], list[Part], list[Part]] | None = None
        self._leaves: dict[str, Part] | None = None
        self._texts: dict[str, tuple[str, bool]] = {}
        self._hint: str | None | bool = False  # False: not computed yet

    # -- headers (RFC 8621 §4.1.2, §4.1.3) ---------------------------------

    @property
    def headers(self) -> list[dict[str, str]]:
        """The ``headers`` property: every field in order, name as written, value in Raw form."""
        return [{"name": n, "value": decode_raw_header(v)} for n, v in self.root.headers]

    def _values(self, name: str) -> list[bytes]:
        if self._index is None:
            idx: dict[str, list[bytes]] = {}
            for n, v in self.root.headers:
                idx.setdefault(n.lower(), []).append(v)
            self._index = idx
        return self._index.get(name.lower(), [])

    def header(self, name: str, form: str = "Raw", all: bool = False) -> Any:
        """Value of ``header:{name}:as{form}[:all]`` (RFC 8621 §4.1.3).

        ``name`` is matched case-insensitively. ``form`` is one of "Raw",
        "Text", "Addresses", "GroupedAddresses", "MessageIds", "Date", "URLs"
        (ValueError otherwise). Without ``all`` the last instance is used and
        an absent field gives None; with ``all`` a list, empty if absent.
        This does not check ``form_allowed``; the caller must, to answer
        invalidArguments.
        """
        fn = FORMS.get(form)
        if fn is None:
            raise ValueError(f"unknown header form {form!r}")
        values = self._values(name)
        if form != "Raw":
            values = [v if v.isascii() else self._legacy_8bit(v) for v in values]
        if all:
            return [fn(v) for v in values]
        return fn(values[-1]) if values else None

    def _legacy_8bit(self, value: bytes) -> bytes:
        """Re-encode undeclared 8-bit header octets as UTF-8 for the parsed forms.

        RFC 6532 headers are UTF-8 and pass through. Otherwise the octets are
        most likely in the charset the sender used for the body (Chinese
        bounces with raw GB2312 subjects, for example), so that charset is
        tried before the generic guess. Raw form never comes here: it must
        show U+FFFD instead (RFC 8621 §4.1.2.1).
        """
        try:
            value.decode("utf-8")
            return value
        except UnicodeDecodeError:
            pass
        if self._hint is False:
            self._hint = _charset_hint(self.root)
        if self._hint:
            try:
                return value.decode(self._hint).encode("utf-8")
            except Exception:
                pass
        return value

    # -- body structure (RFC 8621 §4.1.4) -----------------------------------

    def _flatten(self) -> tuple[list[Part], list[Part], list[Part]]:
        if self._flat is None:
            self._flat = flatten(self.root)
        return self._flat

    def leaf(self, part_id: str) -> Part | None:
        """The leaf part with this partId, or None."""
        if self._leaves is None:
            leaves: dict[str, Part] = {}
            stack = [self.root]
            while stack:
                p = stack.pop()
                if p.children is None:
                    leaves[p.part_id] = p
                else:
                    stack.extend(p.children)
            self._leaves = leaves
        return self._leaves.get(part_id)

    def body_structure(self, body_properties: list[str] | None = None) -> dict[str, Any]:
        """The ``bodyStructure`` EmailBodyPart tree; multiparts always carry ``subParts``.

        ``body_properties`` defaults to the RFC 8621 §4.2 list and may include
        "headers", "subParts" and ``header:{name}[:as{form}][:all]``.
        """
        props = body_properties if body_properties is not None else DEFAULT_BODY_PROPERTIES
        return render_part(self.root, self.blob_id, props, recurse=True)

    def _render(self, parts: list[Part], body_properties: list[str] | None) -> list[dict[str, Any]]:
        props = body_properties if body_properties is not None else DEFAULT_BODY_PROPERTIES
        return [render_part(p, self.blob_id, props) for p in parts]

    def text_body(self, body_properties: list[str] | None = None) -> list[dict[str, Any]]:
        """``textBody``: parts to show, preferring text/plain alternatives."""
        return self._render(self._flatten()[0], body_properties)

    def html_body(self, body_properties: list[str] | None = None) -> list[dict[str, Any]]:
        """``htmlBody``: parts to show, preferring text/html alternatives."""
        return self._render(self._flatten()[1], body_properties)

    def attachments(self, body_properties: list[str] | None = None) -> list[dict[str, Any]]:
        """``attachments``: leaves not shown as body, plus inline media not in both bodies."""
        return self._render(self._flatten()[2], body_properties)

    def text_body_parts(self) -> list[Part]:
        return self._flatten()[0]

    def html_body_parts(self) -> list[Part]:
        return self._flatten()[1]

    def attachment_parts(self) -> list[Part]:
        return self._flatten()[2]

    @property
    def has_attachment(self) -> bool:
        """RFC 8621 §4.1.4 hasAttachment.

        True if an attachment is not ``Content-Disposition: inline``. As the RFC
        permits, images embedded in a multipart/related by Content-ID (and not
        marked as attachments) are not counted.
        """
        for p in self._flatten()[2]:
            if p.disposition == "inline":
                continue
            if (
                p.disposition is None
                and p.parent_type == "multipart/related"
                and p.index > 0
                and p.get("content-id") is not None
            ):
                continue
            return True
        return False

    # -- content --------------------------------------------------------------

    def part_text(self, part: Part) -> tuple[str, bool]:
        """(decoded text, isEncodingProblem) of a leaf, CRLF kept; cached."""
        got = self._texts.get(part.part_id)
        if got is None:
            data, tproblem = part.decoded()
            text, cproblem = decode_bytes(data, part.params.get("charset"))
            got = (text, tproblem or cproblem)
            self._texts[part.part_id] = got
        return got

    def body_values(self, part_ids: Iterable[str], max_bytes: int | None = None) -> dict[str, dict[str, Any]]:
        """``bodyValues`` for the given partIds (RFC 8621 §4.1.4).

        Only leaf ``text/*`` parts are included; others and unknown ids are
        skipped. ``max_bytes`` (None or 0: unlimited) truncates each value to
        that many UTF-8 octets on a character boundary, and for text/html not
        inside a tag.
        """
        out: dict[str, dict[str, Any]] = {}
        for pid in part_ids:
            part = self.leaf(pid)
            if part is None or not part.type.startswith("text/") or pid in out:
                continue
            data, tproblem = part.decoded()
            out[pid] = body_value(data, part.params.get("charset"), tproblem, max_bytes, part.type == "text/html")
        return out

    def body_value_part_ids(self, fetch_text: bool = False, fetch_html: bool = False, fetch_all: bool = False) -> list[str]:
        """PartIds that ``fetchTextBodyValues``/``fetchHTMLBodyValues``/``fetchAllBodyValues`` select (§4.2)."""
        ids: list[str] = []
        seen: set[str] = set()
        text, html, _ = self._flatten()
        groups: list[Iterable[Part]] = []
        if fetch_all:
            stack = [self.root]
            leaves = []
            while stack:
                p = stack.pop()
                if p.children is None:
                    leaves.append(p)
                else:
                    stack.extend(reversed(p.children))
            groups.append(leaves)
        else:
            if fetch_text:
                groups.append(text)
            if fetch_html:
                groups.append(html)
        for g in groups:
            for p in g:
                if p.type.startswith("text/") and p.part_id not in seen:
                    seen.add(p.part_id)
                    ids.append(p.part_id)
        return ids

    def part_content(self, part_id: str) -> tuple[bytes, str, str | None] | None:
        """(octets after transfer decoding, media type, file name) of a leaf; None if no such leaf.

        This is what a part's blobId downloads, and what Email/parse reads for
        an attached message/rfc822.
        """
        part = self.leaf(part_id)
        if part is None:
            return None
        return part.decoded()[0], part.type, part.name

    # -- derived text -----------------------------------------------------------

    def body_text_parts(self) -> list[str]:
        """Searchable text of each textBody text part, HTML converted (alt and title included)."""
        out: list[str] = []
        for p in self._flatten()[0]:
            if p.type == "text/plain":
                out.append(self.part_text(p)[0])
            elif p.type == "text/html":
                out.append(html_to_text(self.part_text(p)[0], attributes=True))
        return out

    @property
    def preview(self) -> str:
        """RFC 8621 §4.1.4 preview: up to 256 characters of body text, white space collapsed."""
        pieces: list[str] = []
        total = 0
        for p in self._flatten()[0]:
            if p.type == "text/plain":
                text = _collapse_prefix(self.part_text(p)[0], PREVIEW_LENGTH - total)
            elif p.type == "text/html":
                text = _collapse_prefix(html_to_text(self.part_text(p)[0][:65536]), PREVIEW_LENGTH - total)
            else:
                continue
            if text:
                pieces.append(text)
                total += len(text) + 1
                if total > PREVIEW_LENGTH:
                    break
        return " ".join(pieces)[:PREVIEW_LENGTH].rstrip()

    # -- Email properties -------------------------------------------------------

    def properties(self, names: Iterable[str], body_properties: list[str] | None = None) -> dict[str, Any]:
        """The parse-derived Email properties named (RFC 8621 §4.1).

        Handles the convenience header properties, ``headers``,
        ``header:...`` properties, ``bodyStructure``, ``textBody``,
        ``htmlBody``, ``attachments``, ``hasAttachment`` and ``preview``.
        Other names (metadata such as id, size, bodyValues) are the caller's
        and are skipped. Header property keys keep the caller's spelling.
        """
        out: dict[str, Any] = {}
        for name in names:
            conv = CONVENIENCE_HEADERS.get(name)
            if conv is not None:
                out[name] = self.header(conv[0], conv[1])
            elif name == "headers":
                out[name] = self.headers
            elif name.startswith("header:"):
                spec = parse_header_property(name)
                if spec is not None:
                    out[name] = self.header(spec[0], spec[1], spec[2])
            elif name == "bodyStructure":
                out[name] = self.body_structure(body_properties)
            elif name == "textBody":
                out[name] = self.text_body(body_properties)
            elif name == "htmlBody":
                out[name] = self.html_body(body_properties)
            elif name == "attachments":
                out[name] = self.attachments(body_properties)
            elif name == "hasAttachment":
                out[name] = self.has_attachment
            elif name == "preview":
                out[name] = self.preview
        return out

    def __repr__(self) -> str:
        return f"<Message {self.blob_id} {self.root.type}>"


def _charset_hint(root: Part) -> str | None:
    """The first declared non-ASCII charset of the message (root, then text leaves)."""
    stack = [root]
    while stack:
        p = stack.pop()
        cs = lookup_charset(p.params.get("charset"))
        if cs and cs not in ("utf_8", "cp1252", "ascii"):
            return cs
        if p.children is not None:
            stack.extend(reversed(p.children))
    return None


def parse_message(raw: bytes, blob_id: str) -> Message:
    """Parse message octets into a Message. Never raises on any input.

    ``blob_id`` is the message's blobId; leaf parts get ``{blob_id}_{partId}``.
    Accepts LF, CRLF or mixed line endings and a leading mbox ``From `` line.
    Should the structure pass ever fail unexpectedly, the whole message is
    presented as a single text/plain part rather than an error.
    """
    if not isinstance(raw, bytes):
        raw = bytes(raw)
    try:
        root = parse_tree(raw)
    except Exception:  # defence in depth: a malformed message must still be served
        root = Part(raw, [], 0, len(raw))
        root.type = "text/plain"
        root.params = {}
        root.has_ctype = False
        root.cte = ""
        root.disposition = None
        root.disp_params = {}
        root.part_id = "1"
    return Message(raw, blob_id, root)


def top_header(raw: bytes, name: str, form: str) -> list[Any] | None:
    """What ``Message.header(name, form, all=True)`` gives, read from the message's header section
    alone, its body left unparsed; None when a value of the field has 8-bit octets (their parsed
    forms depend on the charsets the body declares: ask the parsed Message then). ValueError for an
    unknown form, as Message.header."""
    fn = FORMS.get(form)
    if fn is None:
        raise ValueError(f"unknown header form {form!r}")
    try:
        headers, _ = split_header_block(raw, message_start(raw), len(raw))
    except Exception:  # parse_message copes with anything; let it
        return None
    wanted = name.lower()
    values = [v for n, v in headers if n.lower() == wanted]
    if form != "Raw" and not all(v.isascii() for v in values):
        return None
    return [fn(v) for v in values]
