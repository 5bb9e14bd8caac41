"""`jmapd import imap` from Dovecot and from jmapd's own IMAP listener over real IMAP (RFC 3501/9051 with CONDSTORE, RFC 7162; special-use
folders, RFC 6154), into the store, checked message by message."""

from __future__ import annotations

import imaplib

MSG = ("From: Ann <ann@example.org>\r\nTo: bob@example.net\r\nSubject: {subject}\r\n"
       "Message-ID: <{mid}@example.org>\r\nDate: Mon, 01 Jun 2020 10:00:00 +0000\r\n\r\n{body}\r\n")


def message(subject: str, mid: str | None = None, body: str = "hello") -> bytes:
    return MSG.format(subject=subject, mid=mid or subject.replace(" ", "."), body=body).encode()


def append(conn: imaplib.IMAP4, folder: str, raw: bytes, flags: str = "", date: str = '"01-Jun-2020 10:00:00 +0000"'):
    typ, data = conn.append(f'"{folder}"', f"({flags})" if flags else None, date, raw)
    assert typ == "OK", data


def import_imap(jmapd, dovecot, remote, local, *extra, env=None):
    return jmapd("import", "imap", "--host", "127.0.0.1", "--port", str(dovecot.port), "--plain",
                 "--user", remote[0], "--into", local, *extra,
                 env={"JMAPD_IMPORT_PASSWORD": remote[1], **(env or {})})


def test_full_import_then_incremental_changes(jmapd, imap_source, view):
    """RFC 3501 §2.3.1.1 UIDs and §6.3.1 UIDVALIDITY, RFC 7162 §3.1.4 CHANGEDSINCE, RFC 6154 special-use,
    RFC 3501 §5.1.3 modified UTF-7 names: folders keep their hierarchy, flags become keywords
    (RFC 8621 §4.1.1), INTERNALDATE becomes receivedAt; a rerun brings only what changed."""
    remote = imap_source.add_user()
    conn = imap_source.imap(*remote)
    for folder in ("Sent", "Work", "Work/Projects", "&AMQ-rger"):  # Ärger, in modified UTF-7
        conn.create(folder)  # (jmapd has a Sent already and says so)
    append(conn, "INBOX", message("first"), "\\Seen \\Flagged", '"02-Jan-2020 03:04:05 +0100"')
    append(conn, "INBOX", message("second"))
    append(conn, "Sent", message("sent one"), "\\Seen")
    append(conn, "Work/Projects", message("deep"), "\\Answered $Label1")
    append(conn, "&AMQ-rger", message("umlaut"))
    local = jmapd.add_user()

    first = import_imap(jmapd, imap_source, remote, local)
    assert first.returncode == 0, first.stderr
    assert "total: 5 imported" in first.stdout
    v = view(jmapd.data, local)
    assert len(v.emails) == 5
    raw, boxes, keywords, received = v.by_subject(b"first")
    assert raw == message("first") and boxes == ("Inbox",)
    assert keywords == ("$flagged", "$seen") and received == 1577930645  # 2020-01-02T02:04:05Z
    assert v.by_subject(b"sent one")[1] == ("Sent",) and v.roles["Sent"] == "sent"
    assert v.by_subject(b"deep")[1:3] == (("Work/Projects",), ("$answered", "$label1"))
    assert v.by_subject(b"umlaut")[1] == ("\u00c4rger",)

    # The source changes: new mail, a flag set and one cleared, a new folder.
    append(conn, "INBOX", message("third"))
    conn.select("INBOX")
    conn.uid("STORE", "1", "-FLAGS", "(\\Flagged)")
    conn.uid("STORE", "2", "+FLAGS", "(\\Seen)")
    conn.create("Later")
    append(conn, "Later", message("later"), "\\Draft")
    conn.logout()

    second = import_imap(jmapd, imap_source, remote, local)
    assert second.returncode == 0, second.stderr
    assert "total: 2 imported" in second.stdout and "0 duplicates" in second.stdout
    v = view(jmapd.data, local)
    assert len(v.emails) == 7
    assert v.by_subject(b"first")[2] == ("$seen",)
    assert v.by_subject(b"second")[2] == ("$seen",)
    assert v.by_subject(b"later")[1:3] == (("Later",), ("$draft",))

    third = import_imap(jmapd, imap_source, remote, local)
    assert "total: 0 imported" in third.stdout and len(view(jmapd.data, local).emails) == 7


