"""The background sync of `jmapd serve` (see sync.py): passes over the sync sources that are due."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..methods.services import Server

log = logging.getLogger("jmapd.sync")


def key_path(data: str, configured: str | None) -> str:
    return configured or os.path.join(data, "sync.key")


class SyncService:
    """The server's background sync: every `tick` seconds, the sources that are due, one pass at a
    time, in a thread (a pass blocks on the network and the store). Each source whose remote has
    IDLE also gets a watcher on its INBOX (idle.py), whose news makes the source due at once."""

    def __init__(self, data: str, key_file: str | None, tick: float = 5.0):
        self.data = data
        self.key_file = key_path(data, key_file)
        self.tick = tick
        self._task: asyncio.Task | None = None
        self._stopping = threading.Event()  # seen by the pass's thread between batches
        self._wake: asyncio.Event | None = None
        self._loop_ref: asyncio.AbstractEventLoop | None = None
        self._watchers: dict[str, object] = {}  # source id -> InboxWatcher
        self._woken: set[str] = set()
        self._woken_lock = threading.Lock()
        self.passes = 0

    async def start(self, server: "Server") -> None:
        self._server = server
        server.extras["sync"] = self
        self._wake = asyncio.Event()
        self._loop_ref = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                await asyncio.to_thread(self._pass)
            except Exception:  # one bad pass must not end the service
                log.exception("sync pass failed")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.tick)
            self._wake.clear()

    def _pass(self) -> None:
        # Imported here, in the pass's thread: `jmapd serve` starts without the IMAP machinery.
        from .sync import SyncFault, all_sources, load_key, pass_lock, run_pass

        server = self._server
        if not all_sources(server.store):
            return
        try:
            fernet = load_key(self.key_file, create=False)
        except SyncFault as exc:
            log.warning("sync: %s", exc)
            return
        search = server.extras.get("search")

        from .destination import Destination

        def destination_for(account_id: str) -> "Destination":
            return Destination(server.store, account_id, pool=server.extras.get("parser"),
                               hand_over=None if search is None else search.hand_over)

        self._watch(all_sources(server.store), fernet)
        with pass_lock(self.data, wait=False) as held:
            if held and not self._stopping.is_set():
                with self._woken_lock:
                    woken, self._woken = self._woken, set()
                run_pass(server.store, fernet, due_only=True, destination_for=destination_for,
                         stop=self._stopping, also=woken)
                self.passes += 1

    def _watch(self, sources, fernet) -> None:
        """An IDLE watcher per source, started once; those of removed sources stopped."""
        from .idle import InboxWatcher
        from .sync import reveal

        current = {record_id for _, record_id, _ in sources}
        for record_id in list(self._watchers):
            if record_id not in current:
                self._watchers.pop(record_id).stop.set()
        for _, record_id, entry in sources:
            if record_id in self._watchers or self._stopping.is_set():
                continue
            watcher = InboxWatcher(entry.source, reveal(fernet, entry.password),
                                   lambda record_id=record_id: self._news(record_id))
            self._watchers[record_id] = watcher
            watcher.start()

    def _news(self, record_id: str) -> None:
        """From a watcher's thread: the source is due now; the loop wakes to run it."""
        with self._woken_lock:
            self._woken.add(record_id)
        if self._loop_ref is not None and self._wake is not None:
            self._loop_ref.call_soon_threadsafe(self._wake.set)

    async def stop(self) -> None:
        """Ends after the pass in progress reaches its next batch: the store must outlive it."""
        self._stopping.set()
        for watcher in self._watchers.values():
            watcher.stop.set()
        if self._wake is not None:
            self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.TimeoutError, Exception):
                await asyncio.wait_for(asyncio.shield(self._task), timeout=60)
