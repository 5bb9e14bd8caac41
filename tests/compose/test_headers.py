"""Header fields: parsed forms, RFC 2047/2231 encoding, folding, defaults."""

from __future__ import annotations

import re

import pytest

BODY = {"textBody": [{"partId": "t"}], "bodyValues": {"t": {"value": "body"}}}


def _email(**props):
    return {**BODY, **props}


def test_date_and_message_id_are_generated(compose, kit):
    """RFC 8621 §4.6: without them the server MUST set Message-ID (RFC 5322
    §3.6.4) and Date (§3.6.1), once each."""
    raw, msg = compose(_email(subject="x"))
    assert kit.headers_named(raw, "Date") == [b" Thu, 04 Mar 2021 05:06:07 +0000"]
    [message_id] = kit.headers_named(raw, "Message-ID")
    assert re.fullmatch(rb" <[\x21-\x3b\x3d\x3f-\x7e]+@mx\.example\.org>", message_id)
    assert kit.headers_named(raw, "MIME-Version") == [b" 1.0"]


def test_empty_message_id_list_still_gets_one(compose, kit):
    """RFC 8621 §4.6: an empty messageId sets no Message-ID, so the server
    MUST still generate one; empty address lists write no field."""
    raw, _ = compose(_email(messageId=[], to=[], **{"header:Date:asDate:all": []}))
    assert len(kit.headers_named(raw, "Message-ID")) == 1
    assert len(kit.headers_named(raw, "Date")) == 1
    assert kit.headers_named(raw, "To") == []


def test_generated_message_ids_differ(compose, kit):
    """RFC 5322 §3.6.4: a Message-ID is unique to one message."""
    first, _ = compose(_email())
    second, _ = compose(_email())
    assert kit.headers_named(first, "Message-ID") != kit.headers_named(second, "Message-ID")


def test_sent_at_becomes_date_keeping_the_offset(compose, kit):
    """RFC 8621 §4.1.3 / RFC 5322 §3.3: sentAt is header:Date:asDate; the
    zone offset of the RFC 3339 value is kept."""
    raw, msg = compose(_email(sentAt="2018-07-10T11:03:11+10:00"))
    assert kit.headers_named(raw, "Date") == [b" Tue, 10 Jul 2018 11:03:11 +1000"]
    assert msg["Date"].datetime.isoformat() == "2018-07-10T11:03:11+10:00"


def test_given_message_id_and_references(compose, kit):
    """RFC 8621 §4.1.2.5: MessageIds values are given without angle brackets;
    a given Message-ID replaces the generated one."""
    raw, msg = compose(_email(
        messageId=["abc.123@example.com"],
        inReplyTo=["parent@example.com"],
        references=["root@example.com", "parent@example.com"],
    ))
    assert kit.headers_named(raw, "Message-ID") == [b" <abc.123@example.com>"]
    assert msg["In-Reply-To"] == "<parent@example.com>"
    assert msg["References"] == "<root@example.com> <parent@example.com>"


def test_non_ascii_subject_is_rfc2047_encoded(compose, kit):
    """RFC 8621 §4.1.2.2 / RFC 2047: non-ASCII text goes in encoded-words and
    decodes to the same text; the header block stays ASCII."""
    subject = "Réunion: café ☕ à 10h — 東京"
    raw, msg = compose(_email(subject=subject))
    header = raw.split(b"\r\n\r\n", 1)[0]
    assert header.isascii()
    assert b"=?utf-8?" in header
    assert msg["Subject"] == subject


def test_encoded_words_fit_rfc2047_limits(compose, kit):
    """RFC 2047 §2: an encoded-word is at most 75 characters; RFC 5322 §2.1.1:
    lines SHOULD be at most 78 characters."""
    subject = "Ünïcödé " * 40
    raw, msg = compose(_email(subject=subject))
    for word in re.findall(rb"=\?[^?]+\?[qQbB]\?[^?]*\?=", raw):
        assert len(word) <= 75
    assert all(len(line) <= 78 for line in kit.header_lines(raw))
    assert msg["Subject"] == subject


def test_long_ascii_subject_is_folded(compose, kit):
    """RFC 5322 §2.2.3: folding inserts CRLF before white space, and unfolding
    gives back the original value."""
    subject = " ".join(f"word{i}" for i in range(60))
    raw, msg = compose(_email(subject=subject))
    assert all(len(line) <= 78 for line in kit.header_lines(raw))
    assert kit.headers_named(raw, "Subject") == [b" " + subject.encode()]
    assert msg["Subject"] == subject


