"""The streaming generator: interleaves threads over the arrival schedule.

Threads are planned whole when they start and their later messages wait in a
heap keyed by due time.  At each arrival slot a due reply wins, otherwise a new
thread starts; near the end only replies are emitted, and new threads are cut to
fit, so every planned reply is delivered and ``$answered`` never lies.  Memory
is bounded by the threads in flight, not by the dataset size.
"""

from __future__ import annotations

import heapq
from typing import Iterator

from . import text
from .compose import Composer, Party, Quoted, Spec
from .headers import parse_rfc3339, rfc3339
from .model import SeedMessage, SeedOptions
from .people import BULK_CLIENT, NOTIFIERS, SPAM_SUBJECTS, Person, make_people
from .plan import (
    DAY,
    OWNER,
    ThreadPlan,
    folder_for,
    keywords_for,
    pick_category,
    plan_steps,
    reply_delay,
    schedule,
    LENGTHS,
)
from .rand import Ranges, Rng, Weights
from .words import GENERIC_SUBJECTS, SUBJECTS

GENERATOR_ID = "jmapd-seed/1"

# Languages of non-English threads, taken in turn: every script shows up within
# a few foreign threads even in a small dataset, in these proportions overall.
_LANG_CYCLE = ("de", "fr", "ru", "es", "zh", "de", "fr", "ja", "ru", "es")
_PARTY_COUNTS = Ranges(((1, 1, 600), (2, 2, 250), (3, 3, 100), (4, 4, 50)))
_OWNER_CLIENTS = (2, 3, 0)  # Apple Mail, webmail, Thunderbird
_OWNER_CLIENT_WEIGHTS = Weights((40, 40, 20))
_EN_TEMPLATES = (
    "{W}",
    "{W} update",
    "Question about {w}",
    "{W} for {day}",
    "Notes from the {w} meeting",
    "{W} and {w}",
    "Plan for {w} {w}",
    "Can we discuss {w}?",
    "{W} review",
    "Feedback on the {w} {w}",
    "{W} {w} {w}",
    "Re-scheduling {w}",
)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
_ANNOUNCE = ("{W} {n}.{m} released", "Newsletter: {W} and {w}", "Upcoming: {W} {w} webinar", "Security advisory for {w}")


def _party(p: Person) -> Party:
    return Party(p.name, p.address, p.client, p.tz, p.charset, p.enc)


