"""MIME header values with parameters: Content-Type and Content-Disposition.

Parameter syntax is RFC 2045 §5.1 with RFC 2231 extensions (continuations,
charset/language tagging). Real mail also puts RFC 2047 encoded words in
``name``/``filename``, leaves quotes unclosed and writes tspecials unquoted, so
the tokenizer here accepts anything and never raises.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from .text import decode_bytes, decode_encoded_words

__all__ = ["parse_params_value", "parse_content_type", "parse_disposition", "strip_comments"]

_TYPE = re.compile(r"^\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*/\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*$")
_TOKEN = re.compile(r"^\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*$")
_SECTION = re.compile(r"^([^*]+)\*(\d+)(\*?)$")


def strip_comments(value: str) -> str:
    """Remove RFC 5322 comments (nested parentheses), leaving quoted strings intact."""
    if "(" not in value:
        return value
    out: list[str] = []
    depth = 0
    in_quote = False
    i = 0
    n = len(value)
    while i < n:
        c = value[i]
        if c == "\\" and (depth or in_quote) and i + 1 < n:
            if not depth:
                out.append(value[i : i + 2])
            i += 2
            continue
        if in_quote:
            out.append(c)
            if c == '"':
                in_quote = False
        elif c == "(":
            depth += 1
        elif c == ")" and depth:
            depth -= 1
        elif depth:
            pass
        else:
            out.append(c)
            if c == '"':
                in_quote = True
        i += 1
    return "".join(out)


def _decode_2231(value: str) -> tuple[str | None, bytes]:
    """Split ``charset'lang'%XX..`` into (charset, octets)."""
    charset = None
    parts = value.split("'", 2)
    if len(parts) == 3:
        charset, _lang, value = parts
    return charset, unquote_to_bytes(value)


# One parameter: a name, "=", and a quoted string (possibly unclosed, running to
# the end) or a bare value up to the next ";". Text without "=" is skipped.
_PARAM = re.compile(r'([^=;]+)=[ \t]*("(?:[^"\\]|\\.)*(?:"|\Z)|[^;]*)', re.S)
_QPAIR = re.compile(r"\\(.)", re.S)


def parse_params_value(value: str) -> tuple[str, dict[str, str]]:
    """Split ``main; a=b; c*=...`` into the main value and decoded parameters.

    Parameter names are lowercased. The first instance of a duplicated
    parameter wins, as in most MIME libraries, except that an RFC 2231 form
    beats a plain one. RFC 2231 sections are reassembled
    and decoded; RFC 2047 encoded words in plain ``name``/``filename`` values
    (never valid there, but common) are decoded too.
    """
    semi = value.find(";")
    if semi == -1:
        return value, {}
    main = value[:semi]
    params: dict[str, str] = {}
    sections: dict[str, list[tuple[int, bool, str]]] = {}
    extended: dict[str, str] = {}
    for m in _PARAM.finditer(value, semi + 1):
        name = m.group(1).strip().lower()
        if not name:
            continue
        val = m.group(2)
        if val.startswith('"'):
            val = val[1:-1] if len(val) > 1 and val.endswith('"') and not _escaped_end(val) else val[1:]
            if "\\" in val:
                val = _QPAIR.sub(r"\1", val)
        else:
            val = val.strip()
            if " (" in val:  # a trailing comment: "us-ascii (Plain text)"
                val = strip_comments(val).strip()
        sec = _SECTION.match(name)
        if sec:
            sections.setdefault(sec.group(1), []).append((int(sec.group(2)), bool(sec.group(3)), val))
            continue
        if name.endswith("*"):
            base = name[:-1]
            charset, octets = _decode_2231(val)
            text, _ = decode_bytes(octets, charset)
            extended[base] = text
            continue
        if "=?" in val and (name == "name" or name == "filename"):
            val = decode_encoded_words(val, strict=False)
        params.setdefault(name, val)
    for base, secs in sections.items():
        secs.sort(key=lambda s: s[0])
        charset = None
        buf = bytearray()
        for idx, encoded, val in secs:
            if encoded:
                if idx == secs[0][0] and charset is None and val.count("'") >= 2:
                    charset, octets = _decode_2231(val)
                else:
                    octets = unquote_to_bytes(val)
                buf += octets
            else:
                buf += val.encode("utf-8", "surrogatepass")
        text, _ = decode_bytes(bytes(buf), charset or "utf-8")
        if base in ("name", "filename") and "=?" in text:
            text = decode_encoded_words(text, strict=False)
        extended.setdefault(base, text)
    # An RFC 2231 value is more explicit than a plain one of the same name (RFC 2231 §4
    # senders add the plain one for old readers).
    params.update(extended)
    return main, params


def _escaped_end(quoted: str) -> bool:
    """Whether the final '"' of a quoted value is itself escaped (so the quote is unclosed)."""
    k = len(quoted) - 2
    n = 0
    while k >= 0 and quoted[k] == "\\":
        n += 1
        k -= 1
    return n % 2 == 1


def parse_content_type(value: str | None) -> tuple[str | None, dict[str, str]]:
    """Return (lowercased "type/subtype" or None if missing/invalid, params).

    RFC 2045 §5.2: a syntactically invalid Content-Type is treated as
    text/plain; the caller decides that default because it depends on context.
    """
    if value is None:
        return None, {}
    main, params = parse_params_value(value)
    if "(" in main:
        main = strip_comments(main)
    m = _TYPE.match(main)
    if not m:
        return None, params
    return f"{m.group(1)}/{m.group(2)}".lower(), params


def parse_disposition(value: str | None) -> tuple[str | None, dict[str, str]]:
    """Return (lowercased disposition token or None, params)."""
    if value is None:
        return None, {}
    main, params = parse_params_value(value)
    if "(" in main:
        main = strip_comments(main)
    m = _TOKEN.match(main)
    return (m.group(1).lower() if m else None), params
