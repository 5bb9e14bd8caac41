"""Bounded work per call, and where each call runs (finding 1: one request froze every other user,
on the event loop, for as long as its sort, filter or rendering took).

These tests assert the mechanism: the bounds and their RFC errors, the time budget's serverFail,
and which calls leave the event loop, decided from resolved arguments. How long other users wait
meanwhile is measured by bench/hostile.py, not here.
"""

from __future__ import annotations

import json

import httpx
import pytest

from jmapd.methods import build_registry
from jmapd.methods.context import Context
from jmapd.methods.email.render import MAX_RENDERED_PARTS
from jmapd.methods.filtering import MAX_COMPARATORS, MAX_FILTER_CONDITIONS, MAX_FILTER_DEPTH
from jmapd.protocol.engine import Engine
from jmapd.protocol.wire import MAX_VALUES, SCAN_WINDOW, Request, shape

from .conftest import CORE, MAIL, import_messages

SORTABLE = ["receivedAt", "sentAt", "size", "from", "to", "subject"]


def _error(mail, method: str, args: dict) -> dict:
    name, result = mail.call(method, args)
    assert name == "error", result
    return result


def test_repeated_comparators_cost_one(mail):
    """Finding 1 reproduced with its own request: 20,000 `subject` comparators (RFC 8621 §4.4.2) sort
    exactly as one does (a key that compared equal compares equal again), so they are answered."""
    one = mail.ok("Email/query", {"sort": [{"property": "subject"}]})["ids"]
    many = mail.ok("Email/query", {"sort": [{"property": "subject"}] * 20_000})["ids"]
    assert many == one and len(one) == len(mail.email_ids)


def test_too_many_distinct_comparators_is_unsupported_sort(mail):
    """RFC 8620 §5.5 unsupportedSort past the server's bound on distinct comparators (each costs a
    key per candidate email); at the bound the sort is answered."""
    keywords = [{"property": "hasKeyword", "keyword": f"k{i}"} for i in range(MAX_COMPARATORS)]
    assert mail.ok("Email/query", {"sort": keywords})["ids"]
    error = _error(mail, "Email/query", {"sort": [*keywords, {"property": "subject"}]})
    assert error["type"] == "unsupportedSort" and str(MAX_COMPARATORS) in error["description"]
    error = _error(mail, "Mailbox/query", {"sort": [{"property": "name", "collation": f"c{i}"}
                                                    for i in range(MAX_COMPARATORS + 1)]})
    assert error["type"] == "unsupportedSort"


@pytest.mark.parametrize("method", ["Email/query", "Email/queryChanges", "Mailbox/query", "SearchSnippet/get"])
def test_filter_size_and_depth_are_bounded(mail, method):
    """RFC 8620 §5.5 unsupportedFilter ("the server cannot process it") for a filter of more
    conditions or deeper nesting than the server evaluates; within the bounds it is answered."""
    condition = {"hasKeyword": "$seen"} if not method.startswith("Mailbox") else {"isSubscribed": True}
    extra = {"sinceQueryState": "0"} if method.endswith("queryChanges") else {}
    if method == "SearchSnippet/get":
        extra = {"emailIds": mail.email_ids[:1]}
    wide = {"operator": "OR", "conditions": [condition] * MAX_FILTER_CONDITIONS}
    deep = condition
    for _ in range(MAX_FILTER_DEPTH):
        deep = {"operator": "NOT", "conditions": [deep]}
    assert _error(mail, method, {"filter": wide, **extra})["type"] == "unsupportedFilter"
    assert _error(mail, method, {"filter": deep, **extra})["type"] == "unsupportedFilter"
    name, _ = mail.call(method, {"filter": {"operator": "OR", "conditions": [condition] * 10}, **extra})
    assert name == method or method.endswith("queryChanges")  # queryChanges from "0" may be cannotCalculateChanges


