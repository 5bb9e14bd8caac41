"""Email/queryChanges (RFC 8621 §4.5, RFC 8620 §5.6): a client that splices the removed and added
ids into its cached result list ends with exactly the new result list."""

from __future__ import annotations

import pytest

from .conftest import T0, build, splice

NEWEST_FIRST = {"property": "receivedAt", "isAscending": False}


@pytest.fixture
def account(make_account):
    return make_account()


def seed(account, n: int = 8, thread_every: int = 3, mailboxes=("inbox",)):
    """n Emails, every `thread_every`-th one a reply to the one before (so some threads have two)."""
    items, names = [], {}
    for k in range(n):
        reply = k % thread_every == thread_every - 1
        subject = f"Topic {k - 1 if reply else k}"
        raw = build(("Re: " if reply else "") + subject, msgid=f"t{k}.{account.username}@changes.test",
                    in_reply_to=f"t{k - 1}.{account.username}@changes.test" if reply else None,
                    references=[f"t{k - 1}.{account.username}@changes.test"] if reply else (),
                    body=f"word{k} common")
        items.append(account.import_item(raw, mailboxes, ["$seen"] if k % 2 else [], T0 + 3600 * (k + 1) * 2))
    for k, created in enumerate(account.import_many(items)):
        names[f"e{k}"] = created["id"]
    return names


class Cached:
    """A client's cached copy of one query (filter, sort, collapseThreads), kept up to date with
    Email/queryChanges."""

    def __init__(self, account, filter=None, sort=None, collapse=False):
        self.account = account
        self.args = {"collapseThreads": collapse}
        if filter is not None:
            self.args["filter"] = filter
        if sort is not None:
            self.args["sort"] = sort
        result = account.ok("Email/query", self.args)
        self.ids, self.state = result["ids"], result["queryState"]
        assert result["canCalculateChanges"] is True

    def current(self) -> tuple[list[str], str]:
        result = self.account.ok("Email/query", {**self.args, "calculateTotal": True})
        assert result["total"] == len(result["ids"])
        return result["ids"], result["queryState"]

    def update(self, **extra) -> dict:
        """Fetch the changes, apply them as RFC 8620 §5.6 says, and check the result is the new list."""
        changes = self.account.ok("Email/queryChanges", {**self.args, "sinceQueryState": self.state,
                                                         "calculateTotal": True, **extra})
        new, new_state = self.current()
        assert changes["oldQueryState"] == self.state
        assert changes["newQueryState"] == new_state
        assert changes["total"] == len(new)
        # removed: every id that left the results; added: every id that joined, at its new index
        assert set(self.ids) - set(new) <= set(changes["removed"])
        added = {a["id"]: a["index"] for a in changes["added"]}
        assert set(new) - set(self.ids) <= set(added)
        assert all(new[index] == i for i, index in added.items())
        assert splice(self.ids, changes["removed"], changes["added"], changes["total"]) == new
        if new != self.ids:
            assert new_state != self.state  # §5.5 queryState MUST change when the results do
        self.ids, self.state = new, new_state
        return changes


def test_adds_and_removes_in_a_mailbox_view(account):
    """§5.6 over the one-mailbox newest-first query: new Emails (newest, oldest and in between), a
    destroyed Email and Emails moved out of and into the mailbox."""
    names = seed(account, 10, mailboxes=("inbox",))
    inbox, archive = account.mailbox("inbox"), account.mailbox("archive")
    archived = account.import_one(build("Archived one"), mailboxes=["archive"], received_at=T0 + 3600 * 7)["id"]
    for collapse in (False, True):
        cached = Cached(account, {"inMailbox": inbox}, [NEWEST_FIRST], collapse)
        assert len(cached.ids) >= 7
    view = Cached(account, {"inMailbox": inbox}, [NEWEST_FIRST])
    nosort = Cached(account, {"inMailbox": inbox})
    collapsed = Cached(account, {"inMailbox": inbox}, [NEWEST_FIRST], collapse=True)
    account.import_many([account.import_item(build("Newest"), received_at=T0 + 3600 * 100),
                         account.import_item(build("Oldest"), received_at=T0 - 3600),
                         account.import_item(build("Middle"), received_at=T0 + 3600 * 9)])
    for cached in (view, nosort, collapsed):
        changes = cached.update()
        assert len(changes["added"]) >= 3
    account.set(destroy=[names["e4"]])
    account.set(update={names["e6"]: {"mailboxIds": {archive: True}},
                        archived: {"mailboxIds": {inbox: True, archive: True}}})
    for cached in (view, nosort, collapsed):
        cached.update()
    assert names["e4"] not in view.ids and names["e6"] not in view.ids and archived in view.ids


