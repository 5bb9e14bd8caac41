"""Checking credentials once for every protocol.

scrypt makes a password check cost tens of milliseconds on purpose, which no request can pay every
time. A successful check is remembered under a keyed digest of the credentials, together with the
user's record as it was stored then: the next login with them costs one lookup of the user's record,
and any change to it (a new password, the user disabled) sends it back through scrypt. The digest
key lives only in this process's memory, so the credentials themselves are never kept. scrypt runs
in a thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import threading

from store import Store
from store.codec import decode
from store.records import User
from store.users import lookup_token, normalize, user_record, verify_password

CACHE_LIMIT = 10_000
TOKEN_PREFIX = "jmapd_"


class Logins:
    def __init__(self, store: Store):
        self.store = store
        self._key = secrets.token_bytes(32)
        # credentials digest -> (the user's record when the password matched it, that user)
        self._verified: dict[bytes, tuple[bytes, User]] = {}
        self._lock = threading.Lock()

    def token_user(self, token: str) -> User | None:
        """The user an API token belongs to (tokens are checked by digest: no scrypt)."""
        with self.store.read() as txn:
            return lookup_token(txn, token.strip())

    async def verify(self, name: str, password: str) -> User | None:
        """The user these credentials prove, or None. An API token is accepted as the password of
        its own user, so mail apps that only know user name and password can use one."""
        if password.startswith(TOKEN_PREFIX):
            user = self.token_user(password)
            if user is not None and normalize(user.name) == normalize(name):
                return user
        digest = hashlib.blake2b(b"%s\x00%s" % (name.encode("utf-8", "surrogateescape"),
                                                password.encode("utf-8", "surrogateescape")),
                                 key=self._key, digest_size=32).digest()
        known = self._verified.get(digest)
        if known is not None:
            with self.store.read() as txn:
                stored = user_record(txn, known[1].name)
            if stored == known[0]:
                return known[1]
        with self.store.read() as txn:
            stored = user_record(txn, name)
        user = None if stored is None else decode(stored, User)
        if user is None or user.disabled:
            return None
        if not await asyncio.to_thread(verify_password, password, user.password_hash):
            return None
        with self._lock:
            if len(self._verified) >= CACHE_LIMIT:
                self._verified.clear()
            self._verified[digest] = (stored, user)
        return user

