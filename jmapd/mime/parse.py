"""MIME structure: splitting raw message octets into a tree of entities.

The tree holds offsets into the original bytes rather than copies, and only
the headers that decide the structure (Content-Type, Content-Disposition,
Content-Transfer-Encoding) are interpreted here; everything else stays raw
until asked for. The splitter is total: any byte string gives a tree.
"""

from __future__ import annotations

from .bodies import decode_transfer
from .headers import RawHeader, header_end, plain_lines, split_header_block, unfold
from .params import parse_content_type, parse_disposition, strip_comments

__all__ = ["Part", "parse_tree", "message_start", "own_header", "HEAD_READ", "has_header_section", "MAX_DEPTH", "MAX_PARTS"]

# Nesting beyond this is treated as an opaque leaf: real mail never comes close,
# and it bounds recursion on hostile input.
MAX_DEPTH = 60
# Entities one message is split into, at most; what a multipart holds past them stays in its
# last part, unsplit. Real mail (digests included) has a few hundred at most; 4 MB of hostile
# MIME can hold 100,000, whose parse took half a second and whose objects took 20 ms to free in
# one go, holding the GIL (and the event loop with it) all that time.
MAX_PARTS = 10_000


class _Budget:
    """Entities the parse of one message may still make (besides its root)."""

    __slots__ = ("left",)

    def __init__(self, left: int) -> None:
        self.left = left


class Part:
    """One MIME entity.

    ``type`` is the effective lowercased media type (RFC 2045 defaults
    applied), ``children`` is a list for multipart entities and None for
    leaves, and ``part_id`` is the JMAP partId ("1", "2", ... for leaves in
    depth-first order; None for multiparts).
    """

    __slots__ = (
        "raw",
        "start",
        "headers",
        "body_start",
        "end",
        "type",
        "params",
        "has_ctype",
        "cte",
        "disposition",
        "disp_params",
        "children",
        "part_id",
        "parent_type",
        "index",
        "_decoded",
    )

    def __init__(self, raw: bytes, headers: list[RawHeader], body_start: int, end: int) -> None:
        self.raw = raw
        self.start = body_start  # where the entity's header section begins; set by the splitter
        self.headers = headers
        self.body_start = body_start
        self.end = end
        self.children: list[Part] | None = None
        self.part_id: str | None = None
        # The enclosing multipart's media type, not the Part itself: a tree with links both ways is
        # a reference cycle, freed only by the garbage collector's rare full passes, so parsed
        # messages piled up as garbage under load (hundreds of MB).
        self.parent_type: str | None = None
        self.index = 0
        self._decoded: tuple[bytes, bool] | None = None

    def get(self, name: str) -> bytes | None:
        """First raw value of a header field (MIME fields are single-instance)."""
        name = name.lower()
        for n, v in self.headers:
            if n.lower() == name:
                return v
        return None

    def get_all(self, name: str) -> list[bytes]:
        name = name.lower()
        return [v for n, v in self.headers if n.lower() == name]

    @property
    def is_multipart(self) -> bool:
        return self.children is not None

    @property
    def body(self) -> bytes:
        """The entity body as stored, still transfer-encoded."""
        return self.raw[self.body_start : self.end]

    def decoded(self) -> tuple[bytes, bool]:
        """(content after transfer decoding, whether the encoding was malformed or unknown)."""
        if self._decoded is None:
            if self.children is not None or self.type.startswith(("message/", "multipart/")):
                # RFC 2045 §6.4: composite types are never encoded; ignore any label.
                self._decoded = (self.body, False)
            else:
                self._decoded = decode_transfer(self.body, self.cte)
        return self._decoded

    @property
    def size(self) -> int:
        """RFC 8621 §4.1.4 size: octets after transfer decoding."""
        if self.children is not None or self.cte in ("", "7bit", "8bit", "binary") or self.type.startswith(
            ("message/", "multipart/")
        ):
            return self.end - self.body_start
        return len(self.decoded()[0])

    @property
    def charset(self) -> str | None:
        """RFC 8621 §4.1.4 charset: the parameter, else the MIME implicit us-ascii for text/*.

        An absent Content-Type means text/plain (us-ascii), except in a digest
        where it means message/rfc822, which has no charset.
        """
        cs = self.params.get("charset")
        if cs is not None:
            cs = cs.strip()
            if cs:
                return cs
        if self.type.startswith("text/"):
            return "us-ascii"
        return None

    @property
    def name(self) -> str | None:
        """RFC 8621 §4.1.4 name: Content-Disposition filename, else Content-Type name."""
        n = self.disp_params.get("filename")
        if not n:
            n = self.params.get("name")
        if n:
            n = n.strip()
        return n or None


