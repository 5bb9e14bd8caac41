"""Full-text conditions of Email/query (RFC 8621 §4.4.1 text, from, subject, body) on real
messages in several languages, charsets and transfer encodings; phrase and all-words rules;
account isolation; read-your-writes right after Email/import."""

from __future__ import annotations

import base64
import email
import email.policy
import unicodedata

import pytest

from .conftest import CORE, CORPUS, MAIL, build

CORPUS_FILES = [
    "django-mailbox/message_with_koi8r_filename_attachments.eml",  # koi8-r subject, QP bodies, koi8-r file names
    "django-mailbox/message_with_utf8_attachment.eml",  # RFC 2231 UTF-8 file names
    "mail-parser/mail_test_12.eml",  # gb2312 B-encoded subject
    "mail-parser/mail_test_9.eml",  # gb2312 base64 HTML body
    "salmon/spam-mbox-12.eml",  # windows-1251 subject
    "mail-parser/mail_test_5.eml",  # iso-8859-1 subject
    "hyperkitty/non-ascii-headers.eml",  # iso-8859-2 encoded-word in From
    "talon/standard_replies__android.eml",  # base64 UTF-8 Cyrillic body
    "mailman/chains__issue144.eml",  # UTF-8 Q-encoded Croatian subject
    "flufl.bounce/simple_39.eml",  # UTF-8 Cyrillic subject
    "flufl.bounce/sina_01.eml",  # 8-bit gb2312 body
    "enmime/mail/non-mime-html-charset-header-only.eml",  # QP iso-8859-1 HTML, the only body
    "hyperkitty/bad_folding.eml",  # iso-8859-1 subject folded badly
]


def _raw(headers: list[str], body: bytes, content_type: str = "text/plain; charset=utf-8",
         encoding: str = "8bit") -> bytes:
    head = [*headers, "MIME-Version: 1.0", f"Content-Type: {content_type}", f"Content-Transfer-Encoding: {encoding}"]
    return "\r\n".join(head).encode("ascii") + b"\r\n\r\n" + body


def _multipart(headers: list[str], text: str, attachment_headers: list[str]) -> bytes:
    lines = [*headers, "MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="b1"', "", "--b1",
             "Content-Type: text/plain; charset=us-ascii", "", text, "--b1", *attachment_headers,
             "Content-Transfer-Encoding: base64", "", base64.b64encode(b"%PDF-1.4 data").decode(), "--b1--", ""]
    return "\r\n".join(lines).encode("ascii")


