"""Email/query sorting: every sort property of RFC 8621 §4.4.2 in both directions, several
comparators, collations (RFC 8620 §5.5, RFC 4790, RFC 5051), and the errors for sorts the server
does not support."""

from __future__ import annotations

import pytest

from .conftest import MAIL, STANDARD, load_dataset, rfc5256_base_subject


@pytest.fixture(scope="module")
def data(make_account):
    account = make_account()
    return account, load_dataset(account, STANDARD)


SORTS = [
    {"property": "receivedAt"},
    {"property": "size"},
    {"property": "from"},
    {"property": "to"},
    {"property": "subject"},
    {"property": "sentAt"},
    {"property": "hasKeyword", "keyword": "$flagged"},
    {"property": "hasKeyword", "keyword": "$seen"},
    {"property": "allInThreadHaveKeyword", "keyword": "$seen"},
    {"property": "someInThreadHaveKeyword", "keyword": "$flagged"},
]
NEWEST_FIRST = {"property": "receivedAt", "isAscending": False}


def _name(sort):
    return "-".join(str(v) for v in sort.values())


@pytest.mark.parametrize("ascending", [True, False], ids=["asc", "desc"])
@pytest.mark.parametrize("comparator", SORTS, ids=_name)
def test_each_sort_property(data, comparator, ascending):
    """§4.4.2: the result is in the comparator's order (ties in any order), in both directions
    (RFC 8620 §5.5 isAscending); with receivedAt (all distinct) as a second comparator the order is
    exactly determined."""
    account, model = data
    sort = [{**comparator, "isAscending": ascending}]
    ids = account.ids(sort=sort)
    assert sorted(ids) == sorted(model.emails)
    model.check_sorted(ids, sort)
    if comparator["property"] in ("from", "to", "subject"):
        sort = [{**sort[0], "collation": "i;unicode-casemap"}]
    assert account.ids(sort=[*sort, NEWEST_FIRST]) == model.expected(None, [*sort, NEWEST_FIRST])


def test_sort_is_not_trivial(data):
    """The data gives every sort ties and orders unlike receivedAt's, so the checks above mean
    something."""
    _, model = data
    by_received = model.expected(None, [{"property": "receivedAt"}])
    for comparator in SORTS[1:]:
        order = sorted(model.emails, key=lambda i: (model.sort_value({**comparator, "collation": "i;ascii-casemap"}, i),
                                                     model.emails[i]["receivedAt"]))
        assert order != by_received, comparator


@pytest.mark.parametrize("collation", ["i;ascii-casemap", "i;unicode-casemap", "i;ascii-numeric"])
@pytest.mark.parametrize("prop", ["from", "to", "subject"])
def test_collations(data, prop, collation):
    """RFC 8620 §5.5 collation, with the algorithms the Session advertises: i;ascii-casemap maps a-z to
    A-Z and compares octets (so "_" sorts after letters and "É" after "Z"), i;unicode-casemap
    (RFC 5051) titlecases and decomposes (so "É" sorts with "E"), i;ascii-numeric compares leading
    digits as numbers."""
    account, model = data
    assert collation in account.session["capabilities"]["urn:ietf:params:jmap:core"]["collationAlgorithms"]
    for ascending in (True, False):
        sort = [{"property": prop, "collation": collation, "isAscending": ascending}]
        ids = account.ids(sort=sort)
        model.check_sorted(ids, sort)
        assert account.ids(sort=[*sort, NEWEST_FIRST]) == model.expected(None, [*sort, NEWEST_FIRST])


def test_collations_differ_where_the_rfcs_say(data):
    """RFC 4790 §9.2 / RFC 5051: under i;ascii-casemap "_underscore team" sorts after "Zoe Quinn",
    under i;unicode-casemap "Émile Durand" before "Zoe Quinn", and under i;ascii-numeric "9 nine"
    before "10 Ten" before "100 hundred"."""
    account, model = data

    def order(collation: str) -> list[str]:
        ids = account.ids(sort=[{"property": "from", "collation": collation}, NEWEST_FIRST])
        return [i for i in ids if i in {model[n] for n in ("b1", "b2", "s7", "s2", "s1", "s3")}]

    ascii_order = order("i;ascii-casemap")
    assert ascii_order.index(model["s7"]) < ascii_order.index(model["b1"]) < ascii_order.index(model["b2"])
    unicode_order = order("i;unicode-casemap")
    assert unicode_order.index(model["b2"]) < unicode_order.index(model["s7"])
    numeric = order("i;ascii-numeric")
    assert numeric[:3] == [model["s2"], model["s1"], model["s3"]]


