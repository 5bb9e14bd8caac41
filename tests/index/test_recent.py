"""Repeated searches on an unchanged index are answered from recent results (index/recent.py),
and never outlive a change: RFC 8621 §4.4 results always reflect the index as committed."""

from __future__ import annotations

from index.recent import RecentResults

from .conftest import doc


def test_repeated_search_is_shared_until_the_index_changes(index):
    index.put(doc("e1", body="alpha beta"), doc("e2", body="alpha"))
    first = index.find("body", "alpha")
    assert first == {"e1", "e2"}
    assert index.find("body", "alpha") is first  # the same answer object: no search ran
    index.put(doc("e3", body="alpha gamma"))
    assert index.find("body", "alpha") == {"e1", "e2", "e3"}
    index.delete(("acc", "e1"))
    assert index.find("body", "alpha") == {"e2", "e3"}
    assert index.find("body", "alpha", account="other") == set()


def test_bounds_and_generations():
    recent = RecentResults(max_entries=2, max_ids=5)
    recent.put(1, "a", frozenset({"1"}))
    recent.put(1, "b", frozenset({"2", "3"}))
    recent.put(1, "c", frozenset({"4"}))  # over max_entries: the least recently used goes
    assert recent.get(1, "a") is None and recent.get(1, "b") == {"2", "3"}
    recent.put(1, "d", frozenset({"5", "6", "7", "8"}))  # over max_ids: older entries go
    assert recent.get(1, "b") is None and recent.get(1, "d") is not None
    recent.put(1, "big", frozenset(str(i) for i in range(6)))  # larger than the bound: not kept
    assert recent.get(1, "big") is None
    recent.put(2, "e", frozenset({"9"}))  # a newer snapshot empties it
    assert recent.get(1, "d") is None and recent.get(2, "d") is None and recent.get(2, "e") == {"9"}
    recent.put(1, "late", frozenset({"x"}))  # computed on an older snapshot: dropped
    assert recent.get(2, "late") is None
