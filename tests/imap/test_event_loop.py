"""Which commands are answered on the event loop and which in a worker thread: a FETCH of a few
messages' records and header fields, or of small messages, is of bounded cost and runs on the
loop; one that may read much, parse much or commit (\\Seen) goes to a thread, so that a 50 MB
message never holds up other sessions. Either way the answer, and what other sessions changed,
arrive as RFC 9051 says."""

from __future__ import annotations

import time

from jmapd.imap.commands import COMMANDS, UID_COMMANDS
from jmapd.imap.parser import Parser

from .conftest import message


def session_of(account):
    """The server's session of the account's one connection (once it has selected a mailbox)."""
    service = account.server.server.extras["imap"]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        found = [s for s in service._sessions if s.user is not None and s.user.name == account.name
                 and s.selected is not None]
        if found:
            return found[0]
        time.sleep(0.01)
    raise AssertionError("no selected session")


def test_fetches_of_bounded_cost_run_on_the_event_loop(account):
    """RFC 9051 §6.4.5 FETCH: header fields of up to 100 messages, whatever their size, and whole
    small messages are read on the event loop; a whole message over 256 KB, a FETCH that sets
    \\Seen (§6.4.5: BODY[] without .PEEK) in a read-write mailbox, more than 100 messages,
    CHANGEDSINCE (RFC 7162 §3.1.4) and anything malformed go to a worker thread."""
    conn = account.imaplib()
    conn.append("INBOX", None, None, message("one"))
    conn.append("INBOX", None, None, message("two"))
    big = message("big", "x" * 300_000)
    conn.append("INBOX", None, None, big)
    conn.select("INBOX")
    session = session_of(account)
    fetch, uid_fetch = COMMANDS["FETCH"], UID_COMMANDS["FETCH"]

    def may_block(command, args: bytes) -> bool:
        p = Parser(args)
        blocks = command.may_block(session, p)
        assert p.pos == 0  # the handler reads the arguments from where they begin
        return blocks

    headers = b" 1:3 (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)] RFC822.HEADER)"
    assert not may_block(fetch, headers)
    assert not may_block(uid_fetch, headers)
    assert not may_block(fetch, b" 1:2 (BODY.PEEK[] BODYSTRUCTURE)")
    assert may_block(fetch, b" 3 (BODY.PEEK[])")
    assert may_block(fetch, b" 2:3 (BODY.PEEK[TEXT])")
    assert may_block(fetch, b" 1 (BODY[])")
    assert may_block(fetch, b" " + b",".join([b"1"] * 101) + b" (FLAGS)")
    assert may_block(fetch, b" 1 (FLAGS) (CHANGEDSINCE 1)")
    assert may_block(fetch, b" 1 (NO-SUCH-ITEM)")
    assert not COMMANDS["NOOP"].may_block(session, Parser(b""))
    conn.select("INBOX", readonly=True)
    assert not may_block(fetch, b" 1 (BODY[])")  # EXAMINE: nothing to set
    # and the answers are the same wherever they were made
    typ, data = conn.fetch("1:3", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert [part[1] for part in data[::2]] == [b"Subject: one\r\n\r\n", b"Subject: two\r\n\r\n",
                                                 b"Subject: big\r\n\r\n"]
    typ, data = conn.fetch("3", "(BODY.PEEK[])")
    assert typ == "OK" and data[0][1] == big
    conn.logout()


def test_a_fetch_on_the_event_loop_reports_other_sessions_changes(account):
    """RFC 9051 §7: a flag another session changed is reported (an untagged FETCH) with the next
    command's answer, before its tagged OK, a FETCH answered on the event loop included; a new
    message is reported with EXISTS (§7.4.1)."""
    a, b = account.imaplib(), account.imaplib()
    a.append("INBOX", None, None, message("first"))
    a.select("INBOX")
    b.select("INBOX")
    a.untagged_responses.clear()
    b.store("1", "+FLAGS", "\\Flagged")
    b.append("INBOX", None, None, message("second"))
    typ, data = a.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert typ == "OK"
    assert a.untagged_responses.pop("EXISTS") == [b"2"]
    flags = [part for part in data if isinstance(part, bytes) and b"FLAGS" in part]
    assert flags and b"\\Flagged" in flags[-1]
    a.logout()
    b.logout()
