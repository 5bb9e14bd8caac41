"""Seeds: a JSON seed with raw and structured messages, an mbox, a folder of .eml, N generated;
and an exported account that seeds an identical one (RFC 8621 §4.1: blobs byte for byte,
mailboxIds, keywords, receivedAt)."""

from __future__ import annotations

import json

import httpx

from jmapd.testing import Server

RAW = "From: Ann <ann@example.org>\r\nTo: alice@example.test\r\nSubject: Raw one\r\nMessage-ID: <r1@example.org>\r\n\r\nRaw body\r\n"


def get_all(server: Server, user: str = "alice") -> list[dict]:
    account = server.account_id(user)
    with httpx.Client(auth=server.credentials(user)) as client:
        body = {"using": ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"], "methodCalls": [
            ["Email/get", {"accountId": account, "ids": None,
                           "properties": ["subject", "from", "keywords", "receivedAt", "attachments", "size"]}, "0"]]}
        return client.post(server.api_url, json=body).json()["methodResponses"][0][1]["list"]


def test_json_seed_raw_and_structured(tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"mailboxes": ["Projects/2024"], "emails": [
        {"raw": RAW, "keywords": ["$seen"], "receivedAt": "2024-02-03T04:05:06Z"},
        {"mailboxes": ["Projects/2024"], "from": "Bo <bo@example.org>", "to": ["alice@example.test"],
         "subject": "Structured", "text": "Hi there", "inReplyTo": "<r1@example.org>",
         "attachments": [{"name": "notes.txt", "type": "text/plain", "text": "some notes"}]}]}))
    with Server(users=["alice"], seed=str(seed)) as server:
        emails = {e["subject"]: e for e in get_all(server)}
        assert emails["Raw one"]["keywords"] == {"$seen": True}
        assert emails["Raw one"]["receivedAt"] == "2024-02-03T04:05:06Z"
        assert emails["Raw one"]["size"] == len(RAW)
        assert emails["Structured"]["from"] == [{"name": "Bo", "email": "bo@example.org"}]
        assert [a["name"] for a in emails["Structured"]["attachments"]] == ["notes.txt"]


def test_mbox_and_eml_folder(tmp_path):
    mbox = tmp_path / "mail.mbox"
    mbox.write_bytes(b"From ann@example.org Sat Feb  3 04:05:06 2024\n" + RAW.replace("\r\n", "\n").encode() +
                     b"\nFrom bo@example.org Sat Feb  3 05:05:06 2024\nSubject: Second\n\nbody\n")
    with Server(users=["alice"], seed=str(mbox)) as server:
        assert sorted(e["subject"] for e in get_all(server)) == ["Raw one", "Second"]
    folder = tmp_path / "eml"
    folder.mkdir()
    (folder / "1.eml").write_text(RAW)
    with Server(users=["alice"], seed=str(folder)) as server:
        assert [e["subject"] for e in get_all(server)] == ["Raw one"]


def test_generated_seed_is_reproducible():
    with Server(users=["alice"], seed="20", seed_random=7) as one, Server(users=["alice"], seed="20",
                                                                          seed_random=7) as two:
        assert one.export("alice") == two.export("alice")
        assert len(one.export("alice")["emails"]) == 20


def test_an_export_seeds_an_identical_account(tmp_path):
    with Server(users=["alice"], seed="demo") as server:
        server.deliver("alice", b"From: x@example.org\r\nSubject: \xe9t\xe9 8bit\r\n\r\n\xff\xfe\r\n")
        exported = server.export("alice")
    seed = tmp_path / "export.json"
    seed.write_text(json.dumps(exported))
    with Server(users=["alice"], seed=str(seed)) as again:
        assert again.export("alice") == exported
