"""VacationResponse (RFC 8621 §8) and the reply decision (RFC 3834)."""

from __future__ import annotations

import time

import pytest

from jmapd.mail.accounts import create_user
from jmapd.mail.submissions import list_queue
from jmapd.mail.vacation import SINGLETON, VACATION, VacationRecord, vacation_reply
from jmapd.mime import parse_message
from store import Store, blobs

VACATION_CAP = "urn:ietf:params:jmap:vacationresponse"
DAY = 86400


def incoming(sender="friend@remote.test", to="vera@example.test", extra="", message_id="<m1@remote.test>"):
    return (f"From: Friend <{sender}>\r\nTo: {to}\r\nSubject: lunch?\r\nMessage-ID: {message_id}\r\n"
            f"References: <m0@remote.test>\r\n{extra}Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\nhi\r\n").encode()


@pytest.fixture
def account(tmp_path):
    store = Store.open(str(tmp_path))
    user = create_user(store, "vera", "pw", "vera@example.test")
    now = int(time.time())
    store.write(lambda txn: txn.update(user.account_id, VACATION, SINGLETON, VacationRecord(
        is_enabled=True, from_date=now - DAY, to_date=now + 30 * DAY, subject="Away", text_body="Back soon.")))
    yield store, user.account_id, now
    store.close()


def reply(store, account_id, raw, sender, now):
    return store.write(lambda txn: vacation_reply(txn, account_id, raw, sender, "example.test", now=now))


def test_one_reply_per_sender_per_period(account):
    """RFC 3834 §2 and §4: the first message from a sender gets a reply, from the null sender
    (§3.3), with In-Reply-To, References and Auto-Submitted: auto-replied (§3.1.5-§3.1.7); the
    next in the period does not; after the period (7 days) one does again."""
    store, account_id, now = account
    first = reply(store, account_id, incoming(), "friend@remote.test", now)
    assert first is not None
    with store.read() as txn:
        entry = dict(list_queue(txn))[first.queue_id]
        raw = blobs.read_blob(txn, account_id, first.blob_id)
    assert entry.mail_from.email == "" and [r.address for r in entry.recipients] == ["friend@remote.test"]
    message = parse_message(raw, "")
    assert message.header("Auto-Submitted", "Text") == "auto-replied"
    assert message.header("In-Reply-To", "MessageIds") == ["m1@remote.test"]
    assert message.header("References", "MessageIds") == ["m0@remote.test", "m1@remote.test"]
    assert message.header("Subject", "Text") == "Away"
    assert message.header("From", "Addresses")[0]["email"] == "vera@example.test"
    assert b"Back soon." in raw
    assert reply(store, account_id, incoming(message_id="<m2@remote.test>"), "friend@remote.test", now + 60) is None
    assert reply(store, account_id, incoming(), "other@remote.test", now + 60) is not None
    assert reply(store, account_id, incoming(), "friend@remote.test", now + 8 * DAY) is not None


@pytest.mark.parametrize("extra,sender", [
    ("Precedence: bulk\r\n", "a@remote.test"),
    ("Precedence: list\r\n", "a@remote.test"),
    ("List-Id: <talk.lists.remote.test>\r\n", "a@remote.test"),
    ("Auto-Submitted: auto-generated\r\n", "a@remote.test"),
    ("Auto-Submitted: auto-replied\r\n", "a@remote.test"),
    ("", ""),
    ("", "MAILER-DAEMON@remote.test"),
    ("", "talk-request@remote.test"),
    ("", "vera@example.test"),
])
def test_no_reply_to_lists_bulk_automatic_null_or_own(account, extra, sender):
    """RFC 3834 §2: no reply to Precedence bulk/list, List-* mail, Auto-Submitted other than no,
    null or program senders, or the user's own address."""
    store, account_id, now = account
    assert reply(store, account_id, incoming(sender=sender or "x@remote.test", extra=extra), sender, now) is None


def test_no_reply_outside_the_dates_or_when_off(account):
    """RFC 8621 §8: replies only while isEnabled, on or after fromDate and before toDate."""
    store, account_id, now = account
    assert reply(store, account_id, incoming(), "early@remote.test", now - 2 * DAY) is None
    assert reply(store, account_id, incoming(), "late@remote.test", now + 30 * DAY) is None
    store.write(lambda txn: txn.update(account_id, VACATION, SINGLETON, VacationRecord(is_enabled=False)))
    assert reply(store, account_id, incoming(), "any@remote.test", now) is None


def test_vacation_response_get_and_set(sender, sending_server, sink, kit):
    """RFC 8621 §8.1/§8.2: the singleton exists from the start; /set changes it; creating or
    destroying is refused; bad values are invalidProperties. A reply it causes leaves through the
    outbox (RFC 3834 §3.3: from the null sender)."""
    using = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail", VACATION_CAP]
    call = lambda method, args: sender.request(  # noqa: E731
        [[method, {"accountId": sender.account_id, **args}, "0"]], using=using)["methodResponses"][0][1]
    assert VACATION_CAP in sender.session["capabilities"]
    got = call("VacationResponse/get", {})
    assert got["list"] == [{"id": "singleton", "isEnabled": False, "fromDate": None, "toDate": None,
                            "subject": None, "textBody": None, "htmlBody": None}]
    assert call("VacationResponse/get", {"ids": ["other"]})["notFound"] == ["other"]
    result = call("VacationResponse/set", {
        "update": {"singleton": {"isEnabled": True, "textBody": "Out until Monday.", "toDate": "2099-01-01T00:00:00Z"}},
        "create": {"x": {"isEnabled": True}}})
    assert result["updated"] == {"singleton": None}
    assert result["notCreated"]["x"]["type"] == "singleton"
    assert result["newState"] != result["oldState"]
    refused = call("VacationResponse/set", {"destroy": ["singleton"]})
    assert refused["notDestroyed"]["singleton"]["type"] == "singleton"
    bad = call("VacationResponse/set", {"update": {"singleton": {"fromDate": "tomorrow", "isEnabled": "yes"}}})
    assert sorted(bad["notUpdated"]["singleton"]["properties"]) == ["fromDate", "isEnabled"]
    assert call("VacationResponse/get", {})["list"][0]["toDate"] == "2099-01-01T00:00:00Z"
    store = sending_server.server.store
    queued = store.write(lambda txn: vacation_reply(
        txn, sender.account_id, incoming(to=f"{sender.username}@example.test", message_id="<v@remote.test>"),
        "pal@remote.test", "example.test"))
    assert queued is not None
    message = kit.wait_for(lambda: [m for m in list(sink.received) if b"<v@remote.test>" in m.content], 15,
                           "the vacation reply")[0]
    assert message.mail_from == "<>" and message.rcpt_tos == ["pal@remote.test"]
    assert b"Out until Monday." in message.content
