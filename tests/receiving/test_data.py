"""The message after DATA, read in large pieces (jmapd.smtp.data): the end of data, dot-stuffing,
the line and size limits (RFC 5321 §4.1.1.4, §4.5.2, §4.5.3.1.6; RFC 1870 §6), wherever the
pieces the client's writes arrive in happen to split it; and on a real LMTP listener (RFC 2033)."""

from __future__ import annotations

import random
import socket
import time

from jmapd.smtp.data import DataState, DotData

from .conftest import inbox_emails, port_of


def line_by_line(stream: bytes, limit: int | None, line_limit: int = 1001) -> tuple[DataState, bytes, int]:
    """What a server reading a line at a time makes of `stream` (state, content, octets used): a
    line of a single "." ends the data, a leading "." is removed from the others (§4.5.2); a line
    too long for the reader (over `line_limit` octets before its CRLF) is refused before its
    octets are counted, a shorter one over the limit with its CRLF after them (§4.5.3.1.6); more
    than `limit` octets is too much (RFC 1870 §6). The first problem met is the one answered."""
    state, total, used, content = DataState.NOMINAL, 0, 0, []
    while True:
        end = stream.index(b"\r\n", used) + 2
        line, used = stream[used:end], end
        if line == b".\r\n":
            break
        if state is DataState.NOMINAL and len(line) - 2 > line_limit:
            state = DataState.TOO_LONG
        total += len(line)
        if state is DataState.NOMINAL and limit and total > limit:
            state = DataState.TOO_MUCH
        if state is DataState.NOMINAL and len(line) > line_limit:
            state = DataState.TOO_LONG
        content.append(line[1:] if line.startswith(b".") else line)
    return state, b"".join(content) if state is DataState.NOMINAL else b"", used


def read_in_pieces(stream: bytes, cuts: list[int], limit: int | None) -> tuple[DataState, bytes, int]:
    data = DotData(limit)
    start = 0
    for cut in [*cuts, len(stream)]:
        used = data.feed(stream[start:cut])
        if used is not None:
            return data.state, data.content, start + used
        start = cut
    raise AssertionError("the end of data was not found")


TRICKY = [
    b".\r\n",  # an empty message
    b"\r\n.\r\n",  # one empty line
    b"..\r\n.\r\n",  # a line of a single "." (stuffed)
    b"...\r\n.\r\n",  # a line of only ".."
    b"Subject: x\r\n\r\n.starts with a dot\r\n..\r\nends with a dot.\r\na . inside\r\n\r\n.\r\n",
    b"bare\n.\r\nLF then dot\r\n.\r\n",  # "\n.\r\n" is not the end: the dot is inside a line
    b"x\r\n.\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n",  # pipelined commands follow
    b"a" * 999 + b"\r\n.\r\n",  # the longest line allowed with its CRLF (1001)
    b"a" * 1000 + b"\r\nnext\r\n.\r\n",  # one octet too long
    b"b" * 3000 + b"\r\n..\r\n.\r\n",  # far too long
]


def test_every_split_of_tricky_data_reads_the_same():
    """RFC 5321 §4.1.1.4 and §4.5.2: the end of data and dot-unstuffing do not depend on where the
    octets were split in transit: the end split across reads, a stuffed dot at a piece's edge, a
    line of only "..", a lone "." inside a line; the octets after the end are left for the
    command loop (RFC 2920 §3.1)."""
    for stream in TRICKY:
        for limit in (None, 1500):
            expected = line_by_line(stream, limit)
            assert read_in_pieces(stream, [], limit) == expected, stream[:40]
            assert read_in_pieces(stream, list(range(1, len(stream))), limit) == expected, stream[:40]
            for cut in range(1, len(stream)):
                assert read_in_pieces(stream, [cut], limit) == expected, (stream[:40], cut)


def test_limits_meet_the_way_a_line_reader_meets_them():
    """RFC 5321 §4.5.3.1.6 (1000-octet lines, 1001 with a transparent dot) and RFC 1870 §6 (the
    size limit): over random messages of lines near both limits, the refusal (500 or 552) is the
    one a line-by-line reader gives, in whatever pieces the octets come."""
    rng = random.Random(14)
    for _ in range(400):
        lines = [rng.choice([b"", b".", b"x" * rng.randrange(0, 40), b"y" * rng.randrange(990, 1010),
                             b"." + b"z" * rng.randrange(995, 1003), b"w" * rng.randrange(1000, 3000)])
                 for _ in range(rng.randrange(1, 12))]
        stream = b"".join((b"." + line if line.startswith(b".") else line) + b"\r\n" for line in lines) + b".\r\n"
        limit = rng.choice([None, rng.randrange(1, len(stream) + 200)])
        cuts = sorted(rng.sample(range(1, len(stream)), min(len(stream) - 1, rng.randrange(0, 6))))
        assert read_in_pieces(stream, cuts, limit) == line_by_line(stream, limit), (lines, limit, cuts)