def _find_delimiters(raw: bytes, start: int, end: int, boundary: bytes,
                     most: int) -> tuple[list[tuple[int, int]], bool]:
    """Locate boundary delimiter lines in raw[start:end] (RFC 2046 §5.1.1), the first `most` of
    them at most.

    Returns ([(line_start, after_line)], closed). A delimiter must begin a line
    and be followed only by optional "--" and white space, so a boundary that
    is a prefix of a nested one does not match.
    """
    delim = b"--" + boundary
    dl = len(delim)
    found: list[tuple[int, int]] = []
    pos = start
    find = raw.find
    while True:
        i = find(delim, pos, end)
        if i == -1:
            return found, False
        pos = i + 1
        if i != start and raw[i - 1] != 10:
            continue
        j = i + dl
        nl = find(b"\n", j, end)
        line_end = end if nl == -1 else nl
        rest = raw[j:line_end]
        closing = rest.startswith(b"--")
        if closing:
            rest = rest[2:]
        if rest.strip(b" \t\r"):
            continue
        if closing:
            return found + [(i, line_end + 1 if nl != -1 else end)], True
        found.append((i, line_end + 1 if nl != -1 else end))
        if len(found) >= most:
            return found, False
        pos = line_end


def _line_break_before(raw: bytes, start: int, pos: int) -> int:
    """The CRLF (or LF) before a delimiter belongs to it, not to the part body."""
    if pos > start and raw[pos - 1] == 10:
        pos -= 1
        if pos > start and raw[pos - 1] == 13:
            pos -= 1
    return pos


def _entity(raw: bytes, start: int, end: int, default_type: str, depth: int, budget: _Budget) -> Part:
    headers, body_start = split_header_block(raw, start, end)
    part = Part(raw, headers, body_start, end)
    part.start = start  # IMAP's BODY[n.MIME] is the octets from here to body_start
    ctype_raw = disp_raw = cte_raw = None
    for n, v in headers:
        if len(n) > 11 and n[:8].lower() == "content-":
            key = n[8:].lower()
            if key == "type":
                if ctype_raw is None:
                    ctype_raw = v
            elif key == "disposition":
                if disp_raw is None:
                    disp_raw = v
            elif key == "transfer-encoding" and cte_raw is None:
                cte_raw = v
    if ctype_raw is None:
        ctype, params = default_type, {}
        part.has_ctype = False
    else:
        ctype, params = parse_content_type(unfold(ctype_raw))
        part.has_ctype = True
        if ctype is None:
            ctype = "text/plain"  # RFC 2045 §5.2: invalid Content-Type
    part.params = params
    part.disposition, part.disp_params = parse_disposition(unfold(disp_raw)) if disp_raw is not None else (None, {})
    cte = ""
    if cte_raw is not None:
        cte = unfold(cte_raw)
        if "(" in cte:
            cte = strip_comments(cte)
        cte = cte.strip().strip('"').lower()
    part.cte = cte
    part.type = ctype
    if ctype.startswith("multipart/"):
        boundary = params.get("boundary", "").strip()
        children = None
        if boundary and depth < MAX_DEPTH and budget.left > 0:
            children = _split(raw, body_start, end, boundary.encode("utf-8", "surrogateescape"), ctype, depth, budget)
        if children:
            part.children = children
            for i, c in enumerate(children):
                c.parent_type = ctype
                c.index = i
        else:
            # No usable boundary: keep the content visible as one text leaf
            # rather than an empty multipart.
            part.type = "text/plain"
            part.params = {k: v for k, v in params.items() if k == "charset"}
    return part


