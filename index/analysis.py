"""Text analysis shared by indexing, querying and snippets.

Everything that turns text into terms lives here so that its three users
(indexing, :mod:`index.query`, :mod:`index.snippets`) can never disagree: a
word is findable exactly when the snippet code can also mark it, and a query
term is produced by the very function that produced the indexed term.

Folding
    Each character is folded on its own (case folding, compatibility
    decomposition, removal of the generic Latin/Greek/Cyrillic diacritics, a
    few letters that have no decomposition such as ``ø`` or ``ł``). Folding per
    character, rather than per string, is what lets the snippet code map every
    folded character back to the original text it came from, so that a match
    on ``cafe`` is highlighted as the ``café`` the user wrote. Marks that carry
    meaning in other scripts are kept: ``ガ`` does not fold to ``カ``, and
    half-width ``ｶﾞ`` folds to ``ガ``.

Words
    A word is a run of letters, digits and combining marks; anything else
    (punctuation, ``@``, ``.``, ``_``, ``-``) separates words. So the address
    ``alice@example.com`` is the three words ``alice example com`` in a row,
    and a query written the same way is searched as that phrase.

CJK (Chinese, Japanese, Korean)
    Runs of Han, kana and Hangul are indexed as every single character *and*
    every overlapping pair of characters, the pair sharing the position of its
    first character. Pairs make the common case -- a two-character word inside
    an unspaced sentence -- a single term lookup instead of a positional
    phrase check over two very frequent characters; single characters keep
    one-character queries working and let a phrase end in the middle of a run.
    A longer CJK query becomes a phrase of consecutive pairs. The cost is about
    twice the postings, for CJK text only.

Stemming is deliberately not applied: RFC 8621 only allows it (MAY), it would
have to be English-only in a multilingual mailbox, it makes snippets mark words
the user did not type, and it costs indexing throughput.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

import msgspec

__all__ = [
    "MAX_TERM_CHARS",
    "Token",
    "fold",
    "fold_pieces",
    "index_terms",
    "phrase_terms",
    "positioned_tokens",
]

#: Longer runs (base64, hashes) are cut to this length on both the index and
#: the query side, so they still match each other without bloating the index.
MAX_TERM_CHARS = 64

# --------------------------------------------------------------------------
# Folding

# Diacritics that are stripped: the generic combining blocks used with Latin,
# Greek and Cyrillic. Marks of other scripts (Devanagari vowel signs, Hebrew
# points, kana voicing) carry meaning and are kept.
_STRIP_RANGES = (
    (0x0300, 0x036F),
    (0x1AB0, 0x1AFF),
    (0x1DC0, 0x1DFF),
    (0x20D0, 0x20FF),
    (0xFE20, 0xFE2F),
)

# Letters that case folding and decomposition leave alone but that readers
# treat as accented forms of a base letter.
_EXTRA = {
    "ø": "o",
    "đ": "d",
    "ð": "d",
    "ł": "l",
    "ħ": "h",
    "ŧ": "t",
    "ı": "i",
    "æ": "ae",
    "œ": "oe",
    "þ": "th",
}


def _strip(ch: str) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _STRIP_RANGES)


def _fold_char(ch: str) -> str:
    s = unicodedata.normalize("NFKD", ch.casefold())
    s = "".join(c for c in s if not _strip(c))
    s = unicodedata.normalize("NFC", s)
    return "".join(_EXTRA.get(c, c) for c in s)


class _FoldTable(dict):
    """``str.translate`` table filled on first sight of each code point."""

    def __missing__(self, cp: int) -> str:
        folded = _fold_char(chr(cp))
        self[cp] = folded
        return folded


_FOLD = _FoldTable()

# Kana voicing marks written as separate characters (half-width katakana
# writes ｶﾞ for ガ). Folding one character at a time cannot compose them, so
# they are joined to the preceding kana in a second step.
_VOICING = ("\u3099", "\u309a")
_VOICING_SOURCES = ("\u3099", "\u309a", "\uff9e", "\uff9f")


def _has_voicing(text: str) -> bool:
    return any(v in text for v in _VOICING_SOURCES)


def fold_pieces(text: str) -> list[str]:
    """The folded form of each character of ``text``, in order.

    ``"".join(fold_pieces(t)) == fold(t)`` always; the list form is what lets
    the snippet code map folded offsets back to original ones.
    """
    table = _FOLD
    pieces = [table[ord(c)] for c in text]
    if _has_voicing(text):
        for i in range(1, len(pieces)):
            prev = pieces[i - 1]
            if pieces[i] in _VOICING and prev:
                composed = unicodedata.normalize("NFC", prev[-1] + pieces[i])
                if len(composed) == 1:
                    pieces[i - 1] = prev[:-1] + composed
                    pieces[i] = ""
    return pieces


def fold(text: str) -> str:
    """Case- and accent-fold ``text`` (see the module docstring)."""
    if text.isascii():
        return text.lower()
    if _has_voicing(text):
        return "".join(fold_pieces(text))
    return text.translate(_FOLD)


# --------------------------------------------------------------------------
# Tokenizing


def _ranges(pred: Callable[[int], bool], cps: Iterable[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    start = prev = -2
    for cp in cps:
        if not pred(cp):
            continue
        if cp != prev + 1:
            if start >= 0:
                out.append((start, prev))
            start = cp
        prev = cp
    if start >= 0:
        out.append((start, prev))
    return out


def _char_class(ranges: list[tuple[int, int]]) -> str:
    return "".join(
        re.escape(chr(lo)) + ("-" + re.escape(chr(hi)) if hi > lo else "")
        for lo, hi in ranges
    )


def _is_kept_mark(cp: int) -> bool:
    ch = chr(cp)
    return unicodedata.category(ch)[0] == "M" and not _strip(ch)


def _coarse(ranges: list[tuple[int, int]], gap: int) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for lo, hi in ranges:
        if merged and lo - merged[-1][1] <= gap:
            merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


# Combining marks (Mn, Mc, Me) that survive folding. Python's ``\w`` excludes
# marks, which would split words of scripts that write vowels as marks
# (Devanagari, Thai, Arabic points, ...) into fragments; they are glued back.
_MARK_RANGES = _ranges(_is_kept_mark, [*range(0x20000), *range(0xE0100, 0xE01F0)])
_MARKS = _char_class(_MARK_RANGES)

# Han, kana (minus the katakana middle dot, which is punctuation), Hangul.
_CJK = (
    "\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3038-\u303b\u3041-\u309f"
    "\u30a1-\u30fa\u30fc-\u30ff\u3100-\u312f\u3131-\u318f\u31a0-\u31bf"
    "\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff"
    "\uf900-\ufaff\u1100-\u11ff\U0001b000-\U0001b16f\U00020000-\U0003134f"
)

# The complete rule: group 1 a CJK run, group 2 a word with its marks.
_TOKEN_RE = re.compile(f"([{_CJK}]+)|([^\\W_{_CJK}]+(?:[{_MARKS}]+[^\\W_{_CJK}]*)*)")
# Cheaper equivalents of _TOKEN_RE, each valid only for text without CJK
# and/or without marks. A big character class costs on every word boundary,
# so only text that may contain such characters pays for it.
_WORD_RE = re.compile(r"[^\W_]+")
_WORD_MARKS_RE = re.compile(f"[^\\W_]+(?:[{_MARKS}]+[^\\W_]*)*")
_CJK_WORD_RE = re.compile(f"([{_CJK}]+)|([^\\W_{_CJK}]+)")
_HAS_CJK = re.compile(f"[{_CJK}]")
_MAYBE_MARKS = re.compile(f"[{_char_class(_coarse(_MARK_RANGES, 256))}]")


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _pattern(folded: str) -> re.Pattern:
    """The cheapest rule that tokenizes ``folded`` exactly as _TOKEN_RE does: words only (no
    groups), or (cjk, word) groups when the text has CJK."""
    if folded.isascii() or _latin1(folded):
        return _WORD_RE
    cjk = _HAS_CJK.search(folded) is not None
    marks = _MAYBE_MARKS.search(folded) is not None
    if cjk:
        return _TOKEN_RE if marks else _CJK_WORD_RE
    return _WORD_MARKS_RE if marks else _WORD_RE


def _scan(folded: str) -> list:
    """Tokenize folded text: a list of words, or of (cjk, word) pairs."""
    return _pattern(folded).findall(folded)


def index_terms(text: str) -> dict[str, list[int]]:
    """Map each term of ``text`` to its positions, for the indexer.

    The hot path of indexing: works on the whole folded string at once and
    builds no per-token objects.
    """
    out: dict[str, list[int]] = {}
    if not text:
        return out
    found = _scan(fold(text))
    if not found:
        return out
    get = out.get
    if isinstance(found[0], str):
        for pos, word in enumerate(found):
            if len(word) > MAX_TERM_CHARS:
                word = word[:MAX_TERM_CHARS]
            lst = get(word)
            if lst is None:
                out[word] = [pos]
            else:
                lst.append(pos)
        return out
    pos = 0
    for cjk, word in found:
        if word:
            if len(word) > MAX_TERM_CHARS:
                word = word[:MAX_TERM_CHARS]
            lst = get(word)
            if lst is None:
                out[word] = [pos]
            else:
                lst.append(pos)
            pos += 1
            continue
        last = len(cjk) - 1
        for i, ch in enumerate(cjk):
            lst = get(ch)
            if lst is None:
                out[ch] = [pos]
            else:
                lst.append(pos)
            if i < last:
                pair = cjk[i : i + 2]
                lst = get(pair)
                if lst is None:
                    out[pair] = [pos]
                else:
                    lst.append(pos)
            pos += 1
    return out


class Token(msgspec.Struct, frozen=True, array_like=True):
    """A term at a position, with the span of original text it came from."""

    term: str
    pos: int
    start: int
    end: int


def positioned_tokens(text: str) -> list[Token]:
    """Tokens of ``text`` with offsets into the *original* string.

    Same terms and positions as :func:`index_terms` (the tests hold the two to
    that); slower, because it keeps the map from folded characters back to
    original ones. Used for snippets. A token's span runs up to the next
    character that survives folding, so an accent written as a separate
    combining character stays inside the word it belongs to.
    """
    if not text:
        return []
    origin: list[int] | None = None
    if text.isascii():
        folded = text.lower()
    else:
        pieces = fold_pieces(text)
        folded = "".join(pieces)
        if len(folded) != len(text) or any(len(p) != 1 for p in pieces):
            origin = []
            for i, p in enumerate(pieces):
                origin.extend([i] * len(p))
            origin.append(len(text))

    def span(a: int, b: int) -> tuple[int, int]:
        if origin is None:
            return a, b
        return origin[a], max(origin[b], origin[b - 1] + 1)

    tokens: list[Token] = []
    pos = 0
    pattern = _pattern(folded)
    if not pattern.groups:  # words only, the common case
        for pos, m in enumerate(pattern.finditer(folded)):
            s, e = span(m.start(), m.end())
            tokens.append(Token(m.group()[:MAX_TERM_CHARS], pos, s, e))
        return tokens
    for m in pattern.finditer(folded):
        word = m.group(2)
        if word:
            s, e = span(m.start(), m.end())
            tokens.append(Token(word[:MAX_TERM_CHARS], pos, s, e))
            pos += 1
            continue
        cjk = m.group(1)
        base = m.start()
        last = len(cjk) - 1
        for i, ch in enumerate(cjk):
            s, e = span(base + i, base + i + 1)
            tokens.append(Token(ch, pos, s, e))
            if i < last:
                s2, e2 = span(base + i, base + i + 2)
                tokens.append(Token(cjk[i : i + 2], pos, s2, e2))
            pos += 1
    return tokens


def phrase_terms(text: str) -> list[str]:
    """Terms of ``text`` at consecutive positions, for a phrase.

    A CJK run contributes its pairs (which sit at consecutive positions), plus
    its last single character when more words follow, so that positions stay
    consecutive across the whole phrase.
    """
    found = _scan(fold(text))
    if not found or isinstance(found[0], str):
        return [w[:MAX_TERM_CHARS] for w in found]
    seq: list[str] = []
    for k, (cjk, word) in enumerate(found):
        if word:
            seq.append(word[:MAX_TERM_CHARS])
        elif len(cjk) == 1:
            seq.append(cjk)
        else:
            seq.extend(cjk[i : i + 2] for i in range(len(cjk) - 1))
            if k < len(found) - 1:
                seq.append(cjk[-1])
    return seq
