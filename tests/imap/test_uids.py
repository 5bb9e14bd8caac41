"""UIDs (RFC 9051 §2.3.1.1): per mailbox, strictly ascending, never reused, stable across restarts,
for messages added by any path; and the layout migration that numbers an older data folder."""

from __future__ import annotations

import imaplib
import re

from jmapd.mail import Mail
from jmapd.mail import uids as uid_index
from jmapd.mail.accounts import create_user
from jmapd.testing import LiveServer
from store import Store

from .conftest import message


def uid_list(conn, mailbox="INBOX"):
    conn.select(mailbox)
    typ, data = conn.uid("SEARCH", None, "ALL")
    return [int(x) for x in data[0].split()]


def test_uids_for_every_path_ascend_and_are_never_reused(account, client_type):
    """RFC 9051 §2.3.1.1: messages delivered by the mail layer, imported over JMAP and appended
    over IMAP get ascending UIDs; an expunged UID is not given again, and a message moved out and
    back gets a new one."""
    conn = account.imaplib()
    jmap = account.jmap(client_type)
    inbox = jmap.mailboxes()["inbox"]["id"]
    archive = jmap.mailboxes()["archive"]["id"]
    account.server.server.mail.deliver(jmap.account_id, message("delivered"), [inbox])
    blob = jmap.http.post(f"/jmap/upload/{jmap.account_id}/", content=message("imported")).json()["blobId"]
    created = jmap.ok("Email/import", {"emails": {"i": {"blobId": blob, "mailboxIds": {inbox: True}}}})["created"]
    conn.append("INBOX", None, None, message("appended"))
    assert uid_list(conn) == [1, 2, 3]
    conn.store("3", "+FLAGS", "\\Deleted")
    conn.expunge()
    conn.append("INBOX", None, None, message("after expunge"))
    assert uid_list(conn) == [1, 2, 4]
    jmap.ok("Email/set", {"update": {created["i"]["id"]: {"mailboxIds": {archive: True}}}})
    jmap.ok("Email/set", {"update": {created["i"]["id"]: {"mailboxIds": {inbox: True}}}})
    assert uid_list(conn) == [1, 4, 5]
    assert uid_list(conn, "Archive") == []
    typ, data = conn.status("Archive", "(UIDNEXT)")
    assert data[0].endswith(b"(UIDNEXT 2)")
    conn.logout()
    jmap.close()


def test_uids_and_uidvalidity_survive_a_restart(tmp_path):
    """RFC 9051 §2.3.1.1: UIDVALIDITY and the UIDs stay the same when the server restarts."""

    def snapshot(server):
        conn = imaplib.IMAP4("127.0.0.1", server.server.extras["imap"].port)
        conn.login("u", "pw")
        conn.select("INBOX")
        validity = conn.untagged_responses["UIDVALIDITY"][0]
        uids = conn.uid("FETCH", "1:*", "(UID)")[1]
        conn.logout()
        return validity, uids

    with LiveServer(data=str(tmp_path), imap="127.0.0.1:0") as server:
        server.add_user("u", "pw")
        conn = imaplib.IMAP4("127.0.0.1", server.server.extras["imap"].port)
        conn.login("u", "pw")
        for i in range(3):
            conn.append("INBOX", None, None, message(f"n{i}"))
        conn.select("INBOX")
        conn.store("1", "+FLAGS", "\\Deleted")
        conn.expunge()
        conn.logout()
        before = snapshot(server)
    with LiveServer(data=str(tmp_path), imap="127.0.0.1:0") as server:
        assert snapshot(server) == before
        assert before[1] == [b"1 (UID 2)", b"2 (UID 3)"]