def test_keyword_changes_move_emails_in_and_out(account):
    """§5.6: keywords are mutable, so an Email that gains or loses one moves into or out of a
    keyword-filtered result, and moves within a keyword-sorted one."""
    names = seed(account, 9)
    flagged = Cached(account, {"hasKeyword": "$flagged"}, [{"property": "subject"}, NEWEST_FIRST])
    unread_first = Cached(account, None, [{"property": "hasKeyword", "keyword": "$seen"}, NEWEST_FIRST])
    not_seen = Cached(account, {"notKeyword": "$seen", "minSize": 1}, [{"property": "size"}, NEWEST_FIRST])
    assert flagged.ids == []
    account.set(update={names["e1"]: {"keywords/$flagged": True}, names["e5"]: {"keywords/$flagged": True},
                        names["e2"]: {"keywords/$seen": True}, names["e3"]: {"keywords/$seen": None}})
    for cached in (flagged, unread_first, not_seen):
        cached.update()
    assert set(flagged.ids) == {names["e1"], names["e5"]}
    account.set(update={names["e1"]: {"keywords/$flagged": None}, names["e7"]: {"keywords": {"$flagged": True}}})
    for cached in (flagged, unread_first, not_seen):
        cached.update()
    assert set(flagged.ids) == {names["e5"], names["e7"]}


def test_thread_keyword_filter_follows_the_whole_thread(account):
    """§5.6 with someInThreadHaveKeyword / noneInThreadHaveKeyword: flagging one Email changes
    whether its Thread's other, unchanged Emails match, and they must be reported too."""
    names = seed(account, 9, thread_every=3)
    some = Cached(account, {"someInThreadHaveKeyword": "$flagged"}, [NEWEST_FIRST])
    none = Cached(account, {"noneInThreadHaveKeyword": "$flagged"}, [NEWEST_FIRST])
    by_thread = Cached(account, None, [{"property": "someInThreadHaveKeyword", "keyword": "$flagged",
                                        "isAscending": False}, NEWEST_FIRST])
    account.set(update={names["e1"]: {"keywords/$flagged": True}})  # e1 and e2 are one thread
    for cached in (some, none, by_thread):
        cached.update()
    assert set(some.ids) == {names["e1"], names["e2"]}
    assert by_thread.ids[:2] == [names["e2"], names["e1"]]
    account.set(update={names["e1"]: {"keywords/$flagged": None}, names["e5"]: {"keywords/$flagged": True}})
    for cached in (some, none, by_thread):
        cached.update()
    assert set(some.ids) == {names["e4"], names["e5"]}


def test_collapsed_threads_when_a_newer_email_joins(account):
    """§4.5 with collapseThreads: a newer Email joining a Thread replaces the Thread's old
    representative; destroying it brings the old one back."""
    names = seed(account, 6, thread_every=3)
    inbox = account.mailbox("inbox")
    views = [Cached(account, {"inMailbox": inbox}, [NEWEST_FIRST], collapse=True),
             Cached(account, None, [NEWEST_FIRST], collapse=True),
             Cached(account, {"inMailbox": inbox}, [{"property": "size"}, NEWEST_FIRST], collapse=True),
             Cached(account, {"inMailbox": inbox}, None, collapse=True)]
    # threads are (e0), (e1, e2), (e3), (e4, e5): e2 represents its thread, e1 is hidden
    assert names["e2"] in views[0].ids and names["e1"] not in views[0].ids
    reply = build("Re: Topic 1", msgid=f"late.{account.username}@changes.test",
                  in_reply_to=f"t2.{account.username}@changes.test",
                  references=[f"t1.{account.username}@changes.test", f"t2.{account.username}@changes.test"])
    late = account.import_one(reply, received_at=T0 + 3600 * 50)
    (e2,) = account.get([names["e2"]], ["threadId"])
    assert late["threadId"] == e2["threadId"]
    for view in views:
        view.update()
    assert late["id"] in views[0].ids and names["e2"] not in views[0].ids
    account.set(destroy=[late["id"]])
    for view in views:
        view.update()
    assert names["e2"] in views[0].ids
    # the representative moves out of the mailbox: the thread's other Email shows instead
    account.set(update={names["e2"]: {"mailboxIds": {account.mailbox("archive"): True}}})
    for view in views:
        view.update()
    assert names["e1"] in views[0].ids and names["e2"] not in views[0].ids


