"""The per-mailbox flag index (jmapd/mail/uids.py) and what reads it: EXPUNGE, STATUS and SEARCH on
flags and UID sets cost what they answer, not the size of the mailbox (RFC 9051 §6.4.3, §6.3.11,
§6.4.4); and the layout migration that builds the index for an older data folder."""

from __future__ import annotations

import re

import pytest

from jmapd.imap import search as search_module
from jmapd.mail import uids as uid_index
from jmapd.mail.accounts import create_user
from jmapd.mail.parsing import parse_for_import
from jmapd.mail.records import EmailRecord
from jmapd.mail.writer import EMAIL, store_message
from store import ReadTxn, Store
from store.blobs import blob_id_for
from store.records import Mailbox
from store.users import get_user

from .conftest import message


def mailbox_ids(store, account_id) -> dict[str, str]:
    with store.read() as txn:
        return {m.role or m.name: i for i, m in txn.scan(account_id, "Mailbox", Mailbox)}


def fill(store, account_id, mailbox_id, count, keywords_of=lambda n: []) -> None:
    """`count` messages into one mailbox in one transaction of the writer."""
    raws = [message(f"bulk {n}", f"body {n}") for n in range(count)]
    parsed = [parse_for_import(raw, blob_id_for(raw)) for raw in raws]

    def work(txn):
        for n, (raw, p) in enumerate(zip(raws, parsed)):
            store_message(txn, account_id, raw, p, mailbox_ids=[mailbox_id], keywords=keywords_of(n),
                          received_at=1_700_000_000 + n)

    store.write(work)


def account_of(account) -> str:
    with account.server.server.store.read() as txn:
        return get_user(txn, account.name).account_id


def expected_index(store, account_id, mailbox_id):
    """What the flag index should hold, worked out the slow way from the records."""
    flags: dict[str, list[int]] = {}
    size = 0
    with store.read() as txn:
        for entry in uid_index.entries(txn, account_id, mailbox_id):
            record = txn.get(account_id, EMAIL, entry.email_id, EmailRecord)
            size += record.size
            for keyword in record.keywords:
                flags.setdefault(keyword, []).append(entry.uid)
    return flags, size


def actual_index(store, account_id, mailbox_id, keywords):
    with store.read() as txn:
        flags = {k: uid_index.flagged_uids(txn, account_id, mailbox_id, k) for k in keywords}
        counts = {k: uid_index.flag_count(txn, account_id, mailbox_id, k) for k in keywords}
        return flags, counts, uid_index.mailbox_size(txn, account_id, mailbox_id)


def assert_index_matches(store, account_id, mailbox_id, keywords=("$seen", "$flagged", "$deleted", "$draft", "x")):
    flags, size = expected_index(store, account_id, mailbox_id)
    got, counts, got_size = actual_index(store, account_id, mailbox_id, keywords)
    for keyword in keywords:
        assert got[keyword] == flags.get(keyword, []), keyword
        assert counts[keyword] == len(flags.get(keyword, [])), keyword
    assert got_size == size


def settle(conn) -> None:
    """A text search waits for the full-text index to catch up (which reads the new records)."""
    assert conn.search(None, "BODY", "nothing-here")[0] == "OK"


@pytest.fixture
def email_reads(monkeypatch):
    """How many Email records the server reads (a spy on the real store's reads, nothing replaced)."""
    calls = {"n": 0}
    original = ReadTxn.get

    def counting(self, account_id, kind, record_id, record_type):
        if kind == EMAIL:
            calls["n"] += 1
        return original(self, account_id, kind, record_id, record_type)

    monkeypatch.setattr(ReadTxn, "get", counting)
    return calls


