"""Creation constraints of RFC 8621 §4.6, each rejected as invalidProperties."""

from __future__ import annotations

import pytest

from jmapd.mime.compose import BlobNotFound, ComposeError, compose_email

TEXT = {"textBody": [{"partId": "t"}], "bodyValues": {"t": {"value": "hi"}}}


def _compose(email: dict, blobs: dict[str, bytes] | None = None) -> bytes:
    return compose_email(email, (blobs or {}).get, hostname="mx.example.org")


def _rejected(email: dict, blobs: dict[str, bytes] | None = None) -> list[str]:
    """The invalid properties reported for ``email``, sorted."""
    with pytest.raises(ComposeError) as caught:
        _compose(email, blobs)
    assert caught.value.description
    return sorted(caught.value.properties)


def _with_text(**props) -> dict:
    return {**TEXT, **props}


# --- headers property ------------------------------------------------------

def test_headers_property_on_email(kit):
    """RFC 8621 §4.6: ``headers`` MUST NOT be given on the top-level Email."""
    assert _rejected(_with_text(headers=[{"name": "X-A", "value": " b"}])) == ["headers"]


def test_headers_property_on_body_part():
    """RFC 8621 §4.6: ``headers`` MUST NOT be given on an EmailBodyPart."""
    email = {"bodyStructure": {"partId": "t", "headers": []}, "bodyValues": TEXT["bodyValues"]}
    assert _rejected(email) == ["bodyStructure/headers"]


# --- one property per header field -----------------------------------------

@pytest.mark.parametrize("props, invalid", [
    ({"from": [{"email": "a@b"}], "header:From:asAddresses": [{"email": "a@b"}]},
     ["from", "header:From:asAddresses"]),
    ({"subject": "a", "header:subject": " a"}, ["header:subject", "subject"]),
    ({"header:X-A": " 1", "header:x-a:asText": "1"}, ["header:X-A", "header:x-a:asText"]),
    ({"sentAt": "2020-01-01T00:00:00Z", "header:Date:asDate": "2020-01-01T00:00:00Z"},
     ["header:Date:asDate", "sentAt"]),
    ({"messageId": ["a@b"], "header:Message-ID:asMessageIds:all": [["a@b"]]},
     ["header:Message-ID:asMessageIds:all", "messageId"]),
])
def test_two_properties_for_one_field_on_email(props, invalid):
    """RFC 8621 §4.6: there MUST NOT be two properties that represent the same
    header field (names compare case-insensitively, §4.1.3)."""
    assert _rejected(_with_text(**props)) == invalid


@pytest.mark.parametrize("part, invalid", [
    ({"type": "text/plain", "header:Content-Type": " text/plain"},
     ["header:Content-Type", "type"]),
    ({"cid": "a", "header:Content-ID:asMessageIds": ["a"]},
     ["cid", "header:Content-ID:asMessageIds"]),
    ({"language": ["en"], "header:Content-Language": " en"}, ["header:Content-Language", "language"]),
    ({"location": "http://x/", "header:Content-Location": " http://x/"},
     ["header:Content-Location", "location"]),
    ({"disposition": "inline", "header:Content-Disposition": " inline"},
     ["disposition", "header:Content-Disposition"]),
    ({"name": "a.txt", "header:Content-Disposition": " attachment"},
     ["header:Content-Disposition", "name"]),
])
def test_two_properties_for_one_field_on_part(part, invalid):
    """RFC 8621 §4.6: the same holds within an EmailBodyPart, where the part
    properties (type, cid, ...) represent Content-* header fields."""
    email = {"bodyStructure": {"partId": "t", **part}, "bodyValues": TEXT["bodyValues"]}
    assert _rejected(email) == ["bodyStructure/" + p for p in invalid]


def test_type_and_charset_may_share_content_type():
    """RFC 8621 §4.1.4: type and charset both describe Content-Type and are
    not two representations of it (here on a blob, where charset is allowed)."""
    raw = _compose({"bodyStructure": {"blobId": "b", "type": "text/plain", "charset": "us-ascii"}},
                   {"b": b"hi"})
    assert b"Content-Type: text/plain; charset=us-ascii\r\n" in raw


def test_body_structure_repeating_an_email_field():
    """RFC 8621 §4.6: the bodyStructure MUST NOT contain a property for a header
    field already defined on the Email."""
    email = {"subject": "x", "bodyStructure": {"partId": "t", "header:Subject:asText": "y"},
             "bodyValues": TEXT["bodyValues"]}
    assert _rejected(email) == ["bodyStructure/header:Subject:asText"]


# --- parsed forms ----------------------------------------------------------

