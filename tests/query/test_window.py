"""The result window of Email/query (RFC 8620 §5.5 position, anchor, anchorOffset, limit), on the
one-mailbox newest-first path and on the general path, with and without collapseThreads."""

from __future__ import annotations

import pytest

from .conftest import STANDARD, T0, build, load_dataset


@pytest.fixture(scope="module")
def data(make_account):
    account = make_account()
    return account, load_dataset(account, STANDARD)


NEWEST_FIRST = {"property": "receivedAt", "isAscending": False}
OLDEST_FIRST = {"property": "receivedAt"}
CASES = {
    # one mailbox, receivedAt order: what a mailbox list view asks
    "mailbox-nosort": ("inbox", None),
    "mailbox-newest": ("inbox", [NEWEST_FIRST]),
    "mailbox-oldest": ("inbox", [OLDEST_FIRST]),
    "account-newest": (None, [NEWEST_FIRST]),
    # anything else
    "mailbox-size": ("inbox", [{"property": "size"}, NEWEST_FIRST]),
    "filtered-newest": ("seen", [NEWEST_FIRST]),
    "mailbox-and-more": ("inbox+", [NEWEST_FIRST]),
    "filtered-subject": ("seen", [{"property": "subject", "collation": "i;ascii-casemap"}, OLDEST_FIRST]),
}


def _filter(account, label):
    return {None: None, "inbox": {"inMailbox": account.mailbox("inbox")}, "seen": {"hasKeyword": "$seen"},
            "inbox+": {"inMailbox": account.mailbox("inbox"), "minSize": 280}}[label]


@pytest.fixture(params=list(CASES))
def path(request):
    return CASES[request.param]


@pytest.fixture(params=[False, True], ids=["plain", "collapsed"])
def case(request, data, path):
    """(query function, the full result, the account, the model, the filter) for each path."""
    account, model = data
    filter_label, sort = path
    filter = _filter(account, filter_label)
    collapse = request.param

    def query(**window):
        return account.query(filter, sort, collapseThreads=collapse, calculateTotal=True, **window)

    def raw(**window):
        args = {"filter": filter, "sort": sort, "collapseThreads": collapse, **window}
        return account.call("Email/query", {k: v for k, v in args.items() if v is not None})

    full = query()["ids"]
    if sort is not None:
        assert full == model.expected(filter, sort, collapse)
    assert len(full) >= 5
    return query, full, account, model, raw


def test_position(case):
    """§5.5 position: the zero-based index of the first id; a limit caps the count; ids past the
    end are simply not there."""
    query, full, *_ = case
    n = len(full)
    for position, limit in ((0, None), (0, 2), (1, 3), (n - 2, 10), (n - 1, 1), (2, n)):
        result = query(position=position, **({} if limit is None else {"limit": limit}))
        want = full[position:] if limit is None else full[position:position + limit]
        assert result["ids"] == want, (position, limit)
        assert result["position"] == position
        assert result["total"] == n


def test_position_beyond_the_end(case):
    """§5.5: a position at or past the total gives an empty ids list, not an error."""
    query, full, *_ = case
    for position in (len(full), len(full) + 1, len(full) + 1000):
        result = query(position=position, limit=5)
        assert result["ids"] == [] and result["total"] == len(full)


def test_negative_position(case):
    """§5.5: a negative position is added to the total, and clamped to 0 if still negative."""
    query, full, *_ = case
    n = len(full)
    for position, limit, start in ((-1, None, n - 1), (-3, 2, n - 3), (-n, 2, 0), (-n - 10, None, 0),
                                   (-n - 10, 3, 0)):
        result = query(position=position, **({} if limit is None else {"limit": limit}))
        want = full[start:] if limit is None else full[start:start + limit]
        assert result["ids"] == want, (position, limit)
        assert result["position"] == start


def test_anchor(case):
    """§5.5 anchor: the anchor's index plus anchorOffset (positive or negative, clamped to 0) is used
    as the position; the position argument is then ignored."""
    query, full, *_ = case
    n = len(full)
    for index, offset, limit in ((3, 0, None), (3, 2, 2), (3, -2, 3), (1, -5, None), (0, 0, 1), (n - 1, 0, None),
                                 (n - 2, -1, 2)):
        result = query(anchor=full[index], anchorOffset=offset, position=n - 1,
                       **({} if limit is None else {"limit": limit}))
        start = max(index + offset, 0)
        want = full[start:] if limit is None else full[start:start + limit]
        assert result["ids"] == want, (index, offset, limit)
        assert result["position"] == start
    assert query(anchor=full[-1], anchorOffset=3)["ids"] == []


