"""Part contents: Content-Transfer-Encoding decoding and RFC 8621 EmailBodyValue text.

Decoding is lenient by design (RFC 8621 §4.1.4: "Decoding is best effort"),
but it reports what it had to paper over, because isEncodingProblem must say
so. An unknown transfer encoding is treated as none (§4.1.4 blobId).
"""

from __future__ import annotations

import binascii
import re

from .text import decode_bytes

__all__ = ["decode_transfer", "body_value", "truncate_utf8"]

_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_NOT_B64 = re.compile(rb"[^A-Za-z0-9+/]+")
IDENTITY = frozenset(("", "7bit", "8bit", "binary"))


def _b64(data: bytes) -> tuple[bytes, bool]:
    junk = data.translate(None, _B64_ALPHABET + b"= \t\r\n")
    if not junk:
        try:
            return binascii.a2b_base64(data), False
        except (binascii.Error, ValueError):
            pass
    # Slow path: keep alphabet characters only. Padding in the middle (several
    # encoded chunks glued together) restarts the quantum at that point.
    out = bytearray()
    problem = bool(junk)
    for chunk in data.split(b"="):
        clean = _NOT_B64.sub(b"", chunk)
        if not clean:
            continue
        rem = len(clean) % 4
        if rem == 1:
            clean = clean[:-1]
            problem = True
        elif rem:
            clean += b"=" * (4 - rem)
        try:
            out += binascii.a2b_base64(clean)
        except (binascii.Error, ValueError):
            problem = True
    return bytes(out), problem


_QP_BAD = re.compile(rb"=(?![0-9A-Fa-f]{2}|\r?\n|[ \t]*\r?$)", re.M)


def _qp(data: bytes) -> tuple[bytes, bool]:
    # binascii keeps malformed "=" sequences literally, which is the RFC 2045
    # §6.7 recommended robust behaviour; report them as an encoding problem.
    problem = b"=" in data and _QP_BAD.search(data) is not None
    return binascii.a2b_qp(data), problem


def decode_transfer(data: bytes, cte: str) -> tuple[bytes, bool]:
    """Undo a Content-Transfer-Encoding; return (octets, problem).

    ``cte`` is the lowercased mechanism. ``problem`` is True for an unknown
    mechanism or malformed encoded data.
    """
    if cte in IDENTITY:
        return data, False
    if cte == "base64":
        return _b64(data)
    if cte == "quoted-printable":
        return _qp(data)
    if cte in ("x-uuencode", "uuencode", "x-uue"):
        return _uudecode(data)
    return data, True


def _uudecode(data: bytes) -> tuple[bytes, bool]:
    out = bytearray()
    problem = False
    started = False
    for line in data.splitlines():
        if not started:
            started = line.startswith(b"begin ")
            continue
        if line.strip() in (b"end", b"`"):
            if line.strip() == b"end":
                break
            continue
        if not line:
            continue
        try:
            out += binascii.a2b_uu(line)
        except (binascii.Error, ValueError):
            problem = True
    if not started:
        return data, True
    return bytes(out), problem


def truncate_utf8(text: str, max_bytes: int, html: bool = False) -> tuple[str, bool]:
    """Cut text to at most max_bytes UTF-8 octets, on a character boundary.

    RFC 8621 §4.2: the result must be valid UTF-8 and must not end
    mid-codepoint; for HTML it should not end inside a tag.
    """
    if max_bytes <= 0 or len(text) * 4 <= max_bytes:
        return text, False
    encoded = text.encode("utf-8", "surrogatepass")
    if len(encoded) <= max_bytes:
        return text, False
    cut = max_bytes
    while cut > 0 and (encoded[cut] & 0xC0) == 0x80:
        cut -= 1
    out = encoded[:cut].decode("utf-8", "ignore")
    if html:
        lt = out.rfind("<")
        if lt != -1 and out.rfind(">") < lt:
            out = out[:lt]
    return out, True


def body_value(
    data: bytes,
    charset: str | None,
    transfer_problem: bool,
    max_bytes: int | None = None,
    html: bool = False,
) -> dict:
    """EmailBodyValue (RFC 8621 §4.1.4) for a part's transfer-decoded octets.

    CRLF becomes LF; charset problems and transfer-encoding problems both set
    isEncodingProblem; max_bytes (None or 0: no limit) truncates.
    """
    text, problem = decode_bytes(data, charset)
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    if "\x00" in text:
        text = text.replace("\x00", "")
    truncated = False
    if max_bytes:
        text, truncated = truncate_utf8(text, max_bytes, html)
    return {
        "value": text,
        "isEncodingProblem": bool(problem or transfer_problem),
        "isTruncated": truncated,
    }