@pytest.mark.parametrize("prop", [
    "header:From:asText", "header:From:asDate", "header:To:asMessageIds",
    "header:Subject:asAddresses", "header:Subject:asGroupedAddresses",
    "header:Date:asText", "header:Date:asURLs", "header:Message-ID:asText",
    "header:References:asAddresses", "header:Received:asText",
    "header:Return-Path:asAddresses", "header:List-Post:asText",
    "header:List-Unsubscribe:asMessageIds", "header:Comments:asDate",
    "header:Keywords:asURLs", "header:Resent-Date:asText",
])
def test_forbidden_parsed_forms(prop):
    """RFC 8621 §4.6 / §4.1.2: header fields MUST NOT be given in parsed forms
    that are forbidden for them."""
    assert _rejected(_with_text(**{prop: ["x"]})) == [prop]


@pytest.mark.parametrize("prop, value", [
    ("header:Keywords:asText", "a, b"),
    ("header:Comments:asText", "c"),
    ("header:List-Id:asText", "List <l.example.com>"),
    ("header:Resent-To:asAddresses", [{"email": "a@b"}]),
    ("header:Resent-Message-ID:asMessageIds", ["a@b"]),
    ("header:List-Archive:asURLs", ["http://x/"]),
    ("header:X-Anything:asGroupedAddresses", [{"name": "g", "addresses": []}]),
    ("header:X-Anything:asDate", "2020-01-01T00:00:00Z"),
])
def test_allowed_parsed_forms(prop, value):
    """RFC 8621 §4.1.2: the listed fields, and any field not defined in RFC
    5322 or RFC 2369, accept the form."""
    assert _compose(_with_text(**{prop: value}))


@pytest.mark.parametrize("prop", [
    "header:Content-Type", "header:content-language:asText",
    "header:Content-Transfer-Encoding", "header:Content-X-Whatever:asRaw",
])
def test_content_fields_not_on_email(prop):
    """RFC 8621 §4.6: header fields beginning with Content- MUST NOT be set on
    the Email object, only on EmailBodyPart objects."""
    assert _rejected(_with_text(**{prop: " x"})) == [prop]


def test_content_transfer_encoding_not_on_part():
    """RFC 8621 §4.6: a Content-Transfer-Encoding header field MUST NOT be given."""
    email = {"bodyStructure": {"partId": "t", "header:Content-Transfer-Encoding": " base64"},
             "bodyValues": TEXT["bodyValues"]}
    assert _rejected(email) == ["bodyStructure/header:Content-Transfer-Encoding"]


def test_unknown_form_and_bad_field_name():
    """RFC 8621 §4.1.3: forms are the named ones; names are printable ASCII
    without colon."""
    assert _rejected(_with_text(**{"header:X-A:asBogus": "x", "header:X A": " y"})) == [
        "header:X A", "header:X-A:asBogus"]


# --- body shape ------------------------------------------------------------

@pytest.mark.parametrize("flat", ["textBody", "htmlBody", "attachments"])
def test_body_structure_excludes_flat_lists(flat):
    """RFC 8621 §4.6: with bodyStructure there MUST NOT be textBody, htmlBody
    or attachments."""
    email = {"bodyStructure": {"partId": "t"}, flat: [{"partId": "t"}],
             "bodyValues": TEXT["bodyValues"]}
    assert _rejected(email) == sorted(["bodyStructure", flat])


@pytest.mark.parametrize("parts", [[], [{"partId": "t"}, {"partId": "u"}]])
def test_text_body_needs_exactly_one_part(parts):
    """RFC 8621 §4.6: textBody MUST contain exactly one body part."""
    email = {"textBody": parts, "bodyValues": {"t": {"value": "a"}, "u": {"value": "b"}}}
    assert _rejected(email) == ["textBody"]


def test_html_body_needs_exactly_one_part():
    """RFC 8621 §4.6: htmlBody MUST contain exactly one body part."""
    assert _rejected({"htmlBody": []}) == ["htmlBody"]


def test_text_body_must_be_text_plain():
    """RFC 8621 §4.6: the textBody part MUST be of type text/plain."""
    email = {"textBody": [{"partId": "t", "type": "text/html"}], "bodyValues": TEXT["bodyValues"]}
    assert _rejected(email) == ["textBody/0/type"]


def test_html_body_must_be_text_html():
    """RFC 8621 §4.6: the htmlBody part MUST be of type text/html."""
    email = {"htmlBody": [{"partId": "t", "type": "text/plain"}], "bodyValues": TEXT["bodyValues"]}
    assert _rejected(email) == ["htmlBody/0/type"]


