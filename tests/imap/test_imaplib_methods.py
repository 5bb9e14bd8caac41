"""Every command Python's imaplib can send, one test per imaplib method, against a live listener.

Each works, or gets a clear NO/BAD with the reason where jmapd deliberately does not support it.
"""

from __future__ import annotations

import base64
import imaplib
import re

import pytest

from .conftest import message


def ok(result):
    typ, data = result
    assert typ == "OK", data
    return data


def no(conn, method, *args):
    """The reason of a refusal: imaplib raises on BAD (and some NO) and returns others."""
    try:
        typ, data = getattr(conn, method)(*args)
    except imaplib.IMAP4.error as exc:
        return str(exc)
    assert typ == "NO", data
    return " ".join(d.decode() if isinstance(d, bytes) else str(d) for d in data)


def test_capability(conn):
    """RFC 9051 §6.1.1: CAPABILITY lists IMAP4rev2 and IMAP4rev1 and the extensions."""
    caps = ok(conn.capability())[0].split()
    for cap in (b"IMAP4rev2", b"IMAP4rev1", b"IDLE", b"UIDPLUS", b"MOVE", b"CONDSTORE", b"QRESYNC", b"ESEARCH",
                b"SPECIAL-USE", b"LIST-STATUS", b"BINARY", b"APPENDLIMIT=50000000", b"AUTH=PLAIN"):
        assert cap in caps


def test_login(account):
    """RFC 9051 §6.2.3: LOGIN with the user's password, and with an API token as the password;
    a wrong password gets NO [AUTHENTICATIONFAILED]."""
    conn = imaplib.IMAP4("127.0.0.1", account.port)
    typ, data = conn.login(account.name, account.password)
    assert typ == "OK" and b"CAPABILITY" in data[0]
    conn.logout()
    from store.users import create_token

    token = account.server.server.store.write(lambda txn: create_token(txn, account.name, "imap"))
    conn = imaplib.IMAP4("127.0.0.1", account.port)
    assert conn.login(account.name, token)[0] == "OK"
    conn.logout()
    conn = imaplib.IMAP4("127.0.0.1", account.port)
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        conn.login(account.name, "wrong")
    conn.logout()


def test_authenticate(account):
    """RFC 9051 §6.2.2 and RFC 4616: AUTHENTICATE PLAIN logs in; other mechanisms are refused."""
    conn = imaplib.IMAP4("127.0.0.1", account.port)
    typ, _ = conn.authenticate("PLAIN", lambda _: f"\0{account.name}\0{account.password}".encode())
    assert typ == "OK" and conn.state == "AUTH"
    conn.logout()


def test_login_cram_md5(account):
    """RFC 9051 §6.2.2: CRAM-MD5 needs the clear password, which is never stored: NO with the reason."""
    conn = imaplib.IMAP4("127.0.0.1", account.port)
    message_text = no(conn, "login_cram_md5", account.name, account.password)
    assert "hashed" in message_text
    conn.logout()


def test_starttls(account):
    """RFC 9051 §6.2.1: without a certificate STARTTLS is not offered and is refused with BAD."""
    conn = imaplib.IMAP4("127.0.0.1", account.port)
    assert "STARTTLS" not in conn.capabilities
    with pytest.raises(imaplib.IMAP4.error):
        conn.starttls()
    conn.logout()


def test_logout(account):
    """RFC 9051 §6.1.3: LOGOUT answers BYE then OK."""
    conn = account.imaplib()
    assert conn.logout()[0] == "BYE"


def test_noop(conn):
    """RFC 9051 §6.1.2: NOOP succeeds in every state."""
    ok(conn.noop())


def test_enable(conn):
    """RFC 5161 and RFC 9051 §6.3.1: ENABLE answers ENABLED with what it turned on."""
    ok(conn.enable("CONDSTORE"))
    assert conn.untagged_responses.get("ENABLED") in ([b"CONDSTORE"], None)


def test_namespace(conn):
    """RFC 9051 §6.3.10: one personal namespace with "/" as the separator."""
    assert ok(conn.namespace()) == [b'(("" "/")) NIL NIL']


def test_list(conn):
    """RFC 9051 §6.3.9 and RFC 6154: every folder, with special-use attributes from the roles."""
    listed = ok(conn.list())
    assert b'(\\HasNoChildren) "/" "INBOX"' in listed
    assert b'(\\HasNoChildren \\Trash) "/" "Trash"' in listed
    assert ok(conn.list('""', "Tr%")) == [b'(\\HasNoChildren \\Trash) "/" "Trash"']


def test_lsub(conn):
    """RFC 3501 §6.3.9: LSUB lists subscribed folders."""
    assert b'() "/" "INBOX"' in ok(conn.lsub()) or any(b'"INBOX"' in line for line in ok(conn.lsub()))


