"""RFC 8621 §4.1.2 parsed forms, one concern per test; each docstring names its section."""

from __future__ import annotations

import pytest

from jmapd.mime import form_allowed, parse_header_property, parse_message


def h(field: bytes, form: str, name: str | None = None, all: bool = False):
    raw = field + b"\r\n\r\nbody\r\n"
    fname = name or field.split(b":", 1)[0].decode()
    return parse_message(raw, "B").header(fname, form, all)


# -- Raw (§4.1.2.1) ----------------------------------------------------------


def test_raw_invalid_utf8_replaced_and_nul_dropped():
    """RFC 8621 §4.1.2.1: octets violating UTF-8 become U+FFFD; NUL octets are dropped."""
    assert h(b"X-A: caf\xe9 \x00ok", "Raw") == " caf\ufffd ok"


def test_raw_valid_utf8_kept():
    """RFC 8621 §4.1.2.1 with RFC 6532: UTF-8 header octets are returned as text."""
    assert h("X-A: Grüße".encode(), "Raw") == " Grüße"


def test_raw_lf_only_folding_kept():
    """RFC 8621 §4.1.2.1: Raw is the exact octets, so bare-LF folding stays as it is stored."""
    msg = parse_message(b"Subject: a\n b\n\nbody\n", "B")
    assert msg.header("Subject") == " a\n b"


# -- Text (§4.1.2.2) -----------------------------------------------------------


def test_text_unfolds_and_strips_leading_space():
    """RFC 8621 §4.1.2.2 steps 1-3: unfold, drop the CRLF, remove leading SP (only SP, only leading)."""
    assert h(b"Subject:   hello\r\n  world ", "Text") == "hello  world "


@pytest.mark.parametrize(
    "encoded, expected",
    [
        (b"=?utf-8?q?caf=C3=A9?=", "café"),
        (b"=?UTF-8?B?Y2Fmw6k=?=", "café"),
        (b"=?iso-8859-1?q?caf=E9?=", "café"),
        (b"=?iso-8859-2?Q?=BF=F3=B3w?=", "żółw"),
        (b"=?iso-8859-15?Q?=A4uro?=", "€uro"),
        (b"=?koi8-r?B?8NLJ18XU?=", "Привет"),
        (b"=?windows-1251?B?z/Do4uXy?=", "Привет"),
        (b"=?gb2312?B?xOO6ww==?=", "你好"),
        (b"=?big5?B?p0Gmbg==?=", "你好"),
        (b"=?shift_jis?B?grGC8YLJgr+CzQ==?=", "こんにちは"),
        (b"=?iso-2022-jp?B?GyRCJDMkcyRLJEEkTxsoQg==?=", "こんにちは"),
        (b"=?euc-kr?B?vsiz58fPvLy/5A==?=", "안녕하세요"),
        (b"=?us-ascii?Q?plain?=", "plain"),
        (b"=?utf-8*en?Q?lang_tag?=", "lang tag"),
    ],
)
def test_text_encoded_words_in_many_charsets(encoded, expected):
    """RFC 8621 §4.1.2.2 step 4 with RFC 2047 §4: B and Q encoded words in any known charset
    (including the RFC 2231 §5 language suffix) are decoded."""
    assert h(b"Subject: " + encoded, "Text") == expected


def test_text_adjacent_encoded_words_join_without_space():
    """RFC 2047 §6.2 (via RFC 8621 §4.1.2.2): white space between adjacent encoded words is ignored."""
    assert h(b"Subject: =?utf-8?q?a?= =?utf-8?q?b?=\r\n =?utf-8?q?c?= d", "Text") == "abc d"


def test_text_multibyte_char_split_across_words():
    """RFC 8621 §4.1.2.2: a character whose octets are split over two adjacent encoded words
    (common in the wild) still decodes rather than yielding U+FFFD."""
    assert h(b"Subject: =?utf-8?B?w6k=?= =?utf-8?B?w6k=?= =?utf-8?Q?=E2=82?= =?utf-8?Q?=AC?=", "Text") == "éé€"


def test_text_placement_rules_enforced():
    """RFC 8621 §4.1.2.2 step 4: text that looks like an encoded word but is not delimited by
    white space MUST NOT be decoded."""
    assert h(b"Subject: x=?utf-8?q?a?=", "Text") == "x=?utf-8?q?a?="
    assert h(b"Subject: =?utf-8?q?a?=y", "Text") == "=?utf-8?q?a?=y"
    assert h(b"Subject: (=?utf-8?q?a?=)", "Text") == "(=?utf-8?q?a?=)"


