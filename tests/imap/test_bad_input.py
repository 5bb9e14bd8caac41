"""Malformed and hostile input over a raw socket: each gets BAD or NO with a text, the connection
stays usable, and nothing is half-written (RFC 9051 §7.1.3, §7.1.2, §4.3)."""

from __future__ import annotations

import socket

import pytest

from jmapd.imap.errors import ParseError
from jmapd.imap.parser import Parser
from jmapd.testing import LiveServer

from .conftest import message


class Raw:
    """A plain socket speaking IMAP, to send what no client library would."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buffer = b""
        self.greeting = self.line()

    def line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def until(self, tag: bytes) -> list[bytes]:
        lines = []
        while True:
            line = self.line()
            lines.append(line)
            if line.startswith(tag + b" ") or line.startswith(b"* BYE"):
                return lines

    def command(self, text: bytes, tag: bytes = b"t1") -> list[bytes]:
        self.send(tag + b" " + text + b"\r\n")
        return self.until(tag)

    def login(self, account) -> None:
        assert self.command(b"LOGIN %s %s" % (account.name.encode(), account.password.encode()))[-1].startswith(b"t1 OK")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def raw(account):
    r = Raw(account.port)
    r.login(account)
    yield r
    r.close()


@pytest.mark.parametrize("command, status", [
    (b"FETCH 1 (FLAGS", b"BAD"),                      # unbalanced parenthesis (in the selected state)
    (b"FETCH 1 FLAGS)", b"BAD"),
    (b"FETCH 0 FLAGS", b"BAD"),                       # sequence numbers start at 1
    (b"FETCH 4294967296 FLAGS", b"BAD"),              # beyond 32 bits
    (b"UID FETCH 1:4294967296 FLAGS", b"BAD"),
    (b"FETCH 1 (NOSUCHITEM)", b"BAD"),
    (b"FETCH 1 BODY[1.MIME", b"BAD"),
    (b"FETCH 5 FLAGS", b"NO"),                        # beyond the mailbox: refused with a reason
    (b"SEARCH CHARSET KOI9 ALL", b"NO [BADCHARSET"),
    (b"SEARCH FROBNICATE", b"BAD"),
    (b"SEARCH BEFORE 31-Foo-2020", b"BAD"),
    (b"STORE 1 +FLAGS (\\Bogus)", b"BAD"),
    (b"STORE 1 SOMEFLAGS (\\Seen)", b"BAD"),
    (b'STORE 1 +FLAGS ("unterminated)', b"BAD"),
    (b"COPY 1", b"BAD"),
    (b"SELECT", b"BAD"),
    (b'SELECT "INBOX" (FOO)', b"BAD"),
    (b"LIST", b"BAD"),
    (b"STATUS INBOX (BOGUS)", b"BAD"),
    (b'APPEND INBOX (\\Seen) "99-Xyz-2020 00:00:00 +0000" {3+}\r\nabc', b"BAD"),
    (b"APPEND INBOX {-5}", b"BAD"),
    (b"UID FROB 1", b"BAD"),
    (b"IDLE extra", b"BAD"),
])
def test_malformed_commands_get_bad_or_no(raw, command, status):
    """RFC 9051 §7.1.3 BAD for what cannot be parsed, §7.1.2 NO for what is refused, each with a
    text; the connection then answers NOOP."""
    raw.command(b'APPEND INBOX {%d+}\r\n%s' % (len(message()), message()), b"a0")
    raw.command(b"SELECT INBOX", b"s0")
    answer = raw.command(command)[-1]
    assert answer.startswith(b"t1 " + status), answer
    assert len(answer) > len(b"t1 " + status) + 3  # with a reason
    assert raw.command(b"NOOP", b"t2")[-1].startswith(b"t2 OK")


def test_sequence_on_empty_mailbox(raw):
    """RFC 9051 §6.4.5 / §9 seq-number: `1:*` on an empty mailbox is refused with NO, while
    UID FETCH 1:* answers nothing (no UIDs match)."""
    raw.command(b"CREATE Empty")
    raw.command(b"SELECT Empty")
    assert raw.command(b"FETCH 1:* FLAGS")[-1].startswith(b"t1 NO")
    assert raw.command(b"UID FETCH 1:* FLAGS") == [b"t1 OK FETCH completed"]
    assert raw.command(b"SEARCH ALL") == [b"* SEARCH", b"t1 OK SEARCH completed"]


def test_commands_in_the_wrong_state(account):
    """RFC 9051 §3: commands of another state are BAD naming why."""
    r = Raw(account.port)
    assert r.command(b"SELECT INBOX")[-1].startswith(b"t1 BAD SELECT is not allowed before logging in")
    r.login(account)
    assert r.command(b"FETCH 1 FLAGS")[-1].startswith(b"t1 BAD FETCH is not allowed without a selected mailbox")
    assert r.command(b"LOGIN a b")[-1].startswith(b"t1 BAD LOGIN is not allowed once logged in")
    r.close()


def test_missing_tag_and_empty_line(raw):
    """RFC 9051 §7.1.3: a line that is not a command gets an untagged BAD."""
    raw.send(b"\r\n")
    assert raw.line().startswith(b"* BAD")
    raw.send(b"justatag\r\n")
    assert raw.line().startswith(b"* BAD")
    assert raw.command(b"NOOP")[-1].startswith(b"t1 OK")


def test_huge_synchronizing_literal_is_refused_before_it_is_sent(raw):
    """RFC 9051 §7.5 / RFC 7889 APPENDLIMIT: a literal over the limit is refused with
    NO [TOOBIG] instead of a continuation, and the connection goes on."""
    answer = raw.command(b"APPEND INBOX {999999999999}")
    assert answer[-1].startswith(b"t1 NO [TOOBIG]")
    answer = raw.command(b"LOGIN {99999999}")
    assert answer[-1].startswith(b"t1 BAD") or answer[-1].startswith(b"t1 NO [TOOBIG]")
    assert raw.command(b"NOOP", b"t2")[-1].startswith(b"t2 OK")


def test_huge_non_synchronizing_literal_closes_with_a_reason(raw):
    """RFC 7888 §4: a non-synchronizing literal over the limit cannot be refused before it is
    sent; the server answers BAD [TOOBIG] and says BYE."""
    raw.send(b"t1 APPEND INBOX {999999999+}\r\n")
    lines = raw.until(b"t1")
    assert lines[-1].startswith(b"* BYE") or lines[-1].startswith(b"t1 BAD [TOOBIG]")


def test_overlong_line(raw):
    """RFC 9051 §4: a line over the server's limit is BAD; the next command works."""
    raw.send(b"t1 NOOP " + b"x" * 200_000 + b"\r\n")
    assert raw.line().startswith(b"* BAD line longer than")
    assert raw.command(b"NOOP", b"t2")[-1].startswith(b"t2 OK")


