"""Email/query filters: every FilterCondition property of RFC 8621 §4.4.1, FilterOperators
(RFC 8620 §5.5), and the errors for filters the server cannot or must not process."""

from __future__ import annotations

import pytest

from .conftest import STANDARD, T0, load_dataset, utc


@pytest.fixture(scope="module")
def data(make_account):
    account = make_account()
    model = load_dataset(account, STANDARD)
    return account, model


def check(data, filter, *, nontrivial: bool = True) -> set[str]:
    """The query returns exactly the Emails the filter describes (compared as sets: no sort given
    fixes the order), each once."""
    account, model = data
    want = model.matching(filter)
    if nontrivial:
        assert 0 < len(want) < len(model.emails), f"the data does not exercise {filter}"
    result = account.query(filter, calculateTotal=True)
    assert len(result["ids"]) == len(set(result["ids"]))
    got = set(result["ids"])
    assert got == want, (sorted(map(model.describe, got - want)), sorted(map(model.describe, want - got)))
    assert result["total"] == len(want)
    return got


# -- one condition at a time ---------------------------------------------------------------------

def test_in_mailbox(data):
    """§4.4.1 inMailbox: the Email must be in this Mailbox."""
    account, model = data
    for name in ("inbox", "archive", "trash", "Projects"):
        got = check(data, {"inMailbox": account.mailbox(name)})
        assert all(account.mailbox(name) in model.emails[i]["mailboxIds"] for i in got)


def test_in_mailbox_other_than(data):
    """§4.4.1 inMailboxOtherThan: the Email must be in at least one Mailbox not in the list, so an
    Email only in the trash is excluded but one in the trash and elsewhere is not."""
    account, model = data
    trash = account.mailbox("trash")
    got = check(data, {"inMailboxOtherThan": [trash]})
    assert model["c1"] not in got and model["c2"] in got
    check(data, {"inMailboxOtherThan": [trash, account.mailbox("Projects")]})
    check(data, {"inMailboxOtherThan": [account.mailbox("inbox"), account.mailbox("archive")]})
    # every Email is in some Mailbox, so an empty list excludes nothing
    assert set(account.ids({"inMailboxOtherThan": []})) == set(model.emails)


def test_before_and_after(data):
    """§4.4.1 before: receivedAt strictly before; after: the same or after (so the boundary Email is
    in `after` and not in `before`)."""
    _, model = data
    boundary = utc(T0 + 3600 * 10)
    assert model.emails[model["s12"]]["receivedAt"] == boundary
    got = check(data, {"after": boundary})
    assert model["s12"] in got
    got = check(data, {"before": boundary})
    assert model["s12"] not in got
    check(data, {"after": utc(T0 + 3600 * 5), "before": utc(T0 + 3600 * 12)})
    check(data, {"before": utc(T0)}, nontrivial=False)


