"""EmailDelivery (RFC 8621 §1.5) and StateChange (RFC 8620 §7.1) from the other ways mail arrives:
LMTP delivery and IMAP APPEND, each its own frontend, pushed to a JMAP client's EventSource."""

from __future__ import annotations

import imaplib
import smtplib

import pytest

from jmapd.testing import LiveServer

MESSAGE = (b"From: Bob <bob@sender.test>\r\nTo: rcpt@push.test\r\nSubject: %s\r\n"
           b"Message-ID: <%s@sender.test>\r\nDate: Sat, 05 Dec 2026 10:00:00 +0000\r\n\r\nhello\r\n")


@pytest.fixture(scope="module")
def mail_in():
    with LiveServer(hostname="push.test", lmtp="127.0.0.1:0", imap="127.0.0.1:0") as server:
        server.add_user("rcpt", "secret-pw", "rcpt@push.test")
        yield server


def test_lmtp_delivery_and_imap_append_move_email_delivery(mail_in, client_type, event_stream):
    """RFC 8621 §1.5: a message delivered over LMTP (RFC 2033) and one appended over IMAP
    (RFC 9051 §6.3.12) each move EmailDelivery, pushed to an open EventSource; an IMAP flag change
    (STORE) moves Email only."""
    client = client_type(mail_in.url, "rcpt", "secret-pw")
    stream = event_stream(client, types="Email,EmailDelivery").ready()
    with smtplib.LMTP("127.0.0.1", mail_in.server.extras["lmtp_listener"].port) as lmtp:
        lmtp.ehlo("mta.example.test")
        lmtp.sendmail("bob@sender.test", ["rcpt@push.test"], MESSAGE % (b"By LMTP", b"lmtp-1"))
    delivered = stream.next()[2]["changed"][client.account_id]
    assert set(delivered) == {"Email", "EmailDelivery"}

    imap = imaplib.IMAP4("127.0.0.1", mail_in.server.extras["imap"].port)
    try:
        imap.login("rcpt", "secret-pw")
        status, _ = imap.append("INBOX", None, None, MESSAGE % (b"By IMAP", b"imap-1"))
        assert status == "OK"
        appended = stream.next()[2]["changed"][client.account_id]
        assert set(appended) == {"Email", "EmailDelivery"}
        assert int(appended["EmailDelivery"]) > int(delivered["EmailDelivery"])
        imap.select("INBOX")
        status, _ = imap.store("1", "+FLAGS", "(\\Flagged)")
        assert status == "OK"
        assert set(stream.next()[2]["changed"][client.account_id]) == {"Email"}
    finally:
        imap.logout()
        client.close()
