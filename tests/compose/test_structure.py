"""MIME structure built from textBody/htmlBody/attachments or bodyStructure."""

from __future__ import annotations

TEXT = "Hello Bob,\n\nthe plan is attached.\n\n-- \nAlice\n"
HTML = "<html><body><p>Hello <b>Bob</b>,</p><p>the plan is attached.</p></body></html>"


def _flat(**body):
    email = {
        "from": [{"name": "Alice", "email": "alice@example.com"}],
        "to": [{"name": "Bob", "email": "bob@example.com"}],
        "subject": "Plan",
        "bodyValues": {"t": {"value": TEXT}, "h": {"value": HTML}},
    }
    email.update(body)
    return email


TEXT_PART = {"partId": "t", "type": "text/plain"}
HTML_PART = {"partId": "h", "type": "text/html"}


def test_text_only(compose, kit):
    """RFC 8621 §4.6 / §4.1.4: a lone textBody part is the whole body."""
    raw, msg = compose(_flat(textBody=[TEXT_PART]))
    assert kit.structure(msg) == "text/plain"
    assert msg.get_content_charset() == "utf-8"
    assert kit.text_of(msg) == TEXT
    assert msg["MIME-Version"] == "1.0"


def test_html_only(compose, kit):
    """RFC 8621 §4.6: a lone htmlBody part of type text/html is the body."""
    _, msg = compose(_flat(htmlBody=[HTML_PART]))
    assert kit.structure(msg) == "text/html"
    assert kit.text_of(msg) == HTML


def test_text_and_html_make_alternative(compose, kit):
    """RFC 8621 §4.1.4 / RFC 2046 §5.1.4: text and HTML of the same content are
    alternatives, the plain text (least preferred) first."""
    _, msg = compose(_flat(textBody=[TEXT_PART], htmlBody=[HTML_PART]))
    assert kit.structure(msg) == ("multipart/alternative", ["text/plain", "text/html"])
    plain, html = msg.iter_parts()
    assert kit.text_of(plain) == TEXT
    assert kit.text_of(html) == HTML
    assert msg.get_body(("plain",)) is plain
    assert msg.get_body(("html",)) is html


def test_text_html_and_attachment(compose, kit, blobs):
    """RFC 8621 §4.6 / §4.1.4: the key case, multipart/mixed holding the
    alternative body and the attachment, whose octets come back unchanged."""
    _, msg = compose(_flat(
        textBody=[TEXT_PART],
        htmlBody=[HTML_PART],
        attachments=[{"blobId": "Gpdf", "type": "application/pdf", "name": "plan.pdf"}],
    ))
    assert kit.structure(msg) == (
        "multipart/mixed",
        [("multipart/alternative", ["text/plain", "text/html"]), "application/pdf"],
    )
    body, attachment = msg.iter_parts()
    assert [kit.text_of(p) for p in body.iter_parts()] == [TEXT, HTML]
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "plan.pdf"
    assert attachment["Content-Transfer-Encoding"] == "base64"
    assert attachment.get_content() == blobs["Gpdf"]
    assert [a.get_filename() for a in msg.iter_attachments()] == ["plan.pdf"]


def test_inline_image_goes_in_related(compose, kit, blobs):
    """RFC 8621 §4.1.4 / RFC 2387: an image referenced by cid from the HTML is
    grouped with it in multipart/related; a plain attachment stays in mixed."""
    _, msg = compose(_flat(
        textBody=[TEXT_PART],
        htmlBody=[{"partId": "h", "type": "text/html"}],
        bodyValues={"t": {"value": TEXT}, "h": {"value": '<img src="cid:logo@x">'}},
        attachments=[
            {"blobId": "Gpng", "type": "image/png", "cid": "logo@x", "disposition": "inline"},
            {"blobId": "Gtxt", "type": "text/plain", "name": "notes.txt"},
        ],
    ))
    assert kit.structure(msg) == (
        "multipart/mixed",
        [
            ("multipart/alternative",
             ["text/plain", ("multipart/related", ["text/html", "image/png"])]),
            "text/plain",
        ],
    )
    related = list(list(msg.iter_parts())[0].iter_parts())[1]
    assert related.get_param("type") == "text/html"
    image = list(related.iter_parts())[1]
    assert image["Content-ID"] == "<logo@x>"
    assert image.get_content_disposition() == "inline"
    assert image.get_content() == blobs["Gpng"]
    notes = list(msg.iter_parts())[1]
    assert notes.get_content_disposition() == "attachment"
    assert notes.get_payload(decode=True) == blobs["Gtxt"]


