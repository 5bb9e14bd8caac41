"""THREAD (RFC 5256 §4, answered as §5's thread-list) and the base subject SORT and THREAD compare
(§2.1), over hand-built messages whose trees are worked out from the RFC's steps in each test."""

from __future__ import annotations

import pytest

from jmapd.mime.subjects import imap_base_subject


def mail(message_id: str | None, subject: str, time: str, references: str = "", in_reply_to: str = "") -> bytes:
    head = ["From: a@example.com", f"Subject: {subject}", f"Date: Mon, 01 Jan 2024 {time}:00 +0000"]
    if message_id:
        head.append(f"Message-ID: <{message_id}>")
    if references:
        head.append("References: " + " ".join(f"<{r}>" for r in references.split()))
    if in_reply_to:
        head.append(f"In-Reply-To: <{in_reply_to}>")
    return ("\r\n".join(head) + "\r\n\r\nbody\r\n").encode()


def load(conn, messages: list[bytes]) -> None:
    for raw in messages:
        assert conn.append("INBOX", None, None, raw)[0] == "OK"
    assert conn.select("INBOX")[0] == "OK"


def thread(conn, *criteria, algorithm="REFERENCES", uid=False) -> bytes:
    if uid:
        typ, data = conn.uid("THREAD", algorithm, "UTF-8", *criteria)
    else:
        typ, data = conn.thread(algorithm, "UTF-8", *criteria)
    assert typ == "OK", data
    return data[0]


def test_references_chains_missing_parents_and_sibling_order(conn):
    """RFC 5256 §4 REFERENCES, steps (1) to (6):
    (1) a<-b<-c along c's References, a<-d; e and f under a dummy for the absent <gone>.
    (3) the dummy has two children, so it stays at the root.
    (4) roots by sent date: the dummy sorts as its first child e (09:00), before a (10:00).
    (5) subjects ALPHA and BETA differ: nothing merges.
    (6) a's children b (10:05) then d (10:07).
    Without message 1 (SEARCH NOT 1), a is a dummy too, kept at the root with children b and d."""
    load(conn, [
        mail("a", "alpha", "10:00"),
        mail("b", "Re: alpha", "10:05", "a"),
        mail("c", "Re: alpha", "10:10", "a b"),
        mail("d", "Re: alpha", "10:07", "a"),
        mail("e", "beta", "09:00", "gone"),
        mail("f", "Re: beta", "09:30", "gone"),
    ])
    assert thread(conn, "ALL") == b"((5)(6))(1 (2 3)(4))"
    assert thread(conn, "NOT", "1") == b"((5)(6))((2 3)(4))"
    assert thread(conn, "ALL", uid=True) == b"((5)(6))(1 (2 3)(4))"


def test_references_merges_roots_by_subject(conn):
    """RFC 5256 §4 step (5), no References at all:
    (4) roots 1 (10:00), 2 (11:00), 3 (12:00).
    (5)(B) MEETING -> 1 (2 is a reply, 3 comes later and is not: 1 stays).
    (5)(C) 2, a reply, becomes 1's child; 3, not a reply, and 1 go under a new dummy.
    (6) the dummy's children 1 then 3."""
    load(conn, [
        mail("m1", "Meeting", "10:00"),
        mail("m2", "Re: Meeting", "11:00"),
        mail("m3", "meeting", "12:00"),
    ])
    assert thread(conn, "ALL") == b"((1 2)(3))"


def test_references_dummies_pruned_promoted_and_merged(conn):
    """RFC 5256 §4 steps (3) and (5):
    (1) <g1> over 1 and 2, <g2> over 3 alone, <g3> over 4 and 5 (all three absent).
    (3) <g2> has one child: 3 goes up to the root; <g1> and <g3> stay as dummies.
    (4) roots 3 (09:00), g1 (as 1, 10:00), g3 (as 4, 11:00).
    (5)(B) TOPIC -> 3, then g1 (a dummy beats a message); g3 does not replace a dummy.
    (5)(C) 3 goes under g1; g3's children join g1's (two dummies).
    (6) g1's children by date: 3, 1, 2, 4, 5."""
    load(conn, [
        mail("p1", "Topic", "10:00", "g1"),
        mail("p2", "Re: Topic", "10:01", "g1"),
        mail("p3", "Re: Topic", "09:00", "g2"),
        mail("p4", "Topic", "11:00", "g3"),
        mail("p5", "Topic", "11:30", "g3"),
    ])
    assert thread(conn, "ALL") == b"((3)(1)(2)(4)(5))"


def test_references_loops_duplicates_and_in_reply_to(conn):
    """RFC 5256 §4 step (1):
    - 1 <x> refers to <y>: y (a dummy yet) becomes x's parent. 2 <y> refers to <x>: making x its
      parent would be a loop (y is x's parent), so y stays a root: (2 1).
    - 4 has the Message-ID of 3: it gets a unique one and is a thread of its own.
    - 5 has no References: its first In-Reply-To, <dup>, is 3 (the first holder of that id).
    - 6 <z> lists itself among its References: (1)(A) hangs z under <q>, (1)(B) breaks that link
      and makes no link to itself; the empty dummy <q> is pruned.
    - 7 has no Message-ID and no references: a thread of its own.
    Roots by date: 2 (10:01), 3 (10:02), 4 (10:03), 6 (10:05), 7 (10:06); no two share a subject."""
    load(conn, [
        mail("x", "loop one", "10:00", "y"),
        mail("y", "loop two", "10:01", "x"),
        mail("dup", "dup", "10:02"),
        mail("dup", "other", "10:03"),
        mail("r", "Re: dup", "10:04", in_reply_to="dup"),
        mail("z", "self", "10:05", "q z"),
        mail(None, "nameless", "10:06"),
    ])
    assert thread(conn, "ALL") == b"(2 1)(3 5)(4)(6)(7)"