def test_flag_index_follows_every_change(account, client_type):
    """RFC 9051 §2.3.2: a message's flags, whichever protocol set them, are what the index lists per
    mailbox; moves, copies, flag changes over JMAP and IMAP, expunges and destroys keep it exact."""
    server = account.server.server
    jmap = account.jmap(client_type)
    boxes = mailbox_ids(server.store, jmap.account_id)
    inbox, archive = boxes["inbox"], boxes["archive"]
    fill(server.store, jmap.account_id, inbox, 12, lambda n: ["$seen"] if n % 2 else ["x"])
    conn = account.imaplib()
    conn.select("INBOX")
    conn.store("1:4", "+FLAGS", "(\\Flagged \\Deleted)")
    conn.store("3", "-FLAGS", "(\\Deleted x)")
    conn.copy("2:3", "Archive")
    conn.uid("MOVE", "5", "Archive")
    conn.expunge()
    email_id = jmap.ok("Email/query", {"filter": {"inMailbox": archive}})["ids"][0]
    jmap.ok("Email/set", {"update": {email_id: {"keywords/$draft": True, "keywords/$seen": None}}})
    other = jmap.ok("Email/query", {"filter": {"inMailbox": inbox},
                                    "sort": [{"property": "receivedAt", "isAscending": False}]})["ids"][0]
    jmap.ok("Email/set", {"destroy": [other]})
    conn.logout()
    for mailbox_id in (inbox, archive):
        assert_index_matches(server.store, jmap.account_id, mailbox_id)
    with server.store.read() as txn:
        assert uid_index.flag_count(txn, jmap.account_id, archive, "$flagged") == 2


def test_status_unseen_deleted_and_size_come_from_counters(account, email_reads):
    """RFC 9051 §6.3.11 and RFC 8438: STATUS UNSEEN counts messages without \\Seen (an unseen draft
    too, which JMAP's unreadEmails leaves out), DELETED those with \\Deleted, SIZE their octets; no
    Email record is read, whatever the mailbox's size."""
    conn = account.imaplib()
    raws = [message("one"), message("two"), message("three")]
    conn.append("INBOX", "(\\Seen)", None, raws[0])
    conn.append("INBOX", "(\\Draft)", None, raws[1])
    conn.append("INBOX", "(\\Deleted \\Seen)", None, raws[2])
    conn.select("INBOX")
    settle(conn)
    email_reads["n"] = 0
    typ, data = conn.status("INBOX", "(MESSAGES UNSEEN DELETED SIZE)")
    assert typ == "OK"
    assert data[0].endswith(b"(MESSAGES 3 UNSEEN 1 DELETED 1 SIZE %d)" % sum(map(len, raws)))
    assert email_reads["n"] == 0
    conn.logout()


def test_expunge_reads_only_the_deleted_messages(account, email_reads):
    """RFC 9051 §6.4.3: EXPUNGE removes the messages with \\Deleted; it reads those messages'
    records and no others, so its cost does not grow with the mailbox."""
    server = account.server.server
    account_id = account_of(account)
    inbox = mailbox_ids(server.store, account_id)["inbox"]
    fill(server.store, account_id, inbox, 300, lambda n: ["$deleted"] if n in (10, 200) else ["$seen"])
    conn = account.imaplib()
    conn.select("INBOX")
    settle(conn)
    email_reads["n"] = 0
    typ, data = conn.expunge()
    assert typ == "OK" and data == [b"201", b"11"]
    assert email_reads["n"] <= 4  # the two expunged messages (read by EXPUNGE and by the writer)
    email_reads["n"] = 0
    typ, data = conn.uid("EXPUNGE", "1:*")
    assert typ == "OK" and email_reads["n"] == 0
    assert conn.status("INBOX", "(MESSAGES DELETED)")[1][0].endswith(b"(MESSAGES 298 DELETED 0)")
    conn.logout()


