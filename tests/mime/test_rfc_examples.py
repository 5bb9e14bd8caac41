"""The worked examples in RFC 8621 §4.1.2, §4.1.3, §4.1.4 and §4.2.1, as tests."""

from __future__ import annotations

from jmapd.mime import parse_message

ADDRESS_LIST = (
    b'"  James Smythe" <james@example.com>, Friends:\r\n'
    b"  jane@example.com, =?UTF-8?Q?John_Sm=C3=AEth?=\r\n"
    b"  <john@example.com>;"
)


def _msg(headers: bytes, body: bytes = b"body\r\n") -> "object":
    return parse_message(headers + b"\r\n" + body, "B")


def _leaf(ctype: str, label: str, disposition: str | None = None) -> bytes:
    head = f"Content-Type: {ctype}\r\n"
    if disposition:
        head += f"Content-Disposition: {disposition}\r\n"
    return (head + f"\r\n{label}\r\n").encode()


def _multipart(subtype: str, boundary: str, children: list[bytes]) -> bytes:
    out = f"Content-Type: multipart/{subtype}; boundary={boundary}\r\n\r\n".encode()
    for child in children:
        out += f"--{boundary}\r\n".encode() + child
    return out + f"--{boundary}--\r\n".encode()


def _rfc_tree() -> bytes:
    """The list-manager example of RFC 8621 §4.1.4, parts labelled A..K as in the RFC."""
    inner_mixed = _multipart(
        "mixed",
        "b4",
        [
            _leaf("text/plain", "B", "inline"),
            _leaf("image/jpeg", "C", "inline"),
            _leaf("text/plain", "D", "inline"),
        ],
    )
    related = _multipart("related", "b5", [_leaf("text/html", "E"), _leaf("image/jpeg", "F")])
    alternative = _multipart("alternative", "b3", [inner_mixed, related])
    mixed2 = _multipart(
        "mixed",
        "b2",
        [
            alternative,
            _leaf("image/jpeg", "G", "attachment"),
            _leaf("application/x-excel", "H"),
            b"Content-Type: message/rfc822\r\n\r\nSubject: J\r\n\r\nJ\r\n",
        ],
    )
    top = _multipart(
        "mixed",
        "b1",
        [_leaf("text/plain", "A", "inline"), mixed2, _leaf("text/plain", "K", "inline")],
    )
    return b"From: a@example.com\r\nSubject: tree\r\nMIME-Version: 1.0\r\n" + top


def _labels(msg, parts: list[dict]) -> list[str]:
    out = []
    for p in parts:
        data, ctype, _ = msg.part_content(p["partId"])
        out.append(data.strip().decode()[-1])
    return out


def test_parse_structure_example():
    """RFC 8621 §4.1.4: the multipart tree example decomposes to
    textBody [A, B, C, D, K], htmlBody [A, E, K], attachments [C, F, G, H, J]."""
    msg = parse_message(_rfc_tree(), "B")
    assert _labels(msg, msg.text_body()) == list("ABCDK")
    assert _labels(msg, msg.html_body()) == list("AEK")
    assert _labels(msg, msg.attachments()) == list("CFGHJ")


def test_parse_structure_example_part_ids():
    """RFC 8621 §4.1.4: leaves are numbered depth first; multiparts have null partId and blobId;
    message/rfc822 (J) is a leaf whose inner structure is not expanded."""
    msg = parse_message(_rfc_tree(), "B")
    bs = msg.body_structure()
    assert bs["partId"] is None and bs["blobId"] is None and bs["type"] == "multipart/mixed"
    leaves = []

    def walk(p):
        if p.get("subParts") is None:
            leaves.append(p)
        else:
            assert p["partId"] is None and p["blobId"] is None
            for c in p["subParts"]:
                walk(c)

    walk(bs)
    assert [p["partId"] for p in leaves] == [str(i) for i in range(1, 11)]
    assert [p["blobId"] for p in leaves] == [f"B_{i}" for i in range(1, 11)]
    assert [p["type"] for p in leaves] == [
        "text/plain", "text/plain", "image/jpeg", "text/plain", "text/html",
        "image/jpeg", "image/jpeg", "application/x-excel", "message/rfc822", "text/plain",
    ]
    assert leaves[8].get("subParts") is None
    assert _labels(msg, leaves) == list("ABCDEFGHJK")


