"""LMTP delivery (RFC 2033) into jmapd's store, read back through JMAP (RFC 8621)."""

from __future__ import annotations

import json
import os
import re
import smtplib
import threading
from datetime import timezone
from email.utils import parsedate_to_datetime

from jmapd.mail.addresses import add_address, add_domain

from .conftest import header, inbox_emails, lmtp_deliver, message, port_of, unique


def test_one_recipient_lands_in_inbox_with_trace_fields(mailserver, jmap_user):
    """RFC 2033 §4.2 (250 after DATA), RFC 5321 §4.4 (Return-Path and Received added at final
    delivery), RFC 8621 §4.1.1 (empty keywords, the Inbox) and §2 (counts)."""
    alice = jmap_user()
    address = f"{alice.username}@example.test"
    replies = lmtp_deliver(port_of(mailserver, "lmtp"), "bob@sender.test", [address], message("first"))
    assert replies[address][0] == 250
    [email] = inbox_emails(alice)
    assert email["subject"] == "first"
    assert email["keywords"] == {}
    assert header(email, "Return-Path") == ["<bob@sender.test>"]
    assert header(email, "Delivered-To") == [address]
    [received] = header(email, "Received")
    assert "by mx.example.test (jmapd) with LMTP" in received and f"for <{address}>" in received
    inbox = alice.mailboxes()["inbox"]
    assert (inbox["totalEmails"], inbox["unreadEmails"], inbox["totalThreads"]) == (1, 1, 1)


def test_received_field_names_the_client_an_id_and_the_time_of_arrival(mailserver, jmap_user):
    """RFC 5321 §4.4: the Received field's `from` is the name the client gave (only the printable
    ASCII a header comment allows, RFC 5322 §3.2.2), `id` names each delivery apart, and its date
    is the message's arrival, which is also its receivedAt (RFC 8621 §4.1.1)."""
    alice = jmap_user()
    address = f"{alice.username}@example.test"
    with smtplib.LMTP("127.0.0.1", port_of(mailserver, "lmtp")) as client:
        client.command_encoding = "utf-8"
        client.ehlo("mta(one)\\é.example")
        for subject in ("one", "two"):
            assert client.mail("bob@sender.test")[0] == 250
            assert client.rcpt(address)[0] == 250
            assert client.data(message(subject))[0] == 250
    emails = inbox_emails(alice, properties=("subject", "headers", "receivedAt"))
    ids = set()
    for email in emails:
        [received] = header(email, "Received")
        found = re.fullmatch(r"from mtaone\.example \(\[127\.0\.0\.1\]\)\s+by mx\.example\.test \(jmapd\) "
                             r"with LMTP id ([0-9a-f]{12})\s+for <[^>]+>; (.+)", received)
        assert found, received
        ids.add(found.group(1))
        when = parsedate_to_datetime(found.group(2)).astimezone(timezone.utc)
        assert when.strftime("%Y-%m-%dT%H:%M:%SZ") == email["receivedAt"]
    assert len(ids) == 2


def test_received_ids_differ_between_processes_forked_from_one():
    """RFC 5321 §4.4: the Received `id` names a delivery apart, also across the processes of one
    server (`--workers` forks them from one parent): a forked child does not repeat its parent's."""
    from jmapd.mail.delivery import _trace_id

    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child only reports
        os.write(write, _trace_id().encode())
        os._exit(0)
    os.waitpid(child, 0)
    assert os.read(read, 64).decode() != _trace_id()
    os.close(read)
    os.close(write)


def test_each_recipient_gets_its_own_reply_and_copy(mailserver, jmap_user):
    """RFC 2033 §4.2: after DATA, one reply per accepted recipient, in RCPT order; the message is
    stored once for each recipient, in each one's own Inbox; an unknown one is refused at RCPT
    with 550 5.1.1 (RFC 3463)."""
    alice, carol = jmap_user(), jmap_user()
    a, c = f"{alice.username}@example.test", f"{carol.username}@example.test"
    nobody = f"{unique('nobody')}@example.test"
    replies = lmtp_deliver(port_of(mailserver, "lmtp"), "bob@sender.test", [a, nobody, c], message("both"))
    assert replies[nobody][0] == 550 and replies[nobody][1].startswith(b"5.1.1")
    assert replies[a][0] == 250 and a.encode() in replies[a][1]
    assert replies[c][0] == 250 and c.encode() in replies[c][1]
    assert [e["subject"] for e in inbox_emails(alice)] == ["both"]
    assert [e["subject"] for e in inbox_emails(carol)] == ["both"]


def test_alias_and_plus_address_reach_the_user_with_delivered_to(mailserver, jmap_user):
    """Plus-addressing keeps the tag in Delivered-To; an alias reaches its user (RFC 5233 subaddress
    convention; RFC 5321 §2.4 local parts as given)."""
    alice = jmap_user()
    alias = f"{unique('sales')}@example.test"
    mailserver.server.store.write(lambda txn: add_address(txn, alice.username, alias))
    plus = f"{alice.username}+lists@example.test"
    replies = lmtp_deliver(port_of(mailserver, "lmtp"), "bob@sender.test", [alias, plus], message("aliased"))
    assert replies[alias][0] == 250 and replies[plus][0] == 250
    delivered = sorted(header(e, "Delivered-To")[0] for e in inbox_emails(alice))
    assert delivered == sorted([alias, plus])


