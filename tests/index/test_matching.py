"""How text matches: words, AND, phrases, folding (RFC 8621 §4.4.1)."""

from __future__ import annotations

import pytest

from .conftest import doc


@pytest.fixture
def corpus(index):
    index.put(
        doc("a", subject="The quick brown fox", body="jumps over the lazy dog"),
        doc("b", subject="Quick update", body="the brown paper bag"),
        doc("c", subject="Café au lait", body="Crème brûlée at the ÉCOLE in Zürich; Straße"),
        doc("d", subject="Résumé attached", body="don't stop; it's fine"),
        doc("e", subject="lazy dog, brown", body="no fox here"),
    )
    return index


def test_single_word(corpus):
    """RFC 8621 §4.4.1: a token must be present for the Email to match."""
    assert corpus.find("text", "brown") == {"a", "b", "e"}


def test_and_of_words(corpus):
    """RFC 8621 §4.4.1: white-space separated tokens MUST all be present."""
    assert corpus.find("text", "quick brown") == {"a", "b"}
    assert corpus.find("text", "quick brown lazy") == {"a"}
    assert corpus.find("text", "quick nonexistent") == set()


def test_and_across_fields_for_text(corpus):
    """RFC 8621 §4.4.1 text: each token may be found in any of the fields."""
    assert corpus.find("text", "fox lazy") == {"a", "e"}  # subject + body


def test_phrase_double_and_single_quotes(corpus):
    """RFC 8621 §4.4.1: text in matched quotes is a phrase search."""
    assert corpus.find("text", '"brown fox"') == {"a"}
    assert corpus.find("text", "'brown fox'") == {"a"}
    assert corpus.find("text", '"fox brown"') == set()
    assert corpus.find("text", '"lazy dog"') == {"a", "e"}
    assert corpus.find("body", '"lazy dog"') == {"a"}


def test_phrase_with_other_words(corpus):
    """RFC 8621 §4.4.1: a phrase and separate tokens must all match."""
    assert corpus.find("text", '"brown paper" quick') == {"b"}
    assert corpus.find("text", '"brown paper" fox') == set()


def test_escaped_quote_inside_phrase(corpus):
    """RFC 8621 §4.4.1: within a phrase, backslash escapes ' " and \\."""
    assert corpus.find("body", r"'don\'t stop'") == {"d"}
    assert corpus.find("body", "don't") == {"d"}


def test_case_insensitive(corpus):
    """RFC 8621 §4.4.1: text SHOULD be matched case-insensitively."""
    assert corpus.find("subject", "QUICK") == {"a", "b"}
    assert corpus.find("body", "école") == {"c"}


def test_accent_folding(corpus):
    """RFC 8621 §4.4.1 (matching is server-defined): accents fold both ways."""
    assert corpus.find("subject", "cafe") == {"c"}
    assert corpus.find("subject", "café") == {"c"}
    assert corpus.find("body", "creme brulee") == {"c"}
    assert corpus.find("body", "ecole zurich") == {"c"}
    assert corpus.find("subject", "RESUME") == {"d"}
    assert corpus.find("body", "strasse") == {"c"}


def test_whole_words_only(corpus):
    """RFC 8621 §4.4.1: tokens match whole words (no substring matches)."""
    assert corpus.find("text", "bro") == set()
    assert corpus.find("text", "foxes") == set()


def test_punctuation_joined_tokens_are_phrases(index):
    """RFC 8621 §4.4.1: an address or file name matches as the word sequence
    it is written as, not as unrelated words."""
    index.put(
        doc("x", to="alice@example.com"),
        doc("y", to="example alice com"),
    )
    assert index.find("to", "alice@example.com") == {"x"}
    assert index.find("to", "example.com") == {"x"}
    assert index.find("to", "alice") == {"x", "y"}
