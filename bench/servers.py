"""Starting real servers in subprocesses for benchmarks: jmapd itself and the Starlette floor."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path


from jmapd.testing import free_port, wait_until_answering

HERE = Path(__file__).resolve().parent
JMAPD = str(Path(sys.executable).with_name("jmapd"))


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def wait_index_settled(data: str, quiet: float = 5.0, timeout: float = 1200.0) -> float:
    """Wait until a jmapd's search index has no segment build or merge under way for `quiet`
    seconds: after a bulk load the server merges segments in the background for minutes, and a
    measurement taken meanwhile shares the CPU with that work. Returns the seconds waited."""
    work = Path(data) / "index" / "work"
    start = last_busy = time.monotonic()
    while True:
        now = time.monotonic()
        if work.is_dir() and any(work.iterdir()):
            last_busy = now
        elif now - last_busy >= quiet:
            return now - start
        if now - start > timeout:
            raise TimeoutError(f"the index in {data} was still merging after {timeout:.0f} s")
        time.sleep(0.5)


@contextmanager
def jmapd_server(data: str | None = None, user: str = "bench", password: str = "bench", workers: int = 1):
    """A `jmapd serve` process with one user; yields (base_url, data_dir)."""
    tmp = None
    if data is None:
        tmp = tempfile.TemporaryDirectory(prefix="jmapd-bench-")
        data = tmp.name
    subprocess.run([JMAPD, "user", "add", user, "--password", password, "--data", data],
                   capture_output=True, check=False)
    port = free_port()
    proc = subprocess.Popen([JMAPD, "serve", "--port", str(port), "--data", data, "--workers", str(workers)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/.well-known/jmap")
        yield f"http://127.0.0.1:{port}", data, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            # Still finishing background work (the index of a large load); the store is crash-safe.
            proc.kill()
            proc.wait()
        if tmp is not None:
            tmp.cleanup()


@contextmanager
def floor_server(body: bytes, workers: int = 1):
    """The Starlette floor answering `body`, in as many worker processes as jmapd is given."""
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(body)
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(HERE / "floor_app.py"), str(port), f.name, str(workers)])
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/")
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        os.unlink(f.name)