def test_refused_data_is_not_kept_while_it_is_read():
    """RFC 1870 §6: data past the size limit is read to its end and dropped, not held."""
    data = DotData(1000)
    assert data.feed(b"a" * 900 + b"\r\n") is None
    for _ in range(100):
        assert data.feed((b"b" * 998 + b"\r\n") * 50) is None
    assert data.state is DataState.TOO_MUCH and len(data._buffer) <= 4
    assert data.feed(b".") is None and data.feed(b"\r\nRSET\r\n") == 2
    assert data.content == b""


def lmtp_session(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"LHLO mta.example.test\r\n")
    received = b""
    while not received.endswith(b"\r\n") or b"250 " not in received:
        received += sock.recv(4096)
    return sock


def replies(sock: socket.socket, count: int) -> list[bytes]:
    buffer, found = b"", []
    while len(found) < count:
        chunk = sock.recv(65536)
        assert chunk, found
        buffer += chunk
        while b"\r\n" in buffer and len(found) < count:
            line, buffer = buffer.split(b"\r\n", 1)
            found.append(line)
    return found


def test_data_in_pieces_on_the_listener_is_stored_unstuffed(mailserver, jmap_user):
    """RFC 5321 §4.5.2 and RFC 2033 §4.2: the message's octets sent in pieces, with pauses, the end
    split across them and a stuffed dot at the edge of one, are stored unstuffed; the next
    transaction, pipelined right after the end (RFC 2920 §3.1), is answered in order."""
    alice = jmap_user()
    envelope = f"MAIL FROM:<bob@sender.test>\r\nRCPT TO:<{alice.username}@example.test>\r\nDATA\r\n".encode()
    sock = lmtp_session(port_of(mailserver, "lmtp"))
    with sock:
        sock.sendall(envelope)
        assert [r[:3] for r in replies(sock, 3)] == [b"250", b"250", b"354"]
        head = b"From: bob@sender.test\r\nSubject: pieces\r\nMessage-ID: <pieces@sender.test>\r\n\r\n"
        for piece in (head + b"first\r\n.", b".\r\n...\r\n", b"a . inside\r\n.", b"dotted\r\n\r\n.", b"\r", b"\n"):
            sock.sendall(piece)
            time.sleep(0.05)  # each piece its own read
        [stored] = replies(sock, 1)
        assert stored.startswith(b"250"), stored
        sock.sendall(envelope)
        assert [r[:3] for r in replies(sock, 3)] == [b"250", b"250", b"354"]
        sock.sendall(head.replace(b"pieces", b"second") + b"body\r\n.\r\n" + envelope)
        assert [r[:3] for r in replies(sock, 4)] == [b"250", b"250", b"250", b"354"]
        sock.sendall(b"..\r\n.\r\nQUIT\r\n")
        assert [r[:3] for r in replies(sock, 2)] == [b"250", b"221"]
    emails = {e["subject"]: e for e in inbox_emails(alice, properties=("subject", "bodyValues", "textBody"))}
    assert set(emails) == {"pieces", "second", None}
    for subject, text in (("pieces", "first\r\n.\r\n..\r\na . inside\r\ndotted\r\n\r\n"), ("second", "body\r\n")):
        email = alice.ok("Email/get", {"ids": [emails[subject]["id"]], "properties": ["bodyValues"],
                                       "fetchTextBodyValues": True})["list"][0]
        [value] = email["bodyValues"].values()
        assert value["value"].replace("\r\n", "\n") == text.replace("\r\n", "\n")


def test_a_long_pipelined_run_gets_every_reply_in_order(mailserver, jmap_user):
    """RFC 2920 §3.1 and RFC 2033 §4.2: a client that sends many commands in one go gets every
    reply, in order, however many are written together; the transaction after them still works."""
    alice = jmap_user()
    sock = lmtp_session(port_of(mailserver, "lmtp"))
    with sock:
        sock.sendall(b"NOOP\r\n" * 100 + b"RSET\r\nMAIL FROM:<bob@sender.test>\r\n"
                     + f"RCPT TO:<{alice.username}@example.test>\r\n".encode() + b"DATA\r\n")
        got = replies(sock, 104)
        assert [r[:3] for r in got] == [b"250"] * 103 + [b"354"]
        sock.sendall(b"Subject: after the run\r\n\r\nbody\r\n.\r\nQUIT\r\n")
        assert [r[:3] for r in replies(sock, 2)] == [b"250", b"221"]
    assert [e["subject"] for e in inbox_emails(alice)] == ["after the run"]
