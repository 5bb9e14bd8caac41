"""Mailbox views answered from kept Email/query and Email/get answers stay exact (RFC 8620 §5.1, §5.5).

The server keeps the list-view renderings of Emails and the answers of Email/query between requests.
Whatever changes an Email (this server, another server process on the same data folder, an earlier
call of the same request), the next mailbox view must show it: the renderings follow the Email change
log and the query answers their state.
"""

from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpus")
LIST_VIEW = ["id", "threadId", "mailboxIds", "keywords", "from", "subject", "receivedAt", "size", "preview"]


def import_corpus(mail, names: list[str], mailbox: str = "inbox") -> list[str]:
    raws = [(CORPUS / name).read_bytes() for name in names]
    dates = [f"2024-01-0{i + 1}T10:00:00Z" for i in range(len(names))]
    return [e["id"] for e in mail.import_raw(raws, (mailbox,), received_at=dates)]


def mailbox_view(mail, mailbox_id: str) -> tuple[dict, dict]:
    """The first page of a mailbox, newest first, as a client's list view asks for it."""
    responses = mail.request([
        ["Email/query", {"accountId": mail.account_id, "filter": {"inMailbox": mailbox_id},
                         "sort": [{"property": "receivedAt", "isAscending": False}],
                         "collapseThreads": True, "limit": 50, "calculateTotal": True}, "q"],
        ["Email/get", {"accountId": mail.account_id, "properties": LIST_VIEW,
                       "#ids": {"resultOf": "q", "name": "Email/query", "path": "/ids"}}, "g"],
    ])
    return responses[0][1], responses[1][1]


def test_changes_from_another_process_show_in_the_next_view(two_mails):
    """RFC 8620 §5.1/§5.5: after another server process flags, moves and destroys Emails of the
    folder, this server's next mailbox view answers the new state, not what it kept."""
    a, b = two_mails
    inbox, archive = a.roles["inbox"], a.roles["archive"]
    ids = import_corpus(a, ["cpython-test_email/msg_01.eml", "django-mailbox/generic_message.eml",
                                   "django-mailbox/message_with_attachment.eml"])
    query, got = mailbox_view(a, inbox)
    assert query["ids"] == ids[::-1] and query["total"] == 3
    again_query, again = mailbox_view(a, inbox)
    assert (again_query, again) == (query, got)

    b.ok("Email/set", {"update": {ids[0]: {"keywords/$flagged": True},
                                  ids[1]: {"mailboxIds": {archive: True}}},
                       "destroy": [ids[2]]})

    query, got = mailbox_view(a, inbox)
    assert query["ids"] == [ids[0]] and query["total"] == 1
    assert query["queryState"] != again_query["queryState"]
    assert got["list"][0]["keywords"] == {"$flagged": True}
    moved = a.ok("Email/get", {"ids": ids, "properties": LIST_VIEW})
    assert {e["id"]: e["mailboxIds"] for e in moved["list"]} == {ids[0]: {inbox: True}, ids[1]: {archive: True}}
    assert moved["notFound"] == [ids[2]]
    archive_query, _ = mailbox_view(a, archive)
    assert archive_query["ids"] == [ids[1]]


def test_change_earlier_in_the_same_request_shows(two_mails):
    """RFC 8620 §3.3: calls run in order, so an Email/get after an Email/set in one request sees the
    update, even when the same list view was answered (and kept) just before."""
    a, _ = two_mails
    (email_id,) = import_corpus(a, ["cpython-test_email/msg_02.eml"])
    before = a.ok("Email/get", {"ids": [email_id], "properties": LIST_VIEW})["list"][0]
    assert "$seen" not in before["keywords"]
    responses = a.request([
        ["Email/get", {"accountId": a.account_id, "ids": [email_id], "properties": LIST_VIEW}, "g0"],
        ["Email/set", {"accountId": a.account_id, "update": {email_id: {"keywords/$seen": True}}}, "s"],
        ["Email/get", {"accountId": a.account_id, "ids": [email_id], "properties": LIST_VIEW}, "g1"],
    ])
    assert responses[0][1]["list"][0]["keywords"] == before["keywords"]
    assert responses[2][1]["list"][0]["keywords"] == {**before["keywords"], "$seen": True}
    assert int(responses[2][1]["state"]) > int(responses[0][1]["state"])


def test_back_references_reach_into_kept_answers(two_mails):
    """RFC 8620 §3.7: a ResultReference path walks into Email/get's list whether its entries were
    rendered now or kept from an earlier request (here, the second time)."""
    a, _ = two_mails
    (email_id,) = import_corpus(a, ["cpython-test_email/msg_04.eml"])
    for _ in range(2):
        responses = a.request([
            ["Email/get", {"accountId": a.account_id, "ids": [email_id], "properties": LIST_VIEW}, "g"],
            ["Thread/get", {"accountId": a.account_id,
                            "#ids": {"resultOf": "g", "name": "Email/get", "path": "/list/*/threadId"}}, "t"],
            ["Email/get", {"accountId": a.account_id, "properties": ["id", "keywords"],
                           "#ids": {"resultOf": "g", "name": "Email/get", "path": "/list/*/id"}}, "g2"],
        ])
        thread = responses[1][1]["list"]
        assert [t["id"] for t in thread] == [responses[0][1]["list"][0]["threadId"]]
        assert email_id in thread[0]["emailIds"]
        assert [e["id"] for e in responses[2][1]["list"]] == [email_id]
