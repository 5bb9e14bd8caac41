"""Body text: a Zipf-weighted vocabulary, marker words, and paragraph layout.

Word sampling is the hot loop of the generator, so it avoids per-word calls into
``random``: one ``randbytes`` call supplies 16-bit indices into a 65,536-slot urn
in which each word occupies a number of slots proportional to its Zipf weight.
The urn is built with integer arithmetic only, so it is the same on every
machine and every Python build (no libm, no float rounding differences).
"""

from __future__ import annotations

import random
import struct
from operator import itemgetter

from . import words as _words
from .rand import Rng

URN_BITS = 16
URN_SIZE = 1 << URN_BITS

# (word, messages per 10,000 that contain it): exactly one message in each
# block of 10000/rate consecutive messages.  The words are invented so they
# never occur by accident; a search benchmark reads them, with their exact
# counts, from the manifest.
MARKERS: tuple[tuple[str, int], ...] = (
    ("quillorax", 1000),
    ("zentravik", 100),
    ("vorpalith", 10),
    ("xylobrant", 1),
)
MARKER_WORDS = tuple(word for word, _ in MARKERS)

_ONSETS = "b br c ch cl d dr f fl g gr h j k l m n p pl pr r s sh st t tr v w z".split()
_VOWELS = "a e i o u ai ea io ou".split()
_CODAS = ["", "", "", "n", "r", "l", "s", "x", "nd", "rt", "st", "m", "k"]
_SYNTHETIC_COUNT = 2600


def _synthetic_words(existing: set[str]) -> list[str]:
    """Invent the rare tail of the vocabulary (jargon, code names, surnames).

    A fixed-seed generator makes the list part of the program rather than of the
    dataset seed: every dataset shares one vocabulary, so a query word means the
    same thing across datasets.
    """
    rng = random.Random("jmapd-seed/vocabulary/1")
    out: list[str] = []
    seen = set(existing)
    while len(out) < _SYNTHETIC_COUNT:
        syllables = 2 + (rng.getrandbits(2) == 0)
        word = "".join(
            rng.choice(_ONSETS) + rng.choice(_VOWELS) + (rng.choice(_CODAS) if i == syllables - 1 else "")
            for i in range(syllables)
        )
        if len(word) < 5 or word in seen or any(m in word for m in MARKER_WORDS):
            continue
        seen.add(word)
        out.append(word)
    return out


def _english() -> list[str]:
    english = [w for w in dict.fromkeys(_words.ENGLISH.split()) if w != "i"]
    return [w for w in english if not any(m in w for m in MARKER_WORDS)]


_ENGLISH = _english()
_TAIL = _synthetic_words(set(_ENGLISH))
VOCABULARY: tuple[str, ...] = tuple(_ENGLISH + _TAIL)


