"""Words in non-Latin scripts are findable (RFC 8621 §4.4.1 text)."""

from __future__ import annotations

import pytest

from .conftest import doc


@pytest.fixture
def intl(index):
    index.put(
        doc("ru", subject="Отчёт за квартал", body="Привет, Мир! Встреча в ПЯТНИЦУ."),
        doc("el", subject="Καλημέρα", body="Η συνάντηση είναι αύριο στην Αθήνα."),
        doc("zh", subject="预算报告", body="我们明天在北京开会讨论预算。"),
        doc("ja", subject="会議のお知らせ", body="東京タワーに行きました。ガーデンパーティーは中止です。"),
        doc("ko", subject="회의 안내", body="회의는 내일 서울에서 열립니다."),
        doc("hi", body="हिन्दी भाषा में संदेश"),
        doc("mix", body="Meeting in 東京 with Анна about café"),
    )
    return index


def test_cyrillic_words(intl):
    """RFC 8621 §4.4.1: Cyrillic words, case-insensitively; ё folds to е."""
    assert intl.find("body", "мир") == {"ru"}
    assert intl.find("body", "пятницу") == {"ru"}
    assert intl.find("subject", "отчет") == {"ru"}
    assert intl.find("text", "анна") == {"mix"}


def test_greek_words(intl):
    """RFC 8621 §4.4.1: Greek words, case and tonos folded."""
    assert intl.find("subject", "καλημερα") == {"el"}
    assert intl.find("subject", "ΚΑΛΗΜΈΡΑ") == {"el"}
    assert intl.find("body", "αθηνα") == {"el"}


def test_chinese_words_inside_sentences(intl):
    """RFC 8621 §4.4.1: a two-character Chinese word inside an unspaced
    sentence is found; longer words and single characters too."""
    assert intl.find("body", "北京") == {"zh"}
    assert intl.find("body", "明天") == {"zh"}
    assert intl.find("text", "预算") == {"zh"}
    assert intl.find("body", "讨论预算") == {"zh"}
    assert intl.find("body", "讨") == {"zh"}
    assert intl.find("body", "京") == {"zh", "ja", "mix"}
    assert intl.find("body", "京北") == set()


def test_japanese_words(intl):
    """RFC 8621 §4.4.1: Japanese kanji and kana words inside sentences;
    voiced kana stay distinct (ガ is not カ); half-width kana fold."""
    assert intl.find("body", "東京タワー") == {"ja"}
    assert intl.find("body", "タワー") == {"ja"}
    assert intl.find("subject", "会議") == {"ja"}
    assert intl.find("body", "ガーデン") == {"ja"}
    assert intl.find("body", "カーテン") == set()
    assert intl.find("body", "ｶﾞｰﾃﾞﾝ") == {"ja"}
    assert intl.find("text", "東京") == {"ja", "mix"}


def test_korean_words(intl):
    """RFC 8621 §4.4.1: a Korean word with a particle attached is found."""
    assert intl.find("body", "서울") == {"ko"}
    assert intl.find("text", "회의") == {"ko"}


def test_scripts_with_combining_marks(intl):
    """RFC 8621 §4.4.1: words whose vowels are combining marks stay whole."""
    assert intl.find("body", "हिन्दी") == {"hi"}
    assert intl.find("body", "भाषा") == {"hi"}


def test_cjk_phrase_mixed_with_latin(intl):
    """RFC 8621 §4.4.1: a quoted phrase can span CJK and Latin words."""
    assert intl.find("body", '"in 東京 with"') == {"mix"}
    assert intl.find("body", '"東京 in"') == set()
