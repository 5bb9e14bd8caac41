"""On-disk formats: .eml directory, per-folder mbox, manifests and the CLI.

Other servers' importers read these files, so each format is read back with an
independent reader (plain file reads, Python's ``mailbox``) and compared with
the in-memory messages.
"""

from __future__ import annotations

import json
import mailbox
import re
from collections import Counter, defaultdict

import msgspec
import pytest

from jmapd.seed import ManifestEntry, SeedOptions, SeedSummary, iter_messages, main, write_dataset
from jmapd.seed.writers import envelope_sender, mboxrd_escape

OPTS = SeedOptions(max_attachment_bytes=2048)
COUNT = 400
SEED = 31


def _manifest(root) -> list[ManifestEntry]:
    lines = (root / "manifest.jsonl").read_bytes().splitlines()
    return [msgspec.json.decode(line, type=ManifestEntry) for line in lines]


@pytest.fixture(scope="module")
def messages():
    return list(iter_messages(SEED, COUNT, OPTS))


def test_eml_files_match_manifest(tmp_path, messages):
    """Guards the eml layout: one CRLF file per manifest line, and each line describes its file."""
    summary = write_dataset(tmp_path, SEED, COUNT, "eml", OPTS)
    entries = _manifest(tmp_path)
    assert len(entries) == COUNT == summary.count
    raw_keys = set(json.loads((tmp_path / "manifest.jsonl").read_text().splitlines()[0]))
    assert raw_keys == {"file", "folder", "keywords", "receivedAt", "messageId", "threadKey", "size"}
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.eml"))
    assert files == sorted(e.file for e in entries)
    for e, m in zip(entries, messages):
        data = (tmp_path / e.file).read_bytes()
        assert data == m.raw
        assert e.size == len(data)
        assert (e.folder, e.keywords, e.received_at, e.message_id, e.thread_key) == (
            m.folder, m.keywords, m.received_at, m.message_id, m.thread_key,
        )
        mid = re.search(rb"(?im)^Message-ID:\s*<([^>]+)>", data.split(b"\r\n\r\n", 1)[0]).group(1)
        assert mid.decode() == e.message_id


def test_summary_matches_manifest_lines(tmp_path):
    """Guards manifest.json: per-folder and keyword counts add up to the per-message lines."""
    write_dataset(tmp_path, SEED, COUNT, "eml", OPTS)
    summary = msgspec.json.decode((tmp_path / "manifest.json").read_bytes(), type=SeedSummary)
    entries = _manifest(tmp_path)
    folders = Counter(e.folder for e in entries)
    assert {f.name: f.messages for f in summary.folders if f.messages} == dict(folders)
    assert summary.keywords == dict(sorted(Counter(k for e in entries for k in e.keywords).items()))
    assert summary.total_bytes == sum(e.size for e in entries)
    assert summary.options == OPTS and summary.seed == SEED and summary.count == COUNT
    roles = {f.name: f.role for f in summary.folders}
    assert roles["Inbox"] == "inbox" and roles["Junk"] == "junk" and roles["Lists/dev"] is None
    assert [m.word for m in summary.markers] and all(m.messages >= 0 for m in summary.markers)


def test_mbox_round_trips_through_python_mailbox(tmp_path, messages):
    """Guards RFC 4155 mbox output: Python's mailbox splits it back into the same messages.

    mboxrd quoting must be undone by removing one '>' from lines matching
    ^>+From ; the result, with CRLF restored, must equal the original bytes.
    """
    write_dataset(tmp_path, SEED, COUNT, "mbox", OPTS)
    entries = _manifest(tmp_path)
    by_file = defaultdict(list)
    for e, m in zip(entries, messages):
        assert e.file == f"mbox/{e.folder}.mbox"
        by_file[e.file].append(m)
    quoted = 0
    for rel, expected in by_file.items():
        box = mailbox.mbox(tmp_path / rel, create=False)
        try:
            got = [box.get_bytes(k) for k in box.keys()]
        finally:
            box.close()
        assert len(got) == len(expected), rel
        for data, m in zip(got, expected):
            quoted += len(re.findall(rb"(?m)^>+From ", data))
            unquoted = re.sub(rb"(?m)^>(>*From )", rb"\1", data)
            assert unquoted.replace(b"\n", b"\r\n") == m.raw
    assert quoted >= 1, "no message exercised mboxrd quoting"


def test_mboxrd_escape_is_reversible():
    """Guards the mboxrd rule itself on the awkward cases (RFC 4155 appendix)."""
    src = b"Subject: x\n\nFrom here\n>From there\n>>From far\n From not\nFromage\n"
    out = mboxrd_escape(src)
    assert out == b"Subject: x\n\n>From here\n>>From there\n>>>From far\n From not\nFromage\n"
    assert re.sub(rb"(?m)^>(>*From )", rb"\1", out) == src
    assert envelope_sender(b"From: =?UTF-8?B?0JjQstCw0L0=?=\n <ivan@example.org>\nTo: x\n\nbody") == "ivan@example.org"


def test_refuses_non_empty_directory(tmp_path):
    """Guards against mixing two datasets in one directory."""
    (tmp_path / "stray.txt").write_text("x")
    with pytest.raises(FileExistsError):
        write_dataset(tmp_path, 1, 5, "eml", OPTS)
    with pytest.raises(ValueError):
        write_dataset(tmp_path / "new", 1, 5, "maildir", OPTS)


def test_cli(tmp_path, capsys):
    """Guards the `jmapd seed` entry point: arguments reach write_dataset and errors become statuses."""
    out = tmp_path / "ds"
    rc = main(["--out", str(out), "--count", "25", "--seed", "4", "--format", "mbox", "--max-attachment-bytes", "512"])
    assert rc == 0
    summary = json.loads((out / "manifest.json").read_text())
    assert summary["count"] == 25 and summary["seed"] == 4 and summary["format"] == "mbox"
    assert summary["options"]["maxAttachmentBytes"] == 512
    assert "wrote 25 messages" in capsys.readouterr().out
    assert main(["--out", str(out), "--count", "5"]) == 1  # not empty
    assert main(["--out", str(tmp_path / "x"), "--format", "pst"]) == 2
    assert main(["--help"]) == 0
