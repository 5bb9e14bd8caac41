"""Removing records whose time is over (jmapd/mail/expiry.py), beside the server.

Once a minute, and in batches so that no write transaction grows long, whatever the expiry index
says is due goes: delivery marks, vacation notes, finished EmailSubmissions. Several processes
serving one data folder may all run it; each batch is one transaction, so they never remove a
record twice.
"""

from __future__ import annotations

import asyncio
import logging

from ..mail import clock
from ..mail.expiry import prune

log = logging.getLogger("jmapd.pruning")

EVERY = 60.0  # seconds between passes
BATCH = 500  # records looked at per transaction


class Pruner:
    """A BackgroundService."""

    def __init__(self, every: float = EVERY):
        self.every = every
        self._task: asyncio.Task | None = None

    async def start(self, server) -> None:
        self._task = asyncio.create_task(self._run(server.store))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self, store) -> None:
        while True:
            try:
                await asyncio.to_thread(prune_all, store)
            except Exception:
                log.exception("removing expired records failed; trying again later")
            await asyncio.sleep(self.every)


def prune_all(store) -> int:
    """Every due record, a batch per transaction; returns how many were looked at."""
    total = 0
    while True:
        done = store.write(lambda txn: prune(txn, now=int(clock.now()), limit=BATCH))
        total += done
        if done < BATCH:
            return total