def test_text_resembling_an_encoded_word_stays_literal(compose):
    """RFC 8621 §4.1.2.2: the Text form is decoded by readers, so literal
    '=?...?=' text must be protected to come back as typed."""
    subject = "literal =?utf-8?q?not_encoded?= text"
    _, msg = compose(_email(subject=subject))
    assert msg["Subject"] == subject


def test_addresses_keep_email_and_encode_names(compose, kit):
    """RFC 8621 §4.1.2.3 / RFC 2047 §5: display names are encoded or quoted as
    needed; the addr-spec is written unchanged."""
    people = [
        {"name": "Jöhn Smîth", "email": "john@example.com"},
        {"name": 'Smith, "Jim" \\ Jr.', "email": "jim@example.com"},
        {"name": "Plain Name", "email": "plain@example.com"},
        {"name": None, "email": "bare@example.com"},
        {"name": "=?utf-8?q?fake?=", "email": "fake@example.com"},
    ]
    raw, msg = compose(_email(**{"from": people[:1], "to": people[1:], "bcc": people[:1]}))
    header = raw.split(b"\r\n\r\n", 1)[0]
    assert header.isascii()
    for person in people:
        assert person["email"].encode() in header
    assert [(a.display_name, a.addr_spec) for a in msg["To"].addresses] == [
        (p["name"] or "", p["email"]) for p in people[1:]
    ]
    assert msg["From"].addresses[0].display_name == "Jöhn Smîth"
    assert msg["Bcc"].addresses[0].addr_spec == "john@example.com"


def test_long_address_list_folds_between_addresses(compose, kit):
    """RFC 5322 §2.2.3: long address lists are folded, not broken."""
    people = [{"name": f"Person Number {i}", "email": f"p{i}@example.com"} for i in range(30)]
    raw, msg = compose(_email(to=people))
    assert all(len(line) <= 78 for line in kit.header_lines(raw))
    assert [a.addr_spec for a in msg["To"].addresses] == [p["email"] for p in people]


def test_grouped_addresses(compose):
    """RFC 8621 §4.1.2.4: groups are written as ``name: members;`` and a null
    name means members outside any group."""
    groups = [
        {"name": None, "addresses": [{"name": "James Smythe", "email": "james@example.com"}]},
        {"name": "Friends", "addresses": [
            {"name": None, "email": "jane@example.com"},
            {"name": "John Smîth", "email": "john@example.com"},
        ]},
        {"name": "Fründe", "addresses": [{"name": None, "email": "f@example.com"}]},
        {"name": "Empty", "addresses": []},
    ]
    _, msg = compose(_email(**{"header:To:asGroupedAddresses": groups}))
    parsed = [
        (g.display_name, [(a.display_name, a.addr_spec) for a in g.addresses])
        for g in msg["To"].groups
    ]
    assert parsed == [
        (None, [("James Smythe", "james@example.com")]),
        ("Friends", [("", "jane@example.com"), ("John Smîth", "john@example.com")]),
        ("Fründe", [("", "f@example.com")]),
        ("Empty", []),
    ]


def test_custom_header_as_text(compose, kit):
    """RFC 8621 §4.1.2.2 / §4.1.3: header:X-Custom:asText is any-field Text."""
    raw, msg = compose(_email(**{
        "header:X-Custom:asText": "Grüße aus Köln",
        "header:X-Plain:asText": "ascii only",
    }))
    assert msg["X-Custom"] == "Grüße aus Köln"
    assert kit.headers_named(raw, "X-Plain") == [b" ascii only"]


def test_raw_form_is_written_verbatim(compose, kit):
    """RFC 8621 §4.1.2.1: the Raw form is the octets after the colon, folding
    included; the field name keeps the capitalisation given."""
    value = " first part\r\n\tsecond part (comment)"
    raw, msg = compose(_email(**{"header:X-Raw-Thing": value}))
    assert b"\r\nX-Raw-Thing: first part\r\n\tsecond part (comment)\r\n" in b"\r\n" + raw
    assert msg["X-Raw-Thing"] == "first part\tsecond part (comment)"


def test_raw_without_leading_space_is_kept(compose, kit):
    """RFC 8621 §4.1.2.1: the leading space is part of the Raw value, so a
    value without one is written without one."""
    raw, _ = compose(_email(**{"header:X-Tight": "value"}))
    assert b"\r\nX-Tight:value\r\n" in b"\r\n" + raw