def test_part_id_or_blob_id_not_both():
    """RFC 8621 §4.6: a part has a partId OR a blobId, not both."""
    email = {"bodyStructure": {"partId": "t", "blobId": "b"}, "bodyValues": TEXT["bodyValues"]}
    assert _rejected(email, {"b": b"x"}) == ["bodyStructure/blobId", "bodyStructure/partId"]


def test_part_id_must_be_in_body_values():
    """RFC 8621 §4.6: a given partId MUST be present in bodyValues."""
    assert _rejected({"textBody": [{"partId": "missing"}]}) == ["textBody/0/partId"]


def test_charset_omitted_with_part_id():
    """RFC 8621 §4.6: charset MUST be omitted if a partId is given."""
    email = {"textBody": [{"partId": "t", "charset": "utf-8"}], "bodyValues": TEXT["bodyValues"]}
    assert _rejected(email) == ["textBody/0/charset"]


def test_charset_in_content_type_header_with_part_id():
    """RFC 8621 §4.6: the same rule, with the charset given through a
    header:Content-Type property instead."""
    email = {"bodyStructure": {"partId": "t", "header:Content-Type": " text/plain; charset=koi8-r"},
             "bodyValues": TEXT["bodyValues"]}
    assert _rejected(email) == ["bodyStructure/header:Content-Type"]


def test_size_omitted_with_part_id():
    """RFC 8621 §4.6: size MUST be omitted if a partId is given."""
    email = {"textBody": [{"partId": "t", "size": 2}], "bodyValues": TEXT["bodyValues"]}
    assert _rejected(email) == ["textBody/0/size"]


def test_size_with_blob_id_is_ignored(kit):
    """RFC 8621 §4.6: with a blobId, size may be given but is ignored."""
    raw = _compose({"attachments": [{"blobId": "b", "size": 999999}]}, {"b": b"four"})
    assert kit.parse(raw).get_payload(decode=True) == b"four"


@pytest.mark.parametrize("flag", ["isTruncated", "isEncodingProblem"])
def test_body_value_flags_must_be_false(flag):
    """RFC 8621 §4.6: isEncodingProblem and isTruncated MUST be false or omitted."""
    email = {"textBody": [{"partId": "t"}], "bodyValues": {"t": {"value": "a", flag: True}}}
    assert _rejected(email) == [f"bodyValues/t/{flag}"]


def test_body_value_flags_false_are_accepted(kit):
    """RFC 8621 §4.6: explicit false is allowed."""
    email = {"textBody": [{"partId": "t"}],
             "bodyValues": {"t": {"value": "a", "isTruncated": False, "isEncodingProblem": False}}}
    assert kit.parse(_compose(email)).get_content() == "a"


def test_leaf_part_needs_content():
    """RFC 8621 §4.1.4: partId and blobId are null only for multipart/* parts."""
    assert _rejected({"bodyStructure": {"type": "text/plain"}}) == ["bodyStructure"]


def test_multipart_needs_sub_parts_and_no_content():
    """RFC 8621 §4.1.4 / RFC 2046 §5.1.1: a multipart has body parts and no
    partId or blobId of its own."""
    email = {"bodyStructure": {"type": "multipart/mixed", "partId": "t", "subParts": []},
             "bodyValues": TEXT["bodyValues"]}
    assert _rejected(email) == ["bodyStructure/partId", "bodyStructure/subParts"]


def test_sub_parts_only_on_multipart():
    """RFC 8621 §4.1.4: subParts is only for multipart/* types."""
    email = {"bodyStructure": {"type": "text/plain", "partId": "t", "subParts": [{"partId": "t"}]},
             "bodyValues": TEXT["bodyValues"]}
    assert _rejected(email) == ["bodyStructure/subParts"]


def test_part_id_used_twice():
    """RFC 8621 §4.1.4: a partId identifies one part uniquely within the Email."""
    email = {"bodyStructure": {"type": "multipart/mixed",
                               "subParts": [{"partId": "t"}, {"partId": "t"}]},
             "bodyValues": TEXT["bodyValues"]}
    assert _rejected(email) == ["bodyStructure/subParts/1/partId"]


def test_part_id_needs_a_text_type():
    """RFC 8621 §4.1.4: bodyValues hold text/* parts only."""
    email = {"attachments": [{"partId": "t", "type": "image/png"}],
             "bodyValues": TEXT["bodyValues"]}
    assert _rejected(email) == ["attachments/0/type"]