def _split(raw: bytes, start: int, end: int, boundary: bytes, ctype: str, depth: int, budget: _Budget) -> list[Part]:
    delims, closed = _find_delimiters(raw, start, end, boundary, budget.left + 1)
    if not delims:
        return []
    default = "message/rfc822" if ctype == "multipart/digest" else "text/plain"
    children: list[Part] = []
    bodies: list[tuple[int, int]] = []
    for k in range(len(delims) - 1 if closed else len(delims)):
        s = delims[k][1]
        e = _line_break_before(raw, s, delims[k + 1][0]) if k + 1 < len(delims) else end
        bodies.append((s, e))
    if not closed and bodies:
        s, e = bodies[-1]
        if not raw[s:e].strip():
            bodies.pop()  # a trailing delimiter that should have been the close delimiter
    opaque = len(bodies) > budget.left
    if opaque:  # the last part the budget allows keeps the rest of the multipart, unsplit
        bodies[budget.left - 1:] = [(bodies[budget.left - 1][0], end)]
    budget.left -= len(bodies)  # taken before any child splits, so nested parts share what is left
    for n, (s, e) in enumerate(bodies):
        last = opaque and n == len(bodies) - 1
        children.append(_entity(raw, s, e, default, MAX_DEPTH if last else depth + 1, budget))
    return children


def message_start(raw: bytes) -> int:
    """Where the message begins: after a leading mbox ``From `` line, if any."""
    if raw.startswith(b"From "):
        nl = raw.find(b"\n")
        return len(raw) if nl == -1 else nl + 1
    return 0


# The first octets of a message read for its header section (those on the first page of a
# large value in the store, after the page's 16-octet header); a longer header reads 4 times more.
HEAD_READ = 4096 - 16


def own_header(view: bytes | memoryview) -> tuple[bytes, int, bool, bytes | None]:
    """A message's own header section, its empty line included, read from its first octets only
    when it is plainly well-formed: (the section, where it ends, whether every line of it is a
    field or a folded line, the whole message when it had to be copied, else None). `view` may be
    a view into the store's map; nothing returned is one."""
    size, n = len(view), HEAD_READ
    start = checked = None
    while True:
        data = bytes(view[:n])
        if start is None and (message_start(data) < len(data) or len(data) == size):
            start = checked = message_start(data)  # (past an mbox From line the prefix holds whole)
        if start is not None:
            end = header_end(data, checked)
            if end is not None:
                return data[start:end], end, True, data if len(data) == size else None
            checked = plain_lines(data, checked)
            if len(data) == size or data.find(b"\n", checked) != -1:
                break  # not plainly well-formed, or no empty line at all
        n *= 4  # a line the prefix cut short: read further, and go on from that line
    whole = data if len(data) == size else bytes(view)
    _, end = split_header_block(whole, start, size)  # the general splitter decides
    return whole[start:end], end, False, whole


def has_header_section(raw: bytes) -> bool:
    """Whether the octets begin with at least one header field (RFC 5322 §2.1): what sets a
    message, however malformed, apart from a blob that is not one at all. Reads the first
    field only."""
    start = message_start(raw)
    headers, _ = split_header_block(raw, start, min(len(raw), start + 64 * 1024))
    return bool(headers)


def parse_tree(raw: bytes) -> Part:
    """Split a whole message into its MIME tree and number the leaves.

    A leading mbox ``From `` line is skipped. Leaves get partIds "1", "2", ...
    in depth-first document order (RFC 8621 §4.1.4); message/rfc822 parts are
    leaves, their inner structure is not expanded.
    """
    root = _entity(raw, message_start(raw), len(raw), "text/plain", 0, _Budget(MAX_PARTS - 1))
    counter = 0
    stack = [root]
    while stack:
        p = stack.pop()
        if p.children is None:
            counter += 1
            p.part_id = str(counter)
        else:
            stack.extend(reversed(p.children))
    return root
