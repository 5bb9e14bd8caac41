"""SMTP as the MX (RFC 5321): relaying refused, STARTTLS (RFC 3207), limits, and bad input, each
answered with its reply code (or a timeout) and never a crash or a stored fragment."""

from __future__ import annotations

import smtplib
import socket
import time

from jmapd.config import Receiving
from jmapd.mail.addresses import add_domain
from jmapd.testing import LiveServer

from .conftest import client_tls, inbox_emails, message, port_of, unique


def mx(mailserver) -> smtplib.SMTP:
    client = smtplib.SMTP("127.0.0.1", port_of(mailserver, "smtp"), timeout=10)
    client.ehlo("mail.sender.test")
    return client


def raw_session(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    assert sock.recv(1024).startswith(b"220")
    return sock


def read_replies(sock: socket.socket, count: int) -> list[bytes]:
    """`count` complete replies (multi-line ones joined), in order."""
    buffer, replies = b"", []
    while len(replies) < count:
        chunk = sock.recv(65536)
        if not chunk:
            break
        buffer += chunk
        while b"\r\n" in buffer and len(replies) < count:
            line, buffer = buffer.split(b"\r\n", 1)
            replies.append(line) if line[3:4] != b"-" else None
    return replies


def test_relaying_for_outside_domains_is_refused(mailserver):
    """RFC 5321 §3.6.2 and §7.1: an MX refuses to relay for unauthenticated clients, 550 5.7.1."""
    with mx(mailserver) as client:
        client.mail("bob@sender.test")
        code, reply = client.rcpt("victim@elsewhere.test")
        assert code == 550 and reply.startswith(b"5.7.1")
        code, reply = client.rcpt(f"{unique('nobody')}@example.test")
        assert code == 550 and reply.startswith(b"5.1.1")


def test_starttls_then_delivery_is_recorded_as_esmtps(mailserver, jmap_user):
    """RFC 3207 §4: STARTTLS is offered and works with the server's certificate; RFC 3848: the
    Received field says ESMTPS."""
    alice = jmap_user()
    with mx(mailserver) as client:
        assert client.has_extn("starttls")
        assert not client.has_extn("auth")  # no AUTH on the MX
        client.starttls(context=client_tls())
        client.ehlo("mail.sender.test")
        client.sendmail("bob@sender.test", [f"{alice.username}@example.test"], message("secret"))
    [email] = inbox_emails(alice)
    received = next(h["value"] for h in email["headers"] if h["name"] == "Received")
    assert "with ESMTPS" in received


def test_recipient_limit_is_452(mailserver, jmap_user):
    """RFC 5321 §4.5.3.1.10: past the recipient limit, RCPT gets 452 and the others still go."""
    alice = jmap_user()
    address = f"{alice.username}@example.test"
    with mx(mailserver) as client:
        client.mail("bob@sender.test")
        for n in range(5):
            assert client.rcpt(address.replace("@", f"+{n}@"))[0] == 250
        code, reply = client.rcpt(address)
        assert code == 452 and reply.startswith(b"4.5.3")
        assert client.data(message("many"))[0] == 250
    assert len(inbox_emails(alice)) == 5


def test_pipelined_commands_are_answered_in_order(mailserver, jmap_user):
    """RFC 2920 §3.1 (pipelining): commands sent in one go get their replies in order."""
    alice = jmap_user()
    sock = raw_session(port_of(mailserver, "smtp"))
    with sock:
        sock.sendall(b"EHLO mail.sender.test\r\nMAIL FROM:<bob@sender.test>\r\n"
                     b"RCPT TO:<nobody-at-all@example.test>\r\n"
                     + f"RCPT TO:<{alice.username}@example.test>\r\n".encode() + b"DATA\r\n")
        replies = read_replies(sock, 5)
        assert [r[:3] for r in replies] == [b"250", b"250", b"550", b"250", b"354"]
        sock.sendall(message("pipelined") + b".\r\nQUIT\r\n")
        assert [r[:3] for r in read_replies(sock, 2)] == [b"250", b"221"]
    assert [e["subject"] for e in inbox_emails(alice)] == ["pipelined"]


def data_reply(mailserver, rcpt: str, payload: bytes) -> bytes:
    sock = raw_session(port_of(mailserver, "smtp"))
    with sock:
        sock.sendall(b"EHLO mail.sender.test\r\nMAIL FROM:<bob@sender.test>\r\n"
                     + f"RCPT TO:<{rcpt}>\r\n".encode() + b"DATA\r\n")
        assert read_replies(sock, 4)[-1].startswith(b"354")
        sock.sendall(payload + b".\r\n")
        [reply] = read_replies(sock, 1)
        sock.sendall(b"NOOP\r\n")
        assert read_replies(sock, 1)[0].startswith(b"250")  # the session is still in step
        return reply


def test_bad_content_gets_its_reply_and_nothing_is_stored(mailserver, jmap_user):
    """RFC 5321 §2.3.8 (bare LF, NUL are not mail), §4.5.3.1.6 (lines of at most 1000 octets): each
    is refused with a 5xx reply after DATA; 8-bit data without BODY=8BITMIME is taken as it is
    (RFC 6152 §3 leaves it to the server; refusing it would lose mail from old senders)."""
    alice = jmap_user()
    rcpt = f"{alice.username}@example.test"
    assert data_reply(mailserver, rcpt, message("bare").replace(b"\r\n", b"\n") + b"\r\n").startswith(b"554 5.6.0")
    assert data_reply(mailserver, rcpt, message("nul", body="a\x00b")).startswith(b"554 5.6.0")
    assert data_reply(mailserver, rcpt, message("long", body="x" * 1200)).startswith(b"500")
    assert inbox_emails(alice) == []
    assert data_reply(mailserver, rcpt, message("eight", body="caf\u00e9 na\u00efve")).startswith(b"250")
    assert [e["subject"] for e in inbox_emails(alice)] == ["eight"]


def test_connection_dropped_mid_data_stores_nothing(mailserver, jmap_user):
    """RFC 5321 §4.1.1.4: a message is the sender's until the end-of-data indication is
    acknowledged; cut off before it, nothing is stored and the server goes on serving."""
    alice = jmap_user()
    sock = raw_session(port_of(mailserver, "smtp"))
    sock.sendall(b"EHLO mail.sender.test\r\nMAIL FROM:<bob@sender.test>\r\n"
                 + f"RCPT TO:<{alice.username}@example.test>\r\n".encode() + b"DATA\r\n")
    assert read_replies(sock, 4)[-1].startswith(b"354")
    sock.sendall(message("cut off")[:60])
    sock.close()
    time.sleep(0.3)
    with mx(mailserver) as client:
        assert client.noop()[0] == 250
    assert inbox_emails(alice) == []


def test_idle_client_and_stalled_data_time_out(mailserver):
    """RFC 5321 §4.5.3.2: a client that sends no command, or never finishes DATA, is disconnected
    after the phase's timeout (3 s between commands and 4 s for DATA in this server)."""
    idle = raw_session(port_of(mailserver, "smtp"))
    stalled = raw_session(port_of(mailserver, "smtp"))
    stalled.sendall(b"EHLO x.test\r\nMAIL FROM:<a@sender.test>\r\nRCPT TO:<postmaster@example.test>\r\n")
    started = time.monotonic()
    for sock in (idle, stalled):
        sock.settimeout(8)
        received = b""
        while chunk := sock.recv(4096):
            received += chunk
        sock.close()
    assert time.monotonic() - started < 8


def test_timeouts_count_from_each_command_and_data_has_its_own():
    """RFC 5321 §4.5.3.2: the command timeout counts from the client's last command, so a client
    that keeps talking is served past it and one that stops is closed once it runs out; DATA has
    its longer timeout, and the next command brings the shorter one back at once (here 0.5 s
    between commands and 3 s for DATA)."""
    with LiveServer(lmtp="127.0.0.1:0", receiving=Receiving(command_timeout=0.5, data_timeout=3.0)) as server:
        server.server.store.write(lambda txn: add_domain(txn, "example.test"))
        server.add_user("tim", "pw-tim", "tim@example.test")
        sock = raw_session(port_of(server, "lmtp"))
        with sock:
            sock.sendall(b"LHLO mta.test\r\n")
            read_replies(sock, 1)
            started = time.monotonic()
            while time.monotonic() - started < 1.2:  # talking for more than twice the command timeout
                sock.sendall(b"NOOP\r\n")
                assert read_replies(sock, 1)[0].startswith(b"250")
                time.sleep(0.25)
            sock.sendall(b"MAIL FROM:<a@sender.test>\r\nRCPT TO:<tim@example.test>\r\nDATA\r\n")
            assert read_replies(sock, 3)[2].startswith(b"354")
            time.sleep(0.8)  # longer than the command timeout, well within DATA's
            sock.sendall(message("slow data") + b".\r\n")
            assert read_replies(sock, 1)[0].startswith(b"250")
            sock.sendall(b"NOOP\r\n")
            last = time.monotonic()
            assert read_replies(sock, 1)[0].startswith(b"250")
            sock.settimeout(5)
            assert sock.recv(1024) == b""  # closed
            idle = time.monotonic() - last
        assert 0.45 < idle < 2.0, idle  # the command timeout, not what was left of DATA's 3 s


def test_bad_command_lines_are_answered_and_the_session_goes_on(mailserver):
    """RFC 5321 §4.2.4 and §4.5.3.1.4: an empty line, a command that is not ASCII or not known,
    and a line over the limit (512 octets here, or past the reader's 1,001) each get a 500 reply
    and the session goes on; the fifth unknown command ends it (502)."""
    sock = raw_session(port_of(mailserver, "smtp"))
    with sock:
        sock.sendall(b"EHLO x.test\r\n\r\n\xffOO\r\nFOO bar\r\nNOOP " + b"x" * 600 + b"\r\nNOOP "
                     + b"y" * 1500 + b"\r\nNOOP\r\n")
        replies = read_replies(sock, 7)
        assert replies[0].startswith(b"250 ") and replies[6].startswith(b"250 ")
        assert replies[1:6] == [b"500 Error: bad syntax", b"500 Error: bad syntax",
                                b'500 Error: command "FOO" not recognized', b"500 Command line too long",
                                b"500 Command line too long"]
        sock.sendall(b"BAR\r\n" * 4)
        replies = read_replies(sock, 4)
        assert replies == [b'500 Error: command "BAR" not recognized'] * 3 + [
            b"502 5.5.1 Too many unrecognized commands, goodbye."]
        assert sock.recv(1024) == b""


def test_too_many_commands_before_data_closes_with_421(mailserver):
    """RFC 5321 §4.5.3.2 and §3.8: a client that keeps talking without sending a message is told
    421 and disconnected (150 commands per transaction in the default settings)."""
    sock = raw_session(port_of(mailserver, "smtp"))
    with sock:
        sock.sendall(b"NOOP\r\n" * 160)
        replies = read_replies(sock, 160)
        assert replies[149].startswith(b"250") and replies[150].startswith(b"421")
        assert len(replies) == 151  # then the server closed the connection


def test_connections_per_address_are_capped():
    """RFC 5321 §4.5.3.2 (a server may refuse connections it cannot serve): past the cap per client
    address, a new connection gets 421 4.7.0 at once; one closed frees a place."""
    with LiveServer(smtp="127.0.0.1:0", receiving=Receiving(max_connections_per_ip=3)) as server:
        port = port_of(server, "smtp")
        held = [raw_session(port) for _ in range(3)]
        refused = socket.create_connection(("127.0.0.1", port), timeout=5)
        assert refused.recv(1024).startswith(b"421 4.7.0")
        refused.close()
        held.pop().close()
        time.sleep(0.2)
        raw_session(port).close()
        for sock in held:
            sock.close()


def test_a_thousand_slow_connections_do_not_stop_others(mailserver, jmap_user):
    """No request may stall other users: a thousand connections that say nothing are held by the
    event loop while a client delivers at the same time (served one after another, it would wait
    for their 3 s timeouts: hours; the bound leaves room for a busy machine)."""
    alice = jmap_user()
    port = port_of(mailserver, "smtp")
    slow = []
    try:
        for _ in range(1000):
            slow.append(socket.create_connection(("127.0.0.1", port), timeout=10))
        started = time.monotonic()
        with mx(mailserver) as client:
            client.sendmail("bob@sender.test", [f"{alice.username}@example.test"], message("not stalled"))
        assert time.monotonic() - started < 8.0
    finally:
        for sock in slow:
            sock.close()
    assert [e["subject"] for e in inbox_emails(alice)] == ["not stalled"]


def test_domain_and_catch_all(mailserver, jmap_user):
    """A domain's catch-all user gets mail for addresses nobody has; RFC 5321 §2.4 domains
    compare case-insensitively."""
    alice = jmap_user()
    domain = f"{unique('catch')}.test"
    mailserver.server.store.write(lambda txn: add_domain(txn, domain, catch_all=alice.username))
    with mx(mailserver) as client:
        client.sendmail("bob@sender.test", [f"anything@{domain.upper()}"], message("caught"))
    assert [e["subject"] for e in inbox_emails(alice)] == ["caught"]


def test_addresses_that_are_not_utf8_are_malformed(mailserver):
    """RFC 6531 §3.3 (UTF-8 addresses) and RFC 5321 §4.2.2: bytes that are not UTF-8 in a path are
    a malformed address, 553 5.1.3; the session goes on."""
    sock = raw_session(port_of(mailserver, "smtp"))
    with sock:
        sock.sendall(b"EHLO x.test\r\nMAIL FROM:<a\xff@b.test> SMTPUTF8\r\nMAIL FROM:<a@b.test> SMTPUTF8\r\n"
                     b"RCPT TO:<x\xc3@example.test>\r\nNOOP\r\n")
        replies = read_replies(sock, 5)
    assert [r[:9] for r in replies] == [b"250 HELP", b"553 5.1.3", b"250 2.1.0", b"553 5.1.3", b"250 2.0.0"]