def test_text_malformed_encoded_word_not_decoded():
    """RFC 2047 §2: white space inside an encoded word makes it not one; it stays as written."""
    assert h(b"Subject: =?UTF-8? Q?abc?=", "Text") == "=?UTF-8? Q?abc?="


def test_text_unknown_charset_left_alone():
    """RFC 8621 §4.1.2.2 step 4: only encoded words with a known charset are decoded."""
    assert h(b"Subject: =?x-unknown-42?q?abc?=", "Text") == "=?x-unknown-42?q?abc?="


def test_text_controls_from_encoded_words_dropped():
    """RFC 8621 §4.1.2.2 step 4: NUL and control characters produced by decoding are dropped."""
    assert h(b"Subject: =?utf-8?q?a=00b=0D=0Ac=07?=", "Text") == "abc"


def test_text_bad_octets_give_replacement_char():
    """RFC 8621 §4.1.2.2: failed decodings insert U+FFFD and continue."""
    assert h(b"Subject: =?utf-8?q?ok=FF?= end", "Text") == "ok\ufffd end"


def test_text_nfc():
    """RFC 8621 §4.1.2.2 step 5: the result is NFC (e + combining acute becomes U+00E9)."""
    assert h(b"Subject: =?utf-8?q?e=CC=81?=", "Text") == "\u00e9"


def test_text_raw_8bit_legacy_octets():
    """RFC 8621 §4.1.2.2: raw 8-bit octets that are not UTF-8 are best-effort decoded
    (here as windows-1252), not dropped."""
    assert h(b"Subject: caf\xe9", "Text") == "café"


# -- Addresses / GroupedAddresses (§4.1.2.3, §4.1.2.4) -------------------------


def test_addresses_comment_used_as_name():
    """RFC 8621 §4.1.2.3: with no display-name, a comment after the addr-spec is the name,
    and encoded words in it are decoded."""
    assert h(b"From: bjorn@example.se (=?iso-8859-1?q?Bj=F6rn?= Persson)", "Addresses") == [
        {"name": "Björn Persson", "email": "bjorn@example.se"}
    ]


def test_addresses_quoted_pair_and_unfolding():
    """RFC 8621 §4.1.2.3 name rules: quotes removed, quoted-pairs decoded, white space
    unfolded and trimmed."""
    assert h(b'From: "Smith, \\"J\\"\r\n  Jr " <j@example.com>', "Addresses") == [
        {"name": 'Smith, "J" Jr', "email": "j@example.com"}
    ]


def test_addresses_encoded_word_in_quoted_string_not_decoded():
    """RFC 8621 §4.1.2.3 follows the Text rules: RFC 2047 §5 forbids encoded words inside a
    quoted-string, so that text is not decoded."""
    assert h(b'From: "=?utf-8?q?x?=" <x@example.com>', "Addresses") == [
        {"name": "=?utf-8?q?x?=", "email": "x@example.com"}
    ]


def test_addresses_phrase_with_encoded_words():
    """RFC 8621 §4.1.2.3: encoded words in a display-name phrase are decoded."""
    assert h(b"From: =?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>", "Addresses") == [
        {"name": "André Pirard", "email": "PIRARD@vm1.ulg.ac.be"}
    ]


def test_addresses_empty_group_and_best_effort():
    """RFC 8621 §4.1.2.3/4: group information is discarded in Addresses; an empty group still
    appears in GroupedAddresses; an email without "@" is allowed."""
    assert h(b"To: undisclosed-recipients:;", "Addresses") == []
    assert h(b"To: undisclosed-recipients:;", "GroupedAddresses") == [
        {"name": "undisclosed-recipients", "addresses": []}
    ]
    assert h(b"To: postmaster", "Addresses") == [{"name": None, "email": "postmaster"}]


def test_addresses_unterminated_angle_and_group():
    """RFC 8621 §4.1.2.3: parsing is best effort for semi-complete drafts."""
    assert h(b"To: Team: a@example.com, Bob <bob@example.com", "GroupedAddresses") == [
        {
            "name": "Team",
            "addresses": [
                {"name": None, "email": "a@example.com"},
                {"name": "Bob", "email": "bob@example.com"},
            ],
        }
    ]


