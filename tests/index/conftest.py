"""Shared helpers for the full-text index tests."""

from __future__ import annotations

import itertools

import pytest

from index import IndexBatch, IndexDocument, SearchIndex, WriterConfig

# Deterministic defaults: no background merges, no builder processes. Tests of
# those paths turn them on explicitly.
QUIET = WriterConfig(merges=False, builders=0)

_modseq = itertools.count(1)


def doc(email_id: str, account: str = "acc", **fields: str) -> IndexDocument:
    if "from" in fields:
        fields["from_"] = fields.pop("from")
    return IndexDocument(account_id=account, email_id=email_id, **fields)


class Index:
    """A SearchIndex plus a modseq counter, for short tests."""

    def __init__(self, path, config: WriterConfig = QUIET) -> None:
        self.path = path
        self.config = config
        self.ix = SearchIndex.open(str(path), config)
        self.modseq = self.ix.applied_modseq()

    def put(self, *docs: IndexDocument, deletes=()) -> int:
        self.modseq += 1
        self.ix.submit(IndexBatch(self.modseq, list(docs), list(deletes)))
        assert self.ix.wait_for(self.modseq, timeout=30)
        return self.modseq

    def delete(self, *keys: tuple[str, str]) -> int:
        return self.put(deletes=keys)

    def find(self, field: str, text: str, account: str = "acc") -> frozenset[str]:
        return self.ix.search(account, field, text)

    def reopen(self) -> None:
        self.ix.close()
        self.ix = SearchIndex.open(str(self.path), self.config)

    def close(self) -> None:
        self.ix.close()


@pytest.fixture
def index(tmp_path):
    ix = Index(tmp_path / "ix")
    try:
        yield ix
    finally:
        ix.close()
