"""Continuous one-way sync: remote IMAP accounts mirrored into local accounts, pass after pass.

A sync source is a record in the local account (kind `SyncSource`): where to read from, how often,
how the last pass went, and the remote password encrypted with Fernet (AES-128-CBC with an HMAC)
under a key kept in a file outside the store, so a copy of the database alone does not reveal the
passwords. Each pass is an incremental IMAP import (imap.py): new messages, and flag changes where
the remote has CONDSTORE. Nothing flows back to the remote.

Passes run under an exclusive lock file in the data folder, so `jmapd sync run` and every server
process sharing the folder (`--workers N`) never import the same source at once; whichever process
holds the lock when a source is due runs it, and the pass's time is recorded in the store, so a
source is synced once per interval however many processes serve the folder.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
import msgspec
from cryptography.fernet import Fernet, InvalidToken

from store import Store
from store.users import list_users

from .destination import Destination
from .files import ImportFault
from .imap import ImapSource, import_account
from .progress import Progress
from .service import key_path

__all__ = ["key_path"]

log = logging.getLogger("jmapd.sync")

KIND = "SyncSource"
LOCK_FILE = "sync.lock"


class SyncSource(msgspec.Struct, kw_only=True):
    source: ImapSource
    local_user: str
    password: str  # Fernet token
    interval: int = 300
    last_run: int = 0
    last_ok: int = 0
    last_error: str = ""
    imported: int = 0


class SyncFault(Exception):
    pass


def source_id(source: ImapSource) -> str:
    return "S" + hashlib.blake2b(source.key.encode(), digest_size=6).hexdigest()


# -- the key ---------------------------------------------------------------------------------------
def load_key(path: str, *, create: bool) -> Fernet:
    try:
        with open(path, "rb") as f:
            return Fernet(f.read().strip())
    except FileNotFoundError:
        if not create:
            raise SyncFault(f"the sync key {path} is missing: the stored passwords cannot be read "
                            "(remove and add the sync sources again)") from None
    except (ValueError, OSError) as exc:
        raise SyncFault(f"the sync key {path} cannot be used: {exc}") from None
    os.makedirs(os.path.dirname(os.path.abspath(path)), mode=0o700, exist_ok=True)
    key = Fernet.generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key + b"\n")
    return Fernet(key)


def reveal(fernet: Fernet, token: str) -> str:
    try:
        return fernet.decrypt(token.encode()).decode()
    except InvalidToken:
        raise SyncFault("a stored password does not decrypt with the sync key (was the key replaced?)") from None


# -- the records -----------------------------------------------------------------------------------
def add_source(store: Store, account_id: str, entry: SyncSource) -> str:
    record_id = source_id(entry.source)
    store.write(lambda txn: txn.put_unlogged(account_id, KIND, record_id, entry))
    return record_id


def remove_source(store: Store, record_id: str) -> bool:
    for account_id, found_id, _ in all_sources(store):
        if found_id == record_id:
            store.write(lambda txn: txn.delete_unlogged(account_id, KIND, record_id))
            return True
    return False


def all_sources(store: Store) -> list[tuple[str, str, SyncSource]]:
    """(account id, source id, record) of every sync source: the users are few, their sources fewer."""
    out = []
    with store.read() as txn:
        for user in list_users(txn):
            out += [(user.account_id, i, s) for i, s in txn.scan(user.account_id, KIND, SyncSource)]
    return out


def _record_outcome(store: Store, account_id: str, record_id: str, started: int, error: str, imported: int) -> None:
    def work(txn) -> None:
        entry = txn.get(account_id, KIND, record_id, SyncSource)
        if entry is None:
            return  # removed meanwhile
        entry.last_run = started
        entry.last_error = error
        if not error:
            entry.last_ok = started
        entry.imported += imported
        txn.put_unlogged(account_id, KIND, record_id, entry)

    store.write(work)


@contextlib.contextmanager
def pass_lock(data: str, wait: bool) -> Iterator[bool]:
    """The data folder's sync lock: True when this process holds it for the block."""
    fd = os.open(os.path.join(data, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def run_pass(store: Store, fernet: Fernet, *, only: str | None = None, due_only: bool = False,
             destination_for: Callable[[str], Destination] | None = None,
             progress_for: Callable[[SyncSource], Progress] | None = None,
             clock: Callable[[], float] = time.time,
             stop: threading.Event | None = None, also: set[str] = frozenset()) -> list[tuple[str, str]]:
    """Sync each source (or the one named), or only those whose interval has passed (and those in
    `also`, whose remote said it has news); returns
    (source id, error or "") per source run. One source failing does not stop the others."""
    results = []
    for account_id, record_id, entry in all_sources(store):
        if only is not None and record_id != only:
            continue
        if stop is not None and stop.is_set():
            break
        now = int(clock())
        if due_only and now - entry.last_run < entry.interval and record_id not in also:
            continue
        destination = destination_for(account_id) if destination_for else Destination(store, account_id)
        progress = progress_for(entry) if progress_for else Progress(quiet=True)
        error = ""
        try:
            import_account(entry.source, reveal(fernet, entry.password), destination, progress, stop=stop)
        except (ImportFault, SyncFault) as exc:
            error = str(exc)
            log.warning("sync %s (%s into %s) failed: %s", record_id, entry.source.key, entry.local_user, error)
        imported = progress.totals().imported + progress.totals().merged
        _record_outcome(store, account_id, record_id, now, error, imported)
        if imported:
            log.info("sync %s: %d new messages into %s", record_id, imported, entry.local_user)
        results.append((record_id, error))
    return results