def test_text_filter(account):
    """§5.6 with a text condition: imported and destroyed Emails with the word."""
    names = seed(account, 6)
    cached = Cached(account, {"text": "common"}, [NEWEST_FIRST])
    assert len(cached.ids) == 6
    fresh = account.import_one(build("Another", body="common ground"), received_at=T0 + 3600 * 3)
    account.import_one(build("Unrelated", body="nothing here"))
    account.set(destroy=[names["e0"]])
    cached.update()
    assert fresh["id"] in cached.ids and names["e0"] not in cached.ids


def test_several_rounds_and_skipping_states(account):
    """§5.6 from an older state straight to the newest: the changes cover every step between."""
    names = seed(account, 8)
    old = Cached(account, {"notKeyword": "$flagged"}, [{"property": "size"}, NEWEST_FIRST])
    step = Cached(account, {"notKeyword": "$flagged"}, [{"property": "size"}, NEWEST_FIRST])
    account.set(update={names["e1"]: {"keywords/$flagged": True}})
    step.update()
    account.import_one(build("Round two", body="x" * 500), received_at=T0 + 3600)
    step.update()
    account.set(destroy=[names["e3"]], update={names["e1"]: {"keywords/$flagged": None}})
    step.update()
    old.update()
    assert old.ids == step.ids


def test_nothing_changed(account):
    """§5.6: from the current state there is nothing to remove or add."""
    seed(account, 4)
    cached = Cached(account, None, [NEWEST_FIRST])
    changes = cached.update()
    assert changes["removed"] == [] and changes["added"] == []
    assert changes["newQueryState"] == changes["oldQueryState"]


def test_max_changes(account):
    """§5.6 tooManyChanges: more removed plus added items than maxChanges."""
    names = seed(account, 6)
    cached = Cached(account, None, [NEWEST_FIRST])
    account.set(destroy=[names["e0"], names["e1"]])
    account.import_one(build("new"))
    name, result = account.call("Email/queryChanges", {**cached.args, "sinceQueryState": cached.state,
                                                      "maxChanges": 1})
    assert name == "error" and result["type"] == "tooManyChanges"
    changes = account.ok("Email/queryChanges", {**cached.args, "sinceQueryState": cached.state, "maxChanges": 100})
    assert len(changes["removed"]) + len(changes["added"]) <= 100
    cached.update(maxChanges=100)


def test_total_only_when_asked(account):
    """§5.6 total: only if calculateTotal is true."""
    seed(account, 3)
    cached = Cached(account, None, [NEWEST_FIRST])
    account.import_one(build("more"))
    changes = account.ok("Email/queryChanges", {**cached.args, "sinceQueryState": cached.state})
    assert "total" not in changes
    changes = account.ok("Email/queryChanges", {**cached.args, "sinceQueryState": cached.state,
                                                "calculateTotal": True})
    assert changes["total"] == 4


@pytest.mark.parametrize("state", ["not-a-state", "", "-1", "99999999", "1.5"])
def test_bad_state_cannot_calculate_changes(account, state):
    """§5.6 cannotCalculateChanges: a queryState the server did not give (or cannot go back to)."""
    seed(account, 2)
    name, result = account.call("Email/queryChanges", {"sinceQueryState": state, "sort": [NEWEST_FIRST]})
    assert name == "error" and result["type"] == "cannotCalculateChanges", result


BAD = [({"filter": {"nope": 1}}, "unsupportedFilter"), ({"sort": [{"property": "nope"}]}, "unsupportedSort"),
       ({"filter": {"minSize": "x"}}, "invalidArguments")]


def test_query_changes_rejects_what_query_rejects(account):
    """§5.6 takes the filter and sort of the /query, with the same errors (RFC 8620 §5.5)."""
    seed(account, 2)
    state = account.query()["queryState"]
    account.import_one(build("changed"))
    for args, error in BAD:
        assert account.error("Email/queryChanges", {"sinceQueryState": state, **args}) == error


def test_query_changes_rejects_bad_arguments_even_without_changes(account):
    """§5.6 with the same filter and sort as /query: a filter or sort /query rejects is rejected
    whether or not anything changed since the state."""
    seed(account, 2)
    state = account.query()["queryState"]
    for args, error in BAD:
        assert account.error("Email/queryChanges", {"sinceQueryState": state, **args}) == error