def test_idn_domain_in_either_form_and_smtputf8_local_part(mailserver, jmap_user):
    """RFC 6531 (SMTPUTF8) and RFC 5890 (IDNA): a Unicode domain and its A-label are one domain;
    a UTF-8 address needs the SMTPUTF8 parameter (553 5.6.7 without it)."""
    alice = jmap_user()
    mailserver.server.store.write(lambda txn: add_domain(txn, "bücher.example"))
    utf8 = f"jürgen{unique()}@bücher.example"
    mailserver.server.store.write(lambda txn: add_address(txn, alice.username, utf8))
    raw = message("idn")
    with smtplib.LMTP("127.0.0.1", port_of(mailserver, "lmtp")) as client:
        client.ehlo("mta.example.test")
        client.command_encoding = "utf-8"
        client.mail("bob@sender.test")
        code, reply = client.rcpt(utf8)
        assert code == 553 and reply.startswith(b"5.6.7")
        client.rset()
        assert client.mail("bob@sender.test", ["SMTPUTF8"])[0] == 250
        assert client.rcpt(utf8)[0] == 250
        ascii_form = utf8.replace("bücher.example", "xn--bcher-kva.example")
        assert client.rcpt(ascii_form)[0] == 250
        assert client.data(raw)[0] == 250
        assert client.getreply()[0] == 250
    assert sorted(header(e, "Delivered-To")[0] for e in inbox_emails(alice)) == sorted([utf8, ascii_form])


def test_size_limit_at_mail_and_at_data(mailserver, jmap_user):
    """RFC 1870 §6: a declared SIZE over the limit is refused at MAIL with 552; data over it is
    refused after DATA with 552, once per recipient in LMTP (RFC 2033 §4.2); nothing is stored."""
    alice, carol = jmap_user(), jmap_user()
    rcpts = [f"{alice.username}@example.test", f"{carol.username}@example.test"]
    with smtplib.LMTP("127.0.0.1", port_of(mailserver, "lmtp")) as client:
        client.ehlo("mta.example.test")
        code, _ = client.mail("bob@sender.test", ["SIZE=300000"])
        assert code == 552
        assert client.mail("bob@sender.test")[0] == 250
        for rcpt in rcpts:
            assert client.rcpt(rcpt)[0] == 250
        code, _ = client.data(message("big", body="x" * 900 + "\r\n" * 1 + ("y" * 900 + "\r\n") * 250))
        assert code == 552
        assert client.getreply()[0] == 552
        assert client.noop()[0] == 250  # the session goes on, in step
    assert inbox_emails(alice) == [] and inbox_emails(carol) == []


def test_reply_joins_the_thread_it_names(mailserver, jmap_user):
    """RFC 8621 §3: a message whose In-Reply-To names a stored one joins its thread."""
    alice = jmap_user()
    address = f"{alice.username}@example.test"
    port = port_of(mailserver, "lmtp")
    parent_id = f"<{unique()}@sender.test>"
    lmtp_deliver(port, "bob@sender.test", [address], message("plans", message_id=parent_id))
    lmtp_deliver(port, "bob@sender.test", [address],
                 message("Re: plans", extra=f"In-Reply-To: {parent_id}\r\nReferences: {parent_id}\r\n"))
    emails = inbox_emails(alice)
    assert len(emails) == 2 and emails[0]["threadId"] == emails[1]["threadId"]
    inbox = alice.mailboxes()["inbox"]
    assert (inbox["totalEmails"], inbox["totalThreads"]) == (2, 1)


def test_resend_after_lost_reply_is_not_stored_twice(mailserver, jmap_user):
    """RFC 5321 §6.1: an MTA that did not get our 250 sends again; the copy already stored
    answers 250 and is not stored a second time."""
    alice = jmap_user()
    address = f"{alice.username}@example.test"
    raw = message("once")
    port = port_of(mailserver, "lmtp")
    assert lmtp_deliver(port, "bob@sender.test", [address], raw)[address][0] == 250
    again = lmtp_deliver(port, "bob@sender.test", [address], raw)[address]
    assert again[0] == 250 and b"already delivered" in again[1]
    assert len(inbox_emails(alice)) == 1


