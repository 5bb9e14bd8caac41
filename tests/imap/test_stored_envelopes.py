"""The ENVELOPE, size, receivedAt and header section kept beside each Email
(jmapd/mail/envelopes.py), and the FETCH that answers from them and the flag index without
decoding records or reading blobs (RFC 9051 §6.4.5, §7.5.2): written on every path that creates
an Email, gone with it, filled by the layout 6 step for an older data folder, rendered from the
record (and the blob) where missing, and byte for byte what the record path answers."""

from __future__ import annotations

import dataclasses
import re
import socket

import pytest

from jmapd.imap import fetch
from jmapd.mail import Mail, envelopes
from jmapd.mail.accounts import create_user
from jmapd.mail.messages import stored_header
from jmapd.mail.records import EmailRecord
from jmapd.mail.writer import EMAIL
from jmapd.mime.parse import message_start
from store import Store, schema
from store.blobs import read_blob
from store.records import Mailbox
from store.users import get_user, share_account

from .conftest import message
from .test_corpus import corpus_files, multiappend
from .test_flag_index import email_reads, settle  # noqa: F401  (a fixture)

NON_ASCII = ("From: =?utf-8?q?J=C3=BCrgen?= <juergen@example.com>\r\nTo: Zoë <zoe@exämple.test>\r\n"
             "Subject: =?utf-8?b?R3LDvMOfZQ==?=\r\nMessage-ID: <u8@example.com>\r\n"
             "Date: Tue, 02 Jan 2024 10:00:00 +0100\r\n\r\nHallo\r\n").encode()


def stored(store: Store, account_id: str) -> dict[str, tuple[bytes, bytes, bytes, bytes]]:
    """Email id -> (ENVELOPE, facts, header section, list-view fields) for every entry of the
    account (None where one is missing)."""
    prefix = account_id.encode() + b"\x00"
    out: dict[str, list] = {}
    with store.read() as txn:
        for n, db in enumerate((envelopes.ENVELOPES, envelopes.FACTS, envelopes.HEADERS, envelopes.LIST)):
            with txn.txn.cursor(db=txn.dbs[db]) as cur:
                cur.set_range(prefix)
                for key, value in cur:
                    if not key.startswith(prefix):
                        break
                    out.setdefault(bytes(key[len(prefix):]).decode(), [None] * 4)[n] = bytes(value)
    return {email_id: tuple(values) for email_id, values in out.items()}


def assert_one_entry_per_email(store: Store, account_id: str) -> int:
    """Every Email of the account has its entries, equal to what its record renders and to the
    header section of its blob (none above the bound), and no other entry is left."""
    with store.read() as txn:
        records = dict(txn.scan(account_id, EMAIL, EmailRecord))
        blobs = {email_id: read_blob(txn, account_id, record.blob_id) for email_id, record in records.items()}
    entries = stored(store, account_id)
    assert entries.keys() == records.keys()
    for email_id, record in records.items():
        head = envelopes.head_of(blobs[email_id])
        expected = (*envelopes.render(record.summary, record.size, record.received_at), head,
                    envelopes.list_fields_of(head))
        assert entries[email_id] == expected, email_id
        raw = bytes(blobs[email_id])
        assert expected[2] is not None and raw[message_start(raw):].startswith(expected[2][1:])
    return len(records)


class Raw:
    """A plain IMAP connection that returns a command's response octets exactly as sent."""

    def __init__(self, port: int, user: str, password: str):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.file = self.sock.makefile("rb")
        self.file.readline()
        self.n = 0
        self.command(f"LOGIN {user} {password}")

    def command(self, text: str) -> bytes:
        self.n += 1
        tag = b"R%d " % self.n
        self.sock.sendall(tag + text.encode() + b"\r\n")
        out = []
        while True:
            line = self.file.readline()
            literal = re.search(rb"\{(\d+)\}\r\n$", line)
            if literal:
                line += self.file.read(int(literal.group(1)))
                out.append(line)
                continue
            if line.startswith(tag):
                assert line[len(tag):].startswith(b"OK"), line
                return b"".join(out)
            out.append(line)

    def close(self) -> None:
        self.command("LOGOUT")
        self.sock.close()