def test_addresses_example():
    """RFC 8621 §4.1.2.3: the address-list example (the RFC text renders "Smîth" as "Smith"
    because RFCs are ASCII; the encoded word decodes to U+00EE)."""
    msg = _msg(b"To:" + ADDRESS_LIST + b"\r\n")
    assert msg.header("To", "Addresses") == [
        {"name": "James Smythe", "email": "james@example.com"},
        {"name": None, "email": "jane@example.com"},
        {"name": "John Sm\u00eeth", "email": "john@example.com"},
    ]


def test_grouped_addresses_example():
    """RFC 8621 §4.1.2.4: the same address-list in GroupedAddresses form."""
    msg = _msg(b"To:" + ADDRESS_LIST + b"\r\n")
    assert msg.header("To", "GroupedAddresses") == [
        {"name": None, "addresses": [{"name": "James Smythe", "email": "james@example.com"}]},
        {
            "name": "Friends",
            "addresses": [
                {"name": None, "email": "jane@example.com"},
                {"name": "John Sm\u00eeth", "email": "john@example.com"},
            ],
        },
    ]


def test_raw_form_keeps_leading_space_and_folding():
    """RFC 8621 §4.1.2.1: Raw is the octets after the colon up to the terminating CRLF,
    typically with a leading space; folding CRLFs inside the value are kept."""
    msg = _msg(b"To:" + ADDRESS_LIST + b"\r\nSubject: Hi\r\n")
    assert msg.header("Subject") == " Hi"
    assert msg.header("To") == ADDRESS_LIST.decode()


def test_header_subject_last_instance():
    """RFC 8621 §4.1.3: header:subject is the last instance named "subject", matched
    case-insensitively, in Raw form; null when absent."""
    msg = _msg(b"Subject: first\r\nSUBJECT: second\r\n")
    assert msg.properties(["header:subject"]) == {"header:subject": " second"}
    assert msg.header("X-Missing") is None


def test_resent_to_all_example():
    """RFC 8621 §4.1.3: header:Resent-To:asAddresses:all is an EmailAddress[][] with one item
    per instance, in message order; an absent field with :all is an empty array."""
    msg = _msg(b"Resent-To: a@example.com\r\nResent-To: B <b@example.com>, c@example.com\r\n")
    got = msg.properties(["header:Resent-To:asAddresses:all", "header:Resent-Cc:asAddresses:all"])
    assert got == {
        "header:Resent-To:asAddresses:all": [
            [{"name": None, "email": "a@example.com"}],
            [{"name": "B", "email": "b@example.com"}, {"name": None, "email": "c@example.com"}],
        ],
        "header:Resent-Cc:asAddresses:all": [],
    }


def test_list_post_urls_example():
    """RFC 8621 §4.2.1: header:List-POST:asURLs gives ["mailto:partytime@lists.example.com"]
    and the property name keeps the request's capitalisation."""
    msg = _msg(b"List-Post: <mailto:partytime@lists.example.com>\r\n")
    assert msg.properties(["header:List-POST:asURLs"]) == {
        "header:List-POST:asURLs": ["mailto:partytime@lists.example.com"]
    }


def test_date_form_example():
    """RFC 8621 §4.1.2.6 with RFC 8620 §1.4: a Date keeps the offset, e.g. 2014-10-30T14:12:00+08:00."""
    msg = _msg(b"Date: Thu, 30 Oct 2014 14:12:00 +0800\r\n")
    assert msg.header("Date", "Date") == "2014-10-30T14:12:00+08:00"
    assert msg.properties(["sentAt"]) == {"sentAt": "2014-10-30T14:12:00+08:00"}
