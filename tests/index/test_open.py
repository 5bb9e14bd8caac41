"""Opening an index repairs what a dead process left behind (RFC 8621 §4.4:
the server must keep answering queries after a crash)."""

from __future__ import annotations

import fcntl
import glob
import os

from index import IndexBatch, SearchIndex

from .conftest import QUIET, doc


def _make(path, n=3) -> None:
    ix = SearchIndex.open(str(path), QUIET)
    for m in range(1, n + 1):
        ix.submit(IndexBatch(m, [doc(f"m{m}", body="kept")], []))
    assert ix.wait_for(n, 30)
    ix.close()


def test_stale_whoosh_lock_is_cleared(tmp_path):
    """RFC 8621 §4.4: a write lock that outlived its owner does not block
    the index (only one process ever owns it)."""
    path = tmp_path / "ix"
    _make(path)
    fd = os.open(path / "MAIN_WRITELOCK", os.O_CREAT | os.O_WRONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as if held by a hung or foreign writer
    try:
        ix = SearchIndex.open(str(path), QUIET)
        ix.submit(IndexBatch(4, [doc("m4", body="kept")], []))
        assert ix.wait_for(4, 30)
        assert ix.doc_count("acc") == 4
        ix.close()
    finally:
        os.close(fd)


def test_leftovers_are_removed(tmp_path):
    """RFC 8621 §4.4: unfinished builds, merges and temporary files of a
    killed process are deleted at open; committed data is kept."""
    path = tmp_path / "ix"
    _make(path)
    os.makedirs(path / "work" / "build-x")
    (path / "work" / "build-x" / "MAIN_abc.seg").write_bytes(b"partial")
    os.makedirs(path / "MAIN.tmp")
    (path / "_MAIN_99.toc.1234.5").write_bytes(b"partial")
    (path / "MAIN_orphan123.seg").write_bytes(b"never committed")
    ix = SearchIndex.open(str(path), QUIET)
    try:
        assert not (path / "work").exists()
        assert not (path / "MAIN.tmp").exists()
        assert not glob.glob(str(path / "*.toc.*"))
        assert not (path / "MAIN_orphan123.seg").exists()
        assert ix.applied_modseq() == 3
        assert ix.search("acc", "body", "kept") == {"m1", "m2", "m3"}
    finally:
        ix.close()


def test_other_format_is_rebuilt(tmp_path):
    """RFC 8621 §4.4: an index written with other analysis rules is not
    trusted: it is recreated empty and reports modseq 0, so the caller
    re-submits everything."""
    path = tmp_path / "ix"
    _make(path)
    (path / "format").write_text("0\n")
    ix = SearchIndex.open(str(path), QUIET)
    try:
        assert ix.applied_modseq() == 0
        assert ix.doc_count("acc") == 0
    finally:
        ix.close()


def test_unreadable_index_is_rebuilt(tmp_path):
    """RFC 8621 §4.4: a damaged index does not stop the server; it starts
    over from modseq 0."""
    path = tmp_path / "ix"
    _make(path)
    for toc in glob.glob(str(path / "_MAIN_*.toc")):
        with open(toc, "r+b") as f:
            f.truncate(10)
    ix = SearchIndex.open(str(path), QUIET)
    try:
        assert ix.applied_modseq() == 0
        assert ix.doc_count("acc") == 0
        ix.submit(IndexBatch(1, [doc("m1", body="again")], []))
        assert ix.wait_for(1, 30)
        assert ix.search("acc", "body", "again") == {"m1"}
    finally:
        ix.close()