def test_every_new_email_has_its_entry_and_a_destroyed_one_has_none(account, client_type, imap_server):
    """RFC 9051 §7.5.2 (the ENVELOPE rendered once, when the message is stored): delivery,
    Email/import, Email/set create, Email/copy into another account, IMAP APPEND and IMAP COPY
    each leave the new Email's entry; Email/set destroy and EXPUNGE of a message's last copy
    remove it."""
    server = imap_server.server
    jmap = account.jmap(client_type)
    boxes = jmap.mailboxes()
    inbox = boxes["inbox"]["id"]
    server.mail.deliver(jmap.account_id, NON_ASCII, [inbox])
    blob = jmap.http.post(f"/jmap/upload/{jmap.account_id}/", content=message("imported")).json()["blobId"]
    imported = jmap.ok("Email/import", {"emails": {"i": {"blobId": blob, "mailboxIds": {inbox: True}}}})
    created = jmap.ok("Email/set", {"create": {"c": {
        "mailboxIds": {inbox: True}, "subject": "Composed", "from": [{"name": "Me", "email": "me@example.test"}],
        "bodyValues": {"b": {"value": "hi"}}, "textBody": [{"partId": "b", "type": "text/plain"}]}}})
    assert "c" in created["created"], created
    conn = account.imaplib()
    assert conn.append("INBOX", None, None, message("appended"))[0] == "OK"
    conn.select("INBOX")
    assert conn.copy("1:4", "Archive")[0] == "OK"  # the same Emails, in a second mailbox
    assert assert_one_entry_per_email(server.store, jmap.account_id) == 4
    assert conn.copy("1:2", "Archive")[0] == "OK"  # already there: new Emails
    assert assert_one_entry_per_email(server.store, jmap.account_id) == 6

    other = f"{account.name}-other"
    imap_server.add_user(other, "secret-pw", f"{other}@example.test")
    server.store.write(lambda txn: share_account(txn, account.name, other, read_only=True))
    copier = client_type(imap_server.url, other, "secret-pw")
    copied = copier.ok("Email/copy", {"fromAccountId": jmap.account_id, "accountId": copier.account_id, "create": {
        "c": {"id": imported["created"]["i"]["id"], "mailboxIds": {copier.mailboxes()["inbox"]["id"]: True}}}})
    assert "c" in copied["created"], copied
    assert assert_one_entry_per_email(server.store, copier.account_id) == 1

    jmap.ok("Email/set", {"destroy": [created["created"]["c"]["id"]]})
    conn.select("Archive")
    conn.store("1:*", "+FLAGS", "\\Deleted")
    conn.expunge()
    assert assert_one_entry_per_email(server.store, jmap.account_id) == 3
    conn.logout()
    copier.close()
    jmap.close()


def test_layout_5_data_gets_its_entries_by_migration_in_batches(tmp_path, monkeypatch):
    """The v5 -> v6 step fills the entries of the Emails an older folder holds, a bounded batch per
    transaction (here two Emails each), so that FETCH answers from them."""
    store = Store.open(str(tmp_path), current_version=5, migrations={})
    user = create_user(store, "old", "pw")
    with store.read() as txn:
        inbox = next(i for i, m in txn.scan(user.account_id, "Mailbox", Mailbox) if m.role == "inbox")
    for n in range(5):
        Mail(store).deliver(user.account_id, NON_ASCII if n == 2 else message(f"old {n}"), [inbox])
    def as_layout_5(txn):  # what a v5 folder holds: neither database
        txn.txn.drop(txn.dbs[envelopes.ENVELOPES], delete=False)
        txn.txn.drop(txn.dbs[envelopes.FACTS], delete=False)
        txn.txn.drop(txn.dbs[envelopes.HEADERS], delete=False)
        txn.txn.drop(txn.dbs[envelopes.LIST], delete=False)

    store.write(as_layout_5)
    assert stored(store, user.account_id) == {}
    store.close()

    batches = []
    step = schema.MIGRATIONS[5]
    monkeypatch.setattr(envelopes, "BATCH", 2)
    monkeypatch.setitem(schema.MIGRATIONS, 5, dataclasses.replace(
        step, apply=lambda txn, dbs, after: batches.append(after) or step.apply(txn, dbs, after)))
    store = Store.open(str(tmp_path))
    assert store.migrations_run == ["v5 -> v6: each Email's ENVELOPE, size, receivedAt, header section and "
                                     "list-view header fields kept beside its record",
                                     "v6 -> v7: new blobs stored in the order they come"]
    assert len(batches) == 3 and batches[0] is None
    assert assert_one_entry_per_email(store, user.account_id) == 5
    store.close()


