"""The LMDB environment: opening, layout checks, and write transactions that survive a full map.

One environment holds every named database, so a change to a record, its change log and its
secondary indexes commits atomically. Writes are short functions run by `Store.write`, which can rerun
them after growing the map: LMDB refuses a write that does not fit, and retrying from the start is the
only safe way to continue.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import lmdb

from . import schema
from .commit import GroupCommitter
from .txn import ReadTxn, WriteTxn

T = TypeVar("T")

# Named databases; all open with the environment.
DATABASES: list[str] = [
    "meta", "users", "tokens", "accounts", "records", "changes", "counters", "blobrefs",
    # Blob octets in the order they were stored, and each blob id's number there (store/blobs.py);
    # `blobs` holds those stored before layout 7, by blob id.
    "blob_data", "blob_index", "blobs",
    # Email secondary indexes: Message-ID -> thread, and emails ordered by receivedAt per mailbox.
    "msgids", "by_mailbox",
    # IMAP UIDs per mailbox, both ways, and the UIDs of each keyword (jmapd/mail/uids.py).
    "uids", "uid_of", "uid_flags",
    # What never changes about an Email, rendered when it is written (jmapd/mail/envelopes.py).
    "envelopes", "email_facts", "email_headers", "email_list_fields",
    # Store-wide feeds that background workers follow (store/feed.py).
    "feeds",
]

DEFAULT_MAP_SIZE = 8 << 30
Listener = Callable[[set[tuple[str, str]]], None]
# Mail and password hashes: readable by the server's user only, whatever the umask.
PRIVATE_FILE, PRIVATE_FOLDER = 0o600, 0o700


class StoreOpenError(Exception):
    """The store's folder or files cannot be opened (missing rights, a file where a folder should be,
    a read-only disk): the message names the path and the fix."""


def make_private(path: str) -> None:
    """Tighten a folder to 0700 and the files in it to 0600 (folders made by older versions, or
    under a loose umask, were readable by everyone)."""
    os.chmod(path, PRIVATE_FOLDER)
    for name in os.listdir(path):
        full = os.path.join(path, name)
        if os.path.isfile(full) and os.stat(full).st_mode & 0o077:
            os.chmod(full, PRIVATE_FILE)


class Store:
    def __init__(self, env: lmdb.Environment, dbs: dict[str, object], path: str):
        self.env = env
        self.dbs = dbs
        self.path = path
        self._listeners: list[Listener] = []
        self._grow_lock = threading.Lock()
        self.migrations_run: list[str] = []
        self._committer = GroupCommitter(env, dbs, self._grow, self._announce)

    @classmethod
    def open(
        cls,
        data_dir: str,
        *,
        map_size: int = DEFAULT_MAP_SIZE,
        current_version: int = schema.CURRENT_VERSION,
        migrations: dict[int, schema.Migration] | None = None,
    ) -> "Store":
        path = os.path.join(data_dir, "store")
        try:
            os.makedirs(data_dir, PRIVATE_FOLDER, exist_ok=True)
            os.makedirs(path, PRIVATE_FOLDER, exist_ok=True)
            env = lmdb.open(path, map_size=map_size, max_dbs=64, max_readers=1024, readahead=False,
                            metasync=True, sync=True, mode=PRIVATE_FILE)
            make_private(path)
            fresh = schema.is_empty(env)
            dbs = {name: env.open_db(name.encode()) for name in DATABASES}
        except (OSError, lmdb.Error) as exc:
            reason = getattr(exc, "strerror", None) or str(exc).split(":")[-1].strip() or type(exc).__name__
            raise StoreOpenError(f"cannot open the store in {path} ({reason}): the data folder must be a folder "
                                 "this user can read and write, on a writable disk") from None
        store = cls(env, dbs, data_dir)
        try:
            store.migrations_run = schema.check_and_migrate(
                env,
                dbs,
                data_dir,
                current=current_version,
                migrations=schema.MIGRATIONS if migrations is None else migrations,
                fresh=fresh,
            )
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        self._committer.close()
        self.env.close()

    def add_listener(self, listener: Listener) -> None:
        """Called after each commit with the (account, type) pairs whose state changed."""
        self._listeners.append(listener)

    def read(self, buffers: bool = False) -> "_Reading":
        """`with store.read() as txn:` a snapshot of the store, for as long as the block runs.

        With `buffers`, the values `txn.txn` returns are memoryviews into the map instead of
        copies, valid only until the block ends: a reader that needs a few octets of a large value
        (a message's header section) touches only the pages holding them. Decode or copy what
        must outlive the block, inside it."""
        return _Reading(self, buffers)

    def write(self, fn: Callable[[WriteTxn], T]) -> T:
        """Run `fn` in a write transaction and commit it durably; returns what `fn` returned.

        Concurrent writes share one commit (store/commit.py); `fn` may be rerun from the start if
        the map had to grow, so it must do all its work through the transaction it is given.
        """
        return self._committer.write(fn)

    async def write_async(self, fn: Callable[[WriteTxn], T]) -> T:
        """`write` for a coroutine: the same durable commit, awaited on the event loop rather than
        by a thread blocked until it is done."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()

        def settle(result: Any, error: BaseException | None) -> None:
            if not future.done():  # the waiter may have gone (its connection closed)
                if error is None:
                    future.set_result(result)
                else:
                    future.set_exception(error)

        self._committer.submit(fn, lambda result, error: loop.call_soon_threadsafe(settle, result, error))
        return await future

    def _announce(self, touched: set[tuple[str, str]]) -> None:
        for listener in self._listeners:
            listener(touched)

    def _grow(self) -> None:
        with self._grow_lock:
            self.env.set_mapsize(self.env.info()["map_size"] * 2)


class _Reading:
    """The context manager of Store.read: a class rather than a generator, as every request opens
    several (a generator-based one costs as much again as the LMDB transaction itself)."""

    __slots__ = ("store", "buffers", "txn")

    def __init__(self, store: Store, buffers: bool = False):
        self.store = store
        self.buffers = buffers

    def __enter__(self) -> ReadTxn:
        env = self.store.env
        try:
            self.txn = env.begin(buffers=self.buffers)
        except lmdb.MapResizedError:
            env.set_mapsize(0)
            self.txn = env.begin(buffers=self.buffers)
        return ReadTxn(self.txn, self.store.dbs)

    def __exit__(self, *exc: object) -> None:
        self.txn.abort()