def test_email_get_of_a_message_with_too_many_parts(mail):
    """RFC 8620 §5.1 requestTooLarge when rendering the body parts asked for would pass the bound
    (a message of 25,000 parts in 1 MB took seconds and tens of MB of JSON per property); the
    same email's other properties, and its parts one property at a time, are still served."""
    parts = MAX_RENDERED_PARTS + 5_000
    raw = (b"From: a@example.org\r\nSubject: parts\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
           + b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n" * parts + b"--b--\r\n")
    (made,) = import_messages(mail, [raw], mail.inbox)["created"].values()
    error = _error(mail, "Email/get", {"ids": [made["id"]], "properties": ["bodyStructure", "textBody", "htmlBody"]})
    assert error["type"] == "requestTooLarge" and "body parts" in error["description"]
    got = mail.ok("Email/get", {"ids": [made["id"]], "properties": ["subject", "size", "attachments"],
                                "bodyProperties": ["partId"]})
    assert got["list"][0]["subject"] == "parts" and len(got["list"][0]["attachments"]) <= parts
    error = _error(mail, "Email/get", {"ids": [made["id"]], "properties": ["textBody", "htmlBody", "bodyValues"],
                                       "fetchAllBodyValues": True})
    assert error["type"] == "requestTooLarge"


def test_time_budget_answers_server_fail_with_a_reason(mail, live):
    """RFC 8620 §3.6.2 serverFail, with a description saying why, once a request's time budget is
    spent; the calls after it answer the same without running, and the next request is served."""
    engine = live._uvicorn.config.app.state.jmapd.engine
    saved = engine.time_budget
    engine.time_budget = 0.0
    try:
        response = mail.request([["Email/query", {"accountId": mail.account_id, "sort": [{"property": "subject"}]}, "q"],
                                 ["Core/echo", {}, "e"]])
    finally:
        engine.time_budget = saved
    for name, args, _ in response["methodResponses"]:
        assert (name, args["type"]) == ("error", "serverFail") and "time budget" in args["description"]
    assert mail.ok("Email/query", {"sort": [{"property": "subject"}]})["ids"]


def _run(calls):
    engine = Engine(build_registry(), [CORE, MAIL], max_calls=32, call_class=Context)
    return engine.start(Request(using=[CORE, MAIL], methodCalls=calls), services=None)


def test_leaving_the_loop_is_decided_after_references_resolve():
    """Finding 1: a text filter given as a `#filter` result reference (RFC 8620 §3.7) is seen as the
    filter it resolves to, so the query leaves the event loop; a malformed reference does not
    (it fails at once)."""
    run = _run([["Core/echo", {"filter": {"text": "word"}}, "f"],
                ["Email/query", {"accountId": "a", "#filter": {"resultOf": "f", "name": "Core/echo",
                                                               "path": "/filter"}}, "q"],
                ["Email/query", {"accountId": "a", "#filter": {"resultOf": "nowhere", "name": "x", "path": "/"}}, "r"]])
    assert not run.next_may_block()
    run.step()
    assert run.next_may_block()
    run.position += 1  # not run here: it needs the server
    assert not run.next_may_block()


@pytest.mark.parametrize(("call", "blocks"), [
    (["Core/echo", {"anything": [1, 2, 3]}], False),
    (["Email/get", {"ids": ["E1"], "properties": ["subject", "from", "keywords"]}], False),
    (["Email/get", {"ids": ["E1"]}], True),  # default properties: bodies, parsed
    (["Email/get", {"ids": ["E1"], "properties": ["bodyStructure"]}], True),
    (["Email/get", {"ids": None, "properties": ["subject"]}], True),
    (["Email/query", {"filter": {"inMailbox": "M1"}, "sort": [{"property": "receivedAt"}], "limit": 50}], False),
    (["Email/query", {"filter": {"inMailbox": "M1"}}], True),  # no limit: up to 10,000 ids
    (["Email/query", {"filter": {"header": ["X"]}, "limit": 5}], True),
    (["Email/query", {"sort": [{"property": "subject"}], "limit": 5}], True),
    (["Email/query", {"filter": {"operator": "AND", "conditions": 5}, "limit": 5}], True),
    (["Email/changes", {"sinceState": "0"}], True),
    (["Email/parse", {"blobIds": ["B1"]}], True),
    (["SearchSnippet/get", {"emailIds": ["E1"]}], True),
    (["Mailbox/get", {"ids": ["M1"]}], False),
])
def test_only_bounded_calls_stay_on_the_loop(call, blocks):
    """Finding 1 ("expensive work never on the event loop"): a call stays where the request arrived
    only when its cost cannot grow with the account or the client's input."""
    name, args = call
    run = _run([[name, {"accountId": "a", **args}, "c"]])
    assert run.next_may_block() is blocks


def _raw_request(mail, sort_count: int, text: str = "") -> httpx.Response:
    body = json.dumps({"using": [CORE, MAIL], "methodCalls": [
        ["Email/query", {"accountId": mail.account_id, "sort": [{"property": "subject"}] * sort_count}, "q"],
        ["Core/echo", {"text": text}, "e"]]}).encode()
    return mail.http.post(mail.api_url, content=body, headers={"content-type": "application/json"})


def test_a_request_of_too_many_values_is_refused_before_decoding(mail):
    """RFC 8620 §3.6.1 `limit` (maxSizeRequest) for a request holding more JSON values than the
    server decodes at once (finding 1: decoding and freeing 100,000 comparators held every other
    user for tens of milliseconds); a request just within the bound is answered."""
    per_comparator = 3  # `{`, `:` and `,`
    within = _raw_request(mail, (MAX_VALUES - 100) // per_comparator)
    assert within.status_code == 200 and within.json()["methodResponses"][0][0] == "Email/query"
    over = _raw_request(mail, MAX_VALUES // per_comparator + 10)
    assert over.status_code == 400, over.text
    problem = over.json()
    assert problem["type"] == "urn:ietf:params:jmap:error:limit" and problem["limit"] == "maxSizeRequest"
    assert str(MAX_VALUES) in problem["detail"]


def test_values_inside_strings_do_not_count(mail):
    """RFC 8259 §7: brackets, commas and colons inside a string are the string's characters, so a
    long text of them (a message body sent to Email/set, say) is no reason to refuse the request,
    however far it runs past the window the server reads at a time."""
    text = '{"a": [1, 2], "b": "\\"]"}, ' * (MAX_VALUES // 4) + "\\\\"
    response = _raw_request(mail, 1, text)
    assert response.status_code == 200, response.text[:300]
    assert response.json()["methodResponses"][1] == ["Core/echo", {"text": text}, "e"]


def test_shape_is_measured_across_windows():
    """RFC 8620 §8.4 nesting, and the count of values, come out the same whatever window a string
    or a run of brackets crosses."""
    for cut in (1, 7, 64):
        body = json.dumps({"a": ["x" * (SCAN_WINDOW - cut), {"b": [[["\\\"]]]"]]]}], "c": "]" * SCAN_WINDOW * 2}).encode()
        # 6 levels ({ [ { [ [ [); 2 objects, 4 arrays, 3 members' colons and 2 commas
        assert shape(body) == (6, 11)
    deep = b"[" * (SCAN_WINDOW + 5) + b"]" * (SCAN_WINDOW + 5)
    assert shape(deep, max_depth=SCAN_WINDOW * 4)[0] == SCAN_WINDOW + 5
