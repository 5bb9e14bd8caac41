"""The stored summary mirrors the RFC 8621 §4.1 property values used by list views."""

from __future__ import annotations

import msgspec

from jmapd.mime import EmailSummary, parse_message, summarize

RAW = (
    b"From: =?utf-8?q?Zo=C3=AB?= <zoe@example.com>\r\n"
    b"To: a@example.com, B <b@example.com>\r\n"
    b"Subject: =?koi8-r?B?8NLJ18XU?= there\r\n"
    b"Date: Thu, 30 Oct 2014 14:12:00 +0800\r\n"
    b"Message-ID: <m1@example.com>\r\n"
    b"In-Reply-To: <m0@example.com>\r\n"
    b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
    b"--b\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n"
    b"--c\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello   plain\r\nworld\r\n"
    b"--c\r\nContent-Type: text/html\r\n\r\n<p>Hello <b>html</b></p>\r\n--c--\r\n"
    b"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n--b--\r\n"
)


def test_summary_matches_email_properties():
    """RFC 8621 §4.1.3/§4.1.4: summary fields equal the Email properties of the same message."""
    msg = parse_message(RAW, "B")
    s = summarize(msg)
    props = msg.properties(["subject", "from", "to", "sentAt", "messageId", "inReplyTo", "preview", "hasAttachment"])
    assert s.subject == props["subject"] == "Привет there"
    assert s.from_ == props["from"] == [{"name": "Zoë", "email": "zoe@example.com"}]
    assert s.to == props["to"]
    assert s.cc is None and s.references is None
    assert s.sent_at == props["sentAt"] == "2014-10-30T14:12:00+08:00"
    assert s.sent_at_epoch == 1414649520
    assert s.message_id == ["m1@example.com"] and s.in_reply_to == ["m0@example.com"]
    assert s.preview == props["preview"] == "Hello plain world"
    assert s.has_attachment is True and props["hasAttachment"] is True
    assert s.attachment_names == ["résumé.pdf"]
    assert "Hello   plain" in s.body_text


def test_summary_roundtrips_msgpack():
    """The summary is stored with msgpack and must decode to an equal record."""
    s = summarize(parse_message(RAW, "B"))
    data = msgspec.msgpack.encode(s)
    assert msgspec.msgpack.decode(data, type=EmailSummary) == s
    assert msgspec.to_builtins(s)["from"][0]["email"] == "zoe@example.com"


def test_preview_html_only_and_length():
    """RFC 8621 §4.1.4 preview: plain text (HTML converted), at most 256 characters."""
    body = b"<html><style>x{}</style><p>" + b"word " * 200 + b"</p></html>"
    msg = parse_message(b"Content-Type: text/html\r\n\r\n" + body, "B")
    assert msg.preview.startswith("word word") and len(msg.preview) <= 256
    assert "<" not in msg.preview and "x{}" not in msg.preview


def test_has_attachment_ignores_inline_and_embedded():
    """RFC 8621 §4.1.4 hasAttachment: inline parts and cid-embedded related images may be ignored."""
    raw = (
        b"Content-Type: multipart/related; boundary=r\r\n\r\n"
        b"--r\r\nContent-Type: text/html\r\n\r\n<img src=cid:i1>\r\n"
        b"--r\r\nContent-Type: image/png\r\nContent-ID: <i1>\r\n\r\nx\r\n--r--\r\n"
    )
    msg = parse_message(raw, "B")
    assert [a["type"] for a in msg.attachments()] == ["image/png"]
    assert msg.has_attachment is False
