"""The bytes that leave: the stored message without Bcc (RFC 8621 §7.5: never sent), signed
with the sender domain's DKIM key when there is one."""

from __future__ import annotations

import re

from ..mime.headers import split_header_block
from .dkim import DkimKeys

_BCC_FIELD = re.compile(rb"(?im)^bcc[ \t]*:[^\n]*\n(?:[ \t][^\n]*\n)*")


def without_bcc(raw: bytes) -> bytes:
    _, body_at = split_header_block(raw, 0, len(raw))
    head = raw[:body_at]
    return _BCC_FIELD.sub(b"", head) + raw[body_at:]


def outgoing(raw: bytes, sender_domain: str, keys: DkimKeys | None) -> bytes:
    message = without_bcc(raw)
    if keys is not None:
        message = keys.sign(message, sender_domain)
    return message