def test_attachments_are_not_multipart():
    """RFC 8621 §4.1.4: attachments never include multipart/* parts."""
    email = {"attachments": [{"type": "multipart/mixed", "subParts": [{"partId": "t"}]}],
             "bodyValues": TEXT["bodyValues"]}
    assert _rejected(email) == ["attachments/0/type"]


# --- property values and names ----------------------------------------------

@pytest.mark.parametrize("prop", ["id", "blobId", "threadId", "size", "hasAttachment", "preview"])
def test_server_set_properties(prop):
    """RFC 8620 §5.3: setting a server-set property is invalidProperties."""
    assert _rejected(_with_text(**{prop: "x"})) == [prop]


def test_unknown_properties():
    """RFC 8620 §5.3: properties outside the type are invalidProperties."""
    email = {"textBody": [{"partId": "t", "colour": "red"}], "bodyValues": TEXT["bodyValues"],
             "importance": "high"}
    assert _rejected(email) == ["importance", "textBody/0/colour"]


def test_metadata_properties_are_ignored(kit):
    """RFC 8621 §4.1.1: mailboxIds, keywords and receivedAt are not message content."""
    raw = _compose(_with_text(mailboxIds={"m": True}, keywords={"$draft": True},
                              receivedAt="2020-01-01T00:00:00Z"))
    assert kit.parse(raw).get_content() == "hi"


@pytest.mark.parametrize("props, invalid", [
    ({"header:X-Raw": " bare\nnewline"}, "header:X-Raw"),
    ({"header:X-Raw": " bare\r carriage return"}, "header:X-Raw"),
    ({"header:X-Raw": " ends with\r\n"}, "header:X-Raw"),
    ({"header:X-Raw": " blank\r\n \r\n line"}, "header:X-Raw"),
    ({"header:X-Raw": " nul\x00"}, "header:X-Raw"),
    ({"header:X-Raw": " " + "x" * 1200}, "header:X-Raw"),
    ({"header:X-Raw": 5}, "header:X-Raw"),
    ({"sentAt": "2020-01-01 00:00:00"}, "sentAt"),
    ({"sentAt": "2020-01-01T00:00:00"}, "sentAt"),
    ({"sentAt": "2020-13-01T00:00:00Z"}, "sentAt"),
    ({"messageId": ["with space@x"]}, "messageId"),
    ({"messageId": ["<bracketed@x>"]}, "messageId"),
    ({"messageId": "not-a-list@x"}, "messageId"),
    ({"from": [{"name": "x"}]}, "from"),
    ({"from": [{"email": "a@b\r\nBcc: evil@x"}]}, "from"),
    ({"to": "a@b"}, "to"),
    ({"subject": ["x"]}, "subject"),
    ({"header:X-U:asURLs": ["has space"]}, "header:X-U:asURLs"),
    ({"header:X-G:asGroupedAddresses": [{"name": "g"}]}, "header:X-G:asGroupedAddresses"),
    ({"header:X-T:all": " not a list"}, "header:X-T:all"),
    ({"subject": "lone \ud800 surrogate"}, "subject"),
])
def test_invalid_header_values(props, invalid):
    """RFC 8620 §5.3 / RFC 8621 §4.1.2: values that do not fit their form, or
    would break the header structure (RFC 5322 §2.2), are invalidProperties."""
    assert _rejected(_with_text(**props)) == [invalid]


@pytest.mark.parametrize("part, invalid", [
    ({"type": "text"}, "type"),
    ({"type": "text/plain; charset=utf-8"}, "type"),
    ({"disposition": "attach ment"}, "disposition"),
    ({"cid": "has space"}, "cid"),
    ({"language": "en"}, "language"),
    ({"language": ["en_US"]}, "language"),
    ({"location": "http://x/a b"}, "location"),
    ({"name": 3}, "name"),
])
def test_invalid_part_values(part, invalid):
    """RFC 8620 §5.3 / RFC 8621 §4.1.4: part properties must fit their MIME field."""
    email = {"attachments": [{"blobId": "b", **part}]}
    assert _rejected(email, {"b": b"x"}) == [f"attachments/0/{invalid}"]


def test_all_problems_are_reported_together():
    """RFC 8620 §5.3: the SetError lists all the properties that were invalid."""
    email = {
        "headers": [],
        "subject": 1,
        "header:Content-Type": " text/plain",
        "textBody": [{"partId": "t", "charset": "utf-8"}],
        "bodyValues": {"t": {"value": "x", "isTruncated": True}},
    }
    assert _rejected(email) == sorted([
        "headers", "subject", "header:Content-Type", "textBody/0/charset",
        "bodyValues/t/isTruncated",
    ])


