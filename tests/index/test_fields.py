"""Each searchable field looks where RFC 8621 §4.4.1 says, and nowhere else."""

from __future__ import annotations

import pytest

from .conftest import doc


@pytest.fixture
def mail(index):
    index.put(
        doc(
            "m1",
            **{"from": "Alice Liddell <alice@wonder.example>"},
            to="Bob Builder <bob@build.example>, carol@corp.example",
            cc="Dave <dave@cc.example>",
            bcc="eve@secret.example",
            subject="Quarterly numbers",
            body="Please find the spreadsheet attached.\n\nRegards",
            attachments="Q3-report.pdf\nchart.png",
        ),
        doc("m2", subject="Lunch", body="Pizza on Friday?", **{"from": "bob@build.example"}),
    )
    return index


@pytest.mark.parametrize(
    "field,text,expected",
    [
        ("from", "alice", {"m1"}),
        ("from", "Liddell", {"m1"}),
        ("from", "alice@wonder.example", {"m1"}),
        ("from", "wonder.example", {"m1"}),
        ("from", "bob", {"m2"}),
        ("to", "bob", {"m1"}),
        ("to", "carol@corp.example", {"m1"}),
        ("to", "corp.example", {"m1"}),
        ("cc", "dave", {"m1"}),
        ("cc", "cc.example", {"m1"}),
        ("bcc", "eve", {"m1"}),
        ("bcc", "secret.example", {"m1"}),
        ("subject", "quarterly", {"m1"}),
        ("subject", "lunch", {"m2"}),
        ("body", "spreadsheet", {"m1"}),
        ("body", "pizza", {"m2"}),
        ("attachmentName", "report", {"m1"}),
        ("attachmentName", "Q3-report.pdf", {"m1"}),
        ("attachmentName", "chart", {"m1"}),
    ],
)
def test_each_field(mail, field, text, expected):
    """RFC 8621 §4.4.1 from/to/cc/bcc/subject/body: text is looked up in that
    header field (names and addresses) or body; attachmentName is the
    attachment file names."""
    assert mail.find(field, text) == expected


@pytest.mark.parametrize(
    "field,text",
    [
        ("from", "bob@build.example"),  # m1 has Bob only in To
        ("to", "alice"),
        ("cc", "eve"),
        ("bcc", "dave"),
        ("subject", "spreadsheet"),
        ("body", "quarterly"),
    ],
)
def test_fields_do_not_leak(mail, field, text):
    """RFC 8621 §4.4.1: a field condition looks only in that field."""
    assert "m1" not in mail.find(field, text)


@pytest.mark.parametrize(
    "text", ["alice", "bob@build.example", "dave", "eve", "quarterly", "spreadsheet", "report"]
)
def test_text_covers_all_fields(mail, text):
    """RFC 8621 §4.4.1 text: From, To, Cc, Bcc, Subject (MUST), body parts
    (SHOULD) and, as the server may extend it, attachment names."""
    assert "m1" in mail.find("text", text)


def test_body_excludes_attachment_names(mail):
    """RFC 8621 §4.4.1 body: "text in one of the body parts"; a file name is
    part metadata, searchable through text and attachmentName instead."""
    assert mail.find("body", "report") == set()
    assert mail.find("text", "report") == {"m1"}


def test_unknown_field_is_a_programming_error(mail):
    """RFC 8621 §4.4.1: only the text-bearing conditions are served here;
    asking for another is a bug in the caller, not user input."""
    with pytest.raises(ValueError):
        mail.find("header", "x")
