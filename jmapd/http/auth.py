"""HTTP Basic and Bearer authentication (RFC 8620 §8.2 leaves the scheme to the server).

scrypt makes a password check cost tens of milliseconds on purpose, which no API request can pay
every time. A successful check is remembered under a keyed digest of the credentials together with
the password hash it was checked against, so a password change invalidates it at once; the digest key
lives only in this process's memory.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from store import Store
from store.records import User
from store.users import get_user, lookup_token, verify_password

CHALLENGE = 'Basic realm="jmapd", charset="UTF-8", Bearer realm="jmapd"'
CACHE_LIMIT = 10_000


class Authenticator:
    def __init__(self, store: Store):
        self.store = store
        self._key = secrets.token_bytes(32)
        self._verified: dict[bytes, str] = {}  # credential digest -> password hash it matched
        self._lock = threading.Lock()

    async def authenticate(self, conn: HTTPConnection) -> User | None:
        header = conn.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        scheme = scheme.lower()
        if scheme == "bearer" and value:
            with self.store.read() as txn:
                return lookup_token(txn, value.strip())
        if scheme == "basic" and value:
            try:
                name, sep, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return None
            if not sep:
                return None
            return await self._basic(name, password)
        return None

    async def _basic(self, name: str, password: str) -> User | None:
        with self.store.read() as txn:
            user = get_user(txn, name)
        if user is None or user.disabled:
            return None
        digest = hmac.new(self._key, f"{user.name}\x00{password}".encode(), hashlib.sha256).digest()
        if self._verified.get(digest) == user.password_hash:
            return user
        if not await run_in_threadpool(verify_password, password, user.password_hash):
            return None
        with self._lock:
            if len(self._verified) >= CACHE_LIMIT:
                self._verified.clear()
            self._verified[digest] = user.password_hash
        return user