def test_a_missing_entry_is_rendered_from_the_record(account, imap_server):
    """RFC 9051 §7.5.2 and §6.3.1: with an Email's entry gone, FETCH ENVELOPE (7-bit, and UTF-8
    once IMAP4rev2 is enabled) RFC822.SIZE INTERNALDATE answers the same octets from the record."""
    server = imap_server.server
    conn = Raw(account.port, account.name, account.password)
    conn.command("SELECT INBOX")
    account_id = _account_id(server, account.name)
    for raw in (NON_ASCII, message("second")):
        server.mail.deliver(account_id, raw, [_inbox(server, account.name)])
    conn.command("NOOP")
    items = "UID FETCH 1:* (FLAGS ENVELOPE RFC822.SIZE INTERNALDATE)"
    before = conn.command(items)
    assert b"=?utf-8?b?" in before and before.count(b" FETCH ") == 2
    first = sorted(stored(server.store, account_id))[0]
    server.store.write(lambda txn: envelopes.drop(txn, account_id, first))
    assert conn.command(items) == before
    conn.close()
    conn = Raw(account.port, account.name, account.password)
    conn.command("ENABLE IMAP4rev2")
    conn.command("SELECT INBOX")
    wide = conn.command(items)
    server.store.write(lambda txn: envelopes.drop(txn, account_id, sorted(stored(server.store, account_id))[0]))
    assert not stored(server.store, account_id)
    assert conn.command(items) == wide
    assert "Grüße".encode() in wide and wide != before
    conn.close()


def _account_id(server, name: str) -> str:
    with server.store.read() as txn:
        return get_user(txn, name).account_id


def _inbox(server, name: str) -> str:
    account_id = _account_id(server, name)
    with server.store.read() as txn:
        return next(i for i, m in txn.scan(account_id, "Mailbox", Mailbox) if m.role == "inbox")


def appended_corpus(account, corpus):
    """Every corpus message appended to INBOX over IMAP, the first forty flagged \\Seen and $Junk:
    the messages, and the connection with INBOX selected."""
    raws = [(corpus / path).read_bytes() for path in corpus_files(corpus)]
    imap = account.imaplib()
    for start in range(0, len(raws), 50):
        multiappend(imap, "INBOX", raws[start:start + 50])
    imap.select("INBOX")
    imap.store("1:40", "+FLAGS", "(\\Seen $Junk)")
    return raws, imap


def test_stored_answers_match_the_record_path_for_the_corpus(account, corpus):
    """RFC 9051 §6.4.5, §7.5.2: for every corpus message, FETCH of FLAGS ENVELOPE RFC822.SIZE
    INTERNALDATE MODSEQ answered from the stored entries and the flag index is byte for byte what
    the record path answers (asked with THREADID, which only the record holds, that item taken
    out again), for a 7-bit client and for one that enabled IMAP4rev2 (UTF-8, RFC 9051 §6.3.1)."""
    raws, imap = appended_corpus(account, corpus)
    imap.store("30:60", "+FLAGS", "(\\Flagged)")
    imap.logout()
    for enable in ("CONDSTORE", "CONDSTORE IMAP4rev2"):
        conn = Raw(account.port, account.name, account.password)
        conn.command(f"ENABLE {enable}")
        conn.command("SELECT INBOX")
        items = "FLAGS ENVELOPE RFC822.SIZE INTERNALDATE MODSEQ"
        fast = conn.command(f"FETCH 1:* ({items})")
        slow = re.sub(rb" THREADID \(\w+\)", b"", conn.command(f"FETCH 1:* ({items} THREADID)"))
        assert fast.count(b" FETCH (") == len(raws)
        assert fast == slow
        assert conn.command("UID FETCH 5:20,300:* (ENVELOPE)") == re.sub(
            rb" THREADID \(\w+\)", b"", conn.command("UID FETCH 5:20,300:* (ENVELOPE THREADID)"))
        conn.close()