def test_anchor_offset_without_anchor_is_ignored(case):
    """§5.5: with no anchor, any anchorOffset MUST be ignored."""
    query, full, *_ = case
    assert query(anchorOffset=2, position=1, limit=2)["ids"] == full[1:3]
    assert query(anchorOffset=-2)["ids"] == full


def test_anchor_not_found(case):
    """§5.5 anchorNotFound: an anchor that is not in the results (an Email the filter excludes or
    collapsing removes, or no Email at all)."""
    _, full, _, model, raw = case
    outside = [i for i in model.emails if i not in full]
    for anchor in outside[:3] + ["no-such-email"]:
        name, result = raw(anchor=anchor)
        assert name == "error" and result["type"] == "anchorNotFound", anchor


def test_limit(case):
    """§5.5 limit: 0 gives no ids (total still counts them); a limit larger than the results gives
    them all; a negative limit is invalidArguments."""
    query, full, account, *_ = case
    result = query(limit=0)
    assert result["ids"] == [] and result["total"] == len(full)
    assert query(limit=len(full) + 100)["ids"] == full
    assert query(position=2, limit=len(full))["ids"] == full[2:]
    big = query(limit=2**53 - 1)
    assert big["ids"] == full
    if "limit" in big:  # a server maximum, reported because it differs from what was asked
        assert len(big["ids"]) <= big["limit"]
    assert "limit" not in query(limit=3)  # the server used the client's own limit
    assert account.error("Email/query", {"limit": -1}) == "invalidArguments"
    assert account.error("Email/query", {"position": 1.5}) == "invalidArguments"
    assert account.error("Email/query", {"anchorOffset": "1"}) == "invalidArguments"


@pytest.fixture(scope="module")
def tied(make_account):
    """Seven Emails received in the same second, in two mailboxes, some sharing a Thread."""
    account = make_account()
    items = []
    for n in range(7):
        root = n % 3 == 0
        parent = f"tie{n - n % 3}.{account.username}@window.test"
        raw = build("Tie" if root else "Re: Tie", msgid=f"tie{n}.{account.username}@window.test",
                    in_reply_to=None if root else parent, references=() if root else [parent], body="same " * n)
        items.append(account.import_item(raw, ["Ties"] if n % 4 else ["Ties", "inbox"], [], T0 + 3600))
    ids = [c["id"] for c in account.import_many(items)]
    return account, ids


@pytest.mark.parametrize("path", ["mailbox", "mailbox+", "account"])
def test_ties_are_windowed_from_one_order(tied, path):
    """RFC 8620 §5.5: the order of tied Emails is the server's, but stable between calls, so every
    window (position, negative position, anchor with offsets) is a slice of the same list, with or
    without collapseThreads (RFC 8621 §4.4.3)."""
    account, ids = tied
    filter = {"mailbox": {"inMailbox": account.mailbox("Ties")},
              "mailbox+": {"inMailbox": account.mailbox("Ties"), "notKeyword": "$junk"},
              "account": None}[path]
    for sort in (None, [NEWEST_FIRST], [OLDEST_FIRST], [{"property": "subject"}]):
        for collapse in (False, True):
            full = account.ids(filter, sort, collapseThreads=collapse)
            assert account.ids(filter, sort, collapseThreads=collapse) == full
            if not collapse:
                assert sorted(full) == sorted(ids)
            n = len(full)
            for p in range(n):
                window = full[p:p + 2]
                assert account.ids(filter, sort, collapseThreads=collapse, position=p, limit=2) == window
                assert account.ids(filter, sort, collapseThreads=collapse, position=p - n, limit=2) == window
                assert account.ids(filter, sort, collapseThreads=collapse, anchor=full[p], limit=2) == window
                assert account.ids(filter, sort, collapseThreads=collapse, anchor=full[-1], anchorOffset=p - n + 1,
                                   limit=2) == window