def test_addresses_ungrouped_runs_are_separate_groups():
    """RFC 8621 §4.1.2.4: consecutive ungrouped mailboxes share one null-named group; a group
    in between starts a new run."""
    got = h(b"To: a@x, b@x, G: c@x;, d@x", "GroupedAddresses")
    assert [(g["name"], [a["email"] for a in g["addresses"]]) for g in got] == [
        (None, ["a@x", "b@x"]),
        ("G", ["c@x"]),
        (None, ["d@x"]),
    ]


def test_addresses_8bit_utf8_name():
    """RFC 8621 §4.1.2.3 with RFC 6532: UTF-8 display names are used as they are."""
    assert h("From: Zoë <zoe@example.com>".encode(), "Addresses") == [
        {"name": "Zoë", "email": "zoe@example.com"}
    ]


def test_addresses_angle_addr_cfws_removed():
    """RFC 5322 §3.4 (via RFC 8621 §4.1.2.3): CFWS inside angle brackets is not part of the email."""
    assert h(b"To: A <  a@example.com (x) >", "Addresses") == [{"name": "A", "email": "a@example.com"}]


@pytest.mark.parametrize(
    "value, plain",
    [
        ("Sender 16 <sender16@bench.test>", True),
        ("bench@example.test", True),
        (" a@x ,, J.  R.\tDoe<j.doe@x.example> , ", True),
        ("<a@x>", True),
        ("", True),
        ("x <a@x> trailing words", False),
        ("=?utf-8?q?Zo=C3=AB?= <zoe@x>", False),
        ('"Doe, J" <j@x>', False),
        ("a@x (Comment Name)", False),
        ("G: a@x;", False),
        ("<@route,@r2:a@x>", False),
        ("a@[192.0.2.1]", False),
        ("Zoë <zoe@x>", False),
        ("a @ x", False),
        ("a@x <b@x>", False),
    ],
)
def test_plain_address_lists_read_as_the_tokenizer_reads_them(value, plain):
    """RFC 8621 §4.1.2.3/§4.1.2.4 over RFC 5322 §3.4: a list of plain mailboxes (`addr-spec` or
    `display-name <addr-spec>`, no quoting, comments, groups or encoded words) is read without
    the tokenizer, with the same groups; anything else is left to the tokenizer."""
    from jmapd.mime.addresses import _plain_groups, _read_groups, parse_grouped_addresses

    fast = _plain_groups(value)
    assert (fast is not None) == plain
    assert parse_grouped_addresses(value) == _read_groups(value)
    if plain:
        assert fast == _read_groups(value)


# -- MessageIds (§4.1.2.5) ---------------------------------------------------------


def test_message_ids_brackets_and_cfws_removed():
    """RFC 8621 §4.1.2.5: CFWS and angle brackets removed, one item per msg-id."""
    assert h(b"References: <a@x> (comment <no@x>)\r\n\t<b@y>", "MessageIds") == ["a@x", "b@y"]


def test_message_ids_obsolete_phrases_skipped():
    """RFC 8621 §4.1.2.5 with RFC 5322 §4.5.4: phrases in obs-in-reply-to are not ids."""
    assert h(b"In-Reply-To: Your message of Mon <id1@host>", "MessageIds") == ["id1@host"]


def test_message_ids_parse_failure_is_null():
    """RFC 8621 §4.1.2.5: if parsing fails, the value is null."""
    assert h(b"Message-ID: not-an-id", "MessageIds") is None
    assert h(b"Message-ID:", "MessageIds") is None


# -- Date (§4.1.2.6) -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        (b"Fri, 19 Oct 2012 12:22:49 -0700", "2012-10-19T12:22:49-07:00"),
        (b"19 Oct 2012 12:22 +0530", "2012-10-19T12:22:00+05:30"),
        (b"Fri, 30 Mar 2001 12:11:56 GMT", "2001-03-30T12:11:56Z"),
        (b"Mon, 6 Jan 97 10:00:00 EST", "1997-01-06T10:00:00-05:00"),
        (b"Mon, 6 Jan 03 10:00:00 PDT", "2003-01-06T10:00:00-07:00"),
        (b"Tue, 1 Jul 2003 10:52:37 +0000 (UTC)", "2003-07-01T10:52:37Z"),
        (b"Tue, 1 Jul 2003 10:52:37 -0000", "2003-07-01T10:52:37Z"),
        (b"Tue, 1 Jul 2003 10:52:37 A", "2003-07-01T10:52:37Z"),
        (b"Tue,\r\n 1 Jul 2003\r\n 10:52:37 +0200", "2003-07-01T10:52:37+02:00"),
    ],
)
def test_date_forms(value, expected):
    """RFC 8621 §4.1.2.6: RFC 5322 §3.3 date-time (and §4.3 obsolete forms: 2-digit years,
    named and military zones, which count as -0000) to an RFC 3339 Date keeping the offset; the
    summary's sentAt and its instant come from one parse and agree with it."""
    from datetime import datetime

    from jmapd.mime import summarize

    assert h(b"Date: " + value, "Date") == expected
    summary = summarize(parse_message(b"Date: " + value + b"\r\n\r\nbody\r\n", "B"))
    assert summary.sent_at == expected
    assert summary.sent_at_epoch == int(datetime.fromisoformat(expected.replace("Z", "+00:00")).timestamp())