def test_not_an_object():
    """RFC 8621 §4.6: an Email to create is a JSON object."""
    with pytest.raises(ComposeError):
        _compose(["not", "an", "object"])  # type: ignore[arg-type]


def test_property_paths_escape_json_pointer_characters():
    """RFC 6901 (JSON Pointer, as used by RFC 8620 patches): '/' and '~' in a
    key are escaped so the path stays unambiguous."""
    email = {"textBody": [{"partId": "a/b~c"}], "bodyValues": {"a/b~c": {"value": 1}}}
    assert _rejected(email) == ["bodyValues/a~1b~0c/value", "textBody/0/partId"]


# --- blobs -------------------------------------------------------------------

def test_blob_not_found_lists_every_missing_blob():
    """RFC 8621 §4.6: blobNotFound's notFound contains every blobId referenced
    by an EmailBodyPart that could not be found."""
    email = {"attachments": [{"blobId": "gone1"}, {"blobId": "here"}, {"blobId": "gone2"},
                             {"blobId": "gone1"}]}
    with pytest.raises(BlobNotFound) as caught:
        _compose(email, {"here": b"x"})
    assert caught.value.blob_ids == ["gone1", "gone2"]


def test_blob_not_found_in_nested_structure():
    """RFC 8621 §4.6: blobs anywhere in bodyStructure are checked."""
    email = {"bodyStructure": {"type": "multipart/mixed", "subParts": [
        {"type": "multipart/related", "subParts": [{"blobId": "deep"}]}]}}
    with pytest.raises(BlobNotFound) as caught:
        _compose(email)
    assert caught.value.blob_ids == ["deep"]


def test_invalid_properties_are_reported_before_missing_blobs():
    """RFC 8621 §4.6: an invalid Email is invalidProperties even if its blobs
    are also missing; blobs are only looked up for a valid Email."""
    looked_up: list[str] = []

    def read_blob(blob_id: str) -> bytes | None:
        looked_up.append(blob_id)
        return None

    with pytest.raises(ComposeError):
        compose_email({"subject": 1, "attachments": [{"blobId": "gone"}]}, read_blob,
                      hostname="h")
    assert looked_up == []


def test_null_properties_count_as_omitted(kit):
    """RFC 8620 §5.3 / RFC 8621 §4.6: a part copied from Email/get carries null
    for unset properties; null partId/blobId/charset/size are not "given"."""
    part = {"partId": "t", "blobId": None, "charset": None, "size": None, "name": None,
            "type": "text/plain", "disposition": None, "cid": None, "language": None,
            "location": None, "subParts": None}
    raw = _compose({"id": None, "subject": None, "textBody": [part],
                    "bodyValues": TEXT["bodyValues"]})
    assert kit.parse(raw).get_content() == "hi"


def test_unknown_part_property_is_invalid_even_when_null():
    """RFC 8620 §5.3: a property outside the type is invalid whatever its value."""
    email = {"textBody": [{"partId": "t", "colour": None}], "bodyValues": TEXT["bodyValues"]}
    assert _rejected(email) == ["textBody/0/colour"]


def test_part_value_too_long_for_a_header_line():
    """RFC 5322 §2.1.1: a Content-Location longer than a line cannot be written."""
    email = {"attachments": [{"blobId": "b", "location": "http://x/" + "a" * 1000}]}
    assert _rejected(email, {"b": b"x"}) == ["attachments/0/location"]


def test_content_type_given_twice_by_all_form():
    """RFC 2045 §5: an entity has one Content-Type."""
    email = {"bodyStructure": {"partId": "t",
                               "header:Content-Type:all": [" text/plain", " text/html"]},
             "bodyValues": TEXT["bodyValues"]}
    assert _rejected(email) == ["bodyStructure/header:Content-Type:all"]


def test_given_boundary_found_in_content():
    """RFC 2046 §5.1.1: a boundary MUST NOT appear inside any encapsulated part."""
    email = {"bodyStructure": {"header:Content-Type": ' multipart/mixed; boundary="b"',
                               "subParts": [{"partId": "t"}]},
             "bodyValues": {"t": {"value": "text with --b in it"}}}
    assert _rejected(email) == ["bodyStructure/header:Content-Type"]


def test_attached_message_with_overlong_line():
    """RFC 2046 §5.2.1 / RFC 5322 §2.1.1: message/rfc822 cannot be base64
    encoded, so a blob with a line over 998 octets cannot be attached as one."""
    email = {"attachments": [{"blobId": "m", "type": "message/rfc822"}]}
    assert _rejected(email, {"m": b"Subject: x\r\n\r\n" + b"y" * 1000}) == ["attachments/0/blobId"]
