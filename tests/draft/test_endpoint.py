"""The draft dialect's endpoint: its Session capability, request format and request-level errors
(draft-jenkins-jmapmail-00 §1.3; the JMAP core of the draft's time: a bare array of
[name, arguments, clientId], answered in kind, errors as ["error", {"type": ...}, clientId])."""

from __future__ import annotations

import httpx

from .conftest import DRAFT


def test_capability_names_the_endpoint(draft, live):
    """draft §1.3: the capabilities object carries the dialect's facts (maxSizeMessageAttachments,
    canDelaySend, messageListSortOptions); jmapd adds the absolute URL of the dialect's endpoint."""
    capability = draft.rfc.session["capabilities"][DRAFT]
    assert capability["apiUrl"] == f"{live.url}/jmap/draft/"
    assert isinstance(capability["canDelaySend"], bool)
    assert capability["maxSizeMessageAttachments"] > 0
    # §3.1.2: id and date MUST be supported; the SHOULDs are supported too.
    assert {"id", "date", "size", "from", "to", "subject", "threadIsFlagged", "threadIsUnread", "isFlagged",
            "isUnread"} <= set(capability["messageListSortOptions"])


def test_same_authentication(draft, live):
    """The draft endpoint takes the same credentials as the API: none, or wrong ones, are a 401."""
    anonymous = httpx.post(draft.url, json=[["getMailboxes", {}, "#0"]])
    assert anonymous.status_code == 401
    wrong = httpx.post(draft.url, json=[["getMailboxes", {}, "#0"]], auth=(draft.rfc.username, "nope"))
    assert wrong.status_code == 401


def test_answered_in_kind_with_client_ids(draft):
    """The response is an array of [responseName, arguments, clientId], in the order of the calls."""
    responses = draft.send([["getMailboxes", {"properties": ["name"]}, "first"],
                            ["getMessageList", {}, "second"]])
    assert [(name, client_id) for name, _, client_id in responses] == [("mailboxes", "first"),
                                                                        ("messageList", "second")]


def test_errors_are_error_responses(draft):
    """An unknown method, or a bad argument, is ["error", {"type": ...}, clientId]; the other calls
    of the request still run."""
    responses = draft.send([["getWidgets", {}, "a"], ["getMailboxes", {"ids": "x"}, "b"],
                            ["getMailboxes", {"accountId": "nobody"}, "c"], ["getMailboxes", {}, "d"]])
    assert responses[0] == ["error", {"type": "unknownMethod", "description": "unknown method 'getWidgets'"}, "a"]
    assert responses[1][0] == "error" and responses[1][1]["type"] == "invalidArguments" and responses[1][2] == "b"
    assert responses[2][1]["type"] == "accountNotFound"
    assert responses[3][0] == "mailboxes"


def test_rfc_request_to_draft_endpoint_is_not_request(draft):
    """An RFC 8620 Request object sent to the draft endpoint is a clear notRequest (RFC 8620
    §3.6.1 problem details), not a crash; so is any other shape."""
    response = draft.post({"using": ["urn:ietf:params:jmap:core"], "methodCalls": []})
    assert response.status_code == 400
    assert response.json()["type"] == "urn:ietf:params:jmap:error:notRequest"
    assert "draft" in response.json()["detail"]
    for body in ([["getMailboxes", {}]], [[1, {}, "x"]], "text"):
        response = draft.post(body)
        assert response.status_code == 400 and response.json()["type"].endswith(":notRequest"), body


def test_draft_request_to_rfc_endpoint_is_not_request(draft):
    """RFC 8620 §3.6.1: a draft call array sent to the RFC 8620 apiUrl is notRequest, saying why."""
    response = draft.rfc.post([["getMailboxes", {}, "#0"]])
    assert response.status_code == 400
    assert response.json()["type"] == "urn:ietf:params:jmap:error:notRequest"
    assert "draft" in response.json()["detail"]


def test_bad_json_and_limits(draft):
    """Bad JSON is notJSON; more calls than maxCallsInRequest is a limit error, as on the API."""
    response = draft.http.post(draft.url, content=b"[[", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["type"].endswith(":notJSON")
    response = draft.http.post(draft.url, content=b"[]", headers={"Content-Type": "text/plain"})
    assert response.status_code == 400 and response.json()["type"].endswith(":notJSON")
    response = draft.post([["getMailboxes", {}, str(i)] for i in range(33)])
    assert response.status_code == 400 and response.json()["limit"] == "maxCallsInRequest"
    assert draft.send([]) == []


def test_accounts_are_isolated(make_draft):
    """draft §2.1, §5.3: another user's account is accountNotFound for every method, reads and
    writes alike, and nothing of it changes."""
    owner, other = make_draft(), make_draft()
    inbox = owner.roles()["inbox"]
    for name, args in (("getMailboxes", {}), ("getMessageList", {"filter": {"inMailboxes": [inbox]}}),
                       ("getMessages", {"ids": ["E1"]}), ("setMessages", {"destroy": ["E1"]}),
                       ("setMailboxes", {"destroy": [inbox]}), ("importMessages", {"messages": {}}),
                       ("getThreads", {"ids": ["T1"]}), ("getSearchSnippets", {"messageIds": ["E1"]})):
        assert other.error(name, {**args, "accountId": owner.account_id}) == "accountNotFound", name
    assert owner.roles()["inbox"] == inbox