def test_new_mail_is_pushed_and_in_changes(mailserver, jmap_user):
    """RFC 8620 §7.3: an EventSource client gets a StateChange with the new Email and Mailbox
    states, and RFC 8621 §1.5's EmailDelivery for new mail; §5.2: Email/changes lists the new
    message as created."""
    alice = jmap_user()
    address = f"{alice.username}@example.test"
    state = alice.ok("Email/get", {"ids": []})["state"]
    url = (alice.session["eventSourceUrl"].replace("{types}", "*").replace("{closeafter}", "state")
           .replace("{ping}", "0"))
    events = []
    with alice.http.stream("GET", url, timeout=15) as response:
        assert response.status_code == 200
        threading.Timer(0.3, lambda: lmtp_deliver(port_of(mailserver, "lmtp"), "bob@sender.test", [address],
                                                  message("pushed"))).start()
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
                break
    changed = events[0]["changed"][alice.account_id]
    assert {"Email", "Mailbox", "EmailDelivery"} <= set(changed)
    created = alice.ok("Email/changes", {"sinceState": state})["created"]
    assert len(created) == 1
    assert alice.ok("Email/get", {"ids": created, "properties": ["subject"]})["list"][0]["subject"] == "pushed"


def test_bare_lf_from_the_mta_is_stored_with_crlf(mailserver, jmap_user):
    """RFC 5322 §2.1 (CRLF line endings) and RFC 2033: an MTA that hands over bare LF lines gets
    its message stored with CRLF, headers intact."""
    alice = jmap_user()
    address = f"{alice.username}@example.test"
    raw = message("bare lf").replace(b"\r\n", b"\n")
    with smtplib.LMTP("127.0.0.1", port_of(mailserver, "lmtp")) as client:
        client.ehlo("mta.example.test")
        client.mail("bob@sender.test")
        client.rcpt(address)
        client.send(b"DATA\r\n")
        assert client.getreply()[0] == 354
        client.send(raw + b"\r\n.\r\n")
        assert client.getreply()[0] == 250
    [email] = inbox_emails(alice)
    assert email["subject"] == "bare lf" and header(email, "From") == ["Bob <bob@sender.test>"]


def test_mail_streamed_over_two_connections_is_searchable_soon_after_each_250(mailserver, jmap_user):
    """RFC 2033 §4.2 (250 after the message is stored) and RFC 8621 §4.4.1 (`text` finds it):
    while messages keep arriving on two LMTP connections (the index gathering them into few
    commits), each sampled message is found by a text search within seconds of its 250 (2 s p99
    is the benchmark's figure), and a lone message after the stream as quickly."""
    import queue
    import time

    alice = jmap_user()
    address = f"{alice.username}@example.test"
    port = port_of(mailserver, "lmtp")
    acked: queue.Queue = queue.Queue()
    failures: list[str] = []

    def stream(first: int) -> None:
        try:
            with smtplib.LMTP("127.0.0.1", port) as client:
                client.ehlo("mta.example.test")
                for n in range(first, first + 40):
                    client.mail("bob@sender.test")
                    client.rcpt(address)
                    code, reply = client.data(message(f"stream {n}", body=f"stream body zqstream{n}x"))
                    if code != 250:
                        failures.append(f"{n}: {code} {reply!r}")
                    if n % 8 == 0:
                        acked.put((f"zqstream{n}x", time.monotonic()))
        except Exception as exc:  # reported by the main thread
            failures.append(repr(exc))

    senders = [threading.Thread(target=stream, args=(first,)) for first in (0, 1000)]
    for sender in senders:
        sender.start()

    def found_after(token: str, since: float) -> float:
        while True:
            if alice.ok("Email/query", {"filter": {"text": token}})["ids"]:
                return time.monotonic() - since
            assert time.monotonic() - since < 10, f"{token} not found"
            time.sleep(0.02)

    lags = []
    while any(s.is_alive() for s in senders) or not acked.empty():
        try:
            token, since = acked.get(timeout=0.1)
        except queue.Empty:
            continue
        lags.append(found_after(token, since))
    for sender in senders:
        sender.join()
    assert not failures
    assert len(lags) == 10
    assert max(lags) < 5.0, lags  # the 2 s figure is the benchmark's (bench/lmtp_bench.py); a loaded machine stretches it
    time.sleep(0.3)  # the stream is over: a quiet spell longer than the index's window
    replies = lmtp_deliver(port, "bob@sender.test", [address], message("lone", body="lone zqlonely"))
    since = time.monotonic()
    assert replies[address][0] == 250
    assert found_after("zqlonely", since) < 5.0
    assert alice.mailboxes()["inbox"]["totalEmails"] == 81


def test_a_large_message_for_two_is_stored_for_each(mailserver, jmap_user):
    """RFC 2033 §4.2: a message whose copies are too large to parse on the event loop (150 KB for
    two recipients) is parsed in a thread instead, and each recipient still gets its 250 after
    the commit and its own copy, whole."""
    alice, carol = jmap_user(), jmap_user()
    a, c = f"{alice.username}@example.test", f"{carol.username}@example.test"
    body = "\r\n".join(f"line {n} " + "x" * 70 for n in range(2000))
    replies = lmtp_deliver(port_of(mailserver, "lmtp"), "bob@sender.test", [a, c], message("large", body=body))
    assert replies[a][0] == 250 and replies[c][0] == 250
    for client in (alice, carol):
        [email] = inbox_emails(client, properties=("subject", "size"))
        assert email["subject"] == "large" and email["size"] > 150_000
