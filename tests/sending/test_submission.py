"""Sending with EmailSubmission and Identity through a real relay (aiosmtpd on loopback)."""

from __future__ import annotations

from jmapd.config import OutboxConfig
from jmapd.testing import LiveServer

SUBMISSION = "urn:ietf:params:jmap:submission"


def test_session_offers_submission_only_when_the_server_sends(live, make_client, sending_server, sender):
    """RFC 8621 §1.3.2: the submission capability with maxDelayedSend and FUTURERELEASE's EHLO
    arguments (RFC 4865 §3); a server without an outbox offers neither it nor maySubmit (§2)."""
    caps = sender.session["accounts"][sender.account_id]["accountCapabilities"]
    assert caps[SUBMISSION]["maxDelayedSend"] == 30 * 86400
    assert caps[SUBMISSION]["submissionExtensions"]["FUTURERELEASE"][0] == str(30 * 86400)
    assert SUBMISSION in sender.session["capabilities"]
    assert all(m["myRights"]["maySubmit"] for m in sender.mailboxes().values())
    plain = make_client()
    assert SUBMISSION not in plain.session["capabilities"]
    assert not any(m["myRights"]["maySubmit"] for m in plain.mailboxes().values())


def test_plain_send_moves_the_draft_and_hides_bcc(sender, sink, kit):
    """RFC 8621 §7.5: the message goes to every envelope recipient, Bcc never in the bytes sent;
    onSuccessUpdateEmail is answered as an implicit Email/set after the submission's response;
    deliveryStatus then reports the relay's reply per recipient, and undoStatus becomes final."""
    boxes = sender.mailboxes()
    draft = kit.create_draft(sender, to=["rcpt@remote.test"], bcc=["hidden@remote.test"], subject="plain send")
    before = len(sink.received)
    name, result, responses = kit.jmap(sender, "EmailSubmission/set", {
        "create": {"k1": {"identityId": kit.identity_id(sender), "emailId": draft}},
        "onSuccessUpdateEmail": {"#k1": {f"mailboxIds/{boxes['drafts']['id']}": None,
                                         f"mailboxIds/{boxes['sent']['id']}": True, "keywords/$draft": None}}})
    assert name == "EmailSubmission/set", result
    created = result["created"]["k1"]
    assert created["undoStatus"] == "pending" and created["threadId"]
    assert [r[0] for r in responses] == ["EmailSubmission/set", "Email/set"]
    assert responses[1][1]["updated"] == {draft: None}
    got = [m for m in kit.wait_for(lambda: sink.received[before:] and sink.received[before:], what="the message")
           if b"plain send" in m.content]
    assert len(got) == 1
    message = got[0]
    assert message.mail_from == f"{sender.username}@example.test"
    assert sorted(message.rcpt_tos) == ["hidden@remote.test", "rcpt@remote.test"]
    assert b"\nbcc:" not in message.content.lower() and b"hidden@remote.test" not in message.content
    _, email, _ = kit.jmap(sender, "Email/get", {"ids": [draft], "properties": ["mailboxIds", "keywords"]})
    assert email["list"][0]["mailboxIds"] == {boxes["sent"]["id"]: True}
    assert "$draft" not in email["list"][0]["keywords"]
    status = kit.wait_for(lambda: (s := kit.submission(sender, created["id"]))["undoStatus"] == "final" and s,
                          what="the final status")
    assert set(status["deliveryStatus"]) == {"rcpt@remote.test", "hidden@remote.test"}
    assert all(d["delivered"] == "unknown" and d["smtpReply"].startswith("250") and d["displayed"] == "unknown"
               for d in status["deliveryStatus"].values())
    assert status["dsnBlobIds"] == [] and status["mdnBlobIds"] == []