class DatasetGenerator:
    """One dataset's worth of messages, plus counters the summary needs.

    Iterate ``messages()`` once; ``threads`` and ``orphans`` are final when the
    iteration ends.
    """

    def __init__(self, seed: int, count: int, options: SeedOptions):
        _validate(seed, count, options)
        self.seed = seed
        self.count = count
        self.options = options
        self.threads = 0
        self.orphans = 0
        self.start = parse_rfc3339(options.start)
        self.end = self.start + options.days * DAY
        self.rng = Rng(f"jmapd-seed/{seed}/plan")
        self.sched_rng = Rng(f"jmapd-seed/{seed}/schedule")
        self.words_rng = Rng(f"jmapd-seed/{seed}/words")
        self.people = make_people(self.rng)
        on = options.owner_name
        charset, enc = ("UTF-8", "B") if not on.isascii() else ("UTF-8", "Q")
        self.owner = Party(on, options.owner_address, 2, 60, charset, enc)
        self.composer = Composer(self.rng, self.words_rng, options.max_attachment_bytes)
        self._seq = 0
        self._started = False
        self._lang_turn = self.rng.below(len(_LANG_CYCLE))
        self._marker_targets = [-1] * len(text.MARKERS)

    # -- thread start --------------------------------------------------------

    def _subject(self, cat: str, lang: str) -> str:
        rng = self.rng
        if cat in ("conversation", "outgoing", "project"):
            if lang != "en":
                subs = SUBJECTS[lang]
                return subs[rng.below(len(subs))]
            if rng.below(100) < 12:
                return GENERIC_SUBJECTS[rng.below(len(GENERIC_SUBJECTS))]
            return self._template(_EN_TEMPLATES)
        if cat == "dev":
            return "[dev] " + self._template(_EN_TEMPLATES)
        if cat == "announce":
            return "[announce] " + self._template(_ANNOUNCE)
        if cat == "spam":
            if lang != "en":
                subs = SUBJECTS[lang]
                return subs[rng.below(len(subs))]
            return self._template(SPAM_SUBJECTS)
        return ""  # notifications fill theirs from the notifier

    def _template(self, templates: tuple[str, ...]) -> str:
        rng = self.rng
        t = templates[rng.below(len(templates))]
        out = t.replace("{W}", text.subject_words(rng, 1 + (rng.below(3) == 0)), 1)
        while "{w}" in out:
            out = out.replace("{w}", text.subject_words(rng, 1).lower(), 1)
        return (
            out.replace("{day}", _DAYS[rng.below(5)])
            .replace("{n}", str(1 + rng.below(9)))
            .replace("{m}", str(rng.below(20)))
        )

    def _new_thread(self, ts: int, max_len: int) -> ThreadPlan:
        rng = self.rng
        cat = pick_category(rng)
        people = self.people
        if cat in ("conversation", "outgoing", "project", "dev"):
            length = min(LENGTHS[cat].pick(rng), max_len)
            k = _PARTY_COUNTS.pick(rng) if cat != "dev" else 3 + rng.below(8)
            chosen: list[Party] = []
            while len(chosen) < k:
                p = _party(people[rng.below(len(people))])
                if p not in chosen:
                    chosen.append(p)
        else:
            length = 1
            chosen = [self._automated(cat)]
        self.threads += 1
        plan = ThreadPlan(f"T{self.threads:07d}", cat, plan_steps(rng, cat, length, len(chosen)), chosen)
        if cat in ("conversation", "outgoing", "project") and rng.below(100) < 12:
            self._lang_turn += 1
            plan.lang = _LANG_CYCLE[self._lang_turn % len(_LANG_CYCLE)]
        elif cat == "spam" and rng.below(100) < 10:
            plan.lang = ("ru", "zh")[rng.getrandbits(1)]
        if cat == "notification":
            plan.subject = self._notification_subject(chosen[0], ts)
        else:
            plan.subject = self._subject(cat, plan.lang)
        plan.orphan = cat in ("conversation", "dev") and rng.below(1000) < 15
        age = self.end - ts
        plan.archived = cat in ("conversation", "outgoing", "notification") and age > 60 * DAY and rng.below(100) < 35
        return plan

    def _automated(self, cat: str) -> Party:
        rng = self.rng
        if cat == "notification":
            name, addr, _ = NOTIFIERS[rng.below(len(NOTIFIERS))]
        elif cat == "announce":
            name, addr = "Example Project", "announce@lists.example.org"
        else:
            word = text.subject_words(rng, 1).lower()
            name = f"{word.title()} Rewards"
            addr = f"promo{rng.below(1000)}@{word}{rng.below(100)}.test"
        return Party(name, addr, BULK_CLIENT, 0, "UTF-8", "B")

    def _notification_subject(self, sender: Party, ts: int) -> str:
        rng = self.rng
        templates = next(t for _, a, t in NOTIFIERS if a == sender.address)
        t = templates[rng.below(len(templates))]
        return (
            t.replace("{n}", str(10000 + rng.below(90000)))
            .replace("{w}", text.subject_words(rng, 2))
            .replace("{d}", rfc3339(ts + DAY)[:10])
        )

    # -- one message ---------------------------------------------------------

    def _markers(self, index: int) -> tuple[str, ...]:
        """Marker words for this message: exactly one per block of 10000/rate messages.

        Stratified rather than independent draws, so a marker's count is known to
        within one from the count alone (a 0.01% word really is in 10 of 100,000
        messages), while its position inside each block is random.
        """
        out = []
        targets = self._marker_targets
        for k, (word, rate) in enumerate(text.MARKERS):
            period = 10000 // rate
            if index % period == 0:
                targets[k] = index + self.rng.below(period)
            if index == targets[k]:
                out.append(word)
        return tuple(out)

    def _message_id(self, party: Party, index: int, sep: str = ".") -> str:
        domain = party.address.rsplit("@", 1)[1]
        return f"<{self.rng.getrandbits(48):012x}{sep}{index:06x}@{domain}>"

    def _emit(self, plan: ThreadPlan, index: int, ts: int) -> SeedMessage:
        rng = self.rng
        pos = plan.pos
        step = plan.steps[pos]
        parties: list[Party] = plan.parties
        owner = self.owner
        if step.author == OWNER:
            sender = owner._replace(client=_OWNER_CLIENTS[_OWNER_CLIENT_WEIGHTS.pick(rng)])
        else:
            sender = parties[step.author]
        parent: Quoted | None = plan.sent[step.parent] if step.parent >= 0 else None
        cat = plan.category
        list_name = "Lists/dev" if cat == "dev" else ("Lists/announce" if cat == "announce" else None)

        prefix = ""
        in_reply_to = None
        refs: tuple[str, ...] = ()
        if step.kind in ("reply", "draft") and parent is not None:
            prefix = "Re: "
            in_reply_to = parent.message_id
            refs = parent.references + (parent.message_id,)
        elif step.kind == "forward" and parent is not None:
            prefix = "Fwd: "
            refs = parent.references + (parent.message_id,)
        elif plan.orphan:
            # A reply whose parent never reached this mailbox.
            prefix = "Re: "
            missing = self._message_id(parties[-1], index, "-")
            in_reply_to = missing
            refs = (self._message_id(parties[-1], index, "-"), missing) if rng.getrandbits(1) else (missing,)
            self.orphans += 1

        to: tuple[Party, ...]
        cc: tuple[Party, ...] = ()
        if list_name is not None:
            to = (Party(list_name[6:], f"{list_name[6:]}@lists.example.org", 0, 0, "UTF-8", "Q"),)
        elif cat in ("notification", "spam"):
            to = (owner,)
        elif step.author == OWNER:
            if step.kind == "forward":
                to = (_party(self.people[rng.below(len(self.people))]),)
            elif parent is not None:
                pa = parties[plan.steps[step.parent].author] if plan.steps[step.parent].author != OWNER else parties[0]
                to = (pa,)
                cc = tuple(p for p in parties if p != pa and rng.getrandbits(1))
            else:
                to = (parties[0],)
                cc = tuple(parties[1:])
        else:
            if step.kind == "forward" or parent is None or plan.steps[step.parent].author == OWNER:
                to = (owner,)
                cc = tuple(p for p in parties if p != sender and rng.getrandbits(1))
            else:
                to = (parties[plan.steps[step.parent].author],)
                cc = (owner,) + tuple(p for p in parties if p != sender and p != to[0] and rng.getrandbits(1))

        inject = self._markers(index)
        spec = Spec(
            ts=ts,
            category=cat,
            kind=step.kind,
            lang=plan.lang,
            sender=sender,
            to=to,
            cc=cc,
            subject=plan.subject,
            prefix=prefix,
            message_id=self._message_id(sender, index),
            in_reply_to=in_reply_to,
            references=refs,
            parent=parent,
            inject=inject,
            received=step.author != OWNER,
            list_name=list_name,
            owner=owner,
            bcc=(_party(rng.pick(self.people)),) if step.author == OWNER and rng.below(100) < 4 else (),
        )
        composed = self.composer.compose(spec)
        plan.sent.append(composed.quoted)
        age = self.end - ts
        folder = folder_for(rng, plan, step, age)
        keywords = keywords_for(rng, plan, pos, step, folder, age)
        plan.pos += 1
        return SeedMessage(
            raw=composed.raw,
            folder=folder,
            keywords=keywords,
            received_at=rfc3339(ts),
            message_id=spec.message_id[1:-1],
            thread_key=plan.key,
            markers=composed.markers,
        )

    # -- the stream ----------------------------------------------------------

    def messages(self) -> Iterator[SeedMessage]:
        if self._started:
            raise RuntimeError("a DatasetGenerator yields its messages once; make a new one")
        self._started = True
        heap: list[tuple[int, int, ThreadPlan]] = []
        pending = 0  # planned messages not yet emitted
        count = self.count
        for index, ts in enumerate(schedule(self.sched_rng, count, self.start, self.options.days)):
            remaining = count - index
            if heap and (heap[0][0] <= ts or pending >= remaining):
                plan = heapq.heappop(heap)[2]
                pending -= 1
            else:
                plan = self._new_thread(ts, remaining - pending)
                pending += len(plan.steps) - 1
            msg = self._emit(plan, index, ts)
            if plan.pos < len(plan.steps):
                self._seq += 1
                heapq.heappush(heap, (ts + reply_delay(self.rng), self._seq, plan))
            else:
                plan.sent = []
            yield msg


def _validate(seed: int, count: int, options: SeedOptions) -> None:
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError("seed must be an int")
    if count < 0:
        raise ValueError("count must be >= 0")
    if options.days < 1:
        raise ValueError("days must be >= 1")
    if options.max_attachment_bytes is not None and options.max_attachment_bytes < 0:
        raise ValueError("max_attachment_bytes must be >= 0")
    if "@" not in options.owner_address or not options.owner_address.isascii():
        raise ValueError("owner_address must be an ASCII addr-spec")
    parse_rfc3339(options.start)


def iter_messages(seed: int, count: int, options: SeedOptions | None = None) -> Iterator[SeedMessage]:
    """Yield ``count`` messages in receivedAt order; the same arguments give the same bytes."""
    return DatasetGenerator(seed, count, options or SeedOptions()).messages()
