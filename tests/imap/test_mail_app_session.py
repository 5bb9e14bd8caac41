"""The session a mail app runs, with imapclient, and changes crossing between IMAP and JMAP."""

from __future__ import annotations

import json
import threading
import time

from .conftest import message


def test_standard_mail_app_session(account):
    """RFC 9051 §6.3.9 LIST, §6.3.11 STATUS, §6.3.2 SELECT, §6.4.9 UID FETCH 1:* (FLAGS), §6.4.5
    fetch of new headers and of a body, §6.4.6 STORE \\Seen, RFC 6851 MOVE to Trash, §6.4.3
    EXPUNGE and §6.3.13 IDLE, as a mail app does them on opening and reading a folder."""
    client = account.imapclient()
    for i in range(3):
        client.append("INBOX", message(f"note {i}", f"body {i}"))
    folders = {name: flags for flags, _, name in client.list_folders()}
    assert b"\\Trash" in folders["Trash"] and "INBOX" in folders
    assert client.folder_status("INBOX", ["MESSAGES", "UIDNEXT", "UNSEEN"]) == {
        b"MESSAGES": 3, b"UIDNEXT": 4, b"UNSEEN": 3}
    selected = client.select_folder("INBOX")
    assert selected[b"EXISTS"] == 3 and selected[b"UIDNEXT"] == 4
    # imapclient filters answers by the ids it was given, so "1:*" goes through its imaplib.
    typ, flags = client._imap.uid("FETCH", "1:*", "(FLAGS)")
    assert typ == "OK" and flags == [b"1 (UID 1 FLAGS ())", b"2 (UID 2 FLAGS ())", b"3 (UID 3 FLAGS ())"]
    headers = client.fetch([2, 3], ["BODY.PEEK[HEADER.FIELDS (SUBJECT FROM DATE)]", "RFC822.SIZE"])
    assert headers[2][b"BODY[HEADER.FIELDS (SUBJECT FROM DATE)]"].startswith(b"From: Bob")
    body = client.fetch([3], ["BODY[]"])[3]
    assert body[b"BODY[]"].endswith(b"\r\n\r\nbody 2\r\n")
    assert b"\\Seen" in client.get_flags([3])[3]  # a non-PEEK body fetch sets \Seen
    client.add_flags([1], [b"\\Seen"])
    assert client.folder_status("INBOX", ["UNSEEN"])[b"UNSEEN"] == 1
    client.move([1], "Trash")
    assert sorted(client.search("ALL")) == [2, 3]
    client.add_flags([2], [b"\\Deleted"])
    client.expunge()
    assert client.search("ALL") == [3]
    assert client.folder_status("Trash", ["MESSAGES"])[b"MESSAGES"] == 1
    other = account.imapclient()
    client.idle()
    other.append("INBOX", message("arrived while idle"))
    responses = client.idle_check(timeout=5)
    client.idle_done()
    assert (2, b"EXISTS") in responses
    other.logout()
    client.logout()


def test_jmap_change_reaches_an_idle_session(account, client_type):
    """RFC 9051 §6.3.13 and §7.5.1: a flag set and a message moved over JMAP reach an IDLEing
    IMAP session as FETCH FLAGS and EXPUNGE within a second."""
    jmap = account.jmap(client_type)
    imap = account.imapclient()
    imap.append("INBOX", message("one"))
    imap.append("INBOX", message("two"))
    imap.select_folder("INBOX")
    ids = jmap.ok("Email/query", {})["ids"]
    boxes = jmap.mailboxes()
    imap.idle()
    started = time.monotonic()
    first = jmap.ok("Email/get", {"ids": ids, "properties": ["subject"]})["list"]
    by_subject = {e["subject"]: e["id"] for e in first}
    jmap.ok("Email/set", {"update": {by_subject["one"]: {"keywords/$flagged": True}}})
    seen = []
    while time.monotonic() - started < 5 and not any(r[1] == b"FETCH" for r in seen):
        seen += imap.idle_check(timeout=1)
    assert time.monotonic() - started < 2
    fetches = [r for r in seen if r[1] == b"FETCH"]
    assert fetches and fetches[0][0] == 1 and b"\\Flagged" in dict(zip(fetches[0][2][::2], fetches[0][2][1::2]))[b"FLAGS"]
    jmap.ok("Email/set", {"update": {by_subject["two"]: {"mailboxIds": {boxes["archive"]["id"]: True}}}})
    seen = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any(r[1] == b"EXPUNGE" for r in seen):
        seen += imap.idle_check(timeout=1)
    imap.idle_done()
    assert (2, b"EXPUNGE") in seen
    assert imap.search("ALL") == [1]
    imap.logout()
    jmap.close()