def test_references_replaces_a_truncated_parent(conn):
    """RFC 5256 §4 step (1)(B): 2's References <w> <n2> hang the not yet seen <n2> under 1 <w>, and
    2 under <n2>. 3 is <n2>, and its own References say <v>: that parent link (from what looks like
    a truncated References) is broken and <v>, a dummy, becomes its parent, then is pruned with one
    child. Roots 1 (09:00) and 3 (10:30), subjects apart: (1)(3 2)."""
    load(conn, [
        mail("w", "net", "09:00"),
        mail("n1", "Re: net", "10:00", "w n2"),
        mail("n2", "other", "10:30", "v"),
    ])
    assert thread(conn, "ALL") == b"(1)(3 2)"


def test_ordered_subject(conn):
    """RFC 5256 §4 ORDEREDSUBJECT: groups by base subject, each under its earliest message (one
    child in a row, several each in parentheses), groups by their first message's sent date.
    "AW:" is not a reply prefix of §2.1, so that subject is a group of its own."""
    load(conn, [
        mail("o1", "b", "10:00"),
        mail("o2", "Re: a", "09:00"),
        mail("o3", "a", "11:00"),
        mail("o4", "B", "08:00"),
        mail("o5", "c", "12:00"),
        mail("o6", "Fwd: c", "13:00"),
        mail("o7", "c (fwd)", "14:00"),
        mail("o8", "AW: a", "07:00"),
    ])
    assert thread(conn, "ALL", algorithm="ORDEREDSUBJECT") == b"(8)(4 1)(2 3)(5 (6)(7))"
    assert thread(conn, "UID", "1:3", algorithm="ORDEREDSUBJECT", uid=True) == b"(2 3)(1)"


def test_sort_subject_and_date_follow_rfc_5256(conn):
    """RFC 5256 §2.1 and §3: SORT SUBJECT compares base subjects ("[list] Re: x" is x, "AW: x"
    is not), DATE the sent date, ties by sequence number."""
    load(conn, [
        mail("s1", "AW: apple", "10:00"),
        mail("s2", "[list] Re: banana", "09:00"),
        mail("s3", "Apple", "11:00"),
        mail("s4", "cherry", "09:00"),
    ])
    assert conn.sort("(SUBJECT)", "UTF-8", "ALL") == ("OK", [b"3 1 2 4"])
    assert conn.sort("(DATE)", "UTF-8", "ALL") == ("OK", [b"2 4 1 3"])


@pytest.mark.parametrize("subject, base, reply", [
    ("Re: hello", "HELLO", True),
    ("RE: [list] Re : x", "X", True),
    ("Fwd: [x] Re[2]: y (fwd)", "Y", True),
    ("[fwd: Re: z]", "Z", True),
    ("[tag]", "[TAG]", False),
    ("[tag]  body\t text ", "BODY TEXT", False),
    ("AW: Antwort", "AW: ANTWORT", False),
    ("", "", False),
])
def test_base_subject(subject, base, reply):
    """RFC 5256 §2.1: the base subject, and whether a reply or forward marker was removed."""
    assert imap_base_subject(subject) == (base, reply)


def test_references_thread_thousands_deep(account):
    """RFC 5256 §4 over a reply chain 2,500 messages deep (each In-Reply-To the one before): one
    thread, every message the only child of the one before, answered without running out of stack."""
    from email.utils import formatdate

    from jmapd.mail.parsing import parse_for_import
    from jmapd.mail.writer import store_message
    from store.blobs import blob_id_for
    from store.records import Mailbox
    from store.users import get_user

    store = account.server.server.store
    with store.read() as txn:
        account_id = get_user(txn, account.name).account_id
        inbox = next(i for i, m in txn.scan(account_id, "Mailbox", Mailbox) if m.role == "inbox")
    count = 2500
    raws = [(f"From: a@example.com\r\nSubject: Re: deep\r\nDate: {formatdate(1_700_000_000 + 60 * n)}\r\n"
             f"Message-ID: <c{n}@x>\r\n" + (f"In-Reply-To: <c{n - 1}@x>\r\n" if n else "") + "\r\nbody\r\n").encode()
            for n in range(count)]
    parsed = [parse_for_import(raw, blob_id_for(raw)) for raw in raws]

    def work(txn):
        for n, (raw, p) in enumerate(zip(raws, parsed)):
            store_message(txn, account_id, raw, p, mailbox_ids=[inbox], keywords=[], received_at=1_700_000_000 + n)

    store.write(work)
    conn = account.imaplib()
    conn.select("INBOX")
    assert thread(conn, "ALL") == ("(" + " ".join(str(n) for n in range(1, count + 1)) + ")").encode()
    conn.logout()
