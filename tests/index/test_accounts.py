"""One index, many accounts: a search only ever sees its own account."""

from __future__ import annotations

import pytest

from index import IndexBusyError, SearchIndex

from .conftest import doc


def test_account_isolation(index):
    """RFC 8620 §1.6.2 / RFC 8621 §4.4: a query runs within one accountId;
    the same words and even the same email id in another account never
    show up."""
    index.put(
        doc("m1", account="a1", subject="secret plans"),
        doc("m1", account="a2", subject="other plans"),
        doc("m2", account="a2", subject="secret recipe"),
    )
    assert index.find("subject", "secret", account="a1") == {"m1"}
    assert index.find("subject", "secret", account="a2") == {"m2"}
    assert index.find("subject", "other", account="a1") == set()
    assert index.find("text", "", account="a1") == {"m1"}
    assert index.find("text", "plans", account="nobody") == set()
    assert index.ix.doc_count("a1") == 1
    assert index.ix.doc_count("a2") == 2


def test_delete_account(index):
    """RFC 8621 §4.4: an account's emails leave the index with the account,
    without touching other accounts."""
    index.put(
        doc("m1", account="a1", body="hello"),
        doc("m2", account="a1", body="hello"),
        doc("m1", account="a2", body="hello"),
    )
    assert index.ix.delete_account("a1", timeout=30) == 2
    assert index.find("body", "hello", account="a1") == set()
    assert index.find("body", "hello", account="a2") == {"m1"}
    index.put(doc("m3", account="a1", body="hello again"))
    assert index.find("body", "hello", account="a1") == {"m3"}


def test_delete_account_applies_after_earlier_batches(index):
    """RFC 8621 §4.4: deleting an account also removes emails submitted
    just before, even if not yet indexed."""
    index.modseq += 1
    from index import IndexBatch

    index.ix.submit(IndexBatch(index.modseq, [doc("late", account="a1", body="x")]))
    index.ix.delete_account("a1", timeout=30)
    assert index.ix.doc_count("a1") == 0


def test_single_owner(tmp_path):
    """RFC 8621 §4.4 (consistency of query results): only one process may
    write an index; a second open fails at once instead of corrupting it."""
    ix = SearchIndex.open(str(tmp_path / "ix"))
    try:
        with pytest.raises(IndexBusyError):
            SearchIndex.open(str(tmp_path / "ix"))
    finally:
        ix.close()
    SearchIndex.open(str(tmp_path / "ix")).close()
