"""SearchSnippet text (RFC 8621 §5)."""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from index import PREVIEW_MAX_BYTES, SearchIndex, parse_query, snippet


def mark(text, query, **kw):
    return snippet(text, parse_query(query), **kw)


def test_escapes_html():
    """RFC 8621 §5: &, < and > MUST be replaced by HTML entities."""
    out = mark("<script>alert('x')</script> & the match", "match")
    assert out == "&lt;script&gt;alert('x')&lt;/script&gt; &amp; the <mark>match</mark>"


def test_escapes_inside_marks():
    """RFC 8621 §5: the escaping also applies to the marked words."""
    assert mark("AT&T <b>rocks</b>", '"at&t"') == "<mark>AT&amp;T</mark> &lt;b&gt;rocks&lt;/b&gt;"


def test_marks_matching_words():
    """RFC 8621 §5: matching words are wrapped in <mark></mark>."""
    assert mark("Hello brave new world", "world hello") == "<mark>Hello</mark> brave new <mark>world</mark>"


def test_subject_is_otherwise_unchanged():
    """RFC 8621 §5 subject: only the escaping and the marks change it."""
    subject = "  Re:  Re:\tthe  plan "
    assert mark(subject, "plan") == "  Re:  Re:\tthe  <mark>plan</mark> "


def test_marks_folded_match_with_original_characters():
    """RFC 8621 §5 with §4.4.1 folding: a case/accent-folded match is marked
    in the text as written."""
    assert mark("Meet at the CAFÉ in Zürich", "cafe zurich") == (
        "Meet at the <mark>CAFÉ</mark> in <mark>Zürich</mark>"
    )
    decomposed = "cafe\u0301 time"
    assert mark(decomposed, "café") == "<mark>cafe\u0301</mark> time"
    assert mark("ｶﾞｰﾃﾞﾝ", "ガーデン") == "<mark>ｶﾞｰﾃﾞﾝ</mark>"


def test_marks_phrases_as_a_whole():
    """RFC 8621 §5: matching phrases from the filter are wrapped."""
    assert mark("the brown fox and a brown dog", '"brown fox"') == "the <mark>brown fox</mark> and a brown dog"
    assert mark("a@example.com wrote", "a@example.com") == "<mark>a@example.com</mark> wrote"


def test_marks_cjk_words():
    """RFC 8621 §5: a CJK word inside a sentence is marked alone."""
    assert mark("東京タワーに行きました", "タワー") == "東京<mark>タワー</mark>に行きました"
    assert mark("我们明天在北京开会", "北京") == "我们明天在<mark>北京</mark>开会"


def test_no_match_is_null():
    """RFC 8621 §5: if the text does not match, the property is null."""
    assert mark("nothing to see", "absent") is None
    assert mark("nothing to see", "") is None
    assert mark("", "see") is None


def test_preview_window_and_limit():
    """RFC 8621 §5: preview is the relevant section of the body, at most 255
    octets, with the same transformations."""
    body = ("Привет мир и всё такое. " * 40) + "The <target> word & more. " + ("хвост " * 80)
    out = mark(body, "target", max_bytes=PREVIEW_MAX_BYTES)
    assert out is not None
    assert len(out.encode("utf-8")) <= PREVIEW_MAX_BYTES
    assert "&lt;<mark>target</mark>&gt;" in out
    assert not out.startswith(" ") and not out.endswith(" ")
    assert "  " not in out


def test_long_match_is_cut_but_closed():
    """RFC 8621 §5: even a match longer than the preview yields valid,
    bounded markup."""
    out = mark("x" * 2000, "x" * 2000, max_bytes=PREVIEW_MAX_BYTES)
    assert out.startswith("<mark>") and out.endswith("</mark>")
    assert len(out.encode()) <= PREVIEW_MAX_BYTES


def test_helper_takes_filter_text():
    """RFC 8621 §5.1: snippets are computed from the same filter as the
    query; the helper parses it once for many emails."""
    terms = SearchIndex.query_terms('"brown fox" cafe')
    assert SearchIndex.snippet("a brown fox at the café", terms) == "a <mark>brown fox</mark> at the <mark>café</mark>"
    assert SearchIndex.snippet("a brown fox", "fox") == "a brown <mark>fox</mark>"


def _plain(out: str) -> str:
    return html.unescape(out.replace("<mark>", "").replace("</mark>", ""))


words = st.sampled_from(["cafe", "Café", "<b>", "&amp;", "x&y", "東京", "тест", "a\"b", "  ", "\n", "word", "é", "ﬁ"])


@settings(max_examples=150, deadline=None)
@given(st.lists(words, max_size=60), st.lists(words, max_size=4), st.sampled_from([None, 40, 255]))
def test_snippet_is_always_well_formed(parts, query, limit):
    """RFC 8621 §5: whatever the text, the result has only <mark> markup,
    escaped text, and stays within the limit."""
    text = " ".join(parts)
    out = snippet(text, parse_query(" ".join(query)), max_bytes=limit)
    if out is None:
        return
    if limit is not None:
        assert len(out.encode()) <= limit
    stripped = re.sub(r"</?mark>", "", out)
    assert "<" not in stripped and ">" not in stripped
    assert out.count("<mark>") == out.count("</mark>") >= 1
    assert re.sub(r"&(amp|lt|gt);", "", stripped).count("&") == 0
    if limit is None:
        assert _plain(out) == text


# -- long bodies: a preview tokenizes only a region around the first occurrence --------------------

FILLER = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "


def test_long_body_match_far_after_a_longer_word():
    """RFC 8621 §5: the preview shows the first real match, even when the query word first appears
    inside a longer word thousands of characters earlier."""
    text = "concatenate " + FILLER * 200 + "the black cat sat " + FILLER * 50
    out = mark(text, "cat", max_bytes=PREVIEW_MAX_BYTES)
    assert out is not None and "<mark>cat</mark>" in out
    assert "concatenate" not in out


def test_long_body_without_the_word_has_no_preview():
    """RFC 8621 §5: preview is null when the body does not match."""
    assert mark(FILLER * 500, "budget", max_bytes=PREVIEW_MAX_BYTES) is None


def test_long_body_phrase_and_second_match():
    """A phrase far into a long body is marked whole, and a second match that fits the preview too."""
    text = FILLER * 120 + "the quarterly budget review is due; budget again " + FILLER * 120
    out = mark(text, '"budget review"', max_bytes=PREVIEW_MAX_BYTES)
    assert "<mark>budget review</mark>" in out
    assert mark(text, "budget", max_bytes=PREVIEW_MAX_BYTES).count("<mark>budget</mark>") == 2


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["cat", "concat", "cats", "Café", "cafe", "dog", "straße", "strasse", "ß",
                                 "東京", "\n", "x" * 30, FILLER]), min_size=1, max_size=400),
       st.sampled_from(["cat", "cafe", "strasse", '"cat dog"', "東京", "dog"]))
def test_preview_region_matches_whole_text_scan(words, query):
    """The preview built from the region around the first occurrence is exactly the preview built
    from tokenizing the whole text (a region as large as any text)."""
    import index.snippets as snippets

    text = " ".join(words)
    fast = mark(text, query, max_bytes=PREVIEW_MAX_BYTES)
    saved = snippets.REGION_REACH
    snippets.REGION_REACH = 10**9
    try:
        whole = mark(text, query, max_bytes=PREVIEW_MAX_BYTES)
    finally:
        snippets.REGION_REACH = saved
    assert fast == whole
