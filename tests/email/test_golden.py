"""The golden expectations of tests/mime/golden, checked end to end over HTTP.

Each golden file states what RFC 8621 §4.1 gives for one corpus message (its "why" says what it
checks). Here the message is uploaded and imported, and Email/get must give the same
bodyStructure, textBody, htmlBody, attachments, bodyValues and properties. Golden blobIds name the
parser's test blob, not a server blob, so they are checked by downloading instead of by value.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

GOLDEN = Path(__file__).resolve().parents[1] / "mime" / "golden"
CASES = sorted(GOLDEN.glob("*.json"))
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpus")
DEFAULT_BODY = ["partId", "blobId", "size", "name", "type", "charset", "disposition", "cid", "language", "location"]


def comparable(part: dict) -> dict:
    """A part as the golden file states it: no multipart size (the RFC defines none) and no
    blobId value (server-chosen); a leaf must have a blobId and a multipart none (§4.1.4)."""
    part = dict(part)
    if "blobId" in part:
        blob_id = part.pop("blobId")
        assert (blob_id is None) == (part.get("subParts") is not None), part
    if part.get("subParts") is not None:
        part.pop("size", None)
        part["subParts"] = [comparable(c) for c in part["subParts"]]
    return part


def without_blob_ids(part: dict) -> dict:
    part = {k: v for k, v in part.items() if k != "blobId"}
    if part.get("subParts") is not None:
        part["subParts"] = [without_blob_ids(c) for c in part["subParts"]]
    return part


def leaves(part: dict) -> list[dict]:
    if part.get("subParts") is not None:
        return [leaf for child in part["subParts"] for leaf in leaves(child)]
    return [part]


def filename(disposition: str) -> str | None:
    match = re.search(r"filename\*=UTF-8''([^;]+)", disposition)
    if match:
        return unquote(match.group(1))
    match = re.search(r'filename="([^"]*)"', disposition)
    return match.group(1) if match else None


@pytest.mark.skipif(not CORPUS.is_dir(), reason="mail corpus not available")
@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_golden_over_http(module_mail, case):
    """RFC 8621 §4.1.4 and §4.2 on real mail, over HTTP: the body lists, structure and values of
    Email/get match the golden expectations; each part's blobId downloads to octets whose length
    is the part's size, served with the part's type and name (RFC 8620 §6.2)."""
    mail = module_mail
    g = json.loads(case.read_text("utf-8"))
    raw = (CORPUS / g["file"]).read_bytes()
    email_id = mail.import_one(raw)["id"]
    properties = ["bodyStructure", "textBody", "htmlBody", "attachments", "bodyValues",
                  *[p for p in g.get("properties", {}) if p not in ("bodyStructure",)]]
    get_args = {"accountId": mail.account_id, "ids": [email_id], "properties": list(dict.fromkeys(properties)),
                "bodyProperties": g["bodyProperties"], "fetchAllBodyValues": True}
    if g.get("maxBodyValueBytes"):
        get_args["maxBodyValueBytes"] = g["maxBodyValueBytes"]
    responses = mail.request([
        ["Email/get", get_args, "golden"],
        ["Email/get", {"accountId": mail.account_id, "ids": [email_id],
                       "properties": ["bodyStructure", "attachments"], "bodyProperties": DEFAULT_BODY}, "parts"],
    ])
    assert [r[0] for r in responses] == ["Email/get", "Email/get"], responses
    email = responses[0][1]["list"][0]
    full = responses[1][1]["list"][0]

    assert comparable(email["bodyStructure"]) == without_blob_ids(g["bodyStructure"])
    for key in ("textBody", "htmlBody", "attachments"):
        if key in g:
            assert [p["partId"] for p in email[key]] == g[key], key
            assert all(set(p) == set(g["bodyProperties"]) for p in email[key]), key
    for name, want in g.get("properties", {}).items():
        assert email.get(name) == want, name
    for pid, want in g.get("bodyValues", {}).items():
        have = email["bodyValues"][pid]
        if "value" in want:
            assert have["value"] == want["value"], pid
        if "valuePrefix" in want:
            assert have["value"].startswith(want["valuePrefix"]), pid
        if "valueContains" in want:
            assert want["valueContains"] in have["value"], pid
        for flag in ("isEncodingProblem", "isTruncated"):
            if flag in want:
                assert have[flag] is want[flag], (pid, flag)
    if g.get("maxBodyValueBytes"):
        assert all(len(v["value"].encode("utf-8")) <= g["maxBodyValueBytes"] for v in email["bodyValues"].values())

    # Part blobs: every attachment, plus every leaf the golden file describes the content of.
    parts = {p["partId"]: p for p in leaves(full["bodyStructure"])}
    to_download = [p["partId"] for p in full["attachments"]] + list(g.get("partContent", {}))
    for pid in dict.fromkeys(to_download):
        part = parts[pid]
        r = mail.download(part["blobId"], part["name"] or "part", part["type"])
        assert r.status_code == 200, pid
        assert len(r.content) == part["size"], pid
        assert r.headers["content-type"].split(";")[0].strip() == part["type"], pid
        if part["name"] is not None:
            assert filename(r.headers["content-disposition"]) == part["name"], pid
        want = g.get("partContent", {}).get(pid)
        if want is None:
            continue
        assert (part["type"], part["name"]) == (want["type"], want["name"]), pid
        if "size" in want:
            assert len(r.content) == want["size"], pid
        if "prefix" in want:
            assert r.content.startswith(want["prefix"].encode("utf-8")), pid
        if "suffix" in want:
            assert r.content.endswith(want["suffix"].encode("utf-8")), pid
        if "sha256" in want:
            assert hashlib.sha256(r.content).hexdigest() == want["sha256"], pid