def test_envelope_from_the_request(sender, sink, kit):
    """RFC 8621 §7: a given envelope is used as is (rcptTo need not match the headers)."""
    draft = kit.create_draft(sender, to=["shown@remote.test"], subject="given envelope")
    me = f"{sender.username}@example.test"
    result = kit.submit(sender, draft, envelope={"mailFrom": {"email": me, "parameters": None},
                                                 "rcptTo": [{"email": "other@remote.test", "parameters": None}]})
    assert "s" in result["created"], result
    message = kit.wait_for(lambda: [m for m in sink.received if b"given envelope" in m.content], what="the message")[0]
    assert message.rcpt_tos == ["other@remote.test"] and message.mail_from == me


def test_destroy_email_on_success(sender, sink, kit):
    """RFC 8621 §7.5 onSuccessDestroyEmail: the Email goes; the submission still sends it."""
    draft = kit.create_draft(sender, to=["gone@remote.test"], subject="destroyed after")
    _, result, responses = kit.jmap(sender, "EmailSubmission/set", {
        "create": {"k": {"identityId": kit.identity_id(sender), "emailId": draft}},
        "onSuccessDestroyEmail": ["#k"]})
    assert responses[1][0] == "Email/set" and responses[1][1]["destroyed"] == [draft]
    kit.wait_for(lambda: [m for m in sink.received if b"destroyed after" in m.content], what="the message")


def test_identities(sender, kit):
    """RFC 8621 §6: a default identity per address with every property; forbiddenFrom for an
    address the user may not send as; mayDelete false is respected with `forbidden`."""
    _, got, _ = kit.jmap(sender, "Identity/get", {"ids": None})
    assert len(got["list"]) == 1
    identity = got["list"][0]
    assert set(identity) == {"id", "name", "email", "replyTo", "bcc", "textSignature", "htmlSignature", "mayDelete"}
    assert identity["email"] == f"{sender.username}@example.test" and identity["mayDelete"] is False
    _, result, _ = kit.jmap(sender, "Identity/set", {
        "create": {"bad": {"email": "ceo@elsewhere.test"},
                   "ok": {"email": f"{sender.username}@example.test", "name": "Work",
                          "bcc": [{"name": None, "email": "archive@example.test"}], "textSignature": "-- \nme"}},
        "update": {identity["id"]: {"name": "Me Myself"}}})
    assert result["notCreated"]["bad"]["type"] == "forbiddenFrom"
    assert result["created"]["ok"]["mayDelete"] is True
    assert identity["id"] in result["updated"]
    _, destroyed, _ = kit.jmap(sender, "Identity/set", {"destroy": [identity["id"]]})
    assert destroyed["notDestroyed"][identity["id"]]["type"] == "forbidden"
    _, changes, _ = kit.jmap(sender, "Identity/changes", {"sinceState": got["state"]})
    assert changes["created"] == [result["created"]["ok"]["id"]] and changes["updated"] == [identity["id"]]
    _, result, _ = kit.jmap(sender, "Identity/set", {"create": {"inj": {"email": "x\r\n@example.test"}},
                                                     "update": {identity["id"]: {"email": "other@example.test"}}})
    assert result["notCreated"]["inj"]["type"] == "invalidProperties"
    assert result["notUpdated"][identity["id"]]["type"] == "invalidProperties"


def test_a_new_alias_gets_its_default_identity(sender, sending_server, kit):
    """RFC 8621 §6: an address added to the user later gets its own default identity, reported by
    Identity/changes; a deleted default identity stays deleted."""
    from jmapd.mail.addresses import add_address

    _, before, _ = kit.jmap(sender, "Identity/get", {"ids": None})
    sending_server.server.store.write(lambda txn: add_address(txn, sender.username, f"alias.{sender.username}@example.test"))
    _, changes, _ = kit.jmap(sender, "Identity/changes", {"sinceState": before["state"]})
    assert len(changes["created"]) == 1
    _, got, _ = kit.jmap(sender, "Identity/get", {"ids": changes["created"]})
    assert got["list"][0]["email"] == f"alias.{sender.username}@example.test" and got["list"][0]["mayDelete"]
    _, gone, _ = kit.jmap(sender, "Identity/set", {"destroy": changes["created"]})
    assert gone["destroyed"] == changes["created"]
    _, after, _ = kit.jmap(sender, "Identity/get", {"ids": None})
    assert [i["email"] for i in after["list"]] == [i["email"] for i in before["list"]]


