"""Character set handling: charset labels, byte decoding and RFC 2047 encoded words.

Mail in the wild mislabels its charsets constantly, so every function here is
total: it returns the best string it can and, where the caller needs to know,
whether anything had to be guessed or replaced. Nothing here raises on input.
"""

from __future__ import annotations

import binascii
import codecs
import re
import unicodedata
from functools import lru_cache

__all__ = [
    "lookup_charset",
    "decode_bytes",
    "decode_header_bytes",
    "decode_raw_header",
    "decode_encoded_words",
    "nfc",
]


def _cp1252_fallback(err: UnicodeError):
    """cp1252 leaves five octets undefined; map them as latin-1 does instead of failing."""
    if isinstance(err, UnicodeDecodeError):
        bad = err.object[err.start : err.end]
        return "".join(chr(b) for b in bad), err.end
    raise err


codecs.register_error("jmapd-latin1", _cp1252_fallback)

# Labels that browsers (WHATWG Encoding) and mail clients treat as other charsets:
# latin-1 and ascii labelled text is in practice almost always windows-1252, and
# gb2312 labelled text often uses GBK/GB18030 code points.
_ALIASES = {
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "ansi_x3.4-1968": "cp1252",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "cn-gb": "gb18030",
    "big5": "big5hkscs",
    "x-sjis": "shift_jis",
    "shift-jis": "shift_jis",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "x-user-defined": "cp1252",
    "unicode-1-1-utf-7": "utf-7",
    "utf8": "utf-8",
}

# Python codecs that are not character sets, or that interpret escapes: a label
# naming one of them in a message must not run it.
_FORBIDDEN = {
    "unicode_escape",
    "raw_unicode_escape",
    "idna",
    "punycode",
    "undefined",
    "mbcs",
    "oem",
    "charmap",
}

_LABEL_JUNK = re.compile(r"^[^0-9A-Za-z]+|[^0-9A-Za-z]+$")


@lru_cache(maxsize=512)
def lookup_charset(label: str | None) -> str | None:
    """Map a charset label from a message to a Python codec name, or None if unknown.

    Labels are cleaned of quotes and stray punctuation (``“utf-8``), RFC 2231
    language suffixes (``utf-8*en``) are dropped, and only real text codecs are
    accepted: a label like ``base64`` or ``zlib`` must never select a
    bytes-to-bytes transform.
    """
    if not label:
        return None
    name = label.strip().lower()
    if "*" in name:
        name = name.split("*", 1)[0]
    name = _LABEL_JUNK.sub("", name)
    if not name:
        return None
    name = _ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError, TypeError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _FORBIDDEN:
        return None
    if info.name in ("ascii", "latin_1", "iso8859-1"):
        return "cp1252"
    return info.name


def _decode_cp1252(data: bytes) -> str:
    return data.decode("cp1252", "jmapd-latin1")


_UTF8_MULTI = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _guess_8bit(data: bytes) -> str:
    """Decode bytes that are not valid in their declared charset.

    Text that contains well-formed UTF-8 sequences is UTF-8 with a few broken
    bytes (replaced); otherwise it is a single-byte legacy charset, and cp1252
    is the one that decodes every byte to something sensible.
    """
    if _UTF8_MULTI.search(data):
        return data.decode("utf-8", "replace")
    return _decode_cp1252(data)


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, bool]:
    """Decode a body or parameter to text; return (text, problem).

    ``problem`` is True when the charset was unknown or the octets were not
    valid in it (RFC 8621 §4.1.4 isEncodingProblem). A missing or us-ascii
    charset is read as UTF-8 when the octets are valid UTF-8 (a reliable signal,
    and what undeclared 8-bit mail mostly is today); otherwise the octets are
    guessed as cp1252 and the problem is reported. 8-bit octets that form valid
    UTF-8 are read as UTF-8 under any label (RFC 8621 §4.1.4 lets the server
    use heuristics when it believes the given charset is incorrect).
    """
    label = (charset or "").strip().lower()
    if label in _ASCII_OR_UTF8:
        if data.isascii():
            return data.decode("ascii"), False
        try:
            return data.decode("utf-8"), False
        except UnicodeDecodeError:
            return _guess_8bit(data), True
    codec = lookup_charset(label)
    if codec is None:
        try:
            return data.decode("utf-8"), True
        except UnicodeDecodeError:
            return _guess_8bit(data), True
    if codec == "utf_8":
        try:
            return data.decode("utf-8"), False
        except UnicodeDecodeError:
            return _guess_8bit(data), True
    if codec not in _SURROGATE_CODECS and not data.isascii():
        # 8-bit text that is valid UTF-8 is UTF-8 whatever the label says: legacy
        # charsets practically never produce valid multi-byte UTF-8 sequences.
        try:
            return data.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    if codec == "cp1252":
        return data.decode("cp1252", "jmapd-latin1"), False
    try:
        text, problem = data.decode(codec), False
    except UnicodeDecodeError:
        text, problem = data.decode(codec, "replace"), True
    except Exception:  # some codecs fail in other ways on garbage
        return _guess_8bit(data), True
    if codec in _SURROGATE_CODECS and _SURROGATE.search(text):
        text, problem = _SURROGATE.sub("\ufffd", text), True
    return text, problem


