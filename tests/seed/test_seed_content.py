"""Sizes and searchable text: the two things storage and search benchmarks measure.

Marker words are the search benchmark's ground truth, so their manifest counts
must equal what a reader finds in the decoded text parts, not what the
generator intended to write.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter

from jmapd.seed import MARKERS, SeedOptions, iter_messages
from jmapd.seed.text import URN, VOCABULARY
from jmapd.seed.writers import Tally


def test_size_distribution_with_large_attachments():
    """Guards the size mix: median 5-20 KB, a rare 1-10 MB tail, nothing beyond it."""
    sizes = sorted(len(m.raw) for m in iter_messages(77, 2000, SeedOptions()))
    median = statistics.median(sizes)
    assert 5_000 <= median <= 20_000, median
    large = [s for s in sizes if s > 1_000_000]
    assert 1 <= len(large) <= len(sizes) * 0.015
    assert sizes[-1] <= 10_500_000
    assert sizes[0] >= 300


def test_attachment_cap_is_honoured(dataset, census):
    """Guards --max-attachment-bytes: no decoded attachment or inline image exceeds it."""
    cap = dataset.gen.options.max_attachment_bytes
    assert cap is not None and census.binary_sizes
    assert max(census.binary_sizes) <= cap
    assert sum(s == cap for s in census.binary_sizes) >= 10  # the cap really bit


def test_marker_counts_match_decoded_text(dataset, census):
    """Guards the manifest's marker counts against a reader's view of the same messages.

    Counts are messages whose decoded text parts contain the word as a whole
    word, ignoring case, as a JMAP "text" filter would match it.
    """
    tally = Tally()
    for m in dataset.messages:
        tally.add(m)
    summary = tally.summary(dataset.gen, "eml")
    for marker in summary.markers:
        pattern = re.compile(rf"\b{marker.word}\b", re.IGNORECASE)
        found = [i for i, t in enumerate(census.text) if pattern.search(t)]
        assert marker.messages == len(found), marker.word
        assert {i for i in found} == {i for i, m in enumerate(dataset.messages) if marker.word in m.markers}
        assert sum(marker.by_folder.values()) == marker.messages
    # One per block of 10000/rate messages, so the count is known up to the last, partial block.
    n = len(dataset.messages)
    for marker in summary.markers:
        assert n * marker.rate_per_10000 // 10000 <= marker.messages <= -(-n * marker.rate_per_10000 // 10000)


def test_markers_never_occur_by_accident():
    """Guards the markers' uniqueness: no vocabulary word contains one."""
    words = {w for w, _ in MARKERS}
    assert not any(m in v for v in VOCABULARY for m in words)


def test_vocabulary_is_zipf_like():
    """Guards the word-frequency skew full-text search benchmarks rely on.

    A few thousand words; the head word is hundreds of times more frequent than
    the median word, and every word can be drawn.
    """
    assert 3000 <= len(VOCABULARY) <= 6000
    freq = Counter(URN)
    assert set(freq) == set(VOCABULARY)
    ranked = [freq[w] for w in VOCABULARY]
    assert ranked[0] >= 300 * statistics.median(ranked)
    assert ranked[0] > ranked[9] > ranked[99] > ranked[999]