def test_disconnect_mid_literal_writes_nothing(account):
    """RFC 9051 §6.3.12: an APPEND whose literal never arrives stores nothing."""
    r = Raw(account.port)
    r.login(account)
    r.send(b"t1 APPEND INBOX {1000}\r\n")
    assert r.line().startswith(b"+")
    r.send(b"From: half\r\n\r\nonly part of the message")
    r.close()
    r2 = Raw(account.port)
    r2.login(account)
    assert b"MESSAGES 0" in r2.command(b"STATUS INBOX (MESSAGES)")[0]
    r2.close()


def test_failed_logins_back_off():
    """Security (RFC 9051 §11.2 leaves it to the server): failed LOGINs back off with the shared
    per-user and per-address limits; once blocked, even the right password is refused with
    NO [UNAVAILABLE] and the seconds to wait, without being checked."""
    from jmapd.limits.logins import LoginLimits

    with LiveServer(imap="127.0.0.1:0", logins=LoginLimits(free_per_user=2, free_per_address=50)) as server:
        server.add_user("victim", "right-pw")
        r = Raw(server.server.extras["imap"].port)
        for n in range(3):
            assert r.command(b"LOGIN victim wrong%d" % n)[-1].startswith(b"t1 NO [AUTHENTICATIONFAILED]")
        answer = r.command(b"LOGIN victim right-pw")[-1]
        assert answer.startswith(b"t1 NO [UNAVAILABLE]") and b"try again in" in answer
        assert r.command(b"NOOP", b"t2")[-1].startswith(b"t2 OK")
        r.close()


@pytest.mark.parametrize("text, ranges", [
    (b"1,3:5,*,7:*,9:2", [(1, 1), (3, 5), (None, None), (7, None), (9, 2)]),
    (b",".join(b"%d" % n for n in range(100, 150)), [(n, n) for n in range(100, 150)]),
    (b"4294967295:1 rest", [(4294967295, 1)]),
])
def test_sequence_sets_are_read_whole(text, ranges):
    """RFC 9051 §9 sequence-set: numbers, ranges either way round and `*`, read up to the first
    character that is not part of the set."""
    p = Parser(text)
    assert p.sequence_set().ranges == ranges
    assert text[p.pos:] in (b"", b" rest")


@pytest.mark.parametrize("text, reason", [
    (b"1:0", "number out of range: 0"),
    (b"4294967296", "number out of range: 4294967296"),
    (b"1,5:", "expected a number"),
    (b"*: 3", "expected a number"),
    (b"2,,3", "expected a number"),
])
def test_sequence_sets_that_are_not_get_their_reason(text, reason):
    """RFC 9051 §9 nz-number: a number in a set is from 1 to 4294967295, and a comma or a colon
    is followed by one; otherwise the command is BAD with the reason."""
    with pytest.raises(ParseError, match=reason):
        Parser(text).sequence_set()