def test_imap_change_reaches_jmap_changes_and_eventsource(account, client_type):
    """RFC 8620 §5.2 and §7.3: a STORE and a MOVE over IMAP show in Email/changes and push a
    StateChange on EventSource."""
    jmap = account.jmap(client_type)
    imap = account.imapclient()
    imap.append("INBOX", message("pushed"))
    state = jmap.ok("Email/get", {"ids": []})["state"]
    email_id = jmap.ok("Email/query", {})["ids"][0]
    url = (jmap.session["eventSourceUrl"].replace("{types}", "Email").replace("{closeafter}", "state")
           .replace("{ping}", "0"))
    events = []
    with jmap.http.stream("GET", url, timeout=10) as response:
        def act():
            imap.select_folder("INBOX")
            imap.add_flags([1], [b"\\Answered"])
            imap.move([1], "Archive")
        threading.Timer(0.3, act).start()
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
                break
    assert events and jmap.account_id in events[0]["changed"]
    time.sleep(0.3)
    changes = jmap.ok("Email/changes", {"sinceState": state})
    assert email_id in changes["updated"]
    email = jmap.ok("Email/get", {"ids": [email_id], "properties": ["keywords", "mailboxIds"]})["list"][0]
    assert email["keywords"] == {"$answered": True}
    assert list(email["mailboxIds"]) == [jmap.mailboxes()["archive"]["id"]]
    imap.logout()
    jmap.close()


def test_message_in_two_mailboxes_is_in_both_folders(account, client_type):
    """RFC 8621 §4.1.1 mailboxIds: an Email in two mailboxes appears in both IMAP folders, with one
    set of flags; EXPUNGE from one leaves it in the other (RFC 9051 §6.4.3)."""
    jmap = account.jmap(client_type)
    imap = account.imapclient()
    imap.append("INBOX", message("twice"))
    boxes = jmap.mailboxes()
    email_id = jmap.ok("Email/query", {})["ids"][0]
    jmap.ok("Email/set", {"update": {email_id: {f"mailboxIds/{boxes['archive']['id']}": True}}})
    imap.select_folder("Archive")
    assert imap.search("ALL") == [1]
    imap.add_flags([1], [b"\\Flagged", b"\\Deleted"])
    imap.expunge()
    imap.select_folder("INBOX")
    assert imap.get_flags([1])[1] == (b"\\Flagged",)
    email = jmap.ok("Email/get", {"ids": [email_id], "properties": ["mailboxIds"]})["list"][0]
    assert list(email["mailboxIds"]) == [boxes["inbox"]["id"]]
    imap.logout()
    jmap.close()


def test_expunges_wait_for_a_command_that_may_report_them(account):
    """RFC 9051 §7.5.1: an expunge by another session is not reported during FETCH (sequence
    numbers must not shift under it) but at the next command that allows it, here NOOP."""
    a, b = account.imaplib(), account.imaplib()
    for subject in ("first", "second"):
        a.append("INBOX", None, None, message(subject))
    a.select("INBOX")
    b.select("INBOX")
    b.store("1", "+FLAGS", "\\Deleted")
    b.expunge()
    typ, data = a.fetch("1:*", "(FLAGS)")
    assert typ == "OK" and "EXPUNGE" not in a.untagged_responses
    a.noop()
    assert a.untagged_responses.pop("EXPUNGE") == [b"1"]
    typ, data = a.fetch("1:*", "(UID)")
    assert data == [b"1 (UID 2)"]
    a.logout()
    b.logout()
