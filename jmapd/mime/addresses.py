"""RFC 8621 §4.1.2.3 Addresses and §4.1.2.4 GroupedAddresses forms.

A tolerant reader of the RFC 5322 §3.4 ``address-list`` grammar: it never
fails, it just gives the most plausible mailboxes for whatever it is handed
(drafts, obsolete syntax, missing brackets, unterminated groups).
"""

from __future__ import annotations

import re

from .text import decode_encoded_words, nfc

__all__ = ["parse_grouped_addresses", "parse_addresses"]

Address = dict  # {"name": str | None, "email": str}
Group = dict  # {"name": str | None, "addresses": list[Address]}

_ATOM_STOP = set(' \t\r\n"(),:;<>\\')
_QUOTED_PAIR = re.compile(r"\\(.)", re.S)
_WSP = re.compile(r"[ \t\r\n]+")
_ADDR_GLUE = re.compile(r"\s*([@.])\s*")

# token kinds
_ATOM, _QUOTED, _COMMENT, _ANGLE, _COMMA, _COLON, _SEMI = range(7)

# One mailbox of a plain list: `local@domain` or `Display Name <local@domain>`, in ASCII, without
# quoting, comments, groups, encoded words or escapes. Most address fields are a list of these,
# which `_plain_groups` reads without the tokenizer, with the same result.
_PLAIN_WORD = r"[A-Za-z0-9!#$%&'*+\-/^_`{|}~.]+"
_PLAIN_ADDR = rf"{_PLAIN_WORD}@[A-Za-z0-9\-.]+"
_PLAIN_MAILBOX = re.compile(
    rf"[ \t]*(?:(?:(?P<name>{_PLAIN_WORD}(?:[ \t]+{_PLAIN_WORD})*)[ \t]*)?<(?P<angle>{_PLAIN_ADDR})>"
    rf"|(?P<bare>{_PLAIN_ADDR}))[ \t]*"
)


def _read_comment(s: str, i: int) -> tuple[str, int]:
    """s[i] == '('. Return (content, index after the closing paren); nesting allowed."""
    depth = 0
    n = len(s)
    start = i + 1
    while i < n:
        c = s[i]
        if c == "\\":
            i += 2
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return s[start:i], i + 1
        i += 1
    return s[start:], n


def _read_quoted(s: str, i: int) -> tuple[str, int]:
    """s[i] == '"'. Return (raw content with quoted-pairs, index after the closing quote)."""
    n = len(s)
    j = i + 1
    while j < n:
        c = s[j]
        if c == "\\":
            j += 2
            continue
        if c == '"':
            return s[i + 1 : j], j + 1
        j += 1
    return s[i + 1 :], n


def _read_angle(s: str, i: int) -> tuple[str, int]:
    """s[i] == '<'. Return (addr-spec with CFWS removed, index after '>')."""
    n = len(s)
    j = i + 1
    out: list[str] = []
    while j < n:
        c = s[j]
        if c == ">":
            j += 1
            break
        if c == '"':
            q, j = _read_quoted(s, j)
            out.append('"' + q + '"')
            continue
        if c == "(":
            _, j = _read_comment(s, j)
            continue
        if c in " \t\r\n":
            j += 1
            continue
        out.append(c)
        j += 1
    addr = "".join(out)
    if addr.startswith("@") and ":" in addr:  # obs-route: "@a,@b:user@host"
        addr = addr.split(":", 1)[1]
    return addr, j


def _tokenize(s: str) -> list[tuple[int, str, bool]]:
    """Tokens as (kind, text, preceded_by_space)."""
    toks: list[tuple[int, str, bool]] = []
    i = 0
    n = len(s)
    ws = False
    while i < n:
        c = s[i]
        if c in " \t\r\n":
            ws = True
            i += 1
            continue
        if c == '"':
            text, i = _read_quoted(s, i)
            toks.append((_QUOTED, text, ws))
        elif c == "(":
            text, i = _read_comment(s, i)
            toks.append((_COMMENT, text, ws))
        elif c == "<":
            text, i = _read_angle(s, i)
            toks.append((_ANGLE, text, ws))
        elif c == ",":
            toks.append((_COMMA, c, ws))
            i += 1
        elif c == ":":
            toks.append((_COLON, c, ws))
            i += 1
        elif c == ";":
            toks.append((_SEMI, c, ws))
            i += 1
        elif c in ">)\\":
            i += 1  # stray closers and backslashes carry no meaning
            continue
        else:
            j = i
            while j < n and s[j] not in _ATOM_STOP:
                j += 1
            toks.append((_ATOM, s[i:j], ws))
            i = j
        ws = False
    return toks


def _clean_name(text: str) -> str | None:
    """Unfold, trim and NFC a display name; empty names are absent names."""
    text = _WSP.sub(" ", text).strip()
    return nfc(text) if text else None