def test_subject_sorts_by_rfc5256_base_subject(data):
    """§4.4.2 subject is the base subject of RFC 5256 §2.1: "Re:", "RE:", "Fwd:", "Re[2]:",
    "Re [list]:", a trailing "(fwd)" and a "[Fwd: ...]" wrapper are removed, white space is
    collapsed, and a lone "[PATCH]" stays (removing it would leave nothing)."""
    account, model = data
    assert rfc5256_base_subject("[Fwd: Zulu notes]") == "Zulu notes"
    assert rfc5256_base_subject("Re [list]: Aardvark sighting") == "Aardvark sighting"
    assert rfc5256_base_subject("[PATCH]") == "[PATCH]"
    assert rfc5256_base_subject("Mango (fwd)") == "Mango"
    assert rfc5256_base_subject("  Kiwi    talk ") == "Kiwi talk"
    assert rfc5256_base_subject("Re[2]: Papaya") == "Papaya"
    sort = [{"property": "subject", "collation": "i;ascii-casemap"}, NEWEST_FIRST]
    ids = account.ids(sort=sort)
    assert ids == model.expected(None, sort)
    # "Aardvark sighting" only once "Re [list]:" is gone; "[" (0x5B) and "_" (0x5F) come after the
    # upper-cased letters and "É" (0xC3 0x89) after everything ASCII
    assert ids[0] == model["s3"]
    assert ids[-3:] == [model["s2"], model["s10"], model["s7"]]


def test_from_and_to_take_the_first_address(data):
    """§4.4.2 from / to: the name (or, if empty, the email) of the *first* address; s13 is from
    "Yannick First" and "Abel Second", to "Walrus" and "Aaron"."""
    account, model = data
    sort = [{"property": "from", "collation": "i;ascii-casemap"}, NEWEST_FIRST]
    ids = account.ids(sort=sort)
    assert ids == model.expected(None, sort)
    assert ids.index(model["s12"]) < ids.index(model["s13"]) < ids.index(model["s7"])  # CI Robot, Yannick, Zoe
    sort = [{"property": "to", "collation": "i;ascii-casemap", "isAscending": False}, NEWEST_FIRST]
    ids = account.ids(sort=sort)
    assert ids == model.expected(None, sort)
    assert ids.index(model["b1"]) < ids.index(model["s13"]) < ids.index(model["a1"])  # Zoe, Walrus, Bob


def test_several_comparators(data):
    """RFC 8620 §5.5: when the first comparator ties, the next one decides, and so on (the RFC 8621
    §4.4.2 example: flagged threads first, then subject, then newest first)."""
    account, model = data
    example = [{"property": "someInThreadHaveKeyword", "keyword": "$flagged", "isAscending": False},
               {"property": "subject", "collation": "i;ascii-casemap"},
               {"property": "receivedAt", "isAscending": False}]
    ids = account.ids(sort=example)
    assert ids == model.expected(None, example)
    flagged = [model.sort_value(example[0], i) for i in ids]
    assert flagged == sorted(flagged, reverse=True) and True in flagged and False in flagged
    for sort in (
        [{"property": "hasKeyword", "keyword": "$seen"}, {"property": "size", "isAscending": False}, NEWEST_FIRST],
        [{"property": "from", "collation": "i;ascii-casemap"}, {"property": "sentAt"}, NEWEST_FIRST],
        [{"property": "allInThreadHaveKeyword", "keyword": "$seen", "isAscending": False},
         {"property": "hasKeyword", "keyword": "$flagged"}, {"property": "to", "collation": "i;unicode-casemap",
                                                               "isAscending": False}, {"property": "receivedAt"}],
        [{"property": "size"}, {"property": "receivedAt"}],
    ):
        assert account.ids(sort=sort) == model.expected(None, sort), sort
        # the same sort over a filtered result
        inbox = {"inMailbox": account.mailbox("inbox")}
        assert account.ids(inbox, sort) == model.expected(inbox, sort), sort


