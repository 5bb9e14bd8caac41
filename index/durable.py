"""Files that must survive a crash: ownership lock, recorded modseq, fsync.

Whoosh makes a commit atomic (the table of contents is written to a temporary
name and renamed) but never calls fsync, so after a power failure the new
table of contents could name segment files whose data never reached the disk.
The writer therefore syncs segment files before the table of contents that
names them, and the table of contents before the recorded modseq that claims
it; a crash at any point leaves an index that is consistent and at least as
new as the recorded modseq.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import shutil
import tempfile

__all__ = [
    "IndexBusyError",
    "OwnerLock",
    "fsync_dir",
    "fsync_file",
    "read_int",
    "remove_leftovers",
    "write_atomic",
]

LOCK_NAME = "owner.lock"
MODSEQ_NAME = "applied_modseq"
FORMAT_NAME = "format"
WORK_DIR = "work"


class IndexBusyError(RuntimeError):
    """Another live process has the index open."""


def fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(directory: str, name: str, data: bytes) -> None:
    """Replace ``directory/name`` with ``data``: all or nothing, durably."""
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, os.path.join(directory, name))
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(directory)


def read_int(directory: str, name: str, default: int) -> int:
    try:
        with open(os.path.join(directory, name), "rb") as f:
            return int(f.read().strip() or default)
    except (OSError, ValueError):
        return default


class OwnerLock:
    """An exclusive ``flock`` held for as long as the index is open.

    Whoosh takes its own write lock only for the length of each commit. This
    one makes "a single process owns the index" a fact rather than a hope,
    which is what lets :func:`remove_leftovers` treat anything unfinished in
    the directory as debris of a dead process. The kernel drops the lock when
    its holder dies, so a crash never leaves it stale.
    """

    def __init__(self, directory: str) -> None:
        self.path = os.path.join(directory, LOCK_NAME)
        self.fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            os.close(fd)
            if e.errno in (errno.EAGAIN, errno.EACCES):
                raise IndexBusyError(f"index {os.path.dirname(self.path)} is open in another process") from None
            raise
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


_TOC_TEMP = re.compile(r"^_\w+_\d+\.toc\.[0-9.]+$")


def remove_leftovers(directory: str, indexname: str) -> None:
    """Delete what a killed process may have left half-done.

    Only called while holding :class:`OwnerLock`. Covers table-of-contents
    temporaries, Whoosh's temporary posting runs, segment builds and merges
    that were never adopted, and a Whoosh write lock file (Whoosh locks with
    ``flock`` too, so the file is harmless, but a variant that locks by
    existence would otherwise refuse every writer).
    """
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        if _TOC_TEMP.match(name) or name.startswith(f".{MODSEQ_NAME}.") or name.startswith(f".{FORMAT_NAME}."):
            _remove(path)
        elif name == f"{indexname}.tmp" or name == WORK_DIR:
            shutil.rmtree(path, ignore_errors=True)
        elif name == f"{indexname}_WRITELOCK":
            _remove(path)


def _remove(path: str) -> None:
    try:
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
    except FileNotFoundError:
        pass
