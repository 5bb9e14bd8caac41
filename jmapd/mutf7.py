"""IMAP's modified UTF-7 for folder names (RFC 3501 §5.1.3): on the wire of jmapd's IMAP server (for
clients that have not enabled UTF-8), in the names other IMAP servers list to the importer, and in
Dovecot's Maildir++ folder names on disk. The standard library's codecs have only plain UTF-7."""

from __future__ import annotations

import base64


class BadFolderName(ValueError):
    pass


def decode(name: str | bytes) -> str:
    if isinstance(name, bytes):
        name = name.decode("ascii", "replace")
    out, i = [], 0
    while i < len(name):
        amp = name.find("&", i)
        if amp < 0:
            out.append(name[i:])
            break
        out.append(name[i:amp])
        end = name.find("-", amp)
        if end < 0:
            raise BadFolderName(f"folder name {name!r}: '&' without its closing '-'")
        chunk = name[amp + 1:end]
        if not chunk:
            out.append("&")
        else:
            padded = chunk.replace(",", "/") + "=" * (-len(chunk) % 4)
            try:
                out.append(base64.b64decode(padded, validate=True).decode("utf-16-be"))
            except (ValueError, UnicodeDecodeError):
                raise BadFolderName(f"folder name {name!r} is not valid modified UTF-7") from None
        i = end + 1
    return "".join(out)


def encode(name: str, also: str = "") -> str:
    """`also`: printable characters to encode anyway (a hierarchy separator, '/' in file names)."""
    out, pending = [], []

    def flush() -> None:
        if pending:
            data = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(data).decode("ascii").rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E and ch not in also:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    return "".join(out)
