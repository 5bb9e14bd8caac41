"""The Email/set create examples of RFC 8621 §4.10.

The JSON in the RFC breaks long string values across lines for layout; here
those breaks are single spaces, as a client would have sent them.
"""

from __future__ import annotations

PLAN = ("I have the most brilliant plan. Let me tell you all about it. "
        "What we do is, we")
PLAN_HTML = (
    '<!DOCTYPE html><html><head><title></title> <style type="text/css">'
    "div{font-size:16px}</style></head> <body><div>I have the most "
    "<b>brilliant</b> plan. Let me tell you all about it. What we do is, "
    "we</div></body> </html>"
)


def test_plain_text_draft(compose, kit):
    """RFC 8621 §4.10: draft "k192" gives a text/plain message with
    Content-Language: en, the sentAt date and offset, a Message-ID and
    MIME-Version; mailboxIds, keywords and receivedAt are not in it."""
    create = {
        "mailboxIds": {"2ea1ca41b38e": True},
        "keywords": {"$seen": True, "$draft": True},
        "from": [{"name": "Joe Bloggs", "email": "joe@example.com"}],
        "subject": "World domination",
        "receivedAt": "2018-07-10T01:03:11Z",
        "sentAt": "2018-07-10T11:03:11+10:00",
        "bodyStructure": {
            "type": "text/plain",
            "partId": "bd48",
            "header:Content-Language": "en",
        },
        "bodyValues": {"bd48": {"value": PLAN, "isTruncated": False}},
    }
    raw, msg = compose(create)
    assert msg["Date"] == "Tue, 10 Jul 2018 11:03:11 +1000"
    assert [(a.display_name, a.addr_spec) for a in msg["From"].addresses] == [
        ("Joe Bloggs", "joe@example.com")]
    assert msg["Subject"] == "World domination"
    assert msg["Content-Language"] == "en"
    assert msg["MIME-Version"] == "1.0"
    assert msg["Message-ID"].startswith("<") and msg["Message-ID"].endswith(">")
    assert kit.structure(msg) == "text/plain"
    assert kit.text_of(msg) == PLAN
    assert b"2ea1ca41b38e" not in raw and b"$draft" not in raw and b"01:03:11" not in raw
    names = [k.lower() for k in msg.keys() if k.lower() != "content-transfer-encoding"]
    assert sorted(names) == sorted([
        "message-id", "mime-version", "date", "from", "subject",
        "content-language", "content-type",
    ])


def test_html_draft_with_alternative(compose, kit):
    """RFC 8621 §4.10: draft "k1546" gives multipart/alternative with the
    parts in the order given, each with its Content-Language."""
    create = {
        "mailboxIds": {"2ea1ca41b38e": True},
        "keywords": {"$seen": True, "$draft": True},
        "from": [{"name": "Joe Bloggs", "email": "joe@example.com"}],
        "to": [{"name": "John", "email": "john@example.com"}],
        "subject": "World domination",
        "receivedAt": "2018-07-10T01:05:08Z",
        "sentAt": "2018-07-10T11:05:08+10:00",
        "bodyStructure": {
            "type": "multipart/alternative",
            "subParts": [
                {"partId": "a49d", "type": "text/html", "header:Content-Language": "en"},
                {"partId": "bd48", "type": "text/plain", "header:Content-Language": "en"},
            ],
        },
        "bodyValues": {
            "bd48": {"value": PLAN, "isTruncated": False},
            "a49d": {"value": PLAN_HTML, "isTruncated": False},
        },
    }
    _, msg = compose(create)
    assert msg["Date"] == "Tue, 10 Jul 2018 11:05:08 +1000"
    assert [(a.display_name, a.addr_spec) for a in msg["To"].addresses] == [
        ("John", "john@example.com")]
    assert kit.structure(msg) == ("multipart/alternative", ["text/html", "text/plain"])
    html, plain = msg.iter_parts()
    assert html["Content-Language"] == plain["Content-Language"] == "en"
    assert kit.text_of(html) == PLAN_HTML
    assert kit.text_of(plain) == PLAN
