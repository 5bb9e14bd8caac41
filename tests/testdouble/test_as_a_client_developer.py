"""The test double as a client developer uses it: the pytest plugin's fixtures, the admin API over
HTTP, nothing imported from jmapd. JMAP calls per RFC 8620 §3 (requests), RFC 8621 §2 and §4
(Mailbox, Email)."""

from __future__ import annotations

import httpx

USING = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]


def call(client: httpx.Client, user, *calls):
    body = {"using": USING, "methodCalls": [[name, {"accountId": user.account_id, **args}, str(n)]
                                            for n, (name, args) in enumerate(calls)]}
    response = client.post(user.api_url, json=body)
    assert response.status_code == 200, response.text
    return [args for _, args, _ in response.json()["methodResponses"]]


def admin(server) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"authorization": f"Bearer {server.admin_token}"})


def test_session_lists_the_seeded_accounts(jmapd, jmapd_client, jmapd_user):
    """RFC 8620 §2: the Session names the user's account; the demo seed fills its mailboxes."""
    session = jmapd_client.get(jmapd_user.session_url).json()
    assert session["username"] == jmapd_user.username
    assert jmapd_user.account_id in session["accounts"]
    (boxes,) = call(jmapd_client, jmapd_user, ("Mailbox/get", {"ids": None}))
    by_role = {m["role"]: m for m in boxes["list"] if m["role"]}
    assert by_role["inbox"]["totalEmails"] > 0
    assert len(boxes["list"]) > 6  # the demo seed's own folders besides the default ones


def test_a_change_in_one_test(jmapd, jmapd_client, jmapd_user):
    """RFC 8621 §4.6 Email/set: destroy every email of the Inbox (the next test must not see it)."""
    (query,) = call(jmapd_client, jmapd_user, ("Email/query", {"limit": 500}))
    (result,) = call(jmapd_client, jmapd_user, ("Email/set", {"destroy": query["ids"]}))
    assert sorted(result["destroyed"]) == sorted(query["ids"])
    (after,) = call(jmapd_client, jmapd_user, ("Email/query", {"calculateTotal": True}))
    assert after["total"] == 0


def test_is_undone_before_the_next(jmapd, jmapd_client, jmapd_user):
    """The plugin resets every account between tests: the emails are back, with the same ids and
    the same state as at the start (RFC 8620 §5.1 state)."""
    (query,) = call(jmapd_client, jmapd_user, ("Email/query", {"calculateTotal": True}))
    assert query["total"] == 48
    (again,) = call(jmapd_client, jmapd_user, ("Email/query", {"calculateTotal": True}))
    assert again["queryState"] == query["queryState"]


def test_admin_delivers_exports_and_logs(jmapd, jmapd_client, jmapd_user):
    """Delivery as from outside (RFC 8621 §4 Email in the Inbox), export as JSON, the request log."""
    with admin(jmapd) as ops:
        raw = b"From: Zoe <zoe@example.org>\r\nTo: alice@example.test\r\nSubject: Lunch?\r\n\r\nAt noon.\r\n"
        delivered = ops.post(f"/_admin/users/{jmapd_user.username}/deliver", content=raw,
                             headers={"content-type": "message/rfc822"}).json()
        (got,) = call(jmapd_client, jmapd_user, ("Email/get", {"ids": [delivered["emailId"]],
                                                               "properties": ["subject", "mailboxIds"]}))
        assert got["list"][0]["subject"] == "Lunch?"
        exported = ops.get(f"/_admin/users/{jmapd_user.username}/export").json()
        # Stored as mail from outside is: the message as sent, below the trace fields (RFC 5321 §4.4).
        stored = next(e["raw"] for e in exported["emails"] if e.get("raw", "").endswith(raw.decode()))
        assert "Received: from localhost" in stored and "Delivered-To: alice@example.test" in stored
        assert len(exported["emails"]) == 49
        logged = ops.get("/_admin/requests", params={"user": jmapd_user.username}).json()
        assert logged[-1]["request"]["methodCalls"][0][0] == "Email/get"
        assert logged[-1]["response"]["methodResponses"][0][1]["list"][0]["subject"] == "Lunch?"
        assert ops.get("/_admin/openapi.json").json()["openapi"].startswith("3.")


def test_admin_api_wants_its_token(jmapd):
    """Without the admin token: 401, and nothing is done."""
    assert httpx.post(jmapd.url + "/_admin/users/alice/reset").status_code == 401
    wrong = httpx.post(jmapd.url + "/_admin/users/alice/reset", headers={"authorization": "Bearer nope"})
    assert wrong.status_code == 401
    with admin(jmapd) as ops:
        assert ops.post("/_admin/users/nobody/reset").status_code == 404
        assert ops.post("/_admin/users/alice/reset", content=b'{"seed": 5}').status_code == 400


def test_reset_to_empty_through_the_admin_api(jmapd, jmapd_client, jmapd_user):
    """{"seed": "empty"} leaves the default mailboxes (those with roles) and no email (RFC 8621 §2
    counts at zero)."""
    with admin(jmapd) as ops:
        assert ops.post(f"/_admin/users/{jmapd_user.username}/reset", json={"seed": "empty"}).status_code == 200
    (boxes,) = call(jmapd_client, jmapd_user, ("Mailbox/get", {"ids": None}))
    assert all(m["role"] for m in boxes["list"]) and all(m["totalEmails"] == 0 for m in boxes["list"])


def test_a_server_of_its_own(jmapd_fresh):
    """The function-scoped fixture: a server for one test, gone after it."""
    name, password = jmapd_fresh.credentials("bob")
    response = httpx.get(jmapd_fresh.session_url, auth=(name, password), follow_redirects=True)
    assert response.json()["username"] == "bob"