def test_set_errors(sender, sending_server, client_type, kit):
    """RFC 8621 §7.5: each refusal gets the SetError the RFC names, and nothing is queued."""
    me = f"{sender.username}@example.test"
    ident = kit.identity_id(sender)
    ok = kit.create_draft(sender, to=["a@remote.test"])
    forged = kit.create_draft(sender, to=["a@remote.test"], from_="boss@example.test")
    nobody = kit.create_draft(sender, to=[])
    sending_server.add_user("stranger", "pw-stranger", "stranger@example.test")
    other = client_type(sending_server.url, "stranger", "pw-stranger")
    # Ids count per account: take ones the other account has and this one does not.
    mine = lambda method, i: kit.jmap(sender, method, {"ids": [i]})[1]["list"]  # noqa: E731
    theirs = kit.create_draft(other, to=["a@remote.test"], from_="stranger@example.test")
    while mine("Email/get", theirs):
        theirs = kit.create_draft(other, to=["a@remote.test"], from_="stranger@example.test")
    their_identity = kit.identity_id(other)
    while mine("Identity/get", their_identity):
        _, made, _ = kit.jmap(other, "Identity/set", {"create": {"n": {"email": "stranger@example.test"}}})
        their_identity = made["created"]["n"]["id"]
    env = lambda mail_from, *rcpts: {"mailFrom": {"email": mail_from, "parameters": None},  # noqa: E731
                                     "rcptTo": [{"email": r, "parameters": None} for r in rcpts]}
    _, before, _ = kit.jmap(sender, "EmailSubmission/get", {"ids": None})
    _, result, _ = kit.jmap(sender, "EmailSubmission/set", {"create": {
        "forbiddenFrom": {"identityId": ident, "emailId": forged},
        "noRecipients": {"identityId": ident, "emailId": nobody},
        "unknownIdentity": {"identityId": "Inope", "emailId": ok},
        "otherIdentity": {"identityId": their_identity, "emailId": ok},
        "otherEmail": {"identityId": ident, "emailId": theirs},
        "forbiddenMailFrom": {"identityId": ident, "emailId": ok, "envelope": env("boss@example.test", "a@remote.test")},
        "injection": {"identityId": ident, "emailId": ok, "envelope": env(me, "a@remote.test\r\nDATA")},
        "notAnAddress": {"identityId": ident, "emailId": ok, "envelope": env(me, "no-at-sign")},
        "malformed": {"identityId": ident, "emailId": ok, "envelope": {"mailFrom": me}},
        "tooMany": {"identityId": ident, "emailId": ok,
                    "envelope": env(me, *[f"r{i}@remote.test" for i in range(101)])},
        "serverSet": {"identityId": ident, "emailId": ok, "sendAt": "2030-01-01T00:00:00Z"},
    }})
    errors = {k: v["type"] for k, v in result["notCreated"].items()}
    assert errors == {
        "forbiddenFrom": "forbiddenFrom", "noRecipients": "noRecipients", "unknownIdentity": "invalidProperties",
        "otherIdentity": "invalidProperties", "otherEmail": "invalidProperties",
        "forbiddenMailFrom": "forbiddenMailFrom", "injection": "invalidRecipients",
        "notAnAddress": "invalidRecipients", "malformed": "invalidProperties", "tooMany": "tooManyRecipients",
        "serverSet": "invalidProperties"}
    assert result["notCreated"]["tooMany"]["maxRecipients"] == 100
    assert result["notCreated"]["injection"]["invalidRecipients"] == ["a@remote.test\r\nDATA"]
    assert result["notCreated"]["otherIdentity"]["properties"] == ["identityId"]
    assert result["notCreated"]["otherEmail"]["properties"] == ["emailId"]
    assert not result.get("created")
    _, after, _ = kit.jmap(sender, "EmailSubmission/get", {"ids": None})
    assert after["list"] == before["list"] and after["state"] == before["state"]
    other.close()


