"""Mail sent through the test double is captured, not sent: RFC 8621 §7 EmailSubmission as a client
uses it, the captured envelope and bytes (no Bcc, RFC 8621 §7.5), delivery of a captured message
to a local user (a conversation), and the relay faults: refused (550, deliveryStatus "no" and a
bounce, RFC 3464) and deferred (451, still queued)."""

from __future__ import annotations

import time

import httpx

USING = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail", "urn:ietf:params:jmap:submission"]


def call(client, user, *calls):
    body = {"using": USING, "methodCalls": [[name, {"accountId": user.account_id, **args}, str(n)]
                                            for n, (name, args) in enumerate(calls)]}
    response = client.post(user.api_url, json=body)
    assert response.status_code == 200, response.text
    return response.json()["methodResponses"]


def send(client, user, subject: str, bcc: str | None = None):
    """Compose a message and submit it, the way a client does (RFC 8621 §7.5 example)."""
    (_, identities, _), (_, boxes, _) = call(client, user, ("Identity/get", {}), ("Mailbox/get", {"ids": None}))
    identity = identities["list"][0]
    drafts = next(m["id"] for m in boxes["list"] if m["role"] == "drafts")
    sent = next(m["id"] for m in boxes["list"] if m["role"] == "sent")
    email = {"mailboxIds": {drafts: True}, "keywords": {"$draft": True}, "subject": subject,
             "from": [{"email": identity["email"]}], "to": [{"email": "bob@example.test"}],
             "bodyValues": {"b": {"value": "See you"}}, "textBody": [{"partId": "b", "type": "text/plain"}]}
    if bcc:
        email["bcc"] = [{"email": bcc}]
    responses = call(client, user,
                     ("Email/set", {"create": {"d": email}}),
                     ("EmailSubmission/set", {"create": {"s": {"identityId": identity["id"], "emailId": "#d"}},
                                              "onSuccessUpdateEmail": {"#s": {
                                                  f"mailboxIds/{drafts}": None, f"mailboxIds/{sent}": True,
                                                  "keywords/$draft": None}}}))
    return responses[1][1]["created"]["s"]["id"]


def wait_for(check, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("not within the time allowed")


def admin(server) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"authorization": f"Bearer {server.admin_token}"})


def test_sent_mail_is_captured_and_can_be_delivered_back(jmapd, jmapd_client, jmapd_user):
    submission = send(jmapd_client, jmapd_user, "Dinner on Friday", bcc="carol@example.org")
    with admin(jmapd) as ops:
        (captured,) = wait_for(lambda: ops.get("/_admin/captured").json())
        assert captured["submissionId"] == submission
        assert captured["mailFrom"] == "alice@example.test"
        assert sorted(captured["recipients"]) == ["bob@example.test", "carol@example.org"]
        assert "Subject: Dinner on Friday" in captured["message"] and "Bcc" not in captured["message"]
        delivered = ops.post(f"/_admin/captured/{captured['id']}/deliver").json()
        assert delivered["deliveredTo"] == ["bob"]
    bob = jmapd.credentials("bob")
    with httpx.Client(auth=bob) as client:
        body = {"using": USING, "methodCalls": [["Email/query", {
            "accountId": jmapd.account_id("bob"), "filter": {"subject": "Dinner on Friday"}}, "0"]]}
        assert len(client.post(jmapd.api_url, json=body).json()["methodResponses"][0][1]["ids"]) == 1
    status = wait_for(lambda: (lambda s: s if s["undoStatus"] == "final" else None)(call(
        jmapd_client, jmapd_user, ("EmailSubmission/get", {"ids": [submission]}))[0][1]["list"][0]))
    # RFC 8621 §7: a relay took it (250); whether it reached the mailbox is "unknown" from here.
    assert status["deliveryStatus"]["bob@example.test"]["delivered"] == "unknown"
    assert status["deliveryStatus"]["bob@example.test"]["smtpReply"].startswith("250")


def test_relay_refusal_bounces(jmapd, jmapd_client, jmapd_user):
    jmapd.fault("relayReject", jmapd_user.username, count=1)
    submission = send(jmapd_client, jmapd_user, "Refused")

    def refused():
        got = call(jmapd_client, jmapd_user, ("EmailSubmission/get", {"ids": [submission]}))[0][1]["list"][0]
        return got if got["deliveryStatus"]["bob@example.test"]["delivered"] == "no" else None

    status = wait_for(refused)
    assert status["deliveryStatus"]["bob@example.test"]["smtpReply"].startswith("550")
    assert jmapd.captured() == []


def test_relay_deferral_stays_queued(jmapd, jmapd_client, jmapd_user):
    jmapd.fault("relayDefer", jmapd_user.username)
    submission = send(jmapd_client, jmapd_user, "Deferred")

    def deferred():
        got = call(jmapd_client, jmapd_user, ("EmailSubmission/get", {"ids": [submission]}))[0][1]["list"][0]
        reply = got["deliveryStatus"]["bob@example.test"]["smtpReply"]
        return got if reply.startswith("451") else None

    status = wait_for(deferred)
    assert status["deliveryStatus"]["bob@example.test"]["delivered"] == "queued"
    assert jmapd.captured() == []
