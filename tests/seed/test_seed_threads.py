"""Thread structure, folders, keywords and the arrival timeline.

A threading or Email/query benchmark is only meaningful if the dataset's
conversations are real conversations: replies point backwards (RFC 5322
section 3.6.4), subjects follow the "Re: " convention, and keywords tell a
consistent story ($answered means the owner did reply).
"""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict

from jmapd.seed.headers import parse_rfc3339

_ID = re.compile(r"<([^<>\s]+)>")


def _ids(h: dict, name: str) -> list[str]:
    return [i for v in h.get(name, []) for i in _ID.findall(v)]


def test_in_reply_to_and_references_point_backwards(dataset, census):
    """Guards RFC 5322 section 3.6.4: every parent id is an earlier message of the same thread.

    The only exceptions are the deliberate orphans (a reply whose parent never
    reached the mailbox); their number must equal what the generator reports.
    """
    seen: dict[str, str] = {}  # message id -> thread key
    orphans = 0
    for m, h in zip(dataset.messages, census.headers):
        irt = _ids(h, "in-reply-to")
        refs = _ids(h, "references")
        assert len(irt) <= 1
        if irt:
            assert refs and refs[-1] == irt[0], "References must end with the parent (RFC 5322 3.6.4)"
            if irt[0] in seen:
                assert seen[irt[0]] == m.thread_key
            else:
                orphans += 1
                assert all(r not in seen for r in refs), "an orphan's ancestors are all absent"
        for r in refs:
            if r in seen:
                assert seen[r] == m.thread_key
        assert m.message_id not in seen, "Message-IDs are unique"
        seen[m.message_id] = m.thread_key
    assert orphans == dataset.gen.orphans
    assert 1 <= orphans <= len(dataset.messages) * 0.02


def test_subjects_follow_reply_and_forward_conventions(dataset, census):
    """Guards the "Re: " / "Fwd: " subjects and the unrelated same-subject threads.

    Replies share their thread's base subject; some different threads share a
    subject with no references between them, which subject-based threading
    must not merge.
    """
    base_by_thread: dict[str, set[str]] = defaultdict(set)
    replies = forwards = 0
    for m, h in zip(dataset.messages, census.headers):
        subject = h.get("subject", [""])[0]
        irt = _ids(h, "in-reply-to")
        if irt:
            assert subject.startswith("Re: "), subject
            replies += 1
        if subject.startswith("Fwd: "):
            forwards += 1
        base_by_thread[m.thread_key].add(re.sub(r"^(Re|Fwd): ", "", subject))
    assert replies > len(dataset.messages) * 0.2
    assert forwards >= 3
    assert all(len(b) == 1 for b in base_by_thread.values())
    threads_per_subject = Counter(next(iter(b)) for b in base_by_thread.values())
    assert max(threads_per_subject.values()) >= 3


def test_thread_length_distribution(dataset):
    """Guards the shape: mostly single messages, many of 2-5, a tail of 20-50."""
    lengths = Counter(Counter(m.thread_key for m in dataset.messages).values())
    threads = sum(lengths.values())
    assert threads == dataset.gen.threads
    assert lengths[1] > threads * 0.5
    assert sum(lengths[n] for n in range(2, 6)) > threads * 0.15
    assert sum(c for n, c in lengths.items() if 20 <= n <= 50) >= 1
    assert max(lengths) <= 50


def test_folders_and_keywords(dataset, census):
    """Guards folder roles and keyword semantics (RFC 8621 section 4.1.1 keywords)."""
    msgs = dataset.messages
    owner = dataset.gen.options.owner_address
    folders = Counter(m.folder for m in msgs)
    assert set(folders) == {"Inbox", "Archive", "Sent", "Drafts", "Junk", "Trash", "Projects", "Lists/dev", "Lists/announce"}
    assert folders.most_common(1)[0][0] == "Inbox"
    assert 1 <= folders["Drafts"] <= len(msgs) * 0.03
    by_id = {m.message_id: (m, h) for m, h in zip(msgs, census.headers)}
    replied_by_owner = set()
    for m, h in zip(msgs, census.headers):
        assert m.keywords == sorted(set(m.keywords))
        assert ("$draft" in m.keywords) == (m.folder == "Drafts")
        assert ("$junk" in m.keywords) == (m.folder == "Junk")
        if m.folder in ("Sent", "Drafts"):
            assert owner in h["from"][0] and "$seen" in m.keywords
        else:
            assert owner not in h["from"][0]
        if m.folder == "Sent":
            replied_by_owner.update(_ids(h, "in-reply-to"))
    answered = {m.message_id for m in msgs if "$answered" in m.keywords}
    assert answered and answered == replied_by_owner & set(by_id)
    flagged = sum("$flagged" in m.keywords for m in msgs)
    assert len(msgs) * 0.005 <= flagged <= len(msgs) * 0.05
    seen = sum("$seen" in m.keywords for m in msgs)
    assert seen > len(msgs) * 0.8


def test_received_at_timeline(dataset):
    """Guards receivedAt: strictly increasing, about three years, a daily and weekly rhythm."""
    ts = [parse_rfc3339(m.received_at) for m in dataset.messages]
    assert all(a < b for a, b in zip(ts, ts[1:]))
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", m.received_at) for m in dataset.messages)
    assert ts[-1] - ts[0] > 2.8 * 365 * 86400
    hours = Counter(time.gmtime(t).tm_hour for t in ts)
    night = sum(hours[h] for h in range(0, 6))
    office = sum(hours[h] for h in range(8, 14))
    assert office > 4 * night
    days = Counter(time.gmtime(t).tm_wday for t in ts)
    assert days[2] > 2 * days[6]