def test_raw_line_over_998_octets_is_folded_at_white_space(compose, kit):
    """RFC 5322 §2.1.1: lines MUST NOT exceed 998 octets; folding at existing
    white space does not change the value (§2.2.3)."""
    value = " " + " ".join(["x" * 99] * 30)
    raw, msg = compose(_email(**{"header:X-Long": value}))
    assert kit.headers_named(raw, "X-Long") == [value.encode()]


def test_all_form_writes_each_instance_in_order(compose, kit):
    """RFC 8621 §4.1.3: a :all property stands for every instance of a field."""
    raw, _ = compose(_email(**{
        "header:Received:all": [" from a by b; Mon, 1 Mar 2021 00:00:00 +0000",
                                " from c by d; Mon, 1 Mar 2021 00:00:01 +0000"],
        "header:X-Tag:asText:all": ["one", "two", "three"],
    }))
    assert kit.headers_named(raw, "Received") == [
        b" from a by b; Mon, 1 Mar 2021 00:00:00 +0000",
        b" from c by d; Mon, 1 Mar 2021 00:00:01 +0000",
    ]
    assert kit.headers_named(raw, "X-Tag") == [b" one", b" two", b" three"]


def test_urls_form(compose, kit):
    """RFC 8621 §4.1.2.7 / RFC 2369: URLs are written in angle brackets."""
    raw, _ = compose(_email(**{"header:List-Unsubscribe:asURLs": [
        "mailto:leave@example.com", "https://example.com/leave?u=1"]}))
    assert kit.headers_named(raw, "List-Unsubscribe") == [
        b" <mailto:leave@example.com>, <https://example.com/leave?u=1>"]


def test_date_form_on_another_field(compose, kit):
    """RFC 8621 §4.1.2.6: Resent-Date accepts the Date form."""
    raw, _ = compose(_email(**{"header:Resent-Date:asDate": "2020-02-29T23:59:58Z"}))
    assert kit.headers_named(raw, "Resent-Date") == [b" Sat, 29 Feb 2020 23:59:58 +0000"]


def test_message_ids_form_on_a_custom_field(compose, kit):
    """RFC 8621 §4.1.2.5: fields not defined in RFC 5322/2369 take any form."""
    raw, _ = compose(_email(**{"header:X-Thread:asMessageIds": ["a@b", "c@d"],
                               "header:X-Who:asAddresses": [{"name": "A", "email": "a@b"}]}))
    assert kit.headers_named(raw, "X-Thread") == [b" <a@b> <c@d>"]
    assert kit.headers_named(raw, "X-Who") == [b" A <a@b>"]


def test_given_date_and_mime_version_are_not_duplicated(compose, kit):
    """RFC 5322 §3.6: Date occurs exactly once; the client's own value wins."""
    raw, _ = compose(_email(**{"header:Date": " Fri, 21 Nov 1997 09:55:06 -0600",
                               "header:MIME-Version": " 1.0"}))
    assert kit.headers_named(raw, "Date") == [b" Fri, 21 Nov 1997 09:55:06 -0600"]
    assert kit.headers_named(raw, "MIME-Version") == [b" 1.0"]


def test_null_header_properties_are_omitted(compose, kit):
    """RFC 8621 §4.1.3: null means the field is absent."""
    raw, _ = compose(_email(subject=None, cc=None, **{"header:X-None": None}))
    assert kit.headers_named(raw, "Subject") == []
    assert kit.headers_named(raw, "Cc") == []
    assert kit.headers_named(raw, "X-None") == []


@pytest.mark.parametrize("filename", [
    "résumé.pdf",
    "日本語のファイル名.txt",
    "a very long file name that certainly does not fit on one header line.pdf",
    "Ünïcödé and a very long file name that needs RFC 2231 continuations too.pdf",
    'quote " and \\ backslash.txt',
])
def test_attachment_file_names(compose, kit, filename):
    """RFC 8621 §4.1.4 / RFC 2231: file names survive in Content-Disposition
    filename (and Content-Type name), non-ASCII ones RFC 2231 encoded."""
    raw, msg = compose(_email(attachments=[
        {"blobId": "Gpdf", "type": "application/pdf", "name": filename}]))
    attachment = list(msg.iter_parts())[1]
    assert attachment.get_filename() == filename
    assert attachment.get_param("name") == filename
    assert all(len(line) <= 78 for line in kit.all_header_lines(raw))
    if not filename.isascii():
        assert b"filename*" in raw and b"utf-8''" in raw
        assert raw.split(b"\r\n\r\n", 1)[0].isascii()