@pytest.mark.parametrize("value", [b"yesterday", b"31 Feb 2020 10:00:00 +0000", b"1 Foo 2020 10:00 +0000", b"", b"1 Jan 2020 25:00 +0000"])
def test_date_parse_failure_is_null(value):
    """RFC 8621 §4.1.2.6: if parsing fails, the value is null (and the summary has no instant)."""
    from jmapd.mime import summarize

    assert h(b"Date: " + value, "Date") is None
    summary = summarize(parse_message(b"Date: " + value + b"\r\n\r\nbody\r\n", "B"))
    assert summary.sent_at is None and summary.sent_at_epoch is None


# -- URLs (§4.1.2.7) -------------------------------------------------------------------------


def test_urls_form():
    """RFC 8621 §4.1.2.7: URLs without angle brackets or comments, in order (RFC 2369 §2)."""
    assert h(b"List-Unsubscribe: <mailto:x@y?subject=unsub> (by mail),\r\n <https://y/u>", "URLs") == [
        "mailto:x@y?subject=unsub",
        "https://y/u",
    ]


def test_urls_form_failure_is_null():
    """RFC 8621 §4.1.2.7: if parsing fails (RFC 2369 "NO" has no URL), the value is null."""
    assert h(b"List-Post: NO (posting not allowed)", "URLs") is None


# -- :all and form permissions (§4.1.2, §4.1.3) ------------------------------------------------


def test_all_returns_every_instance_in_order():
    """RFC 8621 §4.1.3: with :all, one item per instance in message order."""
    msg = parse_message(b"Received: a\r\nReceived: b\r\n\r\n", "B")
    assert msg.header("received", "Raw", all=True) == [" a", " b"]
    assert msg.header("received") == " b"


@pytest.mark.parametrize(
    "name, form, allowed",
    [
        ("Subject", "Text", True),
        ("List-Id", "Text", True),
        ("From", "Text", False),
        ("Received", "Text", False),
        ("List-Post", "Text", False),
        ("X-Custom", "Text", True),
        ("From", "Addresses", True),
        ("resent-reply-to", "GroupedAddresses", True),
        ("Subject", "Addresses", False),
        ("X-Custom", "Addresses", True),
        ("References", "MessageIds", True),
        ("Subject", "MessageIds", False),
        ("Date", "Date", True),
        ("Resent-Date", "Date", True),
        ("From", "Date", False),
        ("List-Unsubscribe", "URLs", True),
        ("List-Id", "URLs", True),
        ("Return-Path", "URLs", False),
        ("Return-Path", "Raw", True),
        ("Subject", "Bogus", False),
    ],
)
def test_form_allowed(name, form, allowed):
    """RFC 8621 §4.1.2.2-7: each parsed form is allowed only for the listed fields plus any field
    not defined in RFC 5322 or RFC 2369 (List-Id is RFC 2919, so every form is allowed); Raw
    is always allowed. §4.2: a forbidden form must be rejected with invalidArguments."""
    assert form_allowed(name, form) is allowed


@pytest.mark.parametrize(
    "prop, expected",
    [
        ("header:Subject", ("Subject", "Raw", False)),
        ("header:From:asAddresses", ("From", "Addresses", False)),
        ("header:Resent-To:asAddresses:all", ("Resent-To", "Addresses", True)),
        ("header:X-A:all", ("X-A", "Raw", True)),
        ("header:X-A:all:asText", None),
        ("header:X-A:asBogus", None),
        ("header:", None),
        ("header:Bad Name", None),
        ("subject", None),
    ],
)
def test_parse_header_property(prop, expected):
    """RFC 8621 §4.1.3: header:{name}[:as{form}][:all], suffixes in that order, name printable
    ASCII without colon."""
    assert parse_header_property(prop) == expected