def test_search_on_flags_and_sets_reads_no_records(account, email_reads):
    """RFC 9051 §6.4.4: SEARCH with flag, keyword, sequence-set, UID and `$` keys (with NOT, OR and
    nesting) answers from the flag index and the UID list, reading no Email record; date and size
    keys read only the messages the cheaper keys left."""
    server = account.server.server
    account_id = account_of(account)
    inbox = mailbox_ids(server.store, account_id)["inbox"]

    def keywords(n):
        return [k for k, on in (("$seen", n % 2 == 0), ("$flagged", n % 5 == 0), ("todo", n % 7 == 0)) if on]

    fill(server.store, account_id, inbox, 60, keywords)
    conn = account.imaplib()
    conn.select("INBOX")
    settle(conn)
    numbers = range(1, 61)  # sequence number = UID = n + 1

    def flags(seq):
        return set(keywords(seq - 1))

    def search(*criteria):
        typ, data = conn.search(None, *criteria)
        assert typ == "OK", data
        return [int(x) for x in data[0].split()]

    email_reads["n"] = 0
    assert search("UNSEEN") == [s for s in numbers if "$seen" not in flags(s)]
    assert search("FLAGGED", "SEEN") == [s for s in numbers if {"$seen", "$flagged"} <= flags(s)]
    assert search("KEYWORD", "todo", "NOT", "FLAGGED") == [s for s in numbers
                                                           if "todo" in flags(s) and "$flagged" not in flags(s)]
    assert search("OR", "UNKEYWORD", "todo", "FLAGGED", "10:20") == [
        s for s in range(10, 21) if "todo" not in flags(s) or "$flagged" in flags(s)]
    assert search("UID", "5,40:*", "UNSEEN") == [s for s in [5, *range(40, 61)] if "$seen" not in flags(s)]
    assert search("(SEEN (NOT 1:30))", "*") == [s for s in [60] if "$seen" in flags(s)]
    assert search("(SEEN (NOT 1:30))", "59") == [s for s in [59] if "$seen" in flags(s)]
    assert search("NEW") == [] and search("OLD") == list(numbers)
    typ, _ = conn._simple_command("SEARCH", "RETURN", "(SAVE)", "FLAGGED")
    assert typ == "OK"
    assert search("$", "SEEN") == [s for s in numbers if {"$seen", "$flagged"} <= flags(s)]
    assert email_reads["n"] == 0
    assert search("1:3", "LARGER", "1") == [1, 2, 3]
    assert email_reads["n"] == 3
    conn.logout()


def test_search_header_is_bounded(account, monkeypatch):
    """RFC 9051 §6.4.4 HEADER reads message headers: over more messages than the server reads at
    once it answers NO [LIMIT] (RFC 5530), and a narrower search is answered; Message-ID and
    Subject are matched from the records, with no bound."""
    conn = account.imaplib()
    for n in range(4):
        conn.append("INBOX", None, None, message(f"header {n}", msgid="m-lookup" if n == 1 else None))
    conn.select("INBOX")
    monkeypatch.setattr(search_module, "HEADER_SCAN_LIMIT", 2)
    typ, data = conn.search(None, "HEADER", "Date", "1994")
    assert typ == "NO" and b"[LIMIT]" in data[0]
    assert conn.search(None, "3:4", "HEADER", "Date", "1994") == ("OK", [b"3 4"])
    # fields the records keep are searched there, unbounded: a Message-ID lookup always works
    assert conn.search(None, "HEADER", "Subject", "\"header 3\"") == ("OK", [b"4"])
    assert conn.search(None, "HEADER", "Message-ID", "<m-lookup@example.com>") == ("OK", [b"2"])
    conn.logout()


def test_layout_4_data_gets_its_flag_index_by_migration(tmp_path):
    """The v4 -> v5 step: the flag index and its counters are built from the UID index and the
    records, so STATUS and EXPUNGE on an older data folder see every message's flags."""
    from jmapd.mail import Mail

    store = Store.open(str(tmp_path), current_version=4, migrations={})
    user = create_user(store, "old", "pw")
    boxes = mailbox_ids(store, user.account_id)
    mail = Mail(store)
    for n, keywords in enumerate((["$seen"], ["$seen", "$deleted"], [], ["x"])):
        mail.deliver(user.account_id, message(f"old {n}"), [boxes["inbox"], boxes["archive"]][:1 + n % 2],
                     keywords=keywords)

    def as_layout_4(txn):  # no flag index, no flag or size counters
        txn.txn.drop(txn.dbs["uid_flags"], delete=False)
        counters = txn.dbs["counters"]
        stale = [k for k, _ in txn.txn.cursor(db=counters) if re.search(rb"\x00(kw|size):", k)]
        assert stale
        for key in stale:
            txn.txn.delete(key, db=counters)

    store.write(as_layout_4)
    store.close()
    store = Store.open(str(tmp_path))
    assert store.migrations_run[0] == "v4 -> v5: the UIDs of each keyword per mailbox, with flag and size counters"
    for mailbox_id in (boxes["inbox"], boxes["archive"]):
        assert_index_matches(store, user.account_id, mailbox_id)
    with store.read() as txn:
        assert uid_index.flag_count(txn, user.account_id, boxes["inbox"], "$seen") == 2
    store.close()
