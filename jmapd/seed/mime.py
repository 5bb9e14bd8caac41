"""MIME body parts (RFC 2045/2046) assembled directly as bytes.

Parts are built with LF line endings and the whole message is converted to CRLF
once at the end: a single C-level ``replace`` instead of care at every join.
Nothing below emits a bare CR, so that conversion is exact.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from .headers import CODECS, ext_param
from .rand import Rng

_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_TABLE = bytes(_B64_ALPHABET[i & 63] for i in range(256))

# (media type, extension, leading magic bytes) for binary attachments.  The magic
# makes content sniffers and thumbnailers treat the blob as the claimed type
# even though the rest is noise.
BINARY_KINDS: tuple[tuple[str, str, bytes], ...] = (
    ("application/pdf", "pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),
    ("image/png", "png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
    ("image/jpeg", "jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01"),
    ("application/zip", "zip", b"PK\x03\x04\x14\x00\x00\x00\x08\x00"),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00",
    ),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00",
    ),
    ("image/gif", "gif", b"GIF89a"),
)
KIND_BY_EXT = {ext: (ctype, ext, magic) for ctype, ext, magic in BINARY_KINDS}


def random_base64(subseed: int, magic: bytes, size: int) -> bytes:
    """Base64 lines (76 columns) that decode to exactly ``size`` seeded bytes.

    Uniform random base64 characters are themselves the encoding of uniform
    random bytes, so the bulk is made by translating random bytes into the
    alphabet instead of encoding them; only the first line (carrying the magic
    bytes) and the last partial line go through a real encoder.  The bytes come
    from SHAKE-128 keyed by ``subseed``: a standard function, so the same on
    every machine, and about twice as fast as ``Random.randbytes`` for
    megabyte-sized attachments.
    """
    first = min(size, 57)
    lead = magic[:first]
    full, rem = divmod(size - first, 57)
    pad = first - len(lead)
    stream = hashlib.shake_128(subseed.to_bytes(8, "little")).digest(pad + 77 * full + rem)
    out = [binascii.b2a_base64(lead + stream[:pad])] if first else []
    if full:
        buf = bytearray(stream[pad : pad + 77 * full]).translate(_B64_TABLE)
        buf[76::77] = b"\n" * full
        out.append(bytes(buf))
    if rem:
        out.append(binascii.b2a_base64(stream[pad + 77 * full :]))
    return b"".join(out)


def encode_body(text: str, charset: str, cte: str) -> bytes:
    """Encode LF-separated text with the given charset and transfer encoding."""
    raw = text.encode(CODECS.get(charset, "ascii"))
    if cte == "quoted-printable":
        return binascii.b2a_qp(raw, istext=True) + b"\n"
    if cte == "base64":
        return base64.encodebytes(raw)
    return raw + b"\n"


def text_part(text: str, subtype: str, charset: str, cte: str, params: str = "") -> bytes:
    """A text/* leaf.  ``charset`` is the MIME name; ``cte`` must suit the text.

    ``params`` is appended to the Content-Type (e.g. "; format=flowed").
    """
    head = f"Content-Type: text/{subtype}; charset={_quote_charset(charset)}{params}\n"
    head += f"Content-Transfer-Encoding: {cte}\n\n"
    return head.encode("ascii") + encode_body(text, charset, cte)


def _quote_charset(charset: str) -> str:
    return charset.lower() if charset == "UTF-8" else f'"{charset}"' if charset == "ISO-8859-1" else charset


def filename_params(filename: str, charset: str | None, attr: str) -> str:
    """Parameter text for a file name: plain, or RFC 2231 when not ASCII."""
    if filename.isascii():
        return f';\n {attr}="{filename}"'
    return ";" + ext_param(attr, filename, charset or "UTF-8")


def binary_part(
    ctype: str,
    magic: bytes,
    filename: str,
    name_charset: str | None,
    size: int,
    subseed: int,
    disposition: str = "attachment",
    cid: str | None = None,
) -> bytes:
    """A base64 leaf whose content comes from its own seeded stream.

    The stream is keyed by ``subseed`` (one draw from the planning RNG), so
    capping attachment sizes changes these bytes and nothing else in the dataset.
    """
    head = f"Content-Type: {ctype}{filename_params(filename, name_charset, 'name')}\n"
    head += f"Content-Disposition: {disposition}{filename_params(filename, name_charset, 'filename')}\n"
    if cid:
        head += f"Content-ID: <{cid}>\n"
    head += "Content-Transfer-Encoding: base64\n\n"
    return head.encode("ascii") + random_base64(subseed, magic, size)


def text_attachment(ctype: str, filename: str, body: str) -> bytes:
    """An ASCII text attachment (a patch, a CSV), sent 7bit as list software does."""
    head = f'Content-Type: {ctype}; charset=us-ascii; name="{filename}"\n'
    head += f'Content-Disposition: attachment; filename="{filename}"\n'
    head += "Content-Transfer-Encoding: 7bit\n\n"
    return head.encode("ascii") + body.encode("ascii") + b"\n"


def rfc822_part(inner: bytes) -> bytes:
    """A forwarded message as an attachment (RFC 2046 section 5.2.1)."""
    return b"Content-Type: message/rfc822\nContent-Disposition: attachment\n\n" + inner


def multipart(subtype: str, boundary: str, parts: list[bytes], extra: str = "") -> bytes:
    """A multipart entity (RFC 2046 section 5.1) with a preamble-free body."""
    head = f'Content-Type: multipart/{subtype};{extra}\n boundary="{boundary}"\n\n'
    delim = f"--{boundary}\n".encode("ascii")
    chunks = [head.encode("ascii")]
    for p in parts:
        chunks.append(delim)
        chunks.append(p if p.endswith(b"\n") else p + b"\n")
    chunks.append(f"--{boundary}--\n".encode("ascii"))
    return b"".join(chunks)


def boundary(style: str, rng: Rng, level: int) -> str:
    """A boundary in the shape a given client produces (RFC 2046 bchars only)."""
    r = rng.getrandbits(64)
    if style == "ol":
        return f"----=_NextPart_{level:03d}_{r & 0xFFFF:04X}_{r >> 16 & 0xFFFFFFFF:08X}.{r >> 48:04X}"
    if style == "apple":
        return f"Apple-Mail={r:016X}-{level}"
    if style == "gmail":
        return f"000000000000{r:016x}"[:28] + f"{level}"
    if style == "tb":
        return f"------------{r:020d}"[:36] + f"{level}"
    if style == "rc":
        return f"=_{r:032x}"[:34] + f"{level}"
    if style == "bulk":
        return f"b{level}_{r:016x}{r >> 8:08x}"
    return f"{r:016x}{level}"
