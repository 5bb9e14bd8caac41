"""Checking credentials once for every protocol.

    try:
        user = await server.logins.verify(name, password, peer=client_ip)   # None: wrong credentials
    except LoginThrottled as exc:
        ...  # refuse without checking; tell the client to wait exc.retry_after seconds

scrypt makes a password check cost tens of milliseconds on purpose, which no request can pay every
time. A successful check is remembered for ten minutes under a keyed digest of the credentials,
together with the user's record as it was stored then: the next login with them costs one lookup of the user's record,
and any change to it (a new password, the user disabled) sends it back through scrypt. The digest
key lives only in this process's memory, so the credentials themselves are never kept.

What an attacker could learn or exhaust through this door is closed here, for every protocol at once:
- failures back off per user and per client address (jmapd.auth.backoff), and blocked attempts are
  refused before any work;
- an unknown or disabled user costs the same scrypt as a wrong password (against a hash made at
  start with the same parameters), so timing does not tell which names exist;
- scrypt runs in a small pool of its own threads, off the event loop, with a bounded queue: failed
  logins cannot take the threads requests need, and a flood waits its turn or is told to come back.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import store.users as store_users
from store import Store
from store.codec import decode
from store.records import User
from store.users import lookup_token, normalize, user_record, verify_password

from ..limits.connections import address_key
from .backoff import Backoff, LoginLimits, LoginThrottled

CACHE_LIMIT = 10_000
# How long a successful check is remembered: long enough that a client's requests skip scrypt, short
# enough that credentials seen once do not stay checkable in memory for the life of the process.
CACHE_SECONDS = 600.0
TOKEN_PREFIX = "jmapd_"
# scrypt threads: each holds ~16 MB while it runs; two keep one core free for requests on a small machine.
SCRYPT_THREADS = 2
# Checks waiting for a thread beyond which a login is told to retry (a flood from many addresses).
MAX_WAITING = 64


class Logins:
    def __init__(self, store: Store, limits: LoginLimits | None = None):
        self.store = store
        self._key = secrets.token_bytes(32)
        # credentials digest -> (the user's record when the password matched it, that user, when)
        self._verified: dict[bytes, tuple[bytes, User, float]] = {}
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._waiting = 0
        self._decoy: tuple[int, str] | None = None
        self.configure(limits or LoginLimits())

    def configure(self, limits: LoginLimits) -> None:
        """Set the back-off limits (from the configuration's `[logins]` table); forgets past failures."""
        self.limits = limits
        self.by_user = Backoff(limits.free_per_user, limits.cap_per_user, limits.forgive_every, limits.max_keys)
        self.by_address = Backoff(limits.free_per_address, limits.cap_per_address, limits.forgive_every,
                                  limits.max_keys)

    def token_user(self, token: str, peer: str | None = None) -> User | None:
        """The user an API token belongs to (checked by digest: no scrypt). An unknown token counts
        as a failure of `peer`'s address; raises LoginThrottled while that address is blocked."""
        address = None if peer is None else address_key(peer)
        if address is not None:
            self._refuse_if_blocked(None, address)
        with self.store.read() as txn:
            user = lookup_token(txn, token.strip())
        if user is None and address is not None:
            self.by_address.failed(address)
        return user

    async def verify(self, name: str, password: str, peer: str | None = None) -> User | None:
        """The user these credentials prove, or None. `peer` is the client's address (IP), which
        back-off counts failures of; raises LoginThrottled, before checking anything, while the user
        or the address is blocked. An API token is accepted as the password of its own user, so
        mail apps that only know user name and password can use one."""
        user_key = normalize(name)
        address = None if peer is None else address_key(peer)
        self._refuse_if_blocked(user_key, address)
        user = await self._check(name, password)
        if user is None:
            self.by_user.failed(user_key)
            if address is not None:
                self.by_address.failed(address)
        else:
            self.by_user.succeeded(user_key)
        return user

    def _refuse_if_blocked(self, user_key: str | None, address: str | None) -> None:
        wait_user = 0.0 if user_key is None else self.by_user.wait(user_key)
        wait_address = 0.0 if address is None else self.by_address.wait(address)
        wait = max(wait_user, wait_address)
        if wait > 0:
            raise LoginThrottled(max(1, int(wait + 0.999)), "this user" if wait_user >= wait_address else "this address")

    async def _check(self, name: str, password: str) -> User | None:
        if password.startswith(TOKEN_PREFIX):
            user = self.token_user(password)
            if user is not None and normalize(user.name) == normalize(name):
                return user
        digest = hashlib.blake2b(b"%s\x00%s" % (name.encode("utf-8", "surrogateescape"),
                                                password.encode("utf-8", "surrogateescape")),
                                 key=self._key, digest_size=32).digest()
        known = self._verified.get(digest)
        if known is not None and time.monotonic() - known[2] < CACHE_SECONDS:
            with self.store.read() as txn:
                stored = user_record(txn, known[1].name)
            if stored == known[0]:
                return known[1]
        with self.store.read() as txn:
            stored = user_record(txn, name)
        user = None if stored is None else decode(stored, User)
        if user is None or user.disabled:
            await self._scrypt(password, await self._decoy_hash())  # the same work as a wrong password
            return None
        if not await self._scrypt(password, user.password_hash):
            return None
        with self._lock:
            if len(self._verified) >= CACHE_LIMIT:
                self._verified.clear()
            self._verified[digest] = (stored, user, time.monotonic())
        return user

    async def _scrypt(self, password: str, password_hash: str) -> bool:
        if self._waiting >= MAX_WAITING:
            raise LoginThrottled(1, "the server (too many logins at once)")
        self._waiting += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor(), verify_password, password,
                                                                    password_hash)
        finally:
            self._waiting -= 1

    async def _decoy_hash(self) -> str:
        """A hash of a random password with the parameters new hashes get now (made once, in the pool)."""
        decoy = self._decoy
        if decoy is None or decoy[0] != store_users.SCRYPT_N:
            n = store_users.SCRYPT_N
            made = await asyncio.get_running_loop().run_in_executor(self._executor(), store_users.hash_password,
                                                                    secrets.token_urlsafe(16))
            decoy = self._decoy = (n, made)
        return decoy[1]

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(SCRYPT_THREADS, thread_name_prefix="jmapd-scrypt")
        return self._pool
