"""HTTP Basic and Bearer authentication (RFC 8620 §8.2 leaves the scheme to the server).

scrypt makes a password check cost tens of milliseconds on purpose, which no API request can pay
every time. A successful check is remembered under a keyed digest of the Authorization header,
together with the user's record as it was stored then: the next request with that header costs one
lookup of the user's record, and any change to it (a new password, the user disabled) sends it back
through scrypt. The digest key lives only in this process's memory, so the credentials themselves
are never kept.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from store import Store
from store.codec import decode
from store.records import User
from store.users import lookup_token, user_record, verify_password

CHALLENGE = 'Basic realm="jmapd", charset="UTF-8", Bearer realm="jmapd"'
CACHE_LIMIT = 10_000


class Authenticator:
    def __init__(self, store: Store):
        self.store = store
        self._key = secrets.token_bytes(32)
        # header digest -> (the user's record when the password matched it, that user)
        self._verified: dict[bytes, tuple[bytes, User]] = {}
        self._lock = threading.Lock()

    async def authenticate(self, conn: HTTPConnection) -> User | None:
        return await self.check(conn.headers.get("authorization", ""))

    async def check(self, header: str) -> User | None:
        """The user an Authorization header value names and proves, or None."""
        scheme, _, value = header.partition(" ")
        scheme = scheme.lower()
        if scheme == "bearer" and value:
            with self.store.read() as txn:
                return lookup_token(txn, value.strip())
        if scheme != "basic" or not value:
            return None
        digest = hashlib.blake2b(header.encode("latin-1", "replace"), key=self._key, digest_size=32).digest()
        known = self._verified.get(digest)
        if known is not None:
            with self.store.read() as txn:
                stored = user_record(txn, known[1].name)
            if stored == known[0]:
                return known[1]
        try:
            name, sep, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        if not sep:
            return None
        with self.store.read() as txn:
            stored = user_record(txn, name)
        user = None if stored is None else decode(stored, User)
        if user is None or user.disabled:
            return None
        if not await run_in_threadpool(verify_password, password, user.password_hash):
            return None
        with self._lock:
            if len(self._verified) >= CACHE_LIMIT:
                self._verified.clear()
            self._verified[digest] = (stored, user)
        return user
