"""When messages arrive, how they group into threads, where they are filed.

All distributions are integer tables (see ``rand``): float sampling such as
``lognormvariate`` goes through libm, whose last-bit results may differ between
platforms, and one differing bit would change the whole dataset.
"""

from __future__ import annotations

import time
from typing import Iterator, NamedTuple

from .rand import Ranges, Rng, Weights

DAY = 86400

# Relative mail volume per weekday, Monday first.
_WEEKDAY = (100, 104, 102, 98, 88, 32, 26)
# Relative volume per UTC hour: quiet nights, a morning peak and an afternoon one.
_HOURLY = (2, 1, 1, 1, 1, 2, 4, 9, 15, 18, 17, 14, 10, 13, 16, 15, 13, 10, 8, 7, 6, 5, 4, 3)


def schedule(rng: Rng, count: int, start: int, days: int) -> Iterator[int]:
    """Strictly increasing receivedAt timestamps for ``count`` messages.

    Days are weighted by weekday, holidays, slow growth of volume over the span
    and day-to-day noise; each day's share is fixed by cumulative apportioning so
    that exactly ``count`` timestamps come out and the span is always covered.
    """
    wday0 = time.gmtime(start).tm_wday
    weights: list[int] = []
    for d in range(days):
        t = time.gmtime(start + d * DAY)
        w = _WEEKDAY[(wday0 + d) % 7] * (80 + 40 * d // days) * (60 + rng.below(81))
        if (t.tm_mon == 12 and t.tm_mday >= 24) or (t.tm_mon == 1 and t.tm_mday == 1):
            w //= 3
        weights.append(w)
    total = sum(weights)
    hour_total = sum(_HOURLY)
    emitted = 0
    cum = 0
    prev = start - 1
    for d, w in enumerate(weights):
        cum += w
        target = count * cum // total
        k = target - emitted
        if k <= 0:
            continue
        secs = []
        for _ in range(k):
            r = rng.below(hour_total)
            h = 0
            while r >= _HOURLY[h]:
                r -= _HOURLY[h]
                h += 1
            secs.append(h * 3600 + rng.below(3600))
        secs.sort()
        base = start + d * DAY
        for s in secs:
            ts = base + s
            if ts <= prev:
                ts = prev + 1
            prev = ts
            yield ts
        emitted = target


# Thread categories: (name, weight per thousand new threads).
CATEGORIES = (
    ("conversation", 450),
    ("outgoing", 90),
    ("project", 60),
    ("dev", 50),
    ("announce", 45),
    ("notification", 240),
    ("spam", 65),
)
_CATEGORY_WEIGHTS = Weights([w for _, w in CATEGORIES])

# Thread lengths: (low, high, weight per thousand).  Most threads are a single
# message, many run to 2-5, and a thin tail reaches 20-50.
LENGTHS = {
    "conversation": Ranges(((1, 1, 600), (2, 2, 150), (3, 3, 85), (4, 4, 50), (5, 5, 35), (6, 10, 45), (11, 19, 25), (20, 50, 10))),
    "dev": Ranges(((1, 1, 330), (2, 2, 150), (3, 3, 110), (4, 4, 80), (5, 5, 60), (6, 10, 130), (11, 19, 95), (20, 50, 45))),
}
LENGTHS["outgoing"] = LENGTHS["conversation"]
LENGTHS["project"] = LENGTHS["conversation"]

# Reply delays in seconds: (low, high, weight).
_DELAYS = Ranges(((120, 1800, 300), (1800, 3 * 3600, 300), (3 * 3600, DAY, 250), (DAY, 7 * DAY, 130), (7 * DAY, 30 * DAY, 20)))

HOME_FOLDER = {
    "conversation": "Inbox",
    "outgoing": "Inbox",
    "project": "Projects",
    "dev": "Lists/dev",
    "announce": "Lists/announce",
    "notification": "Inbox",
    "spam": "Junk",
}

# Folders in manifest order, with the RFC 8621 / RFC 6154 role an importer
# should give each.
FOLDERS: tuple[tuple[str, str | None], ...] = (
    ("Inbox", "inbox"),
    ("Archive", "archive"),
    ("Sent", "sent"),
    ("Drafts", "drafts"),
    ("Junk", "junk"),
    ("Trash", "trash"),
    ("Projects", None),
    ("Lists/dev", None),
    ("Lists/announce", None),
)


def reply_delay(rng: Rng) -> int:
    return _DELAYS.pick(rng)


def pick_category(rng: Rng) -> str:
    return CATEGORIES[_CATEGORY_WEIGHTS.pick(rng)][0]


OWNER = -1


class Step(NamedTuple):
    """One planned message of a thread."""

    parent: int  # index of the message it answers within the thread; -1 for the first
    author: int  # OWNER or an index into the thread's parties
    kind: str  # "new", "reply", "forward" or "draft"


class ThreadPlan:
    """Everything decided when a thread starts, so later messages stay consistent.

    Planning the whole thread up front is what lets a message carry
    ``$answered`` when it is written, before the owner's reply is: the generator
    streams and never revisits a message once yielded.
    """

    __slots__ = (
        "key", "category", "steps", "pos", "subject", "lang", "orphan", "parties",
        "archived", "sent", "answered", "forwarded",
    )

    def __init__(self, key: str, category: str, steps: list[Step], parties: list):
        self.key = key
        self.category = category
        self.steps = steps
        self.pos = 0
        self.parties = parties  # everyone but the owner; Step.author indexes this
        self.subject = ""
        self.lang = "en"
        self.orphan = False
        self.archived = False
        self.sent: list[tuple] = []  # per emitted message: facts later replies quote
        self.answered = {s.parent for s in steps if s.author == OWNER and s.kind == "reply"}
        self.forwarded = {s.parent for s in steps if s.author == OWNER and s.kind == "forward"}


def plan_steps(rng: Rng, category: str, length: int, nparties: int) -> list[Step]:
    """Authors, parents and kinds for every message of a thread.

    Conversations alternate between the owner and the others; most replies
    answer the latest message, some an earlier one, so the reference graph is a
    tree and not only a chain.  A few threads end in an unsent draft reply.
    """
    if category == "outgoing":
        first = OWNER
    elif category in ("conversation", "project", "dev"):
        first = 0
    else:
        return [Step(-1, 0, "new")]
    if first == OWNER and length == 1 and rng.below(100) < 8:
        return [Step(-1, OWNER, "draft")]  # a message never sent
    steps = [Step(-1, first, "new")]
    owner_rate = 6 if category == "dev" else 50
    for pos in range(1, length):
        if pos == length - 1 and category != "dev" and rng.below(100) < 5:
            steps.append(Step(pos - 1, OWNER, "draft"))
            break
        parent = pos - 1 if rng.below(100) < 80 else rng.below(pos)
        pa = steps[parent].author
        if pa == OWNER:
            author = rng.below(nparties)
        elif rng.below(100) < owner_rate:
            author = OWNER
        else:
            author = rng.below(nparties - 1) if nparties > 1 else 0
            if nparties > 1 and author >= pa:
                author += 1  # anyone but the parent's author
        kind = "forward" if category != "dev" and rng.below(100) < 6 else "reply"
        steps.append(Step(parent, author, kind))
    return steps


def keywords_for(
    rng: Rng, plan: ThreadPlan, index: int, step: Step, folder: str, age: int
) -> list[str]:
    """Keywords of one message (RFC 8621 section 4.1.1 names), sorted."""
    kw: list[str] = []
    if step.kind == "draft":
        return ["$draft", "$seen"]
    if folder == "Junk":
        kw.append("$junk")
        if rng.below(100) < 30:
            kw.append("$seen")
    elif step.author == OWNER:
        kw.append("$seen")
    else:
        seen_rate = 50 if age < 5 * DAY else (90 if folder.startswith("Lists/") else 97)
        if folder == "Trash" or rng.below(100) < seen_rate:
            kw.append("$seen")
    if folder != "Junk" and rng.below(1000) < 20:
        kw.append("$flagged")
    if index in plan.answered:
        kw.append("$answered")
    if index in plan.forwarded:
        kw.append("$forwarded")
    kw.sort()
    return kw


def folder_for(rng: Rng, plan: ThreadPlan, step: Step, age: int) -> str:
    """Where the message lives now: sent/drafted, filed, archived or deleted."""
    if step.kind == "draft":
        return "Drafts"
    if step.author == OWNER:
        return "Sent"
    home = HOME_FOLDER[plan.category]
    if home == "Junk":
        return home
    trash_rate = {"notification": 60, "announce": 50}.get(plan.category, 20)
    if rng.below(1000) < trash_rate:
        return "Trash"
    if plan.archived and age > 30 * DAY:
        return "Archive"
    return home