def test_subscribe_and_unsubscribe(conn):
    """RFC 9051 §6.3.7, §6.3.8: (UN)SUBSCRIBE changes what LSUB lists (JMAP isSubscribed)."""
    ok(conn.unsubscribe("Archive"))
    assert not any(b'"Archive"' in line for line in ok(conn.lsub()))
    ok(conn.subscribe("Archive"))
    assert any(b'"Archive"' in line for line in ok(conn.lsub()))


def test_unsubscribe(conn):
    """RFC 9051 §6.3.8: UNSUBSCRIBE of an unknown mailbox is NO."""
    assert "NONEXISTENT" in no(conn, "unsubscribe", "Nope")


def test_create(conn):
    """RFC 9051 §6.3.4: CREATE makes missing parents; an existing name is NO [ALREADYEXISTS]."""
    ok(conn.create("Work/Projects/2024"))
    names = [line.rsplit(b'"/" ', 1)[1] for line in ok(conn.list('""', "Work*"))]
    assert names == [b'"Work"', b'"Work/Projects"', b'"Work/Projects/2024"']
    assert "ALREADYEXISTS" in no(conn, "create", "Work")


def test_delete(conn):
    """RFC 9051 §6.3.5: DELETE removes a mailbox; one with children and INBOX are refused."""
    ok(conn.create("Old/Child"))
    assert "HASCHILDREN" in no(conn, "delete", "Old")
    ok(conn.delete("Old/Child"))
    ok(conn.delete("Old"))
    assert no(conn, "delete", "INBOX")


def test_rename(conn):
    """RFC 9051 §6.3.6: RENAME moves a mailbox and its children under the new name."""
    ok(conn.create("A/B"))
    ok(conn.rename("A", "Z/Y"))
    names = {line.rsplit(b'"/" ', 1)[1] for line in ok(conn.list())}
    assert {b'"Z"', b'"Z/Y"', b'"Z/Y/B"'} <= names and b'"A"' not in names


def test_status(conn):
    """RFC 9051 §6.3.11 and RFC 8438: STATUS counts, UIDNEXT, UIDVALIDITY and SIZE."""
    ok(conn.append("INBOX", None, None, message()))
    data = ok(conn.status("INBOX", "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN SIZE DELETED)"))[0]
    assert re.search(rb"MESSAGES 1 UIDNEXT 2 UIDVALIDITY \d+ UNSEEN 1 SIZE \d+ DELETED 0", data), data


def test_append(conn):
    """RFC 9051 §6.3.12 and RFC 4315: APPEND stores the message with its flags and date, and says
    its UID with APPENDUID."""
    raw = message("appended")
    data = ok(conn.append("INBOX", "(\\Seen $Forwarded)", imaplib.Time2Internaldate(760000000), raw))
    assert re.match(rb"\[APPENDUID \d+ 1\]", data[0])
    ok(conn.select("INBOX"))
    fetched = ok(conn.fetch("1", "(FLAGS INTERNALDATE BODY.PEEK[])"))
    assert fetched[0][1] == raw
    assert b"\\Seen" in fetched[0][0] and b"$forwarded" in fetched[0][0]
    assert b'INTERNALDATE "31-Jan-1994' in fetched[0][0] or b'INTERNALDATE "01-Feb-1994' in fetched[0][0]


def test_select(conn):
    """RFC 9051 §6.3.2: SELECT reports EXISTS, FLAGS, PERMANENTFLAGS, UIDVALIDITY, UIDNEXT."""
    ok(conn.append("INBOX", None, None, message()))
    assert ok(conn.select("INBOX")) == [b"1"]
    assert conn.untagged_responses["UIDNEXT"] == [b"2"]
    assert "NONEXISTENT" in no(conn, "select", "Nope")


def test_readonly_select(conn):
    """RFC 9051 §6.3.3: EXAMINE is read-only; STORE there is NO."""
    ok(conn.append("INBOX", None, None, message()))
    ok(conn.select("INBOX", readonly=True))
    assert "READ-ONLY" in no(conn, "store", "1", "+FLAGS", "\\Seen")


def test_check(conn):
    """RFC 3501 §6.4.1: CHECK succeeds (every change is durable when acknowledged)."""
    ok(conn.select("INBOX"))
    ok(conn.check())


def test_close(conn):
    """RFC 9051 §6.4.1: CLOSE expunges \\Deleted messages silently and leaves the selected state."""
    ok(conn.append("INBOX", "(\\Deleted)", None, message()))
    ok(conn.append("INBOX", None, None, message()))
    ok(conn.select("INBOX"))
    ok(conn.close())
    assert conn.state == "AUTH"
    assert ok(conn.select("INBOX")) == [b"1"]


