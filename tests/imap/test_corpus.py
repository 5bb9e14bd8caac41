"""The real-message corpus across both protocols: appended over IMAP and downloaded over JMAP, imported
over JMAP and fetched over IMAP, byte for byte; and BODYSTRUCTURE checked against an independent
parser (Python's `email` package) for every message it reads without defects."""

from __future__ import annotations

import csv
import email
import email.policy
import re

import pytest

from jmapd.mime.parse import has_header_section

BATCH = 50
# The stdlib drops the empty body parts between consecutive delimiters, which RFC 2046 §5.1.1 counts.
STDLIB_DIFFERS = {"cpython-test_email/msg_37.eml"}
_MEDIA_TYPE = re.compile(r"^[!#$%&'*+.^_`|~0-9a-z-]+/[!#$%&'*+.^_`|~0-9a-z-]+$")


def corpus_files(corpus):
    with open(corpus / "manifest.tsv", newline="", encoding="utf-8") as f:
        return [row["path"] for row in csv.DictReader(f, delimiter="\t")]


def stdlib_types(raw: bytes) -> list[str] | None:
    """Content types depth-first, entering multiparts and message/rfc822 only (IMAP's shape);
    None when the stdlib found defects (its reading of a broken message is not an oracle)."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    if any(part.defects for part in message.walk()):
        return None

    def walk(part):
        kind = part.get_content_type()
        if not _MEDIA_TYPE.match(kind):
            kind = "text/plain"  # RFC 2045 §5.2: an invalid Content-Type means text/plain
        out = [kind]
        if part.is_multipart() and (kind.startswith("multipart/") or kind == "message/rfc822"):
            for child in part.get_payload():
                out += walk(child)
        return out

    return walk(message)


def imap_types(structure) -> list[str]:
    """Flatten imapclient's parsed BODYSTRUCTURE the same way."""
    if isinstance(structure[0], (list, tuple)):
        if isinstance(structure[0], list):
            children, subtype = structure[0], structure[1]
        else:
            count = next(i for i, x in enumerate(structure) if not isinstance(x, tuple))
            children, subtype = structure[:count], structure[count]
        out = ["multipart/" + subtype.decode().lower()]
        for child in children:
            out += imap_types(child)
        return out
    kind = (structure[0].decode() + "/" + structure[1].decode()).lower()
    out = [kind]
    if kind == "message/rfc822":
        out += imap_types(structure[8])
    return out


def multiappend(conn, mailbox: str, raws: list[bytes]) -> None:
    """APPEND of the exact octets, several messages in one command (RFC 3502): imaplib and
    imapclient rewrite bare LFs as CRLF, and these messages must arrive as they are."""
    tag = conn._new_tag()
    command = b"%s APPEND %s" % (tag, mailbox.encode())
    for raw in raws:
        command += b" {%d+}\r\n" % len(raw) + raw
    conn.send(command + b"\r\n")
    while True:
        line = conn._get_line()
        if line.startswith(tag):
            assert b" OK " in line, line
            return


@pytest.mark.timeout(300)
def test_corpus_round_trips_between_imap_and_jmap(account, client_type, corpus):
    """RFC 9051 §6.3.12 APPEND and §6.4.5 BODY[], RFC 8620 §6.2 download, RFC 8621 §4.8 import: each
    corpus message appended over IMAP downloads over JMAP with the same octets, each imported over
    JMAP fetches over IMAP with the same octets, and its BODYSTRUCTURE parses and has the MIME
    shape an independent parser finds (RFC 9051 §7.5.2)."""
    paths = corpus_files(corpus)
    raws = [(corpus / path).read_bytes() for path in paths]
    imap = account.imapclient()
    jmap = account.jmap(client_type)
    for start in range(0, len(raws), BATCH):
        multiappend(imap._imap, "INBOX", raws[start:start + BATCH])
    imap.select_folder("INBOX", readonly=True)
    fetched = imap.fetch(list(range(1, len(raws) + 1)), ["EMAILID", "RFC822.SIZE", "BODYSTRUCTURE"])
    # Over JMAP: the blob of each Email is the appended message.
    email_ids = [fetched[uid][b"EMAILID"][0].decode() for uid in range(1, len(raws) + 1)]
    blob_ids = {}
    for start in range(0, len(email_ids), BATCH):
        got = jmap.ok("Email/get", {"ids": email_ids[start:start + BATCH], "properties": ["blobId"]})["list"]
        blob_ids.update({e["id"]: e["blobId"] for e in got})
    template = jmap.session["downloadUrl"]
    compared = 0
    for path, raw, email_id, uid in zip(paths, raws, email_ids, range(1, len(raws) + 1)):
        url = (template.replace("{accountId}", jmap.account_id).replace("{blobId}", blob_ids[email_id])
               .replace("{name}", "m.eml").replace("{type}", "message/rfc822"))
        assert jmap.http.get(url).content == raw, path
        assert fetched[uid][b"RFC822.SIZE"] == len(raw), path
        expected = stdlib_types(raw)
        if expected is not None and path not in STDLIB_DIFFERS:
            assert imap_types(fetched[uid][b"BODYSTRUCTURE"]) == expected, path
            compared += 1
    assert compared > 300
    # And the other way: imported over JMAP (from the blobs the account holds), fetched over IMAP.
    # RFC 8621 §4.8: Email/import refuses, as invalidEmail, a blob with no header section at all,
    # which IMAP APPEND (RFC 9051 §6.3.12) stored as given.
    archive = jmap.mailboxes()["archive"]["id"]
    imported = []
    for start in range(0, len(raws), BATCH):
        emails = {}
        for n, email_id in enumerate(email_ids[start:start + BATCH]):
            emails[str(n)] = {"blobId": blob_ids[email_id], "mailboxIds": {archive: True},
                              "receivedAt": "2024-01-01T00:00:00Z"}
        result = jmap.ok("Email/import", {"emails": emails})
        refused = result.get("notCreated") or {}
        assert len(result["created"]) + len(refused) == len(emails)
        for n in range(len(emails)):
            raw = raws[start + n]
            if str(n) in refused:
                assert refused[str(n)]["type"] == "invalidEmail" and not has_header_section(raw), paths[start + n]
            else:
                imported.append((paths[start + n], raw))
    assert len(imported) >= len(raws) - 2
    imap.select_folder("Archive", readonly=True)
    bodies = imap.fetch(list(range(1, len(imported) + 1)), ["BODY.PEEK[]"])
    for (path, raw), uid in zip(imported, range(1, len(imported) + 1)):
        assert bodies[uid][b"BODY[]"] == raw, path
    imap.logout()
    jmap.close()
