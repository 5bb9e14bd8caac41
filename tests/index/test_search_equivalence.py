"""The set-algebra search agrees with Whoosh's own query evaluation
(RFC 8621 §4.4.1: AND of tokens, phrases, fields)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from index import FIELD_OF, IndexBatch, SearchIndex, parse_query
from index.search import build_query, run_query, search_leaves

from .conftest import QUIET, doc

WORDS = ["alpha", "beta", "gamma", "delta", "東京", "タワー", "café", "la", "x"]
_IX: dict[str, SearchIndex] = {}


def _index(factory) -> SearchIndex:
    if "ix" in _IX:
        return _IX["ix"]
    r = random.Random(3)
    ix = SearchIndex.open(str(factory.mktemp("equiv")), QUIET)
    m = 0
    for seg in range(4):  # several segments, with deletions in older ones
        m += 1
        docs = []
        for i in range(40):
            def text(n):
                return " ".join(r.choice(WORDS) for _ in range(n))

            docs.append(
                doc(
                    f"d{seg}-{i}",
                    account=r.choice(["a", "b"]),
                    subject=text(4),
                    body=text(30),
                    to=f"{r.choice(WORDS)}@example.com",
                    attachments=f"{r.choice(WORDS)}.pdf",
                )
            )
        dels = [(a, f"d{seg - 1}-{i}") for i in range(0, 40, 7) for a in ("a", "b")] if seg else []
        ix.submit(IndexBatch(m, docs, dels))
        assert ix.wait_for(m, 30)
    _IX["ix"] = ix
    return ix


def teardown_module(module):
    for ix in _IX.values():
        ix.close()
    _IX.clear()


query_text = st.lists(
    st.one_of(
        st.sampled_from(WORDS + ["missing", "example.com"]),
        st.lists(st.sampled_from(WORDS), min_size=2, max_size=3).map(lambda ws: '"' + " ".join(ws) + '"'),
    ),
    max_size=3,
).map(" ".join)


@settings(max_examples=150, deadline=None)
@given(query_text, st.sampled_from(sorted(FIELD_OF)), st.sampled_from(["a", "b"]))
def test_same_results_as_whoosh(tmp_path_factory, text, field, account):
    """RFC 8621 §4.4.1: every token and phrase must match, in the field(s)
    the condition names, within the account."""
    ix = _index(tmp_path_factory)
    terms = parse_query(text)
    with ix._readers.leaves(ix._snap) as leaves:
        fast = search_leaves(leaves, ix._idmaps, account, field, terms)
        reference = run_query(leaves, ix._idmaps, build_query(account, field, terms))
    assert fast == reference


def test_fixture_has_segments_and_deletions(tmp_path_factory):
    """RFC 8621 §4.4.1: (the comparison above covers multi-segment indexes
    with deleted documents)."""
    ix = _index(tmp_path_factory)
    assert ix.segment_count() == 4
    assert any(s.has_deletions() for s in ix._snap.segments)
    assert ix.search("a", "text", "") | ix.search("b", "text", "")
