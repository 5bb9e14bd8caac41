"""What happens to a submission after it is accepted: holds and undo (RFC 4865 FUTURERELEASE,
RFC 8621 §7 undoStatus), retries of temporary failures and bounces of permanent ones (RFC 5321
§4.5.4.1, RFC 3464), against a real relay on loopback."""

from __future__ import annotations

import time

from aiosmtpd.controller import Controller

from jmapd.config import OutboxConfig
from jmapd.mail.submissions import list_queue
from jmapd.testing import LiveServer, free_port


def arrived(sink, subject: str) -> list:
    return [m for m in list(sink.received) if f"Subject: {subject}\r\n".encode() in m.content]


def hold(seconds: int) -> dict:
    return {"HOLDFOR": str(seconds)}


def envelope(client, rcpt: str, params: dict | None = None) -> dict:
    return {"mailFrom": {"email": f"{client.username}@example.test", "parameters": params},
            "rcptTo": [{"email": rcpt, "parameters": None}]}


def test_holdfor_then_cancel_sends_nothing(sender, sink, sending_server, kit):
    """RFC 4865 HOLDFOR sets sendAt ahead; setting undoStatus to canceled before the release
    cancels it (RFC 8621 §7), the draft stays where it was, and nothing is sent."""
    boxes = sender.mailboxes()
    draft = kit.create_draft(sender, to=["later@remote.test"], subject="held then canceled")
    result = kit.submit(sender, draft, envelope=envelope(sender, "later@remote.test", hold(60)))
    created = result["created"]["s"]
    send_at = time.mktime(time.strptime(created["sendAt"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    assert 55 <= send_at - time.time() <= 61
    _, canceled, _ = kit.jmap(sender, "EmailSubmission/set", {"update": {created["id"]: {"undoStatus": "canceled"}}})
    assert canceled["updated"] == {created["id"]: None}
    status = kit.submission(sender, created["id"])
    assert status["undoStatus"] == "canceled"
    with sending_server.server.store.read() as txn:
        assert all(entry.submission_id != created["id"] for _, entry in list_queue(txn))
    _, email, _ = kit.jmap(sender, "Email/get", {"ids": [draft], "properties": ["mailboxIds"]})
    assert email["list"][0]["mailboxIds"] == {boxes["drafts"]["id"]: True}
    time.sleep(1.2)
    assert arrived(sink, "held then canceled") == []


def test_holdfor_expires_then_sends(sender, sink, kit):
    """RFC 4865: a held message is released at its time, not before; then it cannot be unsent
    (cannotUnsend, RFC 8621 §7.5)."""
    draft = kit.create_draft(sender, to=["soon@remote.test"], subject="held two seconds")
    started = time.time()
    sid = kit.submit(sender, draft, envelope=envelope(sender, "soon@remote.test", hold(2)))["created"]["s"]["id"]
    kit.wait_for(lambda: arrived(sink, "held two seconds"), 15, "the held message")
    assert time.time() - started >= 1.9
    kit.wait_for(lambda: kit.submission(sender, sid)["undoStatus"] == "final", 10, "final")
    _, result, _ = kit.jmap(sender, "EmailSubmission/set", {"update": {sid: {"undoStatus": "canceled"}}})
    assert result["notUpdated"][sid]["type"] == "cannotUnsend"


def test_a_hold_is_never_shorter_than_asked():
    """RFC 4865 §3 (HOLDFOR: the number of seconds to hold the message): release times are whole
    seconds, so a hold asked for late in a second ends a whole second after it starts, never
    before HOLDFOR seconds have passed; HOLDUNTIL is kept as given, and no hold is now."""
    from jmapd.mail.submissions import Address, Envelope, SubmissionPolicy
    from jmapd.methods.email_submission.envelope import release_time

    def held(params):
        return Envelope(mail_from=Address(email="a@example.test", parameters=params),
                        rcpt_to=[Address(email="b@example.test")])

    policy = SubmissionPolicy()
    for moment in (1_000_000.0, 1_000_000.01, 1_000_000.5, 1_000_000.99):
        assert release_time(held({"HOLDFOR": "2"}), moment, policy) >= moment + 2
        assert release_time(held({"HOLDFOR": "2"}), moment, policy) < moment + 3
        assert release_time(held(None), moment, policy) == 1_000_000
    assert release_time(held({"HOLDUNTIL": "2001-09-09T01:46:50Z"}), 1_000_000_000.7, policy) == 1_000_000_010


def test_bad_holds_are_refused(sender, kit):
    """RFC 4865 §3: a hold beyond maxDelayedSend, a HOLDUNTIL in the past, both parameters at once,
    or a malformed value: the submission is refused and nothing is queued."""
    draft = kit.create_draft(sender, to=["x@remote.test"])
    cases = {"long": hold(31 * 86400), "past": {"HOLDUNTIL": "2001-01-01T00:00:00Z"},
             "both": {"HOLDFOR": "5", "HOLDUNTIL": "2099-01-01T00:00:00Z"}, "nan": {"HOLDFOR": "soon"},
             "unknown": {"XFOO": None}}
    _, result, _ = kit.jmap(sender, "EmailSubmission/set", {"create": {
        k: {"identityId": kit.identity_id(sender), "emailId": draft, "envelope": envelope(sender, "x@remote.test", p)}
        for k, p in cases.items()}})
    assert {k: v["type"] for k, v in result["notCreated"].items()} == dict.fromkeys(cases, "invalidProperties")
    assert not result.get("created")


def test_temporary_failure_is_retried_once_delivered(sender, sink, kit):
    """RFC 5321 §4.5.4.1: a 451 is retried later; the message arrives exactly once, and
    deliveryStatus showed the 451 while it waited (RFC 8621 §7 smtpReply)."""
    sink.data_replies = ["451 4.3.0 try again later"]
    draft = kit.create_draft(sender, to=["retry@remote.test"], subject="retried")
    sid = kit.submit(sender, draft)["created"]["s"]["id"]
    waiting = kit.wait_for(lambda: (d := kit.submission(sender, sid)["deliveryStatus"]["retry@remote.test"])
                           ["smtpReply"].startswith("451") and d, 10, "the 451")
    assert waiting["delivered"] == "queued"
    kit.wait_for(lambda: arrived(sink, "retried"), 15, "the retry")
    time.sleep(1.2)
    assert len(arrived(sink, "retried")) == 1
    done = kit.wait_for(lambda: (d := kit.submission(sender, sid)["deliveryStatus"]["retry@remote.test"])
                        ["smtpReply"].startswith("250") and d, 10, "the 250")
    assert done["delivered"] == "unknown"


def test_dropped_connection_mid_data_is_retried(sender, sink, kit):
    """RFC 5321 §4.1.1.4: without the reply to the end of DATA the relay has not taken the message,
    so it is sent again; it arrives once."""
    sink.data_replies = ["drop"]
    draft = kit.create_draft(sender, to=["drop@remote.test"], subject="dropped once")
    kit.submit(sender, draft)
    kit.wait_for(lambda: arrived(sink, "dropped once"), 15, "the resend")
    time.sleep(1.2)
    assert len(arrived(sink, "dropped once")) == 1


def test_permanent_failure_bounces_to_the_inbox(sender, sink, kit):
    """RFC 3464: a 550 for one recipient puts a multipart/report DSN with the original headers in
    the sender's Inbox; deliveryStatus says `no` with the reply, dsnBlobIds names the DSN, and the
    other recipient still gets the message (RFC 8621 §7)."""
    sink.refuse["nobody@remote.test"] = "550 5.1.1 <nobody@remote.test>: no such user"
    draft = kit.create_draft(sender, to=["nobody@remote.test", "somebody@remote.test"], subject="half bounced")
    sid = kit.submit(sender, draft)["created"]["s"]["id"]
    status = kit.wait_for(lambda: (s := kit.submission(sender, sid))["dsnBlobIds"] and s, 15, "the bounce")
    assert status["deliveryStatus"]["nobody@remote.test"] == {
        "smtpReply": "550 5.1.1 <nobody@remote.test>: no such user", "delivered": "no", "displayed": "unknown"}
    assert status["deliveryStatus"]["somebody@remote.test"]["delivered"] == "unknown"
    assert [m.rcpt_tos for m in arrived(sink, "half bounced")] == [["somebody@remote.test"]]
    inbox = sender.mailboxes()["inbox"]["id"]
    _, found, _ = kit.jmap(sender, "Email/query", {"filter": {"inMailbox": inbox}})
    _, emails, _ = kit.jmap(sender, "Email/get", {"ids": found["ids"], "properties": [
        "subject", "blobId", "bodyStructure", "header:Auto-Submitted:asText"]})
    bounce = [e for e in emails["list"] if e["subject"] == "Undelivered Mail Returned to Sender"]
    assert len(bounce) == 1 and bounce[0]["blobId"] == status["dsnBlobIds"][0]
    assert bounce[0]["bodyStructure"]["type"] == "multipart/report"
    assert [p["type"] for p in bounce[0]["bodyStructure"]["subParts"]] == [
        "text/plain", "message/delivery-status", "text/rfc822-headers"]
    assert bounce[0]["header:Auto-Submitted:asText"] == "auto-replied"
    raw = sender.http.get(f"/jmap/download/{sender.account_id}/{bounce[0]['blobId']}/dsn.eml").content
    assert b"Final-Recipient: rfc822; nobody@remote.test" in raw and b"Action: failed" in raw
    assert b"Status: 5.1.1" in raw and b"Subject: half bounced" in raw


def test_relay_down_then_up(client_type, kit):
    """RFC 5321 §4.5.4.1: while the relay cannot be reached the message waits (API requests are
    answered meanwhile); once it is up the message arrives, once."""
    port = free_port()
    with LiveServer(relay=f"127.0.0.1:{port}", outbox=OutboxConfig(retry_after=1)) as server:
        server.add_user("patient", "pw-patient", "patient@example.test")
        c = client_type(server.url, "patient", "pw-patient")
        draft = kit.create_draft(c, to=["wait@remote.test"], subject="relay was down")
        sid = kit.submit(c, draft)["created"]["s"]["id"]
        kit.wait_for(lambda: "cannot connect" in kit.submission(c, sid)["deliveryStatus"]["wait@remote.test"]
                     ["smtpReply"], 10, "a failed attempt")
        started = time.monotonic()
        c.mailboxes()
        assert time.monotonic() - started < 2
        sink = kit.Sink()
        sink.port = port
        sink.controller = Controller(sink, hostname="127.0.0.1", port=port)
        sink.start()
        try:
            kit.wait_for(lambda: arrived(sink, "relay was down"), 15, "the message")
            time.sleep(1.2)
            assert len(arrived(sink, "relay was down")) == 1
        finally:
            sink.stop()
        c.close()


def test_larger_than_the_relay_takes(client_type, kit):
    """RFC 1870 SIZE and RFC 8621 §7.5 tooLarge: once the relay announced its limit, a larger
    message is refused at submission with maxSize, and nothing is queued."""
    sink = kit.Sink(data_size_limit=2000).start()
    try:
        with LiveServer(relay=f"127.0.0.1:{sink.port}") as server:
            server.add_user("large", "pw-large", "large@example.test")
            c = client_type(server.url, "large", "pw-large")
            kit.wait_for(lambda: server.server.extras["outbox"].relay_size_limit(), 10, "the relay's SIZE")
            draft = kit.create_draft(c, to=["a@remote.test"], body="y" * 5000)
            result = kit.submit(c, draft)
            assert result["notCreated"]["s"]["type"] == "tooLarge" and result["notCreated"]["s"]["maxSize"] == 2000
            with server.server.store.read() as txn:
                assert list_queue(txn) == []
            c.close()
    finally:
        sink.stop()


def test_slow_relay_blocks_nothing_and_loses_nothing(client_type, kit):
    """RFC 5321 §4.5.3.2: a relay that never answers DATA in time is a temporary failure each time;
    API requests are answered meanwhile and the message stays queued, its status saying why."""
    sink = kit.Sink().start()
    sink.delay = 3.0
    try:
        with LiveServer(relay=f"127.0.0.1:{sink.port}", outbox=OutboxConfig(retry_after=1, timeout=1)) as server:
            server.add_user("slowpoke", "pw-slowpoke", "slowpoke@example.test")
            c = client_type(server.url, "slowpoke", "pw-slowpoke")
            draft = kit.create_draft(c, to=["late@remote.test"], subject="slow relay")
            sid = kit.submit(c, draft)["created"]["s"]["id"]
            assert sink.data_started.wait(10)
            started = time.monotonic()
            c.mailboxes()
            assert time.monotonic() - started < 1
            status = kit.wait_for(lambda: (d := kit.submission(c, sid)["deliveryStatus"]["late@remote.test"])
                                  ["smtpReply"].startswith("451") and d, 10, "the timeout")
            assert status["delivered"] == "queued" and "Timeout" in status["smtpReply"]
            with server.server.store.read() as txn:
                assert [e.submission_id for _, e in list_queue(txn)] == [sid]
            c.close()
    finally:
        sink.stop()