def test_cid_part_with_attachment_disposition_stays_in_mixed(compose, kit):
    """RFC 8621 §4.1.4: only inline parts belong to the HTML's related group."""
    _, msg = compose(_flat(
        htmlBody=[HTML_PART],
        attachments=[{"blobId": "Gpng", "type": "image/png", "cid": "c1",
                      "disposition": "attachment"}],
    ))
    assert kit.structure(msg) == ("multipart/mixed", ["text/html", "image/png"])


def test_cid_without_html_is_not_related(compose, kit):
    """RFC 2387: multipart/related needs a root that references the parts;
    without HTML there is none, so the image is an ordinary attachment."""
    _, msg = compose(_flat(
        textBody=[TEXT_PART],
        attachments=[{"blobId": "Gpng", "type": "image/png", "cid": "c1"}],
    ))
    assert kit.structure(msg) == ("multipart/mixed", ["text/plain", "image/png"])


def test_attachments_only(compose, kit, blobs):
    """RFC 8621 §4.6: attachments without a body still make a valid message."""
    _, msg = compose(_flat(attachments=[
        {"blobId": "Gpdf", "type": "application/pdf", "name": "a.pdf"},
        {"blobId": "Gpng", "type": "image/png", "name": "b.png"},
    ]))
    assert kit.structure(msg) == ("multipart/mixed", ["application/pdf", "image/png"])
    assert [p.get_content() for p in msg.iter_parts()] == [blobs["Gpdf"], blobs["Gpng"]]


def test_no_body_at_all(compose, kit):
    """RFC 8621 §4.6 allows half-finished drafts: no body gives an empty text part."""
    _, msg = compose({"subject": "empty"})
    assert kit.structure(msg) == "text/plain"
    assert msg.get_content() == ""


def test_explicit_nested_body_structure(compose, kit, blobs):
    """RFC 8621 §4.6: a given bodyStructure is written as is, however nested,
    with its part properties and header: properties on each entity."""
    email = {
        "subject": "nested",
        "bodyStructure": {
            "type": "multipart/mixed",
            "subParts": [
                {
                    "type": "multipart/alternative",
                    "subParts": [
                        {"partId": "1", "type": "text/plain", "language": ["en", "de-CH"]},
                        {
                            "type": "multipart/related",
                            "subParts": [
                                {"partId": "2", "type": "text/html",
                                 "location": "http://example.com/x.html"},
                                {"blobId": "Gpng", "type": "image/png", "cid": "pic",
                                 "header:X-Part-Note:asText": "niño"},
                            ],
                        },
                    ],
                },
                {"blobId": "Gmsg", "type": "message/rfc822", "disposition": "attachment"},
                {"blobId": "Gtxt", "type": "text/plain", "charset": "utf-8",
                 "disposition": "attachment", "name": "grüße.txt"},
            ],
        },
        "bodyValues": {"1": {"value": "plain"}, "2": {"value": "<p>html</p>"}},
    }
    raw, msg = compose(email)
    assert kit.structure(msg) == (
        "multipart/mixed",
        [
            ("multipart/alternative",
             ["text/plain", ("multipart/related", ["text/html", "image/png"])]),
            "message/rfc822",
            "text/plain",
        ],
    )
    alternative, inner, notes = msg.iter_parts()
    plain, related = alternative.iter_parts()
    html, image = related.iter_parts()
    assert plain["Content-Language"] == "en, de-CH"
    assert kit.text_of(plain) == "plain"
    assert html["Content-Location"] == "http://example.com/x.html"
    assert kit.text_of(html) == "<p>html</p>"
    assert image["Content-ID"] == "<pic>"
    assert image["X-Part-Note"] == "niño"
    assert image.get_content() == blobs["Gpng"]
    attached = inner.get_content()
    assert attached["Subject"] == "inner"
    assert kit.text_of(attached) == "Inner body.\n"
    assert blobs["Gmsg"] in raw, "RFC 2046 §5.2.1: message/rfc822 is not re-encoded"
    assert inner.get_content_disposition() == "attachment"
    assert notes.get_filename() == "grüße.txt"
    assert notes.get_content_charset() == "utf-8"
    assert notes.get_payload(decode=True) == blobs["Gtxt"]