def test_layout_2_data_gets_uids_by_migration(tmp_path):
    """The v2 -> v3 step: existing messages get UIDs 1, 2, ... per mailbox in receivedAt order, and
    UIDNEXT follows them, so an IMAP client sees an older data folder like any other."""
    store = Store.open(str(tmp_path), current_version=2, migrations={})
    user = create_user(store, "old", "pw")
    mail = Mail(store)
    inbox = next(i for i, m in store_mailboxes(store, user.account_id) if m.role == "inbox")
    trash = next(i for i, m in store_mailboxes(store, user.account_id) if m.role == "trash")
    ids = [mail.deliver(user.account_id, message(f"old {n}"), [inbox], received_at=1000 - n).email_id
           for n in range(3)]
    mail.deliver(user.account_id, message("trash"), [trash, inbox], received_at=5000)

    def as_layout_2(txn):  # what a v2 folder holds: no UID index, no uidnext counters
        for name in ("uids", "uid_of", "uid_flags"):
            txn.txn.drop(txn.dbs[name], delete=False)
        for mailbox_id in (inbox, trash):
            txn.txn.delete(user.account_id.encode() + b"\x00uidnext:" + mailbox_id.encode(), db=txn.dbs["counters"])

    store.write(as_layout_2)
    store.close()
    store = Store.open(str(tmp_path))
    assert store.migrations_run[0] == "v2 -> v3: IMAP UIDs for every mailbox's messages"
    with store.read() as txn:
        entries = list(uid_index.entries(txn, user.account_id, inbox))
        assert [e.uid for e in entries] == [1, 2, 3, 4]
        assert [e.email_id for e in entries[:3]] == list(reversed(ids))  # receivedAt order
        assert [e.uid for e in uid_index.entries(txn, user.account_id, trash)] == [1]
        assert uid_index.uid_next(txn, user.account_id, inbox) == 5
        assert uid_index.uid_of(txn, user.account_id, inbox, ids[0]) == 3
    new = Mail(store).deliver(user.account_id, message("new"), [inbox])
    with store.read() as txn:
        assert uid_index.uid_of(txn, user.account_id, inbox, new.email_id) == 5
    store.close()


def store_mailboxes(store, account_id):
    from store.records import Mailbox

    with store.read() as txn:
        return list(txn.scan(account_id, "Mailbox", Mailbox))


def test_uidvalidity_differs_for_a_recreated_mailbox(conn):
    """RFC 9051 §2.3.1.1: a mailbox deleted and created again under the same name gets another
    UIDVALIDITY, since its UIDs start again."""
    conn.create("Again")
    first = conn.status("Again", "(UIDVALIDITY)")[1][0]
    conn.delete("Again")
    conn.create("Again")
    second = conn.status("Again", "(UIDVALIDITY)")[1][0]
    assert re.search(rb"UIDVALIDITY \d+", first) and first != second


def test_a_list_of_single_uids_names_each_existing_message_once_in_mailbox_order(account):
    """RFC 9051 §6.4.9 (UID FETCH): UIDs that do not exist are skipped, a set's order and
    repetitions do not matter (each message is answered once, in mailbox order), and §9's
    sequence-set of plain numbers means the same as the ranges it could be written as."""
    conn = account.imaplib()
    for n in range(5):
        conn.append("INBOX", None, None, message(f"m{n}"))
    conn.select("INBOX")
    conn.store("3", "+FLAGS", "\\Deleted")
    conn.expunge()  # UIDs now 1, 2, 4, 5
    conn.select("INBOX")
    typ, data = conn.uid("FETCH", "5,1,3,99,4,1", "(FLAGS)")
    assert typ == "OK"
    answered = [re.match(rb"(\d+) \(UID (\d+)", line).groups() for line in data]
    assert answered == [(b"1", b"1"), (b"3", b"4"), (b"4", b"5")]
    typ, same = conn.uid("FETCH", "1,4:5", "(FLAGS)")
    assert same == data
    typ, by_number = conn.fetch("4,2", "(UID)")
    assert [re.match(rb"(\d+) \(UID (\d+)\)", line).groups() for line in by_number] == \
        [(b"2", b"2"), (b"4", b"5")]