def _phrase_text(words: list[tuple[int, str, bool]]) -> str | None:
    """Render a display-name phrase (RFC 8621 §4.1.2.3 name rules).

    Quoted strings lose their quotes and quoted-pairs; encoded words in atoms
    are decoded (white space between adjacent ones vanishes). Encoded words
    inside quoted strings are left alone, as RFC 2047 §5 forbids them there.
    """
    segs: list[str] = []
    run: list[str] = []  # consecutive atoms, decoded together

    def flush_run() -> None:
        if run:
            segs.append(decode_encoded_words("".join(run)))
            run.clear()

    first = True
    for kind, text, ws in words:
        sep = " " if (ws and not first) else ""
        if kind == _QUOTED:
            flush_run()
            segs.append(sep + _QUOTED_PAIR.sub(r"\1", text))
        else:
            run.append(sep + text)
        first = False
    flush_run()
    return _clean_name("".join(segs))


def _addr_text(words: list[tuple[int, str, bool]]) -> str:
    parts: list[str] = []
    for kind, text, ws in words:
        if parts and ws:
            parts.append(" ")
        parts.append('"' + text + '"' if kind == _QUOTED else text)
    return _ADDR_GLUE.sub(r"\1", "".join(parts)).strip()


def parse_grouped_addresses(value: str) -> list[Group]:
    """GroupedAddresses form of an unfolded, decoded header value.

    Mailboxes outside any group are gathered into groups with a null name,
    one per run of consecutive ungrouped mailboxes (RFC 8621 §4.1.2.4).
    """
    plain = _plain_groups(value)
    return plain if plain is not None else _read_groups(value)


def _plain_groups(value: str) -> list[Group] | None:
    """The groups of a list of plain mailboxes (see _PLAIN_MAILBOX); None for any other value."""
    addresses: list[Address] = []
    match = _PLAIN_MAILBOX.fullmatch
    for item in value.split(","):
        found = match(item)
        if found is None:
            if item.strip(" \t\r\n"):
                return None
            continue  # an empty list element (RFC 5322 §4.4)
        name, angle, bare = found.group("name", "angle", "bare")
        if angle is None:
            addresses.append({"name": None, "email": bare})
        else:
            addresses.append({"name": " ".join(name.split()) if name else None, "email": angle})
    return [{"name": None, "addresses": addresses}] if addresses else []


def _read_groups(value: str) -> list[Group]:
    """The groups of any value, read token by token (the general case of parse_grouped_addresses)."""
    groups: list[Group] = []
    words: list[tuple[int, str, bool]] = []
    angle: str | None = None
    comment: str | None = None
    group_name: str | None = None
    in_group = False
    members: list[Address] = []

    def emit(addr: Address) -> None:
        if in_group:
            members.append(addr)
        elif groups and groups[-1]["name"] is None and not groups[-1].get("_closed"):
            groups[-1]["addresses"].append(addr)
        else:
            groups.append({"name": None, "addresses": [addr]})

    def finish() -> None:
        nonlocal words, angle, comment
        if angle is not None:
            emit({"name": _phrase_text(words), "email": angle})
        elif words:
            email = _addr_text(words)
            name = _clean_name(decode_encoded_words(comment)) if comment else None
            if email:
                emit({"name": name, "email": email})
        words = []
        angle = None
        comment = None

    for kind, text, ws in _tokenize(value):
        if kind == _COMMA:
            finish()
        elif kind == _ANGLE:
            if angle is not None:  # "a <x> <y>": keep the first, drop the rest
                continue
            angle = text
        elif kind == _COMMENT:
            if words and angle is None and comment is None:
                comment = text
        elif kind == _COLON:
            if not in_group and angle is None:
                group_name = _phrase_text(words)
                words = []
                comment = None
                in_group = True
                members = []
                if groups and groups[-1]["name"] is None:
                    groups[-1]["_closed"] = True
            else:
                words.append((_ATOM, ":", ws))
        elif kind == _SEMI:
            finish()
            if in_group:
                groups.append({"name": group_name, "addresses": members, "_closed": True})
                in_group = False
                members = []
        else:
            if angle is not None:
                # text after "<addr>" (e.g. a trailing name) joins the display name
                pass
            words.append((kind, text, ws))
    finish()
    if in_group:
        groups.append({"name": group_name, "addresses": members, "_closed": True})
    for g in groups:
        g.pop("_closed", None)
    return groups


def parse_addresses(value: str) -> list[Address]:
    """Addresses form: every mailbox in order, group information discarded (RFC 8621 §4.1.2.3)."""
    out: list[Address] = []
    for g in parse_grouped_addresses(value):
        out.extend(g["addresses"])
    return out