LIST_VIEW = "BODY.PEEK[HEADER.FIELDS (FROM TO CC SUBJECT DATE MESSAGE-ID REFERENCES IN-REPLY-TO)]"
HEADER_ITEMS = (f"UID FLAGS RFC822.SIZE {LIST_VIEW}", "BODY.PEEK[HEADER]", "RFC822.HEADER",
                "BODY.PEEK[HEADER.FIELDS.NOT (Received DKIM-Signature content-type)]",
                "BODY.PEEK[HEADER.FIELDS (list-id Content-Type bcc Reply-To)]",
                "ENVELOPE BODY.PEEK[HEADER.FIELDS (subject x-mailer)]<0.40> BODY.PEEK[HEADER.FIELDS (references)]")


@pytest.fixture
def blob_reads(monkeypatch):
    """How many blobs FETCH reads (a spy on the real reads, nothing replaced)."""
    calls = {"n": 0}
    original = fetch.read_blob

    def counting(*args):
        calls["n"] += 1
        return original(*args)

    monkeypatch.setattr(fetch, "read_blob", counting)
    return calls


def without_threadid(data: bytes) -> bytes:
    return re.sub(rb" THREADID \(\w+\)", b"", data)


def test_header_items_from_stored_sections_match_the_blob_for_the_corpus(account, corpus, email_reads, blob_reads):
    """RFC 9051 §6.4.5: for every corpus message, BODY.PEEK[HEADER], [HEADER.FIELDS (...)] (a list
    view's FETCH), [HEADER.FIELDS.NOT (...)], a partial of one and RFC822.HEADER answered from the
    stored header sections are byte for byte what the blob path answers (asked with THREADID, which
    only the record holds), reading no record and no blob; BODY[HEADER] in a mailbox opened with
    EXAMINE too, while in a selected one it still sets \\Seen (§6.4.5, BODY[<section>])."""
    raws, imap = appended_corpus(account, corpus)
    settle(imap)
    imap.logout()
    conn = Raw(account.port, account.name, account.password)
    conn.command("EXAMINE INBOX")
    for items in (*HEADER_ITEMS, "BODY[HEADER.FIELDS (SUBJECT)]"):
        email_reads["n"] = blob_reads["n"] = 0
        fast = conn.command(f"UID FETCH 1:* ({items})")
        assert (email_reads["n"], blob_reads["n"]) == (0, 0), items
        assert fast.count(b" FETCH (") == len(raws)
        assert fast == without_threadid(conn.command(f"UID FETCH 1:* ({items} THREADID)")), items
        assert (email_reads["n"], blob_reads["n"]) == (len(raws), len(raws)), items
    conn.command("SELECT INBOX")
    assert b"\\Seen" not in conn.command("FETCH 41 (FLAGS)")
    conn.command("FETCH 41 (BODY[HEADER.FIELDS (SUBJECT)])")
    assert b"\\Seen" in conn.command("FETCH 41 (FLAGS)")
    conn.close()


