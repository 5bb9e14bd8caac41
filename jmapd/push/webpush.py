"""Web Push message encryption (RFC 8291, aes128gcm content coding of RFC 8188), with http-ece.

A subscription with `keys` gets every body encrypted to the client's P-256 key and authentication
secret, with a fresh sender key and salt per message, so its push service can forward it to a device
without being able to read it. The sender's public key travels in the body's header (keyid).
"""

from __future__ import annotations

import base64
import os

import http_ece
from cryptography.hazmat.primitives.asymmetric import ec

from store.subscriptions import PushKeys


def _b64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def encrypt(body: bytes, keys: PushKeys) -> bytes:
    sender_key = ec.generate_private_key(ec.SECP256R1())
    return http_ece.encrypt(body, salt=os.urandom(16), private_key=sender_key, dh=_b64url(keys.p256dh),
                            auth_secret=_b64url(keys.auth), version="aes128gcm")
