"""Writing a dataset to disk: .eml files or per-folder mbox, plus manifests.

Messages are streamed: each is written and dropped before the next is made.
manifest.json is written last, through a rename, so its presence tells a
loader that the dataset is complete.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import BinaryIO

import msgspec

from .generator import GENERATOR_ID, DatasetGenerator
from .headers import asctime_utc, parse_rfc3339
from .model import FolderSummary, ManifestEntry, MarkerSummary, SeedMessage, SeedOptions, SeedSummary
from .plan import FOLDERS
from .text import MARKERS

FORMATS = ("eml", "mbox")


class Tally:
    """Counts for manifest.json, gathered as messages stream past."""

    def __init__(self) -> None:
        self.folders: dict[str, int] = {name: 0 for name, _ in FOLDERS}
        self.keywords: dict[str, int] = {}
        self.markers: dict[str, dict[str, int]] = {w: {} for w, _ in MARKERS}
        self.total_bytes = 0
        self.count = 0
        self.first = ""
        self.last = ""

    def add(self, msg: SeedMessage) -> None:
        self.count += 1
        self.total_bytes += len(msg.raw)
        self.folders[msg.folder] = self.folders.get(msg.folder, 0) + 1
        for k in msg.keywords:
            self.keywords[k] = self.keywords.get(k, 0) + 1
        for w in msg.markers:
            by = self.markers[w]
            by[msg.folder] = by.get(msg.folder, 0) + 1
        if not self.first:
            self.first = msg.received_at
        self.last = msg.received_at

    def summary(self, gen: DatasetGenerator, fmt: str) -> SeedSummary:
        roles = dict(FOLDERS)
        order = [name for name, _ in FOLDERS]
        return SeedSummary(
            generator=GENERATOR_ID,
            seed=gen.seed,
            count=self.count,
            format=fmt,
            options=gen.options,
            folders=[FolderSummary(name, roles.get(name), n) for name, n in self.folders.items()],
            keywords={k: self.keywords[k] for k in sorted(self.keywords)},
            threads=gen.threads,
            orphan_replies=gen.orphans,
            total_bytes=self.total_bytes,
            first_received_at=self.first,
            last_received_at=self.last,
            markers=[
                MarkerSummary(
                    word,
                    rate,
                    sum(self.markers[word].values()),
                    {f: self.markers[word][f] for f in order if f in self.markers[word]},
                )
                for word, rate in MARKERS
            ],
        )


class EmlWriter:
    """One file per message, 1,000 to a directory so no directory gets huge."""

    def __init__(self, root: Path):
        self.root = root

    def write(self, index: int, msg: SeedMessage) -> str:
        shard = f"messages/{index // 1000:05d}"
        if index % 1000 == 0:
            (self.root / shard).mkdir(parents=True, exist_ok=True)
        rel = f"{shard}/{index:08d}.eml"
        with open(self.root / rel, "wb") as f:
            f.write(msg.raw)
        return rel

    def close(self) -> None:
        pass


_FROM_LINE = re.compile(rb"^(>*From )", re.MULTILINE)
_FROM_HEADER = re.compile(rb"\nFrom:([^\n]*(?:\n[ \t][^\n]*)*)", re.IGNORECASE)
_ANGLE = re.compile(rb"<([^<>\s]+@[^<>\s]+)>")
_BARE = re.compile(rb"([^\s<>,;:\"]+@[^\s<>,;:\"]+)")


def mboxrd_escape(data: bytes) -> bytes:
    """Prefix '>' to every line matching ^>*From (mboxrd, RFC 4155 appendix).

    Unlike the older mboxo rule this is reversible: a reader strips one '>'
    from every such line and gets the message back byte for byte.
    """
    if b"From " not in data:
        return data
    return _FROM_LINE.sub(rb">\1", data)


def envelope_sender(lf_message: bytes) -> str:
    """The address for the From_ separator line, taken from the From field."""
    head = lf_message.split(b"\n\n", 1)[0]
    m = _FROM_HEADER.search(b"\n" + head)
    if m:
        value = m.group(1)
        a = _ANGLE.search(value) or _BARE.search(value)
        if a:
            return a.group(1).decode("ascii", "replace")
    return "MAILER-DAEMON"


class MboxWriter:
    """One mboxrd file per folder (RFC 4155), LF line endings as Unix mbox uses.

    Folder names containing '/' become subdirectories ("Lists/dev" is
    mbox/Lists/dev.mbox), the layout most mbox importers map to a hierarchy.
    """

    def __init__(self, root: Path):
        self.root = root
        self.files: dict[str, BinaryIO] = {}

    def _file(self, folder: str) -> tuple[str, BinaryIO]:
        rel = f"mbox/{folder}.mbox"
        f = self.files.get(folder)
        if f is None:
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            f = open(path, "wb")
            self.files[folder] = f
        return rel, f

    def write(self, index: int, msg: SeedMessage) -> str:
        rel, f = self._file(msg.folder)
        data = mboxrd_escape(msg.raw.replace(b"\r\n", b"\n"))
        sep = f"From {envelope_sender(data)} {asctime_utc(parse_rfc3339(msg.received_at))}\n"
        f.write(sep.encode("ascii"))
        f.write(data)
        if not data.endswith(b"\n"):
            f.write(b"\n")
        f.write(b"\n")
        return rel

    def close(self) -> None:
        for f in self.files.values():
            f.close()
        self.files.clear()


def write_dataset(
    out_dir: str | os.PathLike[str],
    seed: int,
    count: int,
    fmt: str = "eml",
    options: SeedOptions | None = None,
) -> SeedSummary:
    """Generate and write a dataset; returns what manifest.json records.

    ``out_dir`` must be empty or absent: mixing two datasets in one directory
    would leave files no manifest describes.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
    root = Path(out_dir)
    if root.exists() and any(root.iterdir()):
        raise FileExistsError(f"{root} is not empty")
    root.mkdir(parents=True, exist_ok=True)
    gen = DatasetGenerator(seed, count, options or SeedOptions())
    writer = EmlWriter(root) if fmt == "eml" else MboxWriter(root)
    tally = Tally()
    encode = msgspec.json.Encoder().encode
    try:
        with open(root / "manifest.jsonl", "wb") as manifest:
            for index, msg in enumerate(gen.messages()):
                rel = writer.write(index, msg)
                entry = ManifestEntry(
                    rel, msg.folder, msg.keywords, msg.received_at, msg.message_id, msg.thread_key, len(msg.raw)
                )
                manifest.write(encode(entry) + b"\n")
                tally.add(msg)
    finally:
        writer.close()
    summary = tally.summary(gen, fmt)
    tmp = root / "manifest.json.tmp"
    tmp.write_bytes(msgspec.json.format(msgspec.json.encode(summary), indent=2) + b"\n")
    tmp.replace(root / "manifest.json")
    return summary
