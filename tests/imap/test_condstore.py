"""CONDSTORE and QRESYNC (RFC 7162), ESEARCH (RFC 4731), SEARCHRES (RFC 5182), BINARY (RFC 3516),
MULTIAPPEND (RFC 3502), LIST-STATUS (RFC 5819) and ENABLE IMAP4rev2, with imapclient and imaplib."""

from __future__ import annotations

import imaplib
import re

from .conftest import message


def test_condstore_modseq_changedsince_unchangedsince(account, client_type):
    """RFC 7162 §3.1.2-§3.1.4: SELECT (CONDSTORE) reports HIGHESTMODSEQ; FETCH MODSEQ grows with
    each flag change, including one made over JMAP; CHANGEDSINCE returns only what changed;
    UNCHANGEDSINCE refuses a store on a message changed since, naming it in MODIFIED."""
    client = account.imapclient()
    for i in range(3):
        client.append("INBOX", message(f"c{i}"))
    selected = client.select_folder("INBOX", readonly=False)
    assert b"HIGHESTMODSEQ" not in selected
    client.unselect_folder()
    client.enable("CONDSTORE")
    selected = client.select_folder("INBOX")
    highest = selected[b"HIGHESTMODSEQ"]
    before = client.fetch([1, 2, 3], ["MODSEQ"])
    client.add_flags([2], [b"\\Seen"])
    after = client.fetch([2], ["MODSEQ"])[2][b"MODSEQ"][0]
    assert after > before[2][b"MODSEQ"][0] and after > highest
    changed = client.fetch([1, 2, 3], ["FLAGS"], modifiers=[f"CHANGEDSINCE {highest}"])
    assert list(changed) == [2]
    jmap = account.jmap(client_type)
    subjects = {e["subject"]: e["id"] for e in jmap.ok("Email/get", {"ids": None, "properties": ["subject"]})["list"]}
    jmap.ok("Email/set", {"update": {subjects["c0"]: {"keywords/$flagged": True}}})
    client.noop()
    assert list(client.fetch([1, 2, 3], ["FLAGS"], modifiers=[f"CHANGEDSINCE {after}"])) == [1]
    typ, data = client._imap.uid("STORE", "1,3", f"(UNCHANGEDSINCE {after})", "+FLAGS", "(\\Answered)")
    assert typ == "OK" and client._imap.untagged_responses.pop("MODIFIED", None) == [b"1"], data
    assert client.get_flags([3])[3] == (b"\\Answered",)
    assert b"\\Answered" not in client.get_flags([1])[1]
    assert client.search(["MODSEQ", str(after + 1)]) == [1, 3]
    assert client.search(["MODSEQ", str(after)]) == [1, 2, 3]
    client.logout()
    jmap.close()


def test_qresync_reports_vanished_and_changed(account):
    """RFC 7162 §3.2.5: SELECT with QRESYNC and the client's last modseq reports the UIDs expunged
    since as VANISHED (EARLIER) and the flags changed since as FETCH, and expunges during the
    session come as VANISHED."""
    conn = account.imaplib()
    for i in range(4):
        conn.append("INBOX", None, None, message(f"q{i}"))
    conn.enable("QRESYNC")
    typ, _ = conn.select("INBOX")
    validity = int(conn.untagged_responses["UIDVALIDITY"][0])
    highest = int(conn.untagged_responses["HIGHESTMODSEQ"][0])
    conn.uid("STORE", "2", "+FLAGS", "(\\Deleted)")
    conn.expunge()
    assert conn.untagged_responses.pop("VANISHED", None) == [b"2"]
    conn.uid("STORE", "3", "+FLAGS", "(\\Flagged)")
    conn.unselect()
    typ, data = conn._simple_command("SELECT", "INBOX", f"(QRESYNC ({validity} {highest} 1:4))")
    assert typ == "OK"
    assert conn.untagged_responses.get("VANISHED") == [b"(EARLIER) 2"]
    fetches = conn.untagged_responses.get("FETCH", [])
    assert any(b"UID 3" in f and b"\\Flagged" in f for f in fetches)
    conn.logout()


def test_esearch_and_searchres(conn):
    """RFC 4731 §3: SEARCH RETURN (MIN MAX COUNT ALL) answers one ESEARCH; RFC 5182: RETURN (SAVE)
    keeps the result for `$`."""
    for subject in ("a", "b", "c", "d"):
        conn.append("INBOX", "(\\Flagged)" if subject in "bd" else None, None, message(subject))
    conn.select("INBOX")
    typ, _ = conn._simple_command("SEARCH", "RETURN", "(MIN MAX COUNT ALL)", "FLAGGED")
    assert typ == "OK"
    answer = conn.untagged_responses.pop("ESEARCH")[0]
    assert re.search(rb"MIN 2 MAX 4 ALL 2,4 COUNT 2$", answer), answer
    typ, _ = conn._simple_command("UID", "SEARCH", "RETURN", "(SAVE)", "FLAGGED")
    assert typ == "OK"
    assert conn.uid("FETCH", "$", "(UID)")[1] == [b"2 (UID 2)", b"4 (UID 4)"]


