"""collapseThreads (RFC 8621 §4.4.3) with every sort, and totals (RFC 8621 §4.4 "quality
implementations", RFC 8620 §5.5 calculateTotal)."""

from __future__ import annotations

import pytest

from .conftest import STANDARD, load_dataset, winnow


@pytest.fixture(scope="module")
def data(make_account):
    account = make_account()
    return account, load_dataset(account, STANDARD)


SORTS = [
    None,
    {"property": "receivedAt", "isAscending": False},
    {"property": "receivedAt"},
    {"property": "size"},
    {"property": "size", "isAscending": False},
    {"property": "from", "collation": "i;ascii-casemap"},
    {"property": "to", "collation": "i;unicode-casemap", "isAscending": False},
    {"property": "subject", "collation": "i;unicode-casemap"},
    {"property": "sentAt"},
    {"property": "sentAt", "isAscending": False},
    {"property": "hasKeyword", "keyword": "$flagged"},
    {"property": "hasKeyword", "keyword": "$flagged", "isAscending": False},
    {"property": "allInThreadHaveKeyword", "keyword": "$seen"},
    {"property": "someInThreadHaveKeyword", "keyword": "$flagged", "isAscending": False},
]
NEWEST_FIRST = {"property": "receivedAt", "isAscending": False}


def filters(account):
    return {
        "none": None,
        "inbox": {"inMailbox": account.mailbox("inbox")},
        "archive": {"inMailbox": account.mailbox("archive")},
        "mixed": {"operator": "OR", "conditions": [{"hasKeyword": "$seen"}, {"text": "offsite"}]},
        "not-trash": {"inMailboxOtherThan": [account.mailbox("trash")], "minSize": 300},
    }


def _name(value):
    return "none" if value is None else "-".join(str(v) for v in value.values())


@pytest.mark.parametrize("comparator", SORTS, ids=_name)
def test_collapsed_list_keeps_the_first_email_of_each_thread(data, comparator):
    """§4.4.3: after filtering and sorting, Emails of a Thread already seen are removed, so each Thread
    appears once, at the position of its first Email in the sorted, filtered list."""
    account, model = data
    for label, filter in filters(account).items():
        sort = [comparator, NEWEST_FIRST] if comparator and comparator["property"] != "receivedAt" else \
            [comparator or NEWEST_FIRST]
        result = account.query(filter, sort, collapseThreads=True, calculateTotal=True)
        want = model.expected(filter, sort, collapse=True)
        assert result["ids"] == want, label
        threads = {model.emails[i]["threadId"] for i in model.matching(filter or {})}
        assert result["total"] == len(threads), label
        # Uncollapsed, then winnowed by the test, gives the same list.
        assert winnow(account.ids(filter, sort), model.emails) == want, label


@pytest.mark.parametrize("comparator", [c for c in SORTS if c is not None], ids=_name)
def test_collapsed_with_ties_left_to_the_server(data, comparator):
    """§4.4.3 with a sort that leaves ties: whatever order the server picks among tied Emails, each
    Thread appears once, represented by an Email no other matching Email of its Thread precedes, and
    the list is in the sort's order."""
    account, model = data
    cmp = model.compare([comparator])
    for label, filter in filters(account).items():
        ids = account.ids(filter, [comparator], collapseThreads=True)
        matching = model.matching(filter or {})
        threads = [model.emails[i]["threadId"] for i in ids]
        assert len(threads) == len(set(threads)), label
        assert set(threads) == {model.emails[i]["threadId"] for i in matching}, label
        model.check_sorted(ids, [comparator])
        for shown in ids:
            thread = model.emails[shown]["threadId"]
            for other in matching:
                if other != shown and model.emails[other]["threadId"] == thread:
                    assert cmp(other, shown) >= 0, (label, model.describe(other), model.describe(shown))


def test_representative_depends_on_the_filter(data):
    """§4.4.3: the Thread is shown by its first Email *among those matching the filter*: thread A's
    newest Email is a3 (archive), but the inbox view shows a2 and the $flagged-free view shows a3."""
    account, model = data
    inbox = account.ids({"inMailbox": account.mailbox("inbox")}, collapseThreads=True)
    assert model["a2"] in inbox and model["a1"] not in inbox and model["a3"] not in inbox
    everything = account.ids(None, [NEWEST_FIRST], collapseThreads=True)
    assert model["a3"] in everything and model["a2"] not in everything
    oldest = account.ids({"inMailbox": account.mailbox("inbox")}, [{"property": "receivedAt"}], collapseThreads=True)
    assert model["a1"] in oldest and model["a2"] not in oldest


@pytest.mark.parametrize("sort", [None, [NEWEST_FIRST], [{"property": "receivedAt"}], [{"property": "size"}],
                                  [{"property": "subject"}, NEWEST_FIRST]], ids=["none", "newest", "oldest", "size",
                                                                                  "subject"])
def test_total_of_one_mailbox_equals_its_counts(data, sort):
    """§4.4: with a filter of only inMailbox, total is the Mailbox's totalEmails, or totalThreads with
    collapseThreads, whichever way the server computes it (and whatever the sort)."""
    account, model = data
    for name in ("inbox", "archive", "trash", "Projects"):
        mailbox_id = account.mailbox(name)
        counts = account.mailbox_counts(mailbox_id)
        inside = [i for i, e in model.emails.items() if mailbox_id in e["mailboxIds"]]
        assert counts["totalEmails"] == len(inside)
        assert counts["totalThreads"] == len({model.emails[i]["threadId"] for i in inside})
        plain = account.query({"inMailbox": mailbox_id}, sort, calculateTotal=True)
        assert plain["total"] == counts["totalEmails"] == len(plain["ids"])
        collapsed = account.query({"inMailbox": mailbox_id}, sort, calculateTotal=True, collapseThreads=True)
        assert collapsed["total"] == counts["totalThreads"] == len(collapsed["ids"])


def test_total_of_the_whole_account(data):
    """RFC 8620 §5.5 calculateTotal: a null filter counts every Email, or every Thread collapsed."""
    account, model = data
    assert account.query(None, calculateTotal=True)["total"] == len(model.emails)
    assert account.query(None, calculateTotal=True, collapseThreads=True)["total"] == len(model.threads())
    assert account.query(None, [{"property": "size"}], calculateTotal=True, collapseThreads=True)["total"] == len(
        model.threads())


def test_total_is_only_given_when_asked(data):
    """RFC 8620 §5.5 total: MUST be omitted unless calculateTotal is true."""
    account, _ = data
    for extra in ({}, {"calculateTotal": False}, {"collapseThreads": True}):
        assert "total" not in account.query({"inMailbox": account.mailbox("inbox")}, **extra)
        assert "total" not in account.query({"hasKeyword": "$seen"}, [{"property": "size"}], **extra)