def _b(text: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def _q(text: str, charset: str) -> str:
    """An RFC 2047 Q encoded-word."""
    encoded = "".join(chr(b) if chr(b).isalnum() and b < 128 else "_" if b == 32 else f"={b:02X}"
                      for b in text.encode(charset))
    return f"=?{charset}?Q?{encoded}?="


BASE = ["From: Sender <sender@example.org>", "To: Reader <reader@example.net>", "Date: Tue, 05 Mar 2024 10:00:00 +0000"]
SYNTHETIC = {
    # RFC 2047 encoded-word inside a quoted file name (what mail clients send), koi8-r
    "koi8-2047-name": _multipart([*BASE, "Subject: Invoice", "Message-ID: <s1@search.test>"], "See the attachment.",
                                 ["Content-Type: application/pdf", "Content-Disposition: attachment; "
                                  f'filename="{_b("Зимородок.pdf", "koi8-r")}"']),
    # RFC 2231 parameter value continuation, koi8-r
    "koi8-2231-name": _multipart([*BASE, "Subject: Report", "Message-ID: <s2@search.test>"], "Attached.",
                                 ["Content-Type: application/msword",
                                  "Content-Disposition: attachment; filename*=koi8-r''"
                                  + "".join(f"%{b:02X}" for b in "Снегирь.doc".encode("koi8-r"))]),
    # iso-8859-2 Q-encoded subject
    "iso-8859-2": _raw([*BASE, "Subject: " + _q("Žluťoučký kůň", "iso-8859-2"), "Message-ID: <s3@search.test>"],
                       b"Czech pangram."),
    # base64 bodies in Japanese and Greek
    "base64-ja": _raw([*BASE, "Subject: Weather", "Message-ID: <s4@search.test>"],
                      base64.encodebytes("東京都の天気は晴れです。".encode("utf-8")), encoding="base64"),
    "base64-el": _raw([*BASE, "Subject: Greeting", "Message-ID: <s5@search.test>"],
                      base64.encodebytes("Καλημέρα κόσμε, ΤΙ ΚΆΝΕΙΣ;".encode("iso-8859-7")),
                      "text/plain; charset=iso-8859-7", "base64"),
    # quotes and backslashes to escape inside phrases
    "quotes": _raw([*BASE, "Subject: O'Brien said \"hello there\" twice", "Message-ID: <s6@search.test>"],
                   b"Backslash \\ in the body."),
    # HTML with presentation attributes
    "html-alt": _raw([*BASE, "Subject: Photo", "Message-ID: <s7@search.test>"],
                     b'<html><head><title>Headword</title><style>.lobster{color:red}</style></head><body>'
                     b'<p class="lobster">Look: <img src="cid:p1" alt="zebrafish"> '
                     b'<a href="https://example.org/" title="tooltipword">here</a></p></body></html>',
                     "text/html; charset=us-ascii", "7bit"),
}


def stdlib_text(raw: bytes) -> str:
    """Subject, file names and text parts as Python's email package decodes them: the independent
    check that a word really is in the message."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    pieces = [str(msg.get(h, "")) for h in ("subject", "from", "to")]
    for part in msg.walk():
        if part.get_filename():
            pieces.append(part.get_filename())
        if part.get_content_type().startswith("text/"):
            try:
                pieces.append(part.get_content())
            except (LookupError, UnicodeError):
                pass
    return " ".join(pieces)


def fold(text: str) -> str:
    """Case and accents off, for the test's own check that a word is in a message."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("ł", "l"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@pytest.fixture(scope="module")
def corpus(make_account):
    """Account A holds the corpus messages and the synthetic ones; account B holds two of the same
    messages, so an account's search must never return the other's."""
    if not (CORPUS / "manifest.tsv").is_file():
        pytest.skip(f"no mail corpus at {CORPUS}")
    a, b = make_account(), make_account()
    raws = {name: (CORPUS / name).read_bytes() for name in CORPUS_FILES}
    raws.update(SYNTHETIC)
    names = list(raws)
    created = a.import_many([a.import_item(raws[n]) for n in names])
    ids = {n: c["id"] for n, c in zip(names, created)}
    shared = ["salmon/spam-mbox-12.eml", "koi8-2231-name"]
    other = b.import_many([b.import_item(raws[n]) for n in shared])
    return a, b, ids, raws, {n: c["id"] for n, c in zip(shared, other)}


def found(account, ids, filter) -> set[str]:
    names = {v: k for k, v in ids.items()}
    return {names.get(i, i) for i in account.ids(filter)}


# (message, condition, text): each text is in that message (and in no other one imported here)
FINDS = [
    # RFC 2047 encoded-word subjects (§4.4.1: decoded before matching), any case
    ("django-mailbox/message_with_koi8r_filename_attachments.eml", "subject", "Предложения"),
    ("django-mailbox/message_with_koi8r_filename_attachments.eml", "subject", "ПРЕДЛОЖЕНИЯ вшэ"),
    ("mail-parser/mail_test_12.eml", "subject", "增值税"),
    ("mail-parser/mail_test_12.eml", "text", "发票"),
    ("salmon/spam-mbox-12.eml", "subject", "типография"),
    ("salmon/spam-mbox-12.eml", "text", "ТИПОГРАФИЯ выходных"),
    ("mail-parser/mail_test_5.eml", "subject", "prépare"),
    ("mail-parser/mail_test_5.eml", "subject", "PREPARE ete zero"),  # accents and case ignored
    ("mailman/chains__issue144.eml", "subject", "pištolj"),
    ("mailman/chains__issue144.eml", "subject", "PISTOLJ visenamjenski"),
    ("flufl.bounce/simple_39.eml", "subject", "сообщение доставлено"),
    ("hyperkitty/bad_folding.eml", "subject", "Ergänzung"),
    ("hyperkitty/bad_folding.eml", "subject", "erganzung"),
    ("iso-8859-2", "subject", "Žluťoučký kůň"),
    ("iso-8859-2", "subject", "zlutoucky KUN"),
    # encoded-word display names
    ("hyperkitty/non-ascii-headers.eml", "from", "Vít"),
    ("hyperkitty/non-ascii-headers.eml", "from", "vit ondruch"),
    # bodies: base64, quoted-printable, 8-bit, HTML
    ("talon/standard_replies__android.eml", "body", "пользователь"),
    ("mail-parser/mail_test_9.eml", "body", "镜头"),
    ("flufl.bounce/sina_01.eml", "body", "邮件"),
    ("django-mailbox/message_with_koi8r_filename_attachments.eml", "body", "собеседования"),
    ("enmime/mail/non-mime-html-charset-header-only.eml", "body", "Müller"),
    ("enmime/mail/non-mime-html-charset-header-only.eml", "body", "MULLER"),
    ("base64-ja", "body", "天気"),
    ("base64-ja", "text", "東京"),
    ("base64-el", "body", "καλημερα"),
    ("base64-el", "body", "ΚΑΛΗΜΈΡΑ κάνεις"),
    # attachment names are part of `text` (RFC 2231 and RFC 2047 encoded, koi8-r and UTF-8)
    ("django-mailbox/message_with_koi8r_filename_attachments.eml", "text", '"Ведомости.pdf"'),
    ("django-mailbox/message_with_koi8r_filename_attachments.eml", "text", "pptx"),
    ("django-mailbox/message_with_utf8_attachment.eml", "text", "piłkochwyty"),
    ("django-mailbox/message_with_utf8_attachment.eml", "text", "PILKOCHWYTY"),
    ("koi8-2047-name", "text", "Зимородок"),
    ("koi8-2231-name", "text", "снегирь"),
]


@pytest.mark.parametrize("name,field,text", FINDS, ids=[f"{f}:{t}" for _, f, t in FINDS])
def test_finds_the_message(corpus, name, field, text):
    """§4.4.1: encoded words are decoded before matching, text is matched case-insensitively (and
    here accent-insensitively), the body is searched whatever its charset and transfer encoding,
    and attachment names count as text."""
    account, _, ids, raws, _ = corpus
    words = text.strip('"').replace(".", " ").split()
    plain = fold(stdlib_text(raws[name]))
    assert all(fold(w) in plain for w in words), "the test's premise: the words are in the message"
    assert found(account, ids, {field: text}) == {name}


def test_attachment_name_only_words(corpus):
    """§4.4.1 text MAY extend to other textual properties: here the only place of these words is an
    attachment's file name, so only `text` finds them."""
    account, _, ids, raws, _ = corpus
    for name, word in (("django-mailbox/message_with_utf8_attachment.eml", "piłkochwyty"),
                       ("koi8-2047-name", "Зимородок"), ("koi8-2231-name", "Снегирь")):
        msg = email.message_from_bytes(raws[name], policy=email.policy.default)
        assert word.lower() not in str(msg["subject"]).lower()
        assert found(account, ids, {"text": word}) == {name}
        assert found(account, ids, {"subject": word}) == set()


def test_all_words_must_be_present(corpus):
    """§4.4.1: outside a phrase, white space divides tokens that MUST all be present."""
    account, _, ids, _, _ = corpus
    assert found(account, ids, {"text": "типография выходных"}) == {"salmon/spam-mbox-12.eml"}
    assert found(account, ids, {"text": "типография 增值税"}) == set()
    assert found(account, ids, {"subject": "prépare"}) == {"mail-parser/mail_test_5.eml"}
    assert found(account, ids, {"subject": "prépare lemur"}) == set()


def test_phrases(corpus):
    """§4.4.1: text in double or single quotes is a phrase (these words, in this order)."""
    account, _, ids, _, _ = corpus
    five = {"mail-parser/mail_test_5.eml"}
    assert found(account, ids, {"subject": '"Je prépare mon été"'}) == five
    assert found(account, ids, {"subject": "'prepare mon ete'"}) == five
    assert found(account, ids, {"subject": '"mon prépare"'}) == set()
    assert found(account, ids, {"subject": "mon prépare"}) == five
    assert found(account, ids, {"subject": '"prépare" "complexe"'}) == five
    assert found(account, ids, {"subject": '"prépare complexe"'}) == set()


def test_escapes_in_phrases(corpus):
    """§4.4.1: inside a phrase, ' " and \\ are escaped with a backslash."""
    account, _, ids, _, _ = corpus
    assert found(account, ids, {"subject": '"said \\"hello there\\""'}) == {"quotes"}
    assert found(account, ids, {"subject": "'O\\'Brien said'"}) == {"quotes"}
    assert found(account, ids, {"subject": "'said \\\"hello'"}) == {"quotes"}
    assert found(account, ids, {"subject": '"hello said"'}) == set()


def test_html_markup_is_not_text(corpus):
    """§4.4.1: in a text/html body, markup is ignored: tag and attribute names, <head> (its
    <title>), CSS."""
    account, _, ids, _, _ = corpus
    assert found(account, ids, {"body": "look"}) == {"html-alt"}
    for word in ("Headword", "lobster", "img", "href", "color"):
        assert found(account, ids, {"body": word}) == set(), word
    assert found(account, ids, {"body": "title"}) == set()  # the <title> of the QP HTML message


def test_html_alt_and_title_are_text(corpus):
    """§4.4.1: attribute content intended for presentation to the user such as "alt" and "title"
    SHOULD be considered in the search."""
    account, _, ids, _, _ = corpus
    assert found(account, ids, {"body": "zebrafish"}) == {"html-alt"}
    assert found(account, ids, {"body": "tooltipword"}) == {"html-alt"}


def test_account_isolation(corpus):
    """RFC 8620 §1.6.2: an account's query sees only its own Emails, even when another account
    holds the very same messages."""
    a, b, ids, _, b_ids = corpus
    for text, name in (("типография", "salmon/spam-mbox-12.eml"), ("Снегирь", "koi8-2231-name")):
        assert a.ids({"text": text}) == [ids[name]]
        assert b.ids({"text": text}) == [b_ids[name]]
    assert b.ids({"text": "增值税"}) == []
    assert b.ids({"subject": "prépare"}) == []
    assert set(b.ids()) == set(b_ids.values())


def test_read_your_writes_in_the_same_request(corpus):
    """A text query right after Email/import in the same request finds the new Email (the
    results reflect the state after the import; RFC 8620 §3.10 methods run in order)."""
    account, *_ = corpus
    for n in range(5):
        word = f"freshword{n}x"
        blob = account.upload(build(f"Fresh {n}", body=f"Just arrived: {word}."))
        responses = account.request([
            ["Email/import", {"accountId": account.account_id, "emails": {
                "new": {"blobId": blob, "mailboxIds": {account.mailbox("inbox"): True}}}}, "i"],
            ["Email/query", {"accountId": account.account_id, "filter": {"body": word}}, "q"],
            ["Email/query", {"accountId": account.account_id, "filter": {"text": f"fresh {n}"},
                             "calculateTotal": True}, "q2"],
        ])
        assert [r[0] for r in responses] == ["Email/import", "Email/query", "Email/query"], responses
        created = responses[0][1]["created"]["new"]["id"]
        assert responses[1][1]["ids"] == [created]
        assert created in responses[2][1]["ids"]


def test_read_your_writes_in_the_next_request(corpus):
    """A text query in the request right after the Email/import finds the new Email, and one right
    after Email/set destroy no longer does."""
    account, *_ = corpus
    for n in range(5):
        word = f"nextword{n}y"
        created = account.import_one(build("Next", body=f"Body with {word} in it."))["id"]
        assert account.ids({"text": word}) == [created]
        assert account.ids({"operator": "AND", "conditions": [{"body": word}, {"inMailbox": account.mailbox("inbox")}]},
                           [{"property": "size"}]) == [created]
        account.set(destroy=[created])
        assert account.ids({"text": word}) == []


def test_text_search_needs_the_mail_capability(corpus):
    """RFC 8620 §3.6.1: Email/query is only available with the mail capability in `using`."""
    account, *_ = corpus
    responses = account.request([["Email/query", {"accountId": account.account_id, "filter": {"text": "x"}}, "0"]],
                                using=[CORE])
    assert responses[0][0] == "error" and responses[0][1]["type"] == "unknownMethod"
    assert MAIL in account.session["capabilities"]
