"""The analysis that index, query and snippets share (RFC 8621 §4.4.1, §5)."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from index.analysis import _TOKEN_RE, _pattern, fold, fold_pieces, index_terms, positioned_tokens
from index.query import parse_query

alphabet = st.sampled_from(
    list("abcXYZ019 _-@.,'\"\n\t")
    + list("éÉüßøÆﬁ½①")
    + list("привет ΑΒΓαβγ ά")
    + list("東京タワーガｶﾞﾟ한국어")
    + list("हिन्दी")
    + ["\u0301", "\u3099", "\ud800", "\x00", "😀"]
)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=alphabet, max_size=80))
def test_index_and_snippet_tokens_agree(text):
    """RFC 8621 §5: snippets mark exactly what the index matches, so the
    fast indexing path and the offset-keeping path yield the same terms."""
    grouped: dict[str, list[int]] = defaultdict(list)
    for tok in positioned_tokens(text):
        grouped[tok.term].append(tok.pos)
        assert 0 <= tok.start < tok.end <= len(text)
    assert index_terms(text) == dict(grouped)
    assert fold(text) == "".join(fold_pieces(text))
    # The cheaper rule chosen per text finds exactly what the complete rule finds.
    found = _TOKEN_RE.findall(fold(text))
    cheap = _pattern(fold(text))
    assert cheap.findall(fold(text)) == (found if cheap.groups else [word for _, word in found])


def test_folding():
    """RFC 8621 §4.4.1: case-insensitive, and accents fold."""
    assert fold("Café ÉCOLE Straße Łódź Ærø") == "cafe ecole strasse lodz aero"
    assert fold("ΆΡΗΣ") == "αρησ"
    assert fold("ガ") == "ガ" and fold("ｶﾞ") == "ガ"


def test_cjk_terms_are_pairs_and_singles():
    """RFC 8621 §4.4.1: unspaced CJK text is indexed so that words inside it
    can be found (see index.analysis)."""
    assert index_terms("東京都") == {"東": [0], "東京": [0], "京": [1], "京都": [1], "都": [2]}
    assert parse_query("東京都").sequences == (("東京", "京都"),)


def test_query_parsing():
    """RFC 8621 §4.4.1: quotes make phrases, white space separates tokens."""
    assert parse_query('foo "bar baz" \'qux quux\'').sequences == (("foo",), ("bar", "baz"), ("qux", "quux"))
    assert parse_query("foo foo FOO").sequences == (("foo",),)
    assert parse_query(r'"say \"hi\""').sequences == (("say", "hi"),)
    assert parse_query("don't").sequences == (("don", "t"),)