def test_imap4rev2_enabled_search_answers_esearch(conn):
    """RFC 9051 §6.4.4 and §7.3.4: with IMAP4rev2 enabled, SEARCH answers ESEARCH."""
    conn.append("INBOX", None, None, message())
    conn.enable("IMAP4rev2")
    conn.select("INBOX")
    typ, _ = conn._simple_command("SEARCH", "ALL")
    assert typ == "OK" and conn.untagged_responses.pop("ESEARCH")[0].endswith(b"ALL 1")


def test_binary_fetch(conn):
    """RFC 3516 §4.2: BINARY[1] is the part with its base64 undone, BINARY.SIZE its length."""
    raw = (b"From: a@example.com\r\nSubject: bin\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
           b"boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XX\r\nContent-Type: "
           b"application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAECAwQ=\r\n--XX--\r\n")
    conn.append("INBOX", None, None, raw)
    conn.select("INBOX")
    typ, data = conn.fetch("1", "(BINARY.SIZE[2] BINARY.PEEK[2] BODY.PEEK[2.MIME] BODYSTRUCTURE)")
    assert typ == "OK"
    head = data[0][0]
    assert b"BINARY.SIZE[2] 5" in head
    assert data[0][1] == b"\x00\x01\x02\x03\x04"
    assert data[1][1].startswith(b"Content-Type: application/octet-stream")
    assert b'("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 5 1' in data[2]
    assert b'"MIXED" ("BOUNDARY" "XX")' in data[2]


def test_multiappend_is_all_or_nothing(account):
    """RFC 3502 §3: MULTIAPPEND stores every message or none; APPENDUID lists their UIDs."""
    conn = account.imaplib()
    one, two = message("m1"), message("m2")
    tag = conn._new_tag()
    conn.send(b"%s APPEND INBOX {%d+}\r\n%s (\\Seen) {%d+}\r\n%s\r\n" % (tag, len(one), one, len(two), two))
    while True:
        line = conn._get_line()
        if line.startswith(tag):
            break
    assert re.match(rb".* OK \[APPENDUID \d+ 1,2\]", line), line
    tag = conn._new_tag()
    conn.send(b'%s APPEND INBOX {%d+}\r\n%s "bad-date" {%d+}\r\n%s\r\n' % (tag, len(one), one, len(two), two))
    while True:
        line = conn._get_line()
        if line.startswith(tag):
            break
    assert b" BAD " in line
    assert conn.status("INBOX", "(MESSAGES)")[1][0].endswith(b"(MESSAGES 2)")
    conn.logout()


def test_list_status_and_special_use(conn):
    """RFC 5819 LIST-STATUS and RFC 6154 SPECIAL-USE selection: STATUS answers ride along LIST."""
    conn.append("INBOX", None, None, message())
    typ, data = conn._simple_command("LIST", "(SPECIAL-USE)", '""', "*", "RETURN", "(STATUS (MESSAGES UNSEEN))")
    assert typ == "OK"
    listed = conn.untagged_responses.pop("LIST")
    assert all(re.search(rb"\\(Drafts|Sent|Archive|Junk|Trash)", line) for line in listed) and len(listed) == 5
    statuses = conn.untagged_responses.pop("STATUS")
    assert len(statuses) == 5 and all(b"MESSAGES 0 UNSEEN 0" in s for s in statuses)
    typ, _ = conn._simple_command("LIST", '""', "INBOX", "RETURN", "(STATUS (MESSAGES))")
    assert conn.untagged_responses.pop("STATUS") == [b'"INBOX" (MESSAGES 1)']


def test_utf7_mailbox_names(conn):
    """RFC 3501 §5.1.3: non-ASCII names travel in modified UTF-7 (and are stored as Unicode)."""
    assert conn.create("&AMk-t&AOk-")[0] == "OK"  # "Été"
    assert any(line.endswith(b'"&AMk-t&AOk-"') for line in conn.list()[1])
    assert conn.select("&AMk-t&AOk-")[0] == "OK"


def test_idle_with_imaplib_raw(account):
    """RFC 9051 §6.3.13: IDLE answers a continuation, reports an APPEND from another connection,
    and ends with DONE."""
    a, b = account.imaplib(), account.imaplib()
    a.select("INBOX")
    tag = a._new_tag()
    a.send(tag + b" IDLE\r\n")
    assert a._get_line().startswith(b"+")
    b.append("INBOX", None, None, message("wake"))
    assert a._get_line() == b"* 1 EXISTS"
    a.send(b"DONE\r\n")
    assert a._get_line().startswith(tag + b" OK")
    b.logout()
    a.logout()
    assert isinstance(a, imaplib.IMAP4)