def test_keyword_sorts_are_case_insensitive(data):
    """§4.1.1: keywords are case-insensitive, so the sort's keyword is too."""
    account, model = data
    for prop in ("hasKeyword", "allInThreadHaveKeyword", "someInThreadHaveKeyword"):
        lower = account.ids(sort=[{"property": prop, "keyword": "$flagged"}, NEWEST_FIRST])
        assert account.ids(sort=[{"property": prop, "keyword": "$FLAGGED"}, NEWEST_FIRST]) == lower


def test_is_ascending_defaults_to_true(data):
    """RFC 8620 §5.5 isAscending (optional; default: true)."""
    account, _ = data
    assert account.ids(sort=[{"property": "size"}, {"property": "receivedAt"}]) == account.ids(
        sort=[{"property": "size", "isAscending": True}, {"property": "receivedAt", "isAscending": True}])


def test_order_is_stable_between_calls(data):
    """RFC 8620 §5.5: with ties (or no sort) the order is server dependent but MUST be stable between
    calls."""
    account, _ = data
    for sort in (None, [], [{"property": "size"}], [{"property": "hasKeyword", "keyword": "$seen"}]):
        first = account.ids(sort=sort)
        assert account.ids(sort=sort) == first
        assert account.ids(sort=sort, position=3, limit=5) == first[3:8]


@pytest.mark.parametrize("prop", ["blobId", "threadId", "preview", "bcc", "cc", "mailboxIds", "keywords", "", "SIZE"])
def test_unknown_property_is_unsupported_sort(data, prop):
    """RFC 8620 §5.5 unsupportedSort: a property the server does not sort on."""
    assert data[0].query_error(sort=[{"property": prop}]) == "unsupportedSort"


def test_unknown_collation_is_unsupported_sort(data):
    """RFC 8620 §5.5 unsupportedSort: a collation method the server does not recognise."""
    account, _ = data
    for collation in ("i;octet-bogus", "en-US", "i;basic"):
        assert account.query_error(sort=[{"property": "subject", "collation": collation}]) == "unsupportedSort"
    # and in a later comparator too
    later = [{"property": "size"}, {"property": "from", "collation": "nope"}]
    assert account.query_error(sort=later) == "unsupportedSort"


@pytest.mark.parametrize("prop", ["hasKeyword", "allInThreadHaveKeyword", "someInThreadHaveKeyword"])
def test_keyword_sort_without_keyword_is_rejected(data, prop):
    """§4.4.2: a hasKeyword, allInThreadHaveKeyword or someInThreadHaveKeyword Comparator MUST also
    have a keyword property; without one the call fails."""
    account, _ = data
    assert account.query_error(sort=[{"property": prop}]) in ("invalidArguments", "unsupportedSort")
    assert account.query_error(sort=[{"property": prop, "keyword": None}]) in ("invalidArguments", "unsupportedSort")


@pytest.mark.parametrize("sort", [
    {"property": "size"},
    [{"property": 5}],
    [{"isAscending": False}],
    [{"property": "size", "isAscending": "no"}],
    [{"property": "subject", "collation": 7}],
    ["size"],
])
def test_malformed_sort_is_invalid_arguments(data, sort):
    """RFC 8620 §5.5: sort is a Comparator[] or null; a Comparator has a String property, Boolean
    isAscending and String collation."""
    assert data[0].error("Email/query", {"sort": sort}) == "invalidArguments"


def test_sort_options_are_advertised(data):
    """RFC 8621 §1.3.1 emailQuerySortOptions lists *all* the values the server supports for a
    Comparator's property in Email/query; each of the §4.4.2 sorts this server accepts is listed."""
    account, _ = data
    options = account.session["accounts"][account.account_id]["accountCapabilities"][MAIL]["emailQuerySortOptions"]
    accepted = {c["property"] for c in SORTS}
    for prop in accepted:
        account.ids(sort=[{"property": prop, "keyword": "$seen"}])  # accepted
    assert accepted <= set(options), f"not advertised: {sorted(accepted - set(options))}"
