"""Worker processes: CPU-bound jobs kept off the server's GIL.

The index builds and merges segments in them (:mod:`index.segments`); the
server parses imported messages in them. A worker serves the jobs of one
module, named when it starts: that module's ``JOBS`` maps a job's name to a
function.

Plain child interpreters talking over their stdin/stdout, rather than
``multiprocessing``: forking a threaded server is unsafe, and the "spawn"
method re-imports the parent's ``__main__``, which a library cannot ask of
every program that embeds it. A worker runs one job at a time; if it dies,
its job fails and the caller falls back to doing the work itself. A worker
exits when its stdin closes or its parent dies, and it ignores SIGINT so that
the parent decides when work stops.

Frames are an 8-byte length and a pickle, both ways; the peer is our own
child, so pickle is safe here.

Between jobs a worker gives back what its last job left: garbage in reference
cycles, then the heap pages malloc kept free. Otherwise an idle builder held
50 MB after a bulk load for as long as it lived (36 to 38 MB now; a fresh
one, 17 MB). A worker idle for a while is retired altogether
(:func:`retire_idle`, which the server calls from its memory trimmer): five
idle children of a server held about 230 MB between them, code included. The
next job starts a new interpreter in the same :class:`WorkerProcess`, so
callers never see the difference but a fraction of a second.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import importlib
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
import time
import weakref
from typing import Any

__all__ = ["WorkerError", "WorkerProcess", "main", "retire_idle", "settle", "trim_heap"]

_LEN = struct.Struct("<Q")
_PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_PACKAGE = __name__.rpartition(".")[0]


class WorkerError(RuntimeError):
    """The job failed in the worker, or the worker died."""


def _write(f, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    f.write(_LEN.pack(len(data)))
    f.write(data)
    f.flush()


def _read(f) -> Any:
    head = f.read(_LEN.size)
    if len(head) < _LEN.size:
        raise EOFError
    (n,) = _LEN.unpack(head)
    data = f.read(n)
    if len(data) < n:
        raise EOFError
    return pickle.loads(data)


class WorkerProcess:
    """One child interpreter serving the ``JOBS`` of module ``jobs``;
    :meth:`run` sends a job and waits for it. ``nice`` lowers the child's
    scheduling priority, for work that should yield to request handling."""

    def __init__(self, jobs: str = f"{_PACKAGE}.segments", nice: int = 0) -> None:
        self._code = (
            f"import sys; sys.path.insert(0, {_PACKAGE_PARENT!r}); "
            f"from {_PACKAGE}.workers import main; main({os.getpid()}, {jobs!r}, {int(nice)})"
        )
        self._lock = threading.Lock()
        self._retired = False  # stopped for being idle; the next job starts it again
        self._closed = False
        self.last_used = time.monotonic()
        self._spawn()
        _WORKERS.add(self)

    def _spawn(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-c", self._code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
        )
        self._retired = False

    @property
    def pid(self) -> int:
        return self._proc.pid

    def alive(self) -> bool:
        """Whether it can take a job: running, or retired for idleness (a job restarts it)."""
        return (self._retired and not self._closed) or self._proc.poll() is None

    def retire_if_idle(self, idle_seconds: float) -> bool:
        """Stop the child if no job came for `idle_seconds`; never while a job runs."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            if self._retired or self._closed or time.monotonic() - self.last_used < idle_seconds:
                return False
            if self._proc.poll() is not None:
                return False
            self._stop_child()
            self._retired = True
            return True
        finally:
            self._lock.release()

    def run(self, kind: str, *args: Any, timeout: float | None = None) -> Any:
        """Run job ``kind`` (a name in the worker's ``JOBS``).

        With ``timeout``, a worker that has not answered after that many
        seconds is killed and the job fails: a caller that has a fallback
        (parsing in place) must never wait forever on a worker that is stuck
        rather than dead, nor hold up the server's shutdown.
        """
        with self._lock:
            if self._retired and not self._closed:
                self._spawn()
            self.last_used = time.monotonic()
            watchdog = threading.Timer(timeout, self.kill) if timeout is not None else None
            if watchdog is not None:
                watchdog.daemon = True
                watchdog.start()
            try:
                _write(self._proc.stdin, (kind, args))
                status, value = _read(self._proc.stdout)
            except (OSError, EOFError, ValueError, pickle.UnpicklingError) as e:
                self.kill()
                why = f"no answer within {timeout:g} s" if watchdog is not None and watchdog.finished.is_set() else repr(e)
                raise WorkerError(f"worker {self._proc.pid} died ({why})") from None
            finally:
                if watchdog is not None:
                    watchdog.cancel()
                self.last_used = time.monotonic()
        if status != "ok":
            raise WorkerError(value)
        return value

    def kill(self) -> None:
        """Stop the worker now, even in the middle of a job."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        for f in (self._proc.stdin, self._proc.stdout):
            try:
                f.close()
            except OSError:
                pass

    def close(self) -> None:
        """Let an idle worker exit on its own (end of input); it takes no more jobs."""
        self._closed = True
        self._stop_child()

    def _stop_child(self) -> None:
        try:
            self._proc.stdin.close()
        except OSError:
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()
        try:
            self._proc.stdout.close()
        except OSError:
            pass


_WORKERS: "weakref.WeakSet[WorkerProcess]" = weakref.WeakSet()


def retire_idle(idle_seconds: float) -> int:
    """Stop every worker of this process that has had no job for `idle_seconds`; returns how many."""
    return sum(worker.retire_if_idle(idle_seconds) for worker in list(_WORKERS))


def _malloc_trim():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to trim
        return None


_MALLOC_TRIM = _malloc_trim()


def trim_heap() -> bool:
    """Give the pages malloc holds free, wherever in its heaps, back to the system (glibc only; it
    runs outside the GIL); True when some were."""
    return _MALLOC_TRIM is not None and bool(_MALLOC_TRIM(0))


def settle() -> bool:
    """Free what is garbage, then trim the heap (see trim_heap)."""
    gc.collect()
    return trim_heap()


def _die_with_parent() -> None:
    """Ask Linux to kill this process when the thread that started it ends.

    Without it, a worker of a SIGKILLed server would finish its job first
    (it only notices on its next read). Best effort: elsewhere it is a no-op.
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def main(parent_pid: int | None = None, jobs_module: str = f"{_PACKAGE}.segments", nice: int = 0) -> None:
    """The worker's loop: read a job, run it, write the outcome."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    if parent_pid is not None and os.getppid() != parent_pid:
        return  # the parent died before the request above took effect
    if nice:
        os.nice(nice)
    jobs = importlib.import_module(jobs_module).JOBS
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # stray prints must not corrupt the frames
    while True:
        try:
            kind, args = _read(stdin)
        except EOFError:
            return
        try:
            outcome = ("ok", jobs[kind](*args))
        except Exception as e:
            outcome = ("error", f"{type(e).__name__}: {e}")
        try:
            _write(stdout, outcome)
        except OSError:
            return
        del outcome
        settle()