def _build_urn(head: list[str], tail: list[str], offset: int = 3) -> tuple[str, ...]:
    """Give the English words slots proportional to 1/(rank + offset), the tail one each.

    The Zipf-Mandelbrot offset flattens the very head a little, as real text
    does.  The invented tail words get the minimum weight (one slot, about 1.5
    in 100,000 tokens): they are the rare terms a search benchmark needs, and
    keeping them rare keeps the prose readable.
    """
    scale = 1 << 40
    weights = [scale // (rank + offset) for rank in range(1, len(head) + 1)]
    total = sum(weights)
    free = URN_SIZE - len(tail) - len(head)
    slots = [1 + (w * free) // total for w in weights]
    leftover = URN_SIZE - len(tail) - sum(slots)
    for i in range(leftover):  # floor division leaves a few; give them to the head
        slots[i % 50] += 1
    urn: list[str] = []
    for word, n in zip(head, slots):
        urn.extend([word] * n)
    urn.extend(tail)
    assert len(urn) == URN_SIZE
    return tuple(urn)


URN: tuple[str, ...] = _build_urn(_ENGLISH, _TAIL)

# Content words (skip the function-word head) for subjects and file names.
SUBJECT_WORDS: tuple[str, ...] = VOCABULARY[150:1400]

FOREIGN_WORDS: dict[str, tuple[str, ...]] = {
    "de": tuple(_words.GERMAN.split()),
    "fr": tuple(_words.FRENCH.split()),
    "es": tuple(_words.SPANISH.split()),
    "ru": tuple(_words.RUSSIAN.split()),
    "zh": tuple(_words.CHINESE.split()),
    "ja": tuple(_words.JAPANESE.split()),
}
_CJK = frozenset({"zh", "ja"})

# Sentence shapes indexed by one random byte: (words, comma after word k or 0,
# terminator).  A table keeps the per-sentence cost to one byte of randomness.
_SHAPES: tuple[tuple[int, int, str], ...] = tuple(
    (
        4 + (b * 7) % 17,
        (3 + b % 5) if b % 3 == 0 else 0,
        "?" if b % 11 == 0 else ("!" if b % 37 == 0 else "."),
    )
    for b in range(256)
)


def sample_words(rng: Rng, n: int) -> list[str]:
    """Draw n words from the Zipf urn with one call into the RNG.

    Indices are unpacked explicitly little-endian so big-endian machines draw the
    same words.
    """
    if n <= 0:
        return []
    idx = struct.unpack(f"<{n}H", rng.randbytes(2 * n))
    if n == 1:
        return [URN[idx[0]]]
    return list(itemgetter(*idx)(URN))


def english_paragraphs(rng: Rng, nwords: int, inject: tuple[str, ...] = ()) -> list[str]:
    """Turn nwords sampled words into sentences grouped into paragraphs.

    Marker words in ``inject`` replace randomly chosen words, so the message
    length does not depend on which markers it carries.
    """
    nwords = max(nwords, 4)
    ws = sample_words(rng, nwords)
    for marker in inject:
        ws[rng.below(nwords)] = marker
    shapes = rng.randbytes(nwords // 4 + 2)
    paras: list[str] = []
    sentences: list[str] = []
    pos = 0
    for b in shapes:
        if pos >= nwords:
            break
        length, comma, end = _SHAPES[b]
        if comma and comma < length - 1 and pos + comma < nwords:
            ws[pos + comma - 1] += ","
        sentences.append(" ".join(ws[pos : pos + length]).capitalize() + end)
        pos += length
        if b & 0x3 == 0 or len(sentences) >= 7:
            paras.append(" ".join(sentences))
            sentences = []
    if sentences:
        paras.append(" ".join(sentences))
    return paras


def foreign_paragraphs(rng: Rng, lang: str, nwords: int) -> list[str]:
    """Paragraphs in another language, to give bodies non-ASCII content.

    CJK text has no spaces between words and ends sentences with an ideographic
    full stop; the other languages read like the English generator's output.
    """
    vocab = FOREIGN_WORDS[lang]
    nwords = max(nwords, 4)
    n = len(vocab)
    raw = rng.randbytes(nwords)
    ws = [vocab[b % n] for b in raw]
    cjk = lang in _CJK
    paras: list[str] = []
    sentences: list[str] = []
    pos = 0
    for b in rng.randbytes(nwords // 4 + 2):
        if pos >= nwords:
            break
        length = 4 + b % 9
        chunk = ws[pos : pos + length]
        pos += length
        if cjk:
            sentences.append("".join(chunk) + "。")
        else:
            s = " ".join(chunk)
            sentences.append(s[0].upper() + s[1:] + ".")
        if b & 0x3 == 0 or len(sentences) >= 6:
            paras.append(("" if cjk else " ").join(sentences))
            sentences = []
    if sentences:
        paras.append(("" if cjk else " ").join(sentences))
    return paras


def wrap(text: str, width: int = 72) -> list[str]:
    """Greedy line wrapping on spaces; far cheaper than textwrap for long bodies.

    Text without spaces (CJK) is cut every ``width // 2`` characters, which keeps
    UTF-8 lines well under the 998-octet limit of RFC 5322 section 2.1.1.
    """
    if len(text) <= width:
        return [text]
    lines: list[str] = []
    start = 0
    n = len(text)
    while n - start > width:
        cut = text.rfind(" ", start, start + width + 1)
        if cut <= start:
            if " " not in text[start : start + width * 4]:
                cut = start + width // 2
                lines.append(text[start:cut])
                start = cut
                continue
            cut = text.find(" ", start + width)
            if cut < 0:
                break
        lines.append(text[start:cut])
        start = cut + 1
    lines.append(text[start:])
    return lines


def subject_words(rng: Rng, n: int) -> str:
    """A short phrase of content words, capitalised like a subject line."""
    ws = [rng.pick(SUBJECT_WORDS) for _ in range(n)]
    s = " ".join(ws)
    return s[0].upper() + s[1:]


def html_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
