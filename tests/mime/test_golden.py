"""Golden expectations for real corpus messages, written by reading each message against
RFC 8621 §4.1 (and RFC 2045/2046/2047/2231, RFC 5322), not by recording parser output.

Each tests/mime/golden/<source>__<file>.json names its corpus file and says why it was
chosen. Keys: bodyProperties + bodyStructure (sizes are compared for leaves only; a
multipart has no blob, so its size is not specified by the RFC), textBody/htmlBody/
attachments as partId lists, properties (Email properties by name, RFC 8621 §4.1.3),
bodyValues (exact "value" or "valuePrefix", isEncodingProblem, isTruncated;
optional maxBodyValueBytes) and partContent (decoded octets of a leaf: type, name,
size, and text prefix/suffix).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jmapd.mime import parse_message

GOLDEN = Path(__file__).parent / "golden"
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpus")
CASES = sorted(GOLDEN.glob("*.json"))


def _strip_multipart_size(part: dict) -> dict:
    part = dict(part)
    if part.get("subParts") is not None:
        part.pop("size", None)
        part["subParts"] = [_strip_multipart_size(c) for c in part["subParts"]]
    return part


def test_enough_golden_cases():
    """At least 30 varied corpus messages have hand-written expectations."""
    assert len(CASES) >= 30


@pytest.mark.skipif(not CORPUS.is_dir(), reason="mail corpus not available")
@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_golden(case):
    """RFC 8621 §4.1.2-§4.1.4 on real mail: see each golden file's "why"."""
    g = json.loads(case.read_text("utf-8"))
    raw = (CORPUS / g["file"]).read_bytes()
    msg = parse_message(raw, "G")

    if "bodyStructure" in g:
        got = _strip_multipart_size(msg.body_structure(g["bodyProperties"]))
        assert got == g["bodyStructure"]
    for key, fn in (("textBody", msg.text_body), ("htmlBody", msg.html_body), ("attachments", msg.attachments)):
        if key in g:
            assert [p["partId"] for p in fn(["partId"])] == g[key], key
    if "properties" in g:
        got = msg.properties(list(g["properties"]))
        for name, want in g["properties"].items():
            if name == "preview":
                assert got[name] == want, name
            else:
                assert got.get(name) == want, name
    if "bodyValues" in g:
        values = msg.body_values(list(g["bodyValues"]), g.get("maxBodyValueBytes"))
        for pid, want in g["bodyValues"].items():
            have = values[pid]
            if "value" in want:
                assert have["value"] == want["value"], pid
            if "valuePrefix" in want:
                assert have["value"].startswith(want["valuePrefix"]), pid
            if "valueContains" in want:
                assert want["valueContains"] in have["value"], pid
            for flag in ("isEncodingProblem", "isTruncated"):
                if flag in want:
                    assert have[flag] is want[flag], (pid, flag)
    for pid, want in g.get("partContent", {}).items():
        data, ctype, name = msg.part_content(pid)
        assert ctype == want["type"] and name == want["name"], pid
        if "size" in want:
            assert len(data) == want["size"], pid
        if "prefix" in want:
            assert data.startswith(want["prefix"].encode("utf-8")), pid
        if "suffix" in want:
            assert data.endswith(want["suffix"].encode("utf-8")), pid
        if "sha256" in want:
            import hashlib

            assert hashlib.sha256(data).hexdigest() == want["sha256"], pid