def test_unselect(conn):
    """RFC 9051 §6.4.2: UNSELECT leaves the mailbox without expunging."""
    ok(conn.append("INBOX", "(\\Deleted)", None, message()))
    ok(conn.select("INBOX"))
    ok(conn.unselect())
    assert ok(conn.select("INBOX")) == [b"1"]


def test_expunge(conn):
    """RFC 9051 §6.4.3: EXPUNGE removes \\Deleted messages and reports each by sequence number."""
    for flags in (None, "(\\Deleted)", None, "(\\Deleted)"):
        ok(conn.append("INBOX", flags, None, message()))
    ok(conn.select("INBOX"))
    assert ok(conn.expunge()) == [b"4", b"2"]
    assert ok(conn.select("INBOX")) == [b"2"]


def test_search(conn):
    """RFC 9051 §6.4.4: SEARCH by flags, size, header and text (the full-text index)."""
    ok(conn.append("INBOX", "(\\Flagged)", None, message("quarterly report", "numbers inside")))
    ok(conn.append("INBOX", None, None, message("lunch", "pizza tomorrow")))
    ok(conn.select("INBOX"))
    assert ok(conn.search(None, "FLAGGED")) == [b"1"]
    assert ok(conn.search(None, "UNFLAGGED", "LARGER", "10")) == [b"2"]
    assert ok(conn.search(None, "SUBJECT", "quarterly")) == [b"1"]
    assert ok(conn.search(None, "BODY", "pizza")) == [b"2"]
    assert ok(conn.search(None, "OR", "BODY", "pizza", "FLAGGED")) == [b"1 2"]
    assert ok(conn.search(None, "HEADER", "Subject", "lunch")) == [b"2"]
    assert ok(conn.search("UTF-8", "NOT", "SEEN")) == [b"1 2"]


def test_fetch(conn):
    """RFC 9051 §6.4.5: FETCH of FLAGS, UID, sizes, ENVELOPE and body sections."""
    raw = message("fetch me", "the body")
    ok(conn.append("INBOX", None, None, raw))
    ok(conn.select("INBOX"))
    data = ok(conn.fetch("1", "(UID RFC822.SIZE ENVELOPE BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[TEXT])"))
    assert b"UID 1" in data[0][0] and b"RFC822.SIZE %d" % len(raw) in data[0][0]
    assert b'"fetch me"' in data[0][0]
    assert data[0][1] == b"Subject: fetch me\r\n\r\n"
    assert data[1][1] == b"the body\r\n"


def test_partial(conn):
    """RFC 2060's PARTIAL is gone from IMAP: NO naming the replacement, FETCH BODY[]<start.length>."""
    ok(conn.append("INBOX", None, None, message()))
    ok(conn.select("INBOX"))
    assert "BODY[]<start.length>" in no(conn, "partial", "1", "BODY[]", "0", "10")
    data = ok(conn.fetch("1", "(BODY.PEEK[]<0.10>)"))
    assert data[0][1] == message()[:10]


def test_store(conn):
    """RFC 9051 §6.4.6: STORE +FLAGS/-FLAGS/FLAGS, answered with the new flags."""
    ok(conn.append("INBOX", None, None, message()))
    ok(conn.select("INBOX"))
    assert ok(conn.store("1", "+FLAGS", "(\\Seen \\Flagged)")) == [b"1 (FLAGS (\\Flagged \\Seen))"]
    assert ok(conn.store("1", "-FLAGS", "\\Flagged")) == [b"1 (FLAGS (\\Seen))"]
    assert ok(conn.store("1", "FLAGS", "($Label1)")) == [b"1 (FLAGS ($label1))"]
    assert ok(conn.store("1", "+FLAGS.SILENT", "\\Answered")) == [None]


def test_copy(conn):
    """RFC 9051 §6.4.7 and RFC 4315 COPYUID: the copy is in both folders."""
    ok(conn.append("INBOX", None, None, message()))
    ok(conn.select("INBOX"))
    data = ok(conn.copy("1", "Archive"))
    assert re.match(rb"\[COPYUID \d+ 1 1\]", data[0])
    assert "TRYCREATE" in no(conn, "copy", "1", "Nope")
    assert ok(conn.status("Archive", "(MESSAGES)"))[0].endswith(b"(MESSAGES 1)")
    assert ok(conn.status("INBOX", "(MESSAGES)"))[0].endswith(b"(MESSAGES 1)")


