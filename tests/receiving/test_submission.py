"""Message submission for mail apps (RFC 6409): AUTH (RFC 4954) over TLS (RFC 3207 STARTTLS on
587, RFC 8314 implicit TLS on 465), MAIL FROM checked against the user's addresses."""

from __future__ import annotations

import base64
import smtplib

import pytest

from jmapd.limits.logins import LoginLimits
from jmapd.testing import LiveServer

from .conftest import client_tls, inbox_emails, lmtp_deliver, message, port_of, unique


def submission(mailserver, *, tls: bool = True) -> smtplib.SMTP:
    client = smtplib.SMTP("127.0.0.1", port_of(mailserver, "submission"), timeout=10)
    client.ehlo("laptop.example.test")
    if tls:
        client.starttls(context=client_tls())
        client.ehlo("laptop.example.test")
    return client


def test_unauthenticated_mail_is_refused(mailserver):
    """RFC 6409 §4.3 and RFC 4954 §6: MAIL without AUTH gets 530 5.7.0."""
    with submission(mailserver) as client:
        code, reply = client.mail("anyone@example.test")
        assert code == 530 and reply.startswith(b"5.7.0")


def test_auth_plain_and_login_with_password_or_token(mailserver, jmap_user):
    """RFC 4616 (PLAIN) and the LOGIN mechanism, with the user's password or an API token as the
    password; wrong credentials get 535 5.7.8 (RFC 4954 §6)."""
    alice = jmap_user()
    from store.users import create_token

    token = mailserver.server.store.write(lambda txn: create_token(txn, alice.username, "phone"))
    with submission(mailserver) as client:
        assert "PLAIN" in client.esmtp_features["auth"] and "LOGIN" in client.esmtp_features["auth"]
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            client.login(alice.username, "wrong")
        assert refused.value.smtp_code == 535
        client.user, client.password = alice.username, "pw-" + alice.username
        assert client.auth("PLAIN", client.auth_plain)[0] == 235
    with submission(mailserver) as client:
        client.user, client.password = alice.username, token
        assert client.auth("LOGIN", client.auth_login, initial_response_ok=False)[0] == 235


def test_mail_from_must_be_the_users_address(mailserver, jmap_user):
    """RFC 6409 §4.1 and §8.1: the submission server may refuse a sender the user may not use;
    553 5.7.1 for someone else's address, 250 for one's own."""
    alice, bob = jmap_user(), jmap_user()
    with submission(mailserver) as client:
        client.login(alice.username, "pw-" + alice.username)
        code, reply = client.mail(f"{bob.username}@example.test")
        assert code == 553 and reply.startswith(b"5.7.1")
        assert client.mail(f"{alice.username}@example.test")[0] == 250
        assert client.rcpt("friend@elsewhere.test")[0] == 250  # relaying is what submission is for


def test_plaintext_auth_is_not_offered_off_loopback_without_tls(certificate):
    """RFC 8314 §3 and RFC 4954 §4: a listener bound beyond loopback offers AUTH only after
    STARTTLS and refuses it before with 538 5.7.11; without a certificate it does not start."""
    from jmapd.config import Config, ConfigError
    from jmapd.smtp import check_listeners

    with pytest.raises(ConfigError):
        check_listeners(Config(submission="0.0.0.0:587"))
    cert, key = certificate
    with LiveServer(submission="0.0.0.0:0", tls_cert=cert, tls_key=key) as server:
        server.add_user("carol", "carol-pw")
        with smtplib.SMTP("127.0.0.1", port_of(server, "submission"), timeout=10) as client:
            client.ehlo("laptop.example.test")
            assert "auth" not in client.esmtp_features
            blob = base64.b64encode(b"\0carol\0carol-pw").decode()
            code, reply = client.docmd("AUTH", f"PLAIN {blob}")
            assert code == 538 and reply.startswith(b"5.7.11")
            client.starttls(context=client_tls())
            client.ehlo("laptop.example.test")
            assert "auth" in client.esmtp_features
            client.login("carol", "carol-pw")


def test_implicit_tls_port(mailserver, jmap_user):
    """RFC 8314 §3.3: submission over implicit TLS (port 465) authenticates like 587 after STARTTLS."""
    alice = jmap_user()
    with smtplib.SMTP_SSL("127.0.0.1", port_of(mailserver, "submissions"), context=client_tls(), timeout=10) as client:
        client.ehlo("laptop.example.test")
        assert "auth" in client.esmtp_features
        client.login(alice.username, "pw-" + alice.username)
        assert client.mail(f"{alice.username}@example.test")[0] == 250