def test_too_large(sink, client_type, kit):
    """RFC 8621 §7.5: a message over the server's sending limit is refused with tooLarge and maxSize."""
    with LiveServer(relay=f"127.0.0.1:{sink.port}", outbox=OutboxConfig(max_size=500)) as server:
        server.add_user("big", "pw-big", "big@example.test")
        c = client_type(server.url, "big", "pw-big")
        draft = kit.create_draft(c, to=["a@remote.test"], body="x" * 2000)
        result = kit.submit(c, draft)
        assert result["notCreated"]["s"]["type"] == "tooLarge" and result["notCreated"]["s"]["maxSize"] == 500
        c.close()


def test_query_and_changes(sender, kit):
    """RFC 8621 §7.2-7.4: /changes, /query with its filters and sorts, and /queryChanges."""
    _, first, _ = kit.jmap(sender, "EmailSubmission/get", {"ids": None})
    one = kit.create_draft(sender, to=["q1@remote.test"])
    two = kit.create_draft(sender, to=["q2@remote.test"])
    s1 = kit.submit(sender, one)["created"]["s"]["id"]
    s2 = kit.submit(sender, two)["created"]["s"]["id"]
    _, changes, _ = kit.jmap(sender, "EmailSubmission/changes", {"sinceState": first["state"]})
    assert set(changes["created"]) == {s1, s2}
    _, query, _ = kit.jmap(sender, "EmailSubmission/query", {"filter": {"emailIds": [two]}})
    assert query["ids"] == [s2]
    _, query, _ = kit.jmap(sender, "EmailSubmission/query", {
        "filter": {"after": "2000-01-01T00:00:00Z"}, "sort": [{"property": "sentAt", "isAscending": False}]})
    assert query["ids"][:2] == [s2, s1] or set(query["ids"][:2]) == {s1, s2}
    name, bad, _ = kit.jmap(sender, "EmailSubmission/query", {"filter": {"subject": "x"}})
    assert name == "error" and bad["type"] == "unsupportedFilter"
    _, qc, _ = kit.jmap(sender, "EmailSubmission/queryChanges", {"sinceQueryState": query["queryState"]})
    assert qc["newQueryState"]


def test_domain_owner_sends_as_any_address_of_the_domain(sender, sending_server, sink, kit):
    """RFC 8621 §6: an identity `*@domain` for a domain the user owns; a message From any address
    there is sent with it, that address in MAIL FROM (§7 envelope derivation)."""
    from jmapd.mail.addresses import add_domain

    domain = f"{sender.username}.test"
    sending_server.server.store.write(lambda txn: add_domain(txn, domain, owners=[sender.username]))
    _, made, _ = kit.jmap(sender, "Identity/set", {"create": {"w": {"email": f"*@{domain}", "name": "Any"}}})
    wildcard = made["created"]["w"]["id"]
    draft = kit.create_draft(sender, to=["peer@remote.test"], from_=f"sales@{domain}", subject="from a wildcard")
    _, result, _ = kit.jmap(sender, "EmailSubmission/set", {
        "create": {"s": {"identityId": wildcard, "emailId": draft}}})
    assert result["created"]["s"]["id"]
    message = kit.wait_for(lambda: [m for m in list(sink.received) if b"from a wildcard" in m.content], 15, "it")[0]
    assert message.mail_from == f"sales@{domain}"
    _, refused, _ = kit.jmap(sender, "Identity/set", {"create": {"x": {"email": "*@example.test"}}})
    assert refused["notCreated"]["x"]["type"] == "forbiddenFrom"