def test_body_structure_root_headers_join_the_message_header(compose, kit):
    """RFC 8621 §4.6: header: properties of the bodyStructure root are header
    fields of the message itself (the Email may not repeat them)."""
    raw, msg = compose({
        "subject": "s",
        "bodyStructure": {"partId": "a", "header:X-Root:asText": "root value",
                          "header:Content-Language": " fr"},
        "bodyValues": {"a": {"value": "bonjour"}},
    })
    assert msg["X-Root"] == "root value"
    assert msg["Content-Language"] == "fr"
    assert kit.headers_named(raw, "Content-Type") == [b" text/plain; charset=utf-8"]


def test_type_defaults(compose, kit):
    """RFC 8621 §4.1.4 / RFC 2045 §5.2: without a type, text from bodyValues is
    text/plain; a blob is labelled application/octet-stream, not as text."""
    _, msg = compose({
        "textBody": [{"partId": "t"}],
        "htmlBody": [{"partId": "h"}],
        "attachments": [{"blobId": "Gpdf"}],
        "bodyValues": {"t": {"value": "x"}, "h": {"value": "<p>x</p>"}},
    })
    assert kit.structure(msg) == (
        "multipart/mixed",
        [("multipart/alternative", ["text/plain", "text/html"]), "application/octet-stream"],
    )


def test_content_type_given_as_header_property(compose, kit):
    """RFC 8621 §4.1.4: Content-Type may be set by a header: property on a part;
    the server still adds what the body needs (charset, boundary)."""
    raw, msg = compose({
        "bodyStructure": {
            "header:Content-Type": " multipart/alternative",
            "subParts": [
                {"partId": "a", "header:Content-Type": " text/plain; format=flowed"},
                {"partId": "b", "type": "text/html"},
            ],
        },
        "bodyValues": {"a": {"value": "ça"}, "b": {"value": "<p>ça</p>"}},
    })
    assert kit.structure(msg) == ("multipart/alternative", ["text/plain", "text/html"])
    plain = next(msg.iter_parts())
    assert plain.get_param("format") == "flowed"
    assert plain.get_content_charset() == "utf-8"
    assert kit.text_of(plain) == "ça"


def test_given_boundary_is_kept(compose, kit):
    """RFC 2046 §5.1.1: a boundary the client chose is used when it is safe."""
    raw, msg = compose({
        "bodyStructure": {
            "header:Content-Type": ' multipart/mixed; boundary="client-chosen"',
            "subParts": [{"partId": "a"}],
        },
        "bodyValues": {"a": {"value": "x"}},
    })
    assert msg.get_boundary() == "client-chosen"
    assert b"\r\n--client-chosen--\r\n" in raw


def test_boundaries_do_not_occur_in_content(compose, kit):
    """RFC 2046 §5.1.1: a boundary must not appear inside the encapsulated parts."""
    text = "--=_ looks like a boundary\n--" + "=_" * 40 + "\n"
    raw, msg = compose({
        "textBody": [{"partId": "t"}],
        "htmlBody": [{"partId": "h"}],
        "bodyValues": {"t": {"value": text}, "h": {"value": "<pre>" + text + "</pre>"}},
    })
    boundary = msg.get_boundary()
    assert raw.count(b"--" + boundary.encode()) == 3
    assert kit.text_of(next(msg.iter_parts())) == text


def test_boundary_colliding_with_content_is_replaced(compose, kit, monkeypatch):
    """RFC 2046 §5.1.1: the boundary must not occur in the encapsulated text,
    so a random one that does is drawn again."""
    from jmapd.mime import compose as module

    draws = iter(["collide", "fresh"])
    monkeypatch.setattr(module.secrets, "token_hex", lambda n: next(draws))
    raw, msg = compose({
        "textBody": [{"partId": "t"}],
        "attachments": [{"blobId": "Gpdf"}],
        "bodyValues": {"t": {"value": "a line with --=_collide in it"}},
    })
    assert msg.get_boundary() == "=_fresh"
    assert kit.text_of(next(msg.iter_parts())) == "a line with --=_collide in it"