def test_labels_become_mailboxes_of_one_email(jmapd, dovecot, view):
    """RFC 8621 §4.1.1 mailboxIds: the same message in several folders (Gmail's labels) is one Email
    in several mailboxes, its octets stored once; Gmail's All Mail (RFC 6154 \\All) adds only what no
    other folder holds, to the Archive."""
    remote = dovecot.add_user()
    conn = dovecot.imap(*remote)
    for folder in ("Family", "Receipts", "[Gmail]/All Mail", "[Gmail]/Starred"):
        conn.create(f'"{folder}"')
    shared = message("labelled twice")
    append(conn, "Family", shared, "\\Seen")
    append(conn, "Receipts", shared, "\\Seen")
    append(conn, "[Gmail]/All Mail", shared, "\\Seen")
    append(conn, "[Gmail]/Starred", shared, "\\Seen \\Flagged")
    append(conn, "[Gmail]/All Mail", message("archived"))
    conn.logout()
    local = jmapd.add_user()
    result = import_imap(jmapd, dovecot, remote, local)
    assert result.returncode == 0, result.stderr
    v = view(jmapd.data, local)
    assert len(v.emails) == 2
    assert v.by_subject(b"labelled twice")[1] == ("Family", "Receipts")
    assert v.by_subject(b"archived")[1] == ("Archive",)
    assert "Starred" not in " ".join(v.paths.values())


def test_changed_uidvalidity_matches_by_message_id_and_size(jmapd, imap_source, view):
    """RFC 3501 §2.3.1.1: a new UIDVALIDITY invalidates every UID; the messages already imported are
    found again by Message-ID and size, so none is fetched or stored twice."""
    remote = imap_source.add_user()
    conn = imap_source.imap(*remote)
    conn.create("Box")
    for n in range(3):
        append(conn, "Box", message(f"box {n}"))
    local = jmapd.add_user()
    assert import_imap(jmapd, imap_source, remote, local).returncode == 0
    conn.select("INBOX")
    conn.delete("Box")  # rebuilt: same messages, new UIDVALIDITY
    conn.create("Box")
    for n in range(3):
        append(conn, "Box", message(f"box {n}"), "\\Seen")
    append(conn, "Box", message("box new"))
    conn.logout()
    again = import_imap(jmapd, imap_source, remote, local)
    assert again.returncode == 0, again.stderr
    assert "total: 1 imported, 0 added to another mailbox, 0 duplicates" in again.stdout
    assert len(view(jmapd.data, local).emails) == 4


def test_wrong_password_is_one_line(jmapd, imap_source):
    """RFC 3501 §6.2.3 LOGIN answered NO: one line naming the refusal, exit status 1."""
    remote = imap_source.add_user()
    local = jmapd.add_user()
    result = import_imap(jmapd, imap_source, (remote[0], "wrong"), local)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "refused the login" in result.stderr


def test_no_password_source_is_a_usage_error(jmapd, dovecot):
    """The password never comes from a flag: without the variable, a file or a terminal, exit 2."""
    local = jmapd.add_user()
    result = jmapd("import", "imap", "--host", "127.0.0.1", "--port", str(dovecot.port), "--plain",
                   "--user", "x", "--into", local, env={"JMAPD_IMPORT_PASSWORD": ""})
    assert result.returncode == 2 and "JMAPD_IMPORT_PASSWORD" in result.stderr


def test_connection_dropped_mid_fetch_is_retried(jmapd, dovecot, view, dropping_proxy):
    """RFC 3501 §2.3.1.1: UIDs make a fetch resumable; when the server's connection drops in the
    middle of a FETCH, the import reconnects, resumes from its last commit and completes, each
    message once."""
    remote = dovecot.add_user()
    count = 600
    dovecot.fill_inbox(remote[0], [message(f"drop {n}", body="x" * 200) for n in range(count)])
    proxy = dropping_proxy(dovecot.port, after=60_000)
    local = jmapd.add_user()
    result = jmapd("import", "imap", "--host", "127.0.0.1", "--port", str(proxy.port), "--plain",
                   "--user", remote[0], "--into", local, env={"JMAPD_IMPORT_PASSWORD": remote[1]})
    assert result.returncode == 0, result.stderr
    assert proxy.drops == 1
    emails = view(jmapd.data, local).emails
    assert len(emails) == count and len({raw for raw, *_ in emails}) == count


def test_certificate_that_does_not_verify_is_refused(jmapd, dovecot_tls, view):
    """RFC 8314 §4.1 (implicit TLS) and RFC 6125: a certificate no trusted authority signed is refused
    with one line, unless --insecure accepts it."""
    remote = dovecot_tls.add_user()
    local = jmapd.add_user()
    args = ("import", "imap", "--host", "127.0.0.1", "--port", str(dovecot_tls.port), "--tls",
            "--user", remote[0], "--into", local)
    env = {"JMAPD_IMPORT_PASSWORD": remote[1]}
    refused = jmapd(*args, env=env)
    assert refused.returncode == 1
    assert refused.stderr.splitlines()[-1].startswith("jmapd: the certificate of 127.0.0.1")
    assert "--insecure" in refused.stderr
    accepted = jmapd(*args, "--insecure", env=env)
    assert accepted.returncode == 0, accepted.stderr