def test_min_and_max_size(data):
    """§4.4.1 minSize: size equal or greater; maxSize: size strictly less."""
    _, model = data
    sizes = sorted(e["size"] for e in model.emails.values())
    middle = sizes[len(sizes) // 2]
    got = check(data, {"minSize": middle})
    assert any(model.emails[i]["size"] == middle for i in got)
    got = check(data, {"maxSize": middle})
    assert all(model.emails[i]["size"] != middle for i in got)
    check(data, {"minSize": sizes[1], "maxSize": sizes[-1]})
    check(data, {"minSize": 0}, nontrivial=False)
    assert data[0].ids({"maxSize": 0}) == []


def test_keywords(data):
    """§4.4.1 hasKeyword / notKeyword: the Email itself has (has not) the keyword; keywords are
    case-insensitive (§4.1.1)."""
    check(data, {"hasKeyword": "$flagged"})
    check(data, {"notKeyword": "$flagged"})
    check(data, {"hasKeyword": "$SEEN"})
    check(data, {"notKeyword": "$Seen"})
    check(data, {"hasKeyword": "$seen", "notKeyword": "$flagged"})
    assert data[0].ids({"hasKeyword": "nobody-has-this"}) == []


def test_thread_keywords(data):
    """§4.4.1 allInThreadHaveKeyword / someInThreadHaveKeyword / noneInThreadHaveKeyword look at
    every Email of the Email's Thread, including ones the rest of the filter excludes."""
    _, model = data
    got = check(data, {"allInThreadHaveKeyword": "$seen"})
    assert {model["a1"], model["a2"], model["a3"]} <= got  # a whole thread, all seen
    assert model["b1"] not in got
    got = check(data, {"someInThreadHaveKeyword": "$flagged"})
    assert model["a1"] in got and model["b1"] in got  # flagged through a2 and b2
    got = check(data, {"noneInThreadHaveKeyword": "$flagged"})
    assert model["a1"] not in got and model["c1"] in got
    # a thread-wide condition next to a mailbox condition: a3 (archive) makes a1 (inbox) not match,
    # even though a3 is not in the inbox
    check(data, {"inMailbox": data[0].mailbox("inbox"), "allInThreadHaveKeyword": "$seen"})
    check(data, {"someInThreadHaveKeyword": "$FLAGGED", "notKeyword": "$flagged"})


def test_has_attachment(data):
    """§4.4.1 hasAttachment: the Email's hasAttachment property must be identical to the value."""
    _, model = data
    got = check(data, {"hasAttachment": True})
    assert {model["a1"], model["s11"]} == got
    check(data, {"hasAttachment": False})


def test_text(data):
    """§4.4.1 text: From, To, Cc, Bcc and Subject (MUST), the body (SHOULD), and (MAY) attachment
    names; every word must be present, case-insensitively."""
    _, model = data
    assert check(data, {"text": "lemur"}) == {model["a1"], model["s9"]}  # two bodies
    assert check(data, {"text": "zoe"}) >= {model["b1"], model["s7"]}  # a To and a From
    assert check(data, {"text": "dave"}) == {model["a3"], model["b1"]}  # Cc
    assert check(data, {"text": "eve"}) == {model["c1"]}  # Bcc
    assert check(data, {"text": "AARDVARK"}) == {model["s3"]}  # subject, any case
    assert check(data, {"text": "narwhal"}) == {model["a1"]}  # attachment file name only
    assert check(data, {"text": "quarterly lemur"}) == {model["a1"]}  # all words, anywhere
    assert check(data, {"text": "lemur quarterly"}) == {model["a1"]}
    assert check(data, {"text": "lemur zebra"}, nontrivial=False) == set()


def test_address_and_subject_fields(data):
    """§4.4.1 from / to / cc / bcc / subject look only in their own header field."""
    _, model = data
    assert check(data, {"from": "alice"}) == {model["a1"], model["s10"]}
    assert check(data, {"to": "alice"}) == {model["a2"]}
    check(data, {"from": "bob"})
    check(data, {"to": "bob"})
    assert check(data, {"cc": "dave"}) == {model["a3"], model["b1"]}
    assert check(data, {"bcc": "eve"}) == {model["c1"]}
    assert check(data, {"subject": "budget"}) == {model["a1"], model["a2"], model["a3"]}
    assert check(data, {"from": "zoe"}) == {model["s7"]}  # zoe is also in To fields
    assert check(data, {"subject": "lemur"}, nontrivial=False) == set()  # body words are not in subject
    assert check(data, {"from": "example.fr"}) == {model["b2"], model["s8"]}  # the address part
    assert check(data, {"from": "alice@example.org"}) == {model["a1"], model["s10"]}
    assert check(data, {"from": "abel"}) == {model["s13"]}  # the second From address
    assert check(data, {"cc": "bob"}, nontrivial=False) == set()


def test_body(data):
    """§4.4.1 body: text in one of the body parts, not in the header fields."""
    _, model = data
    assert check(data, {"body": "quartz"}) == {model["s11"]}  # at the end of a long body
    assert check(data, {"body": "zebra"}) == {model["s1"]}
    assert check(data, {"body": "budget"}, nontrivial=False) == set()  # subject words are not body
    assert check(data, {"body": "alice"}, nontrivial=False) == set()


def test_phrases(data):
    """§4.4.1: text in double or single quotes is a phrase: the words in that order."""
    _, model = data
    assert check(data, {"body": '"numbers attached"'}) == {model["a1"]}
    assert check(data, {"body": "'numbers attached'"}) == {model["a1"]}
    assert check(data, {"body": '"attached numbers"'}, nontrivial=False) == set()
    assert check(data, {"body": "attached numbers"}) == {model["a1"]}  # outside quotes: any order
    assert check(data, {"text": '"budget review" "alice zed"'}) == {model["a1"], model["a2"]}
    assert check(data, {"subject": '"offsite planning"'}) == {model["b1"], model["b2"]}


def test_header(data):
    """§4.4.1 header with one element: the Email has a header field of that name (any case); with
    two: the text is in that field's value."""
    _, model = data
    assert check(data, {"header": ["X-Priority"]}) == {model["a1"], model["s12"]}
    assert check(data, {"header": ["list-id"]}) == {model["s12"]}
    assert check(data, {"header": ["X-Priority", "1"]}) == {model["a1"]}
    assert check(data, {"header": ["List-Id", "dev.example.org"]}) == {model["s12"]}
    assert check(data, {"header": ["Subject", "budget REVIEW"]}) == {model["a1"], model["a2"], model["a3"]}
    assert check(data, {"header": ["Subject", "éclair"]}) == {model["s7"]}  # RFC 2047 decoded
    assert check(data, {"header": ["X-Not-There"]}, nontrivial=False) == set()
    assert check(data, {"header": ["List-Id", "nightly"]}, nontrivial=False) == set()


# -- combinations and operators ------------------------------------------------------------------

def test_several_properties_are_anded(data):
    """§4.4.1: several properties in one FilterCondition must all apply; none always matches."""
    account, model = data
    inbox = account.mailbox("inbox")
    check(data, {"inMailbox": inbox, "hasKeyword": "$seen", "minSize": 10})
    check(data, {"inMailbox": inbox, "text": "lemur"})
    check(data, {"inMailboxOtherThan": [inbox], "from": "carol", "hasAttachment": True})
    assert set(account.ids({})) == set(model.emails)


def test_operators(data):
    """RFC 8620 §5.5: AND (all), OR (at least one), NOT (none of the conditions)."""
    account, _ = data
    inbox, archive = account.mailbox("inbox"), account.mailbox("archive")
    check(data, {"operator": "AND", "conditions": [{"inMailbox": inbox}, {"hasKeyword": "$seen"}]})
    check(data, {"operator": "OR", "conditions": [{"inMailbox": archive}, {"hasKeyword": "$flagged"}]})
    check(data, {"operator": "NOT", "conditions": [{"inMailbox": inbox}]})
    check(data, {"operator": "NOT", "conditions": [{"inMailbox": inbox}, {"hasKeyword": "$seen"}]})
    check(data, {"operator": "OR", "conditions": [{"text": "lemur"}, {"from": "carol"}]})
    check(data, {"operator": "NOT", "conditions": [{"text": "lemur"}, {"subject": "budget"}]})
    # empty operator lists: AND of nothing holds, OR of nothing fails, NOT of nothing holds
    check(data, {"operator": "AND", "conditions": []}, nontrivial=False)
    check(data, {"operator": "OR", "conditions": []}, nontrivial=False)
    check(data, {"operator": "NOT", "conditions": []}, nontrivial=False)


def test_nested_three_levels_and_more(data):
    """RFC 8620 §5.5: FilterOperators nest; each level combines its children's results."""
    account, _ = data
    inbox, trash, projects = (account.mailbox(n) for n in ("inbox", "trash", "Projects"))
    tree = {"operator": "OR", "conditions": [
        {"operator": "AND", "conditions": [
            {"inMailbox": inbox},
            {"operator": "NOT", "conditions": [
                {"hasKeyword": "$seen"},
                {"operator": "AND", "conditions": [{"text": "kiwi"}, {"maxSize": 10_000}]},
            ]},
        ]},
        {"operator": "AND", "conditions": [
            {"inMailboxOtherThan": [trash]},
            {"operator": "OR", "conditions": [{"subject": "budget"}, {"from": "carol", "minSize": 2000}]},
            {"operator": "NOT", "conditions": [{"someInThreadHaveKeyword": "$flagged", "inMailbox": projects}]},
        ]},
    ]}
    check(data, tree)
    deep = {"operator": "NOT", "conditions": [
        {"operator": "NOT", "conditions": [
            {"operator": "OR", "conditions": [
                {"operator": "AND", "conditions": [{"hasAttachment": False}, {"body": "lemur"}]},
                {"operator": "NOT", "conditions": [{"inMailboxOtherThan": [trash, projects]}]},
            ]},
        ]},
    ]}
    check(data, deep)


# -- errors --------------------------------------------------------------------------------------

@pytest.mark.parametrize("filter", [
    {"unknownCondition": "x"},
    {"inMailbox": "ignored", "isUnread": True},
    {"operator": "AND", "conditions": [{"operator": "OR", "conditions": [{"operator": "NOT", "conditions": [
        {"hasKeyword": "$seen", "frobnicate": 1}]}]}]},
])
def test_unknown_condition_is_unsupported_filter(data, filter):
    """RFC 8620 §5.5 unsupportedFilter: a condition the server does not know, at any depth."""
    assert data[0].query_error(filter) == "unsupportedFilter"


@pytest.mark.parametrize("filter", [
    {"inMailbox": 5},
    {"inMailbox": ["a"]},
    {"inMailboxOtherThan": "a"},
    {"inMailboxOtherThan": [1, 2]},
    {"before": "yesterday"},
    {"before": 1_700_000_000},
    {"after": None},
    {"minSize": -1},
    {"minSize": "10"},
    {"maxSize": 1.5},
    {"maxSize": True},
    {"hasKeyword": 5},
    {"notKeyword": None},
    {"allInThreadHaveKeyword": ["$seen"]},
    {"someInThreadHaveKeyword": 1},
    {"noneInThreadHaveKeyword": {}},
    {"hasAttachment": "yes"},
    {"hasAttachment": 1},
    {"text": 5},
    {"from": ["alice"]},
    {"to": None},
    {"cc": 1},
    {"bcc": True},
    {"subject": {}},
    {"body": 3},
    {"header": "Subject"},
    {"header": []},
    {"header": ["Subject", "a", "b"]},
    {"header": [5]},
    {"header": ["Subject", 5]},
    {"operator": "XOR", "conditions": []},
    {"operator": "AND", "conditions": {"inMailbox": "x"}},
    {"operator": "AND"},
    {"operator": "AND", "conditions": [], "inMailbox": "x"},
    {"operator": "OR", "conditions": [5]},
    {"operator": "NOT", "conditions": [{"operator": "AND", "conditions": [{"minSize": "big"}]}]},
])
def test_wrong_types_are_invalid_arguments(data, filter):
    """RFC 8620 §3.6.2 invalidArguments: a filter whose values have the wrong type, or a malformed
    FilterOperator (§5.5: operator is AND, OR or NOT, conditions an array)."""
    assert data[0].query_error(filter) == "invalidArguments"


def test_filter_must_be_an_object(data):
    """RFC 8620 §5.5: filter is a FilterOperator, a FilterCondition or null."""
    account, model = data
    for bad in ([], "inbox", 5):
        assert account.error("Email/query", {"filter": bad}) == "invalidArguments"
    assert set(account.ok("Email/query", {"filter": None})["ids"]) == set(model.emails)


def test_unknown_mailbox_matches_nothing(data):
    """§4.4.1 inMailbox with an id no Mailbox has: no Email is in it."""
    result = data[0].query({"inMailbox": "no-such-mailbox"}, calculateTotal=True)
    assert result["ids"] == [] and result["total"] == 0
    result = data[0].query({"inMailbox": "no-such-mailbox"}, calculateTotal=True, collapseThreads=True)
    assert result["ids"] == [] and result["total"] == 0


def test_mailbox_ids_that_are_no_mailbox(data):
    """§4.4.1 inMailbox: an id that no Mailbox has, however odd (empty, control characters), matches
    no Email (it must not be read as "any mailbox")."""
    account, _ = data
    for odd in ("", "\u0000", "M1\u0000", account.mailbox("inbox") + "\u0000"):
        name, result = account.call("Email/query", {"filter": {"inMailbox": odd}, "calculateTotal": True})
        if name == "error":
            assert result["type"] == "invalidArguments"
            continue
        assert result["ids"] == [] and result["total"] == 0, repr(odd)
        for collapse in (True, False):
            name, result = account.call("Email/query", {"filter": {"inMailbox": odd}, "collapseThreads": collapse,
                                                        "sort": [{"property": "size"}], "calculateTotal": True})
            assert name == "Email/query" and result["ids"] == [] and result["total"] == 0, repr(odd)


def test_dates_with_fractions_of_a_second(data):
    """§4.4.1 before / after compare receivedAt with the UTCDate given, fractions of a second
    included (RFC 8620 §1.4 allows a non-zero time-secfrac): an Email received at :20 is before
    :20.5 and not after it."""
    account, model = data
    moment = model.emails[model["s12"]]["receivedAt"]  # whole seconds
    half = moment[:-1] + ".5Z"
    assert model["s12"] in account.ids({"before": half})
    assert model["s12"] not in account.ids({"after": half})
    assert model["s12"] in account.ids({"after": moment[:-1] + ".000Z"})
    assert model["s12"] not in account.ids({"before": moment[:-1] + ".000Z"})
    check(data, {"before": half})
    check(data, {"after": half})


def test_header_text_is_decoded(data):
    """§4.4.1 header: the value is matched as text (RFC 2047 encoded-words decoded, §4.1.2.2),
    case-insensitively."""
    _, model = data
    got = data[0].ids({"header": ["From", "ÉMILE durand"]})
    assert set(got) == {model["b2"], model["s8"]}