def test_uid(conn):
    """RFC 9051 §6.4.9: UID FETCH, UID STORE, UID SEARCH, UID MOVE and UID EXPUNGE name UIDs."""
    for _ in range(3):
        ok(conn.append("INBOX", None, None, message()))
    ok(conn.select("INBOX"))
    assert ok(conn.uid("SEARCH", None, "ALL")) == [b"1 2 3"]
    assert b"UID 2" in ok(conn.uid("FETCH", "2", "(FLAGS)"))[0]
    ok(conn.uid("STORE", "3", "+FLAGS", "(\\Deleted)"))
    ok(conn.uid("STORE", "1", "+FLAGS", "(\\Deleted)"))
    ok(conn.uid("EXPUNGE", "3"))
    assert ok(conn.uid("SEARCH", None, "ALL")) == [b"1 2"]
    ok(conn.uid("MOVE", "2", "Archive"))
    assert ok(conn.uid("SEARCH", None, "ALL")) == [b"1"]


def test_sort(conn):
    """RFC 5256 §3: SORT by subject, and REVERSE."""
    for subject in ("beta", "Re: alpha", "gamma"):
        ok(conn.append("INBOX", None, None, message(subject)))
    ok(conn.select("INBOX"))
    assert ok(conn.sort("(SUBJECT)", "UTF-8", "ALL")) == [b"2 1 3"]
    assert ok(conn.sort("(REVERSE SUBJECT)", "UTF-8", "ALL")) == [b"3 1 2"]


def test_thread(conn):
    """RFC 5256 §4: THREAD=ORDEREDSUBJECT groups by base subject under the oldest message."""
    for subject in ("topic", "other", "Re: topic"):
        ok(conn.append("INBOX", None, None, message(subject)))
    ok(conn.select("INBOX"))
    assert ok(conn.thread("ORDEREDSUBJECT", "UTF-8", "ALL")) == [b"(1 3)(2)"]


def test_myrights(conn):
    """RFC 4314 §3.8: the owner has every right."""
    assert ok(conn.myrights("INBOX")) == [b'"INBOX" lrswipkxtea']


def test_getacl(conn, account):
    """RFC 4314 §3.3: the ACL names the owner."""
    assert ok(conn.getacl("INBOX")) == [b'"INBOX" "%s" lrswipkxtea' % account.name.encode()]


def test_setacl(conn):
    """RFC 4314 §3.1: rights are managed by `jmapd user share`, so SETACL is NO with the reason."""
    assert "jmapd user share" in no(conn, "setacl", "INBOX", "bob", "lr")


def test_deleteacl(conn):
    """RFC 4314 §3.2: DELETEACL is refused like SETACL."""
    assert "NOPERM" in no(conn, "deleteacl", "INBOX", "bob")


def test_getquotaroot(conn):
    """RFC 9208 §4.3.2: no quota applies, so the mailbox has no quota root."""
    typ, data = conn.getquotaroot("INBOX")
    assert typ == "OK" and data[0] == [b'"INBOX"']


def test_getquota(conn):
    """RFC 9208 §4.3.1: there are no quota roots to ask about."""
    assert "NONEXISTENT" in no(conn, "getquota", "")


def test_setquota(conn):
    """RFC 9208 §4.3.3: quotas cannot be set."""
    assert "no quotas" in no(conn, "setquota", "", "(STORAGE 10)")


def test_getannotation(conn):
    """ANNOTATE (RFC 5257) is not supported: NO says so."""
    assert "ANNOTATE" in no(conn, "getannotation", "INBOX", '"/comment"', '"value.priv"')


def test_setannotation(conn):
    """ANNOTATE (RFC 5257) is not supported: NO says so."""
    assert "ANNOTATE" in no(conn, "setannotation", "INBOX", '"/comment"', '("value.priv" "x")')


def test_proxyauth(conn):
    """PROXYAUTH is not supported: NO with the reason."""
    assert "PROXYAUTH" in no(conn, "proxyauth", "someone")


def test_xatom(conn):
    """RFC 9051 §6.5: an unknown command is BAD, naming it; the connection goes on."""
    with pytest.raises(imaplib.IMAP4.error, match="unknown command FROBNICATE"):
        conn.xatom("FROBNICATE")
    ok(conn.noop())


def test_recent_and_response(conn):
    """RFC 9051 §7.4.1 (and RFC 3501 §7.3.2 RECENT): imaplib's recent() reads RECENT, always 0 here."""
    ok(conn.append("INBOX", None, None, message()))
    ok(conn.select("INBOX"))
    assert conn.response("EXISTS") == ("EXISTS", [b"1"])
    assert conn.recent()[1] in ([b"0"], [None])


def test_authenticate_plain_with_initial_response(account):
    """RFC 4959 SASL-IR: AUTHENTICATE PLAIN with the credentials on the command line."""
    conn = imaplib.IMAP4("127.0.0.1", account.port)
    token = base64.b64encode(f"\0{account.name}\0{account.password}".encode()).decode()
    typ, _ = conn._simple_command("AUTHENTICATE", "PLAIN", token)
    assert typ == "OK"
    conn.logout()
