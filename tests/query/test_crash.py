"""A server killed (SIGKILL) in the middle of imports loses nothing it confirmed and, once
restarted, its full-text search finds exactly the stored Emails: none missing, none twice
(RFC 8621 §4.4: query results reflect the current state of the Emails)."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from jmapd.testing import ServeProcess

from .conftest import Account, build

JMAPD = str(Path(sys.executable).with_name("jmapd"))
WORD = "crashproofword"


class Server(ServeProcess):
    def __init__(self, data: Path):
        super().__init__(["--host", "127.0.0.1", "--data", str(data)])

    def account(self) -> Account:
        return Account(self.url, "crash", "crash-pw")

    def kill(self) -> None:
        self.stop(signal.SIGKILL)


def import_until_stopped(server: Server, confirmed: list[str], stop: threading.Event, worker: int) -> None:
    """Import small batches as fast as possible; remember the ids the server confirmed."""
    account = server.account()
    n = 0
    try:
        while not stop.is_set():
            items = []
            for _ in range(3):
                n += 1
                raw = build(f"Crash {worker} {n}", body=f"Message {worker}-{n} has the {WORD} and padding. " * 20,
                            msgid=f"crash{worker}x{n}@crash.test")
                items.append(account.import_item(raw))
            confirmed += [c["id"] for c in account.import_many(items)]
    except (httpx.HTTPError, AssertionError, OSError, ValueError):
        pass  # the server went away under us
    finally:
        account.close()


def settled(account: Account, timeout: float = 60) -> tuple[list[str], list[str]]:
    """(every Email id, ids the text search finds), once the search has caught up with the store."""
    deadline = time.monotonic() + timeout
    while True:
        every = account.query(calculateTotal=True)
        assert every["total"] == len(every["ids"])
        name, found = account.call("Email/query", {"filter": {"text": WORD}})
        if name == "Email/query" and sorted(found["ids"]) == sorted(every["ids"]):
            return every["ids"], found["ids"]
        if time.monotonic() > deadline:
            return every["ids"], found.get("ids", [])
        time.sleep(0.2)


def check(account: Account, confirmed: list[str]) -> list[str]:
    every, found = settled(account)
    assert len(every) == len(set(every)), "an Email listed twice"
    assert set(confirmed) <= set(every), f"confirmed imports lost: {sorted(set(confirmed) - set(every))[:5]}"
    assert len(found) == len(set(found)), "the search returned an Email twice"
    missing, extra = set(every) - set(found), set(found) - set(every)
    assert not missing and not extra, (f"search misses {sorted(missing)[:5]} ({len(missing)}), "
                                       f"finds unknown {sorted(extra)[:5]} ({len(extra)})")
    # and every one of them by its own subject words
    assert set(account.ids({"subject": "crash"})) == set(every)
    return every


@pytest.mark.timeout(180)
def test_sigkill_mid_import_loses_nothing_and_index_matches_store(tmp_path):
    """SIGKILL while two clients import, restart on the same data folder: the text search finds
    exactly the Email ids the store lists (Email/query without filter), and `jmapd index rebuild`
    leaves the same result."""
    data = tmp_path / "data"
    added = subprocess.run([JMAPD, "user", "add", "crash", "--password", "crash-pw", "--data", str(data)],
                           capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    confirmed: list[str] = []
    for round_ in range(2):
        server = Server(data)
        try:
            stop = threading.Event()
            workers = [threading.Thread(target=import_until_stopped, args=(server, confirmed, stop, 10 * round_ + w))
                       for w in range(2)]
            for w in workers:
                w.start()
            before = len(confirmed)
            deadline = time.monotonic() + 20
            while len(confirmed) < before + 60 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert len(confirmed) > before, "no import succeeded before the kill"
            server.kill()  # mid-import: the workers are still sending
            stop.set()
            for w in workers:
                w.join(timeout=30)
        finally:
            if server.proc.poll() is None:
                server.kill()
    server = Server(data)
    try:
        account = server.account()
        every = check(account, confirmed)
        # and indexing goes on: a new Email is found at once
        fresh = account.import_one(build("Crash after restart", body=f"the {WORD} again"))["id"]
        assert fresh in account.ids({"text": WORD})
        confirmed.append(fresh)
        every = check(account, confirmed)
        account.close()
    finally:
        server.stop()

    rebuilt = subprocess.run([JMAPD, "index", "rebuild", "--data", str(data)], capture_output=True, text=True,
                             timeout=120)
    if rebuilt.returncode != 0 and ("invalid choice" in rebuilt.stderr or "ImportError" in rebuilt.stderr
                                    or "cannot import" in rebuilt.stderr):
        pytest.skip("`jmapd index rebuild` is not available")
    assert rebuilt.returncode == 0, rebuilt.stderr
    server = Server(data)
    try:
        account = server.account()
        assert sorted(check(account, confirmed)) == sorted(every)
        account.close()
    finally:
        server.stop()
