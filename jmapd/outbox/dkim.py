"""DKIM (RFC 6376) with dkimpy: one RSA key per sending domain in the data folder, made by
`jmapd dkim generate DOMAIN`, which prints the DNS TXT record to publish.

Keys live in DATA/dkim/DOMAIN.SELECTOR.key (0600, in a 0700 folder). Outgoing mail whose From
domain has a key is signed over the headers that identify a message; mail from other domains goes
unsigned.
"""

from __future__ import annotations

import base64
import os

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

SIGNED_HEADERS = (b"from", b"to", b"cc", b"subject", b"date", b"message-id", b"reply-to", b"in-reply-to",
                  b"references", b"mime-version", b"content-type", b"content-transfer-encoding")


def key_folder(data_dir: str) -> str:
    return os.path.join(data_dir, "dkim")


def key_path(data_dir: str, domain: str, selector: str) -> str:
    return os.path.join(key_folder(data_dir), f"{domain.lower()}.{selector}.key")


def generate_key(data_dir: str, domain: str, selector: str, bits: int = 2048) -> tuple[str, str]:
    """Create the domain's key (refusing to replace one); return (key path, TXT record value)."""
    path = key_path(data_dir, domain, selector)
    if os.path.exists(path):
        raise FileExistsError(path)
    os.makedirs(key_folder(data_dir), mode=0o700, exist_ok=True)
    os.chmod(key_folder(data_dir), 0o700)
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                    serialization.NoEncryption())
    public_der = key.public_key().public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(private_pem)
    return path, txt_record(public_der)


def txt_record(public_der: bytes) -> str:
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(public_der).decode()


def public_record(data_dir: str, domain: str, selector: str) -> str:
    """The TXT record of an existing key, for printing it again."""
    with open(key_path(data_dir, domain, selector), "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return txt_record(der)


class DkimKeys:
    """The keys of a data folder, read when first needed and kept (a restart picks up new ones)."""

    def __init__(self, data_dir: str, selector: str):
        self.data_dir = data_dir
        self.selector = selector
        self._keys: dict[str, bytes | None] = {}

    def key_for(self, domain: str) -> bytes | None:
        domain = domain.lower()
        if domain not in self._keys:
            try:
                with open(key_path(self.data_dir, domain, self.selector), "rb") as f:
                    self._keys[domain] = f.read()
            except OSError:
                self._keys[domain] = None
        return self._keys[domain]

    def sign(self, message: bytes, domain: str) -> bytes:
        key = self.key_for(domain)
        if key is None:
            return message
        signature = dkim.sign(message, self.selector.encode(), domain.lower().encode(), key,
                              include_headers=[h for h in SIGNED_HEADERS if _has_header(message, h)] or [b"from"])
        return signature + message


def _has_header(message: bytes, name: bytes) -> bool:
    head = message.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0].lower()
    return head.startswith(name + b":") or (b"\n" + name + b":") in head
