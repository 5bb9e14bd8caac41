"""Keywords (RFC 8621 §4.1.1): system and custom keywords, case-insensitive, returned in lowercase."""

from __future__ import annotations


CUSTOM = ("work", "$mdnsent", "project-x_2024", "~tilde!", "a" * 255, "$label1", "nonjunk", "#hash", "[brackets")


def test_system_keywords_on_import(mail, kit):
    """RFC 8621 §4.1.1: the system keywords $seen, $flagged, $draft, $answered and the registered
    $forwarded, $phishing, $junk, $notjunk are all accepted and returned as set."""
    e = mail.import_one(kit.message("System"), keywords={k: True for k in kit.SYSTEM_KEYWORDS})
    assert mail.get_one(e["id"], ["keywords"])["keywords"] == {k: True for k in kit.SYSTEM_KEYWORDS}


def test_system_keywords_one_by_one_on_set(mail, kit):
    """RFC 8621 §4.1.1 / §4.6: each system keyword can be added and removed by patch."""
    e = mail.import_one(kit.message("System"))
    for keyword in kit.SYSTEM_KEYWORDS:
        assert mail.email_set(update={e["id"]: {f"keywords/{keyword}": True}})["updated"] == {e["id"]: None}
    assert mail.get_one(e["id"], ["keywords"])["keywords"] == {k: True for k in kit.SYSTEM_KEYWORDS}
    for keyword in kit.SYSTEM_KEYWORDS:
        mail.email_set(update={e["id"]: {f"keywords/{keyword}": None}})
    assert mail.get_one(e["id"], ["keywords"])["keywords"] == {}


def test_custom_keywords(mail, kit):
    """RFC 8621 §4.1.1: users may add arbitrary keywords of 1-255 allowed characters."""
    e = mail.import_one(kit.message("Custom"), keywords={k: True for k in CUSTOM[:4]})
    mail.email_set(update={e["id"]: {f"keywords/{k}": True for k in CUSTOM[4:]}})
    assert mail.get_one(e["id"], ["keywords"])["keywords"] == {k: True for k in CUSTOM}


def test_mixed_case_returned_lowercase(mail, kit):
    """RFC 8621 §4.1.1: keywords are case-insensitive and servers MUST return them in lowercase,
    whether given on import, by patch or by replacing the set."""
    e = mail.import_one(kit.message("Case"), keywords={"$Seen": True, "Work": True})
    assert mail.get_one(e["id"], ["keywords"])["keywords"] == {"$seen": True, "work": True}
    mail.email_set(update={e["id"]: {"keywords/$FLAGGED": True}})
    assert mail.get_one(e["id"], ["keywords"])["keywords"] == {"$seen": True, "work": True, "$flagged": True}
    mail.email_set(update={e["id"]: {"keywords": {"$Answered": True, "$ANSWERED": True, "MyTag": True}}})
    assert mail.get_one(e["id"], ["keywords"])["keywords"] == {"$answered": True, "mytag": True}


def test_uppercase_seen_counts_as_read(mail, kit):
    """RFC 8621 §4.1.1 / §2: "$SEEN" is the $seen keyword, so the Email is not unread."""
    mail.import_one(kit.message("Read"), keywords={"$SEEN": True})
    mail.import_one(kit.message("Draft"), keywords={"$Draft": True})
    inbox = mail.client.mailboxes()["inbox"]
    assert (inbox["totalEmails"], inbox["unreadEmails"], inbox["unreadThreads"]) == (2, 0, 0)


def test_adding_a_keyword_in_another_case_keeps_one(mail, kit):
    """RFC 8621 §4.1.1: "$Seen" and "$seen" are the same keyword, so adding "$Seen" to an Email that
    has $seen leaves one $seen."""
    e = mail.import_one(kit.message("Once"), keywords={"$seen": True})
    mail.email_set(update={e["id"]: {"keywords/$Seen": True}})
    assert mail.get_one(e["id"], ["keywords"])["keywords"] == {"$seen": True}


def test_removing_a_keyword_in_another_case(mail, kit):
    """RFC 8621 §4.1.1: keywords are case-insensitive, so "keywords/$Seen": null removes $seen
    (and the Email becomes unread, §2)."""
    e = mail.import_one(kit.message("Unsee"), keywords={"$seen": True, "work": True})
    mail.email_set(update={e["id"]: {"keywords/$Seen": None, "keywords/WORK": None}})
    assert mail.get_one(e["id"], ["keywords"])["keywords"] == {}
    assert mail.client.mailboxes()["inbox"]["unreadEmails"] == 1
