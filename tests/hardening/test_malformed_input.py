"""Malformed filters, sorts and arguments never reach the server unchecked (finding 4: HTTP 500 for
`{"operator":"AND","conditions":5}` in Email/query, Email/queryChanges and SearchSnippet/get, from a
check that looked at the filter outside the engine's per-call error handling).

Property-based: hypothesis generates filters and sorts, shapely and not, for every method that
takes them, and arbitrary arguments for every method the server has. The CI run is small
(JMAPD_FUZZ_EXAMPLES scales it; bench/RESULTS.md records a longer run).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jmapd.methods import build_registry
from jmapd.methods.email.conditions import KNOWN_CONDITIONS
from jmapd.methods.email.sorting import SORT_PROPERTIES

CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"
EXAMPLES = int(os.environ.get("JMAPD_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

json_leaf = (st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats(allow_nan=False, allow_infinity=False)
             | st.text(max_size=12) | st.sampled_from(["", "#x", "inbox", "$seen", "M1", "E1", "\x00"]))
json_value = st.recursive(json_leaf, lambda kids: st.lists(kids, max_size=4)
                          | st.dictionaries(st.text(max_size=8), kids, max_size=4), max_leaves=12)

MAILBOX_CONDITIONS = ["parentId", "name", "role", "hasAnyRole", "isSubscribed"]
condition = st.dictionaries(st.sampled_from([*sorted(KNOWN_CONDITIONS), *MAILBOX_CONDITIONS, "bogus", "operator"]),
                            json_value, max_size=3)
filters = st.recursive(
    condition | json_value,
    lambda kids: st.fixed_dictionaries(
        {"operator": st.sampled_from(["AND", "OR", "NOT", "XOR", "and"]) | json_leaf,
         "conditions": st.lists(kids, max_size=4) | json_leaf | json_value},
        optional={"extra": json_value}),
    max_leaves=10)
comparator = st.fixed_dictionaries(
    {"property": st.sampled_from([*SORT_PROPERTIES, "name", "sortOrder", "parentId", "bogus"]) | json_leaf},
    optional={"isAscending": json_leaf, "keyword": st.sampled_from(["$seen", "$flagged", "", "a b"]) | json_leaf,
              "collation": st.sampled_from(["i;unicode-casemap", "i;ascii-numeric", "i;octet"]) | json_leaf})
sorts = st.lists(comparator | json_value, max_size=5) | json_value

# Methods that take a filter (and most a sort), with the other arguments each needs.
FILTERED = ["Email/query", "Email/queryChanges", "SearchSnippet/get", "Mailbox/query", "Mailbox/queryChanges"]
ARGUMENT_NAMES = ["ids", "properties", "filter", "sort", "position", "anchor", "anchorOffset", "limit",
                  "calculateTotal", "collapseThreads", "sinceState", "sinceQueryState", "maxChanges", "upToId",
                  "emailIds", "blobIds", "bodyProperties", "fetchAllBodyValues", "fetchTextBodyValues",
                  "maxBodyValueBytes", "create", "update", "destroy", "emails", "fromAccountId", "ifInState",
                  "onDestroyRemoveEmails", "#ids", "#filter", "#emailIds"]


def _no_server_failure(response, calls) -> None:
    assert response.status_code < 500, (calls, response.text)
    if response.status_code != 200:
        return
    for name, args, _ in response.json()["methodResponses"]:
        assert not (name == "error" and args.get("type") == "serverFail"), (calls, args)


def _filtered_call(method: str, account_id: str, filter_: Any, sort: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"accountId": account_id, "filter": filter_}
    if method == "SearchSnippet/get":
        args["emailIds"] = []
    else:
        args["sort"] = sort
    if method.endswith("queryChanges"):
        args["sinceQueryState"] = "0"
    return args


@pytest.mark.parametrize("method", FILTERED)
def test_the_reported_filter_is_invalid_arguments(mail, method):
    """Finding 4 reproduced: `{"operator":"AND","conditions":5}` is invalidArguments (RFC 8620 §3.6.2),
    given plainly or through a back-reference (RFC 8620 §3.7), never HTTP 500."""
    bad = {"operator": "AND", "conditions": 5}
    plain = [method, _filtered_call(method, mail.account_id, bad, None), "q"]
    referenced_args = _filtered_call(method, mail.account_id, None, None)
    del referenced_args["filter"]
    referenced_args["#filter"] = {"resultOf": "e", "name": "Core/echo", "path": "/f"}
    calls = [plain, ["Core/echo", {"f": bad}, "e"], [method, referenced_args, "r"]]
    response = mail.post({"using": [CORE, MAIL], "methodCalls": calls})
    assert response.status_code == 200, response.text
    errors = [args for name, args, _ in response.json()["methodResponses"] if name == "error"]
    assert [e["type"] for e in errors] == ["invalidArguments", "invalidArguments"], errors


@FUZZ
@given(method=st.sampled_from(FILTERED), filter_=filters, sort=sorts)
def test_fuzzed_filters_and_sorts(mail, method, filter_, sort):
    """RFC 8620 §5.5, §3.6.2: whatever the filter and sort, each call gets its answer or a method
    error naming the client's mistake (invalidArguments, unsupportedFilter, unsupportedSort, ...):
    no 5xx, no serverFail."""
    calls = [[method, _filtered_call(method, mail.account_id, filter_, sort), "q"]]
    _no_server_failure(mail.post({"using": [CORE, MAIL], "methodCalls": calls}), calls)


@FUZZ
@given(method=st.sampled_from(sorted(build_registry().methods)),
       args=st.dictionaries(st.sampled_from(ARGUMENT_NAMES), json_value | filters, max_size=5),
       own_account=st.booleans())
def test_fuzzed_arguments_for_every_method(mail, method, args, own_account):
    """RFC 8620 §3.6.2: arbitrary arguments to every method the server has, back-references
    included, never make a 5xx or a serverFail; bad input is the client's error."""
    args = {**args, "accountId": mail.account_id if own_account else args.get("ids")}
    calls = [["Core/echo", {"ids": mail.email_ids[:2], "f": {"operator": "AND", "conditions": 5}}, "e"],
             [method, args, "q"]]
    _no_server_failure(mail.post({"using": [CORE, MAIL], "methodCalls": calls}), calls)