def test_header_filter_values_from_stored_sections_match_the_blob_for_the_corpus(account, corpus, imap_server):
    """RFC 8621 §4.4.1 (the `header` filter) and §4.1.3 (header:{name}:asText, asRaw): for every
    corpus message, the values read from the header section kept beside its Email are those read
    from its blob."""
    raws = [(corpus / path).read_bytes() for path in corpus_files(corpus)]
    imap = account.imaplib()
    for start in range(0, len(raws), 50):
        multiappend(imap, "INBOX", raws[start:start + 50])
    imap.logout()
    store = imap_server.server.store
    account_id = _account_id(imap_server.server, account.name)
    with store.read() as txn:
        records = dict(txn.scan(account_id, EMAIL, EmailRecord))
        assert len(records) == len(raws)
        kept = [envelopes.head(txn, account_id, email_id) for email_id in records]
        assert sum(head is not None and envelopes.is_plain(head) for head in kept) > len(raws) // 2
        for email_id, record in records.items():
            for name in ("Subject", "from", "Received", "X-Mailer", "List-Id", "Content-Type"):
                for form in ("Text", "Raw"):
                    assert stored_header(txn, account_id, record.blob_id, name, form, email_id) == \
                        stored_header(txn, account_id, record.blob_id, name, form), (email_id, name, form)


def test_a_header_section_above_the_bound_is_not_kept_and_read_from_the_blob(account, imap_server):
    """RFC 9051 §6.4.5: a header section longer than MAX_HEADER has no stored entry; FETCH of its
    header items reads the blob and answers what the record path does, beside a message whose
    section is kept, and the same once that one's entries are gone too."""
    server = imap_server.server
    account_id = _account_id(server, account.name)
    filler = b"".join(b"X-Filler-%d: %s\r\n" % (n, b"f" * 70) for n in range(envelopes.MAX_HEADER // 80 + 10))
    long_one = b"Subject: long\r\n" + filler + b"From: a@example.test\r\n\r\nbody\r\n"
    assert len(long_one) > envelopes.MAX_HEADER
    for raw in (message("short"), long_one):
        server.mail.deliver(account_id, raw, [_inbox(server, account.name)])
    entries = sorted(stored(server.store, account_id).items())
    assert entries[0][1][2] is not None and entries[1][1][2] is None
    conn = Raw(account.port, account.name, account.password)
    conn.command("SELECT INBOX")
    answers = []
    for items in HEADER_ITEMS:
        answers.append(conn.command(f"UID FETCH 1:2 ({items})"))
        assert answers[-1] == without_threadid(conn.command(f"UID FETCH 1:2 ({items} THREADID)")), items
    server.store.write(lambda txn: envelopes.drop(txn, account_id, entries[0][0]))  # kept, then gone
    assert [conn.command(f"UID FETCH 1:2 ({items})") for items in HEADER_ITEMS] == answers
    assert conn.command("FETCH 2 (BODY.PEEK[HEADER.FIELDS (x-filler-3 FROM)])") == (
        b"* 2 FETCH (BODY[HEADER.FIELDS (X-FILLER-3 FROM)] {%d}\r\nX-Filler-3: %s\r\nFrom: a@example.test\r\n\r\n)\r\n"
        % (len(b"X-Filler-3: \r\nFrom: a@example.test\r\n\r\n") + 70, b"f" * 70))
    assert conn.command("FETCH 2 (RFC822.HEADER)").endswith(filler + b"From: a@example.test\r\n\r\n)\r\n")
    conn.close()


def test_both_envelope_forms_are_kept_as_rendered_for_the_corpus(corpus):
    """RFC 9051 §7.5.2, §6.3.1: for every corpus message, the stored 7-bit ENVELOPE and the UTF-8
    form read back from the facts are exactly what the renderer gives for each kind of client
    (the UTF-8 one is rendered only where the 7-bit one encoded something, and must not be lost)."""
    from jmapd.mail.parsing import parse_for_import
    from jmapd.mime.envelope import envelope
    from store.blobs import blob_id_for

    differing = 0
    for path in corpus_files(corpus):
        raw = (corpus / path).read_bytes()
        summary = parse_for_import(raw, blob_id_for(raw)).summary
        plain, facts = envelopes.render(summary, len(raw), 1_700_000_000)
        assert plain == envelope(summary, False)
        assert envelopes.utf8_forms([plain], [facts]) == [envelope(summary, True)]
        assert envelopes.size_of(facts) == len(raw)
        differing += plain != envelope(summary, True)
    assert differing  # the corpus has mail whose UTF-8 form differs