def test_failed_logins_are_rate_limited_per_address():
    """Security: past the failures the server forgives from one address (3 in this server), AUTH is
    refused with 454 4.7.0 (RFC 4954 §6, temporary) even with the right password, for a while."""
    with LiveServer(submission="127.0.0.1:0", logins=LoginLimits(free_per_address=3, free_per_user=100)) as server:
        server.add_user("victim", "right-pw")
        port = port_of(server, "submission")
        for _ in range(4):
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
                client.ehlo("x.test")
                with pytest.raises(smtplib.SMTPAuthenticationError):
                    client.login("victim", f"guess-{unique()}")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.ehlo("x.test")
            blob = base64.b64encode(b"\0victim\0right-pw").decode()
            code, reply = client.docmd("AUTH", f"PLAIN {blob}")
            assert code == 454 and reply.startswith(b"4.7.0")


def test_without_an_outbox_mail_is_deferred():
    """RFC 5321 §4.2.5: on a server that does not send, the end of DATA answers 451 (try later):
    the mail app keeps the message rather than losing it."""
    with LiveServer(submission="127.0.0.1:0") as server:
        server.add_user("dora", "dora-pw", "dora@example.test")
        with smtplib.SMTP("127.0.0.1", port_of(server, "submission"), timeout=10) as client:
            client.ehlo("laptop.example.test")
            client.login("dora", "dora-pw")
            with pytest.raises(smtplib.SMTPDataError) as deferred:
                client.sendmail("dora@example.test", ["friend@elsewhere.test"], message("out", sender="dora@example.test"))
            assert deferred.value.smtp_code == 451


def test_submitted_mail_is_sent_kept_in_sent_and_an_email_submission(mailserver, jmap_user, sink):
    """RFC 6409 §4: accepted mail goes out (here to the relay, an aiosmtpd sink) with the envelope
    given; RFC 8621 §7: it is an EmailSubmission of the copy kept in Sent ($seen, §4.1.1)."""
    alice = jmap_user()
    address = f"{alice.username}@example.test"
    subject = unique("sent")
    before = len(sink.received)
    with submission(mailserver) as client:
        client.login(alice.username, "pw-" + alice.username)
        client.sendmail(address, ["friend@elsewhere.test", "other@elsewhere.test"],
                        message(subject, sender=address, to="friend@elsewhere.test"))
    got = [r for r in sink.wait(before + 1) if subject.encode() in r.content]
    assert len(got) == 1
    mail_from, rcpts = got[0].mail_from, got[0].rcpt_tos
    assert mail_from == address and sorted(rcpts) == ["friend@elsewhere.test", "other@elsewhere.test"]
    [copy] = inbox_emails(alice, "sent", ("subject", "keywords", "headers"))
    assert copy["subject"] == subject and copy["keywords"] == {"$seen": True}
    using = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail", "urn:ietf:params:jmap:submission"]
    response = alice.request([["EmailSubmission/get", {"accountId": alice.account_id, "ids": None}, "s"]],
                             using=using)
    [submitted] = response["methodResponses"][0][1]["list"]
    assert submitted["emailId"] == copy["id"]
    assert sorted(a["email"] for a in submitted["envelope"]["rcptTo"]) == ["friend@elsewhere.test",
                                                                            "other@elsewhere.test"]


def test_from_field_must_be_the_users_too(mailserver, jmap_user, sink):
    """RFC 6409 §8.1 and RFC 8621 §7.5 forbiddenFrom: a From field naming someone else is refused
    at the end of DATA (550 5.7.1), and nothing is sent or kept."""
    alice = jmap_user()
    address = f"{alice.username}@example.test"
    with submission(mailserver) as client:
        client.login(alice.username, "pw-" + alice.username)
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail(address, ["friend@elsewhere.test"], message("spoof", sender="ceo@example.test"))
        assert refused.value.smtp_code == 550
    assert inbox_emails(alice, "sent") == []


def test_vacation_reply_fires_on_delivered_mail(mailserver, jmap_user, sink):
    """RFC 8621 §8 and RFC 3834 §3: with a VacationResponse on, mail delivered over LMTP is
    answered once, from the null sender, to the message's sender (through the outbox)."""
    alice = jmap_user()
    using = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail", "urn:ietf:params:jmap:vacationresponse"]
    alice.request([["VacationResponse/set", {"accountId": alice.account_id, "update": {
        "singleton": {"isEnabled": True, "subject": "Away", "textBody": "Back on Monday."}}}, "v"]], using=using)
    sender = f"{unique('pen')}@pal.test"
    before = len(sink.received)
    lmtp_deliver(port_of(mailserver, "lmtp"), sender, [f"{alice.username}@example.test"],
                 message("are you there?", sender=sender))
    replies = [r for r in sink.wait(before + 1) if sender in r.rcpt_tos]
    assert len(replies) == 1 and replies[0].mail_from == "<>"  # the null reverse-path
    assert b"Auto-Submitted: auto-replied" in replies[0].content
