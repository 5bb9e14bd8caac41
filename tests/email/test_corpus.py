"""Every corpus message goes through Email/import, blob download and Email/get (RFC 8621 §4.2, §4.8)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

CORPUS = Path("/work/shared/corpus")
for candidate in (Path(__file__).resolve().parents[3] / "shared" / "corpus", CORPUS):
    if (candidate / "manifest.tsv").is_file():
        CORPUS = candidate
        break
BATCH = 50
# Files of the corpus that begin with no header field: a digest's body and a parser's negative case.
NOT_EMAILS = ("cpython-test_email/msg_19.eml", "enmime/mail/erroneous.eml")
UTC_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
BODY_TYPES = ("text/plain", "text/html")
MEDIA = ("image/", "audio/", "video/")
DEFAULT = ["id", "blobId", "threadId", "mailboxIds", "keywords", "size", "receivedAt", "messageId", "inReplyTo",
           "references", "sender", "from", "to", "cc", "bcc", "replyTo", "subject", "sentAt", "hasAttachment",
           "preview", "bodyValues", "textBody", "htmlBody", "attachments"]


def corpus_files() -> list[Path]:
    with open(CORPUS / "manifest.tsv", newline="", encoding="utf-8") as f:
        return [CORPUS / row["path"] for row in csv.DictReader(f, delimiter="\t")]


def leaves(part: dict) -> list[dict]:
    if part.get("subParts") is not None:
        return [leaf for child in part["subParts"] for leaf in leaves(child)]
    return [part]


def check_part_tree(part: dict) -> None:
    """RFC 8621 §4.1.4: partId and blobId are null if, and only if, the part is multipart/*."""
    multipart = part["type"].startswith("multipart/")
    assert (part["partId"] is None) == multipart, part
    assert (part["blobId"] is None) == multipart, part
    assert isinstance(part["size"], int) and part["size"] >= 0
    for child in part.get("subParts") or []:
        check_part_tree(child)


def check_email(email: dict, raw: bytes, blob_id: str, inbox: str) -> None:
    """What RFC 8621 §4.1 guarantees of any Email, whatever the message."""
    assert set(DEFAULT + ["bodyStructure", "headers"]) <= set(email)
    assert email["mailboxIds"] == {inbox: True}
    assert email["keywords"] == {}
    # §4.1.1: size is the octets of the blob; the blob is what was uploaded unless the server
    # rewrote it (§4.8), and then it would have a new blobId.
    if email["blobId"] == blob_id:
        assert email["size"] == len(raw)
    assert UTC_DATE.match(email["receivedAt"])
    assert isinstance(email["hasAttachment"], bool)
    assert isinstance(email["preview"], str) and len(email["preview"]) <= 256
    assert email["bodyValues"] == {}  # no fetch*BodyValues argument was given (§4.2)
    assert all(set(h) == {"name", "value"} for h in email["headers"])
    check_part_tree(email["bodyStructure"])
    all_leaves = {p["partId"]: p for p in leaves(email["bodyStructure"])}
    listed = set()
    for key in ("textBody", "htmlBody"):
        for part in email[key]:
            assert part["type"] in BODY_TYPES or part["type"].startswith(MEDIA), (key, part)
            assert part["partId"] in all_leaves, (key, part)
            listed.add(part["partId"])
    for part in email["attachments"]:
        assert part["partId"] in all_leaves and "subParts" not in part, part
        listed.add(part["partId"])
    # §4.1.4 attachments: every leaf not in textBody or htmlBody is an attachment.
    assert listed == set(all_leaves)


@pytest.mark.skipif(not (CORPUS / "manifest.tsv").is_file(), reason="mail corpus not available")
def test_whole_corpus_imports_downloads_and_renders(mail):
    """RFC 8621 §4.8 and §4.2, RFC 8620 §6.2: every corpus message with a header section imports
    without error (parsing is best effort, §4.1.2.3), each Email's blobId downloads to the exact
    bytes, and Email/get with the default properties plus bodyStructure and headers answers every
    one of them. The two files that begin with no header field at all are not emails: invalidEmail."""
    files = corpus_files()
    assert len(files) == 363
    inbox = mail.roles["inbox"]
    created: dict[Path, tuple[str, dict]] = {}
    refused: list[Path] = []
    for start in range(0, len(files), BATCH):
        batch = files[start:start + BATCH]
        uploads = {f"c{i}": (path, path.read_bytes()) for i, path in enumerate(batch)}
        blob_ids = {cid: mail.upload(raw) for cid, (_, raw) in uploads.items()}
        result = mail.ok("Email/import", {"emails": {
            cid: {"blobId": blob_ids[cid], "mailboxIds": {inbox: True}} for cid in uploads}})
        for cid, error in (result["notCreated"] or {}).items():
            assert error["type"] == "invalidEmail", error
            assert uploads[cid][0].relative_to(CORPUS).as_posix() in NOT_EMAILS, (uploads[cid][0], error)
            refused.append(uploads[cid][0])
            del uploads[cid]
        for cid, (path, _) in uploads.items():
            made = result["created"][cid]
            assert set(made) >= {"id", "blobId", "threadId", "size"}
            created[path] = (blob_ids[cid], made)

    assert sorted(p.relative_to(CORPUS).as_posix() for p in refused) == sorted(NOT_EMAILS)
    for path, (_, made) in created.items():
        r = mail.download(made["blobId"], "message.eml", "message/rfc822")
        assert r.status_code == 200, path
        assert r.content == path.read_bytes(), path
        assert made["size"] == len(r.content), path

    paths = list(created)
    for start in range(0, len(paths), BATCH):
        batch = paths[start:start + BATCH]
        ids = [created[p][1]["id"] for p in batch]
        result = mail.ok("Email/get", {"ids": ids, "properties": DEFAULT + ["bodyStructure", "headers"]})
        assert result["notFound"] == []
        by_id = {e["id"]: e for e in result["list"]}
        assert set(by_id) == set(ids)
        for path in batch:
            blob_id, made = created[path]
            email = by_id[made["id"]]
            assert email["threadId"] == made["threadId"] and email["blobId"] == made["blobId"]
            check_email(email, path.read_bytes(), blob_id, inbox)
