"""Email/query against a brute-force evaluator of RFC 8621 §4.4 (filters §4.4.1, sorts §4.4.2,
collapseThreads §4.4.3) and of the RFC 8620 §5.5 window, over random filter trees and sorts.

The evaluator reads only Email/get data and what the test itself wrote into each message.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from .conftest import load_dataset, winnow

SEED = 8621
WORDS = ["amber", "basil", "cobalt", "dune", "ember", "fjord", "garnet", "heron", "indigo", "jasper", "kelp", "lotus"]
ATTACHMENT_WORDS = ["ledger", "blueprint", "invoice"]
RARE_WORDS = ["xenolith", "yarrow", "zircon"]  # each in one or two Emails: a search that narrows a lot
PEOPLE = [("Maple Quill", "maple@people.test"), ("orchid Vane", "orchid@people.test"),
          ("Pebble Stone", "pebble@people.test"), ("quartz", "quartz@people.test"), ("", "rune@people.test")]
KEYWORDS = ["$seen", "$flagged", "$answered", "work"]
MAILBOXES = ["inbox", "archive", "trash", "Lists"]


def generate(rng: random.Random, count: int = 60) -> list[dict]:
    specs: list[dict] = []
    hours = rng.sample(range(1, 24 * 30), count)  # distinct receivedAt
    for n in range(count):
        parent = rng.choice(specs) if specs and rng.random() < 0.4 else None
        subject_words = rng.sample(WORDS, rng.randint(1, 2))
        subject = parent["subject"] if parent else " ".join(subject_words).capitalize()
        if parent:
            subject = ("Re: " if rng.random() < 0.8 else "Fwd: ") + subject.removeprefix("Re: ").removeprefix("Fwd: ")
        body = " ".join(rng.sample(WORDS, rng.randint(1, 3))) + f" tok{n}. " + "padding " * rng.randint(0, 300)
        if n % 20 in (3, 11):
            body += " " + RARE_WORDS[n % 3]
        attachments = []
        if rng.random() < 0.25:
            attachments = [(f"{rng.choice(ATTACHMENT_WORDS)}-{n}.pdf", b"%PDF-1.4 " + bytes(rng.randint(10, 500)),
                            "application/pdf")]
        # most in the inbox, so that a rare word is a small share of a mailbox too
        mailboxes = ["inbox"] if rng.random() < 0.7 else rng.sample(MAILBOXES, 1 if rng.random() < 0.6 else 2)
        specs.append(dict(name=f"p{n}", subject=subject, sender=rng.choice(PEOPLE), to=[rng.choice(PEOPLE)],
                          body=body, attachments=attachments, mailboxes=mailboxes,
                          keywords=[k for k in KEYWORDS if rng.random() < 0.35], k=hours[n],
                          parent=parent["name"] if parent else None))
    return specs


@pytest.fixture(scope="module")
def world(make_account):
    account = make_account()
    model = load_dataset(account, generate(random.Random(SEED)))
    threads = model.threads()
    assert len(threads) >= 20 and any(len(t) >= 3 for t in threads.values())
    # Strategies are built once: Hypothesis validates each new strategy object, which is slow.
    filters = st.one_of(st.none(), leaves(account, model), conditions(account, model))
    return account, model, filters


# -- strategies ------------------------------------------------------------------------------------

def leaves(account, model):
    mailbox_ids = [account.mailbox(m) for m in MAILBOXES]
    dates = sorted({e["receivedAt"] for e in model.emails.values()})
    sizes = sorted({e["size"] for e in model.emails.values()})
    keyword = st.sampled_from(KEYWORDS)
    word = st.sampled_from(WORDS)
    words = st.lists(word, min_size=1, max_size=2, unique=True).map(" ".join)
    return st.one_of(
        st.builds(lambda m: {"inMailbox": m}, st.sampled_from(mailbox_ids)),
        st.builds(lambda ms: {"inMailboxOtherThan": ms},
                  st.lists(st.sampled_from(mailbox_ids), max_size=3, unique=True)),
        st.builds(lambda d: {"before": d}, st.sampled_from(dates)),
        st.builds(lambda d: {"after": d}, st.sampled_from(dates)),
        st.builds(lambda s: {"minSize": s}, st.sampled_from(sizes)),
        st.builds(lambda s: {"maxSize": s}, st.sampled_from(sizes)),
        st.builds(lambda k: {"hasKeyword": k}, keyword),
        st.builds(lambda k: {"notKeyword": k}, keyword),
        st.builds(lambda k: {"allInThreadHaveKeyword": k}, keyword),
        st.builds(lambda k: {"someInThreadHaveKeyword": k}, keyword),
        st.builds(lambda k: {"noneInThreadHaveKeyword": k}, keyword),
        st.builds(lambda b: {"hasAttachment": b}, st.booleans()),
        st.builds(lambda w: {"subject": w}, words),
        st.builds(lambda w: {"body": w}, words),
        st.builds(lambda w: {"text": w}, st.one_of(words, st.sampled_from(ATTACHMENT_WORDS + RARE_WORDS))),
        st.builds(lambda n: {"body": f"tok{n} padding"}, st.integers(0, len(model.emails))),
        st.builds(lambda p: {"from": p}, st.sampled_from(["maple", "orchid vane", "quartz", "rune", "people"])),
        st.just({}),
    )


def conditions(account, model):
    leaf = leaves(account, model)
    # Several properties in one FilterCondition are ANDed (§4.4.1).
    merged = st.lists(leaf, min_size=1, max_size=3).map(lambda ls: {k: v for d in ls for k, v in d.items()})
    return st.recursive(merged, lambda children: st.builds(
        lambda op, cs: {"operator": op, "conditions": cs}, st.sampled_from(["AND", "OR", "NOT"]),
        st.lists(children, min_size=0, max_size=3)), max_leaves=8)


COMPARATORS = st.one_of(
    st.fixed_dictionaries({"property": st.sampled_from(["receivedAt", "sentAt", "size"])}),
    st.fixed_dictionaries({"property": st.sampled_from(["from", "to", "subject"]),
                           "collation": st.sampled_from(["i;ascii-casemap", "i;unicode-casemap", "i;ascii-numeric"])}),
    st.fixed_dictionaries({"property": st.sampled_from(["hasKeyword", "allInThreadHaveKeyword",
                                                        "someInThreadHaveKeyword"]),
                           "keyword": st.sampled_from(KEYWORDS)}),
).flatmap(lambda c: st.booleans().map(lambda asc: {**c, "isAscending": asc}))

SORTS = st.lists(COMPARATORS, max_size=3)


def window(ids: list[str], args: dict) -> tuple[int, list[str]] | None:
    """RFC 8620 §5.5: (position, ids) of the window, or None for anchorNotFound."""
    n = len(ids)
    if args.get("anchor") is not None:
        if args["anchor"] not in ids:
            return None
        start = max(ids.index(args["anchor"]) + args.get("anchorOffset", 0), 0)
    else:
        position = args.get("position", 0)
        start = position if position >= 0 else max(n + position, 0)
    limit = args.get("limit")
    return start, ids[start:] if limit is None else ids[start:start + limit]


# No shrinking: it takes minutes here; the failure report names every drawn value anyway.
@settings(max_examples=250, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_query_matches_the_rfc_evaluator(world, data):
    """§4.4, §4.4.1-§4.4.3, RFC 8620 §5.5: for random filter trees, sorts, collapseThreads and
    windows, Email/query returns exactly what the brute-force evaluator computes."""
    account, model, filters = world
    filter = data.draw(filters, "filter")
    sort = data.draw(SORTS, "sort")
    collapse = data.draw(st.booleans(), "collapse")
    total_order = [*sort, {"property": "receivedAt", "isAscending": data.draw(st.booleans(), "last")}]

    # Exact: receivedAt values are distinct, so the last comparator leaves no ties.
    full = model.expected(filter, total_order, collapse)
    args: dict = {"collapseThreads": collapse, "calculateTotal": True}
    how = data.draw(st.sampled_from(["position", "anchor", "none"]), "window")
    if how == "position":
        args["position"] = data.draw(st.integers(-70, 70), "position")
    elif how == "anchor":
        # often one of the results, sometimes any Email (maybe filtered out: anchorNotFound)
        anchors = st.sampled_from(sorted(model.emails))
        args["anchor"] = data.draw(st.one_of(st.sampled_from(full), anchors) if full else anchors, "anchor")
        args["anchorOffset"] = data.draw(st.integers(-10, 10), "offset")
    if data.draw(st.booleans(), "limited"):
        args["limit"] = data.draw(st.integers(0, 70), "limit")
    want = window(full, args)
    body = {**args, "sort": total_order, **({"filter": filter} if filter is not None else {})}
    name, result = account.call("Email/query", body)
    if want is None:
        assert name == "error" and result["type"] == "anchorNotFound", result
    else:
        assert name == "Email/query", result
        position, ids = want
        assert result["ids"] == ids, [model.describe(i) for i in result["ids"]]
        if ids:
            assert result["position"] == position
        assert result["total"] == len(full)

    # Tie-agnostic: the sort alone may leave ties, in whatever order the server keeps.
    result = account.ok("Email/query", {"sort": sort, "collapseThreads": collapse,
                                        **({"filter": filter} if filter is not None else {})})
    ids = result["ids"]
    matching = model.matching(filter) if filter is not None else set(model.emails)
    model.check_sorted(ids, sort)
    if collapse:
        assert ids == winnow(ids, model.emails)
        assert {model.emails[i]["threadId"] for i in ids} == {model.emails[i]["threadId"] for i in matching}
        cmp = model.compare(sort)
        for shown in ids:
            for other in matching:
                if model.emails[other]["threadId"] == model.emails[shown]["threadId"]:
                    assert cmp(other, shown) >= 0
    else:
        assert sorted(ids) == sorted(matching)


def test_dataset_covers_the_conditions(world):
    """The generated data is varied enough for the random filters to mean something."""
    _, model, _ = world
    emails = model.emails.values()
    assert any(e["hasAttachment"] for e in emails) and not all(e["hasAttachment"] for e in emails)
    assert len({e["size"] for e in emails}) > 40
    assert len({e["receivedAt"] for e in emails}) == len(model.emails)
    for keyword in KEYWORDS:
        assert 0 < sum(keyword in e["keywords"] for e in emails) < len(model.emails)
    assert any(len(e["mailboxIds"]) == 2 for e in emails)


def test_text_within_each_mailbox(world):
    """§4.4.1 text conditions next to inMailbox (and under a top-level AND), for rare words (a few
    Emails, maybe none in the mailbox) and common ones: exactly the evaluator's result, in order,
    collapsed or not (RFC 8621 §4.4.3)."""
    account, model, _ = world
    texts = [{"text": w} for w in RARE_WORDS] + [{"body": "tok7"}, {"text": "amber"}, {"text": "zzzznothing"}]
    sorts = [[{"property": "receivedAt"}], [{"property": "size"}, {"property": "receivedAt", "isAscending": False}]]
    for name in ("inbox", "trash", None):
        for n, text in enumerate(texts):
            if name is None:
                filter = text
            elif n % 2:
                filter = {**text, "inMailbox": account.mailbox(name)}
            else:
                filter = {"operator": "AND", "conditions": [{"inMailbox": account.mailbox(name)}, text]}
            for sort in sorts:
                for collapse in (False, True):
                    result = account.query(filter, sort, collapseThreads=collapse, calculateTotal=True)
                    want = model.expected(filter, sort, collapse)
                    assert result["ids"] == want, (filter, sort, collapse)
                    assert result["total"] == len(want)