# Codecs that can produce lone surrogates, which are not valid in JSON or UTF-8.
_SURROGATE_CODECS = frozenset(("utf-7", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"))
_SURROGATE = re.compile("[\ud800-\udfff]")


_ASCII_OR_UTF8 = frozenset(("", "us-ascii", "ascii", "ansi_x3.4-1968", "utf-8", "utf8"))


def decode_header_bytes(data: bytes) -> str:
    """Decode raw header octets for the parsed forms.

    RFC 6532 allows UTF-8 in header fields; legacy mail puts undeclared 8-bit
    text there too, which reads best as cp1252. NUL octets are dropped.
    """
    if b"\x00" in data:
        data = data.replace(b"\x00", b"")
    if data.isascii():
        return data.decode("ascii")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return _guess_8bit(data)


def decode_raw_header(data: bytes) -> str:
    """RFC 8621 §4.1.2.1 Raw form: invalid UTF-8 runs become U+FFFD, NUL octets are dropped."""
    if b"\x00" in data:
        data = data.replace(b"\x00", b"")
    if data.isascii():
        return data.decode("ascii")
    return data.decode("utf-8", "replace")


def nfc(text: str) -> str:
    """NFC normalisation, skipped for ASCII which is already normal."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", text)


# RFC 2047 §2: encoded-word = "=?" charset "?" encoding "?" encoded-text "?="
# where charset and encoded-text contain no SPACE, "?" or controls.
_EW = re.compile(r"=\?([^?\s\"]+)\?([bBqQ])\?([^?\s]*)\?=")
_QP_HEX = re.compile(rb"=([0-9A-Fa-f]{2})")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")
_WS = " \t\r\n"


def _q_decode(text: str) -> bytes:
    data = text.encode("latin-1", "replace").replace(b"_", b" ")
    return _QP_HEX.sub(lambda m: bytes([int(m.group(1), 16)]), data)


def _b_decode(text: str) -> bytes | None:
    data = text.encode("latin-1", "replace").rstrip(b"=")
    rem = len(data) % 4
    if rem == 1:
        data = data[:-1]
    elif rem:
        data += b"=" * (4 - rem)
    try:
        return binascii.a2b_base64(data)
    except (binascii.Error, ValueError):
        return None


def _decode_word_bytes(data: bytes, codec: str) -> str:
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        text = data.decode(codec, "replace")
    except Exception:
        text = data.decode("utf-8", "replace")
    if codec in _SURROGATE_CODECS:
        text = _SURROGATE.sub("\ufffd", text)
    return _CONTROLS.sub("", text)


def decode_encoded_words(text: str, strict: bool = True) -> str:
    """Decode RFC 2047 encoded words in unstructured text (RFC 8621 §4.1.2.2 step 4).

    Only words delimited by white space (or the ends of the text) are decoded,
    as RFC 2047 §5 requires; white space between two adjacent encoded words is
    dropped, and adjacent words in the same charset are joined before decoding
    so a multi-byte character split across them survives. Words in an unknown
    charset are left as they are; undecodable octets become U+FFFD and decoded
    control characters are dropped.

    With ``strict=False`` the white-space placement rule is not enforced; this
    is used for parameter values, where RFC 2047 never applied but mailers put
    encoded words anyway.
    """
    if "=?" not in text:
        return text
    out: list[str] = []
    pos = 0
    n = len(text)
    pending_codec: str | None = None
    pending: bytearray = bytearray()
    last_end = -1  # end of the previous decoded word, for the adjacency rule

    def flush() -> None:
        nonlocal pending_codec
        if pending_codec is not None:
            out.append(_decode_word_bytes(bytes(pending), pending_codec))
            pending.clear()
            pending_codec = None

    for m in _EW.finditer(text):
        start, end = m.span()
        if strict:
            if start > 0 and text[start - 1] not in _WS:
                continue
            if end < n and text[end] not in _WS:
                continue
        codec = lookup_charset(m.group(1))
        if codec is None:
            continue
        enc = m.group(2)
        payload = m.group(3)
        raw = _q_decode(payload) if enc in "qQ" else _b_decode(payload)
        if raw is None:
            continue
        between = text[pos:start]
        adjacent = last_end == pos and (between == "" or between.strip(_WS) == "")
        if adjacent:
            if pending_codec != codec:
                flush()
        else:
            flush()
            out.append(between)
        if pending_codec is None:
            pending_codec = codec
        pending.extend(raw)
        pos = end
        last_end = end
    flush()
    out.append(text[pos:])
    return "".join(out)
