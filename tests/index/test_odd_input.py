"""User text is not a query language: nothing makes a search raise
(RFC 8621 §4.4.1: matching semantics are server-defined, errors are not)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index import FIELD_OF, SearchIndex, parse_query, snippet

from .conftest import doc

ODD = [
    "",
    " ",
    "\t\n",
    "*",
    "?",
    "AND OR",
    "NOT x",
    "a AND (b OR c)",
    "field:value",
    "subject:",
    '"',
    "'",
    '""',
    "''",
    '"  "',
    "\\",
    "\\\"",
    '"unterminated phrase',
    "it's 'half",
    'a"b"c',
    "~fuzzy^2",
    "[a TO z]",
    "{}",
    "\x00\x01",
    "\ud800",
    "😀 emoji",
    "a" * 100_000,
    " ".join(["word"] * 20_000),
    '"' + " ".join(f"w{i}" for i in range(5000)) + '"',
    "東" * 10_000,
    "\u0301\u0301",
    "ｶﾞ",
    "%s%d{0}",
]


@pytest.fixture
def filled(index):
    index.put(
        doc("m1", subject="hello AND world", body="x OR y, field:value 'quoted'"),
        doc("m2", subject="東京", body="emoji 😀 here"),
    )
    return index


@pytest.mark.parametrize("text", ODD, ids=range(len(ODD)))
def test_odd_text_never_raises(filled, text):
    """RFC 8621 §4.4.1: any String is a valid filter value."""
    for field in FIELD_OF:
        result = filled.find(field, text)
        assert isinstance(result, frozenset)
    snippet("some text with hello world", parse_query(text), max_bytes=255)


def test_operators_are_plain_words(filled):
    """RFC 8621 §4.4.1: "AND", "OR" and "field:value" are words to look for."""
    assert filled.find("subject", "AND") == {"m1"}
    assert filled.find("body", "field:value") == {"m1"}
    assert filled.find("body", "'quoted'") == {"m1"}


def test_no_words_matches_everything(filled):
    """RFC 8621 §4.4.1: white space separates tokens that MUST all be
    present; with no tokens, every email of the account qualifies."""
    assert filled.find("text", "") == {"m1", "m2"}
    assert filled.find("subject", "*") == {"m1", "m2"}
    assert parse_query("*").empty


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_fuzzed_text_never_raises(tmp_path_factory, text):
    """RFC 8621 §4.4.1: arbitrary user text is always a valid search."""
    ix = _shared(tmp_path_factory)
    for field in ("text", "from", "body"):
        ix.search("acc", field, text)
    snippet(text, parse_query(text), max_bytes=255)


_IX: dict[str, SearchIndex] = {}


def _shared(factory) -> SearchIndex:
    if "ix" not in _IX:
        from index import IndexBatch

        from .conftest import QUIET

        ix = SearchIndex.open(str(factory.mktemp("fuzz")), QUIET)
        ix.submit(IndexBatch(1, [doc("m", body="a b c 東京 тест café")], []))
        assert ix.wait_for(1, 30)
        _IX["ix"] = ix
    return _IX["ix"]


def teardown_module(module):
    for ix in _IX.values():
        ix.close()
    _IX.clear()
