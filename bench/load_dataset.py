"""Load a `jmapd seed --format eml` dataset into a running server, then wait until search finds it.

    .venv/bin/python bench/load_dataset.py DATASET --method jmap --session-url URL --user U --password P
    .venv/bin/python bench/load_dataset.py DATASET --method imap --imap-port 11143 --session-url URL ...

Each server is loaded the way it takes mail fastest: jmapd over JMAP (upload + Email/import, see
mailbox_setup.py), Cyrus over IMAP MULTIAPPEND (imap_load.py). Either way every message keeps its
folder, keywords and receivedAt from manifest.jsonl.

Both servers index text in the background, so a search benchmark started right after loading would
measure an index still filling up. The wait is server-neutral: Email/query for the dataset's most
common marker word (manifest.json records exactly how many messages contain it) until the server
finds them all.

Prints one JSON object: messages, MB, load seconds and messages/s, and the same including the index
catching up.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from urllib.parse import urljoin

import imap_load
from mailbox_setup import JmapSession, ensure_folders, import_all, upload_all

CHUNK = 1000  # messages held in memory at once while loading over JMAP


def read_dataset(root: Path) -> tuple[list[imap_load.Message], dict]:
    """The messages of manifest.jsonl, in order, and manifest.json (folders with roles, marker counts)."""
    summary_path = root / "manifest.json"
    if not summary_path.is_file():
        sys.exit(f"{root}: no manifest.json (not a finished `jmapd seed` dataset)")
    summary = json.loads(summary_path.read_text())
    if summary.get("format") != "eml":
        sys.exit(f"{root}: format {summary.get('format')!r}; load_dataset.py needs --format eml")
    messages = []
    with open(root / "manifest.jsonl", "rb") as f:
        for line in f:
            entry = json.loads(line)
            messages.append(imap_load.Message(root / entry["file"], entry["folder"], entry["keywords"],
                                              entry["receivedAt"], entry["size"]))
    return messages, summary


def open_session(url: str, user: str, password: str) -> JmapSession:
    """A JmapSession whose apiUrl is absolute: RFC 8620 lets a server give it relative to the Session URL."""
    jmap = JmapSession(url, user, password)
    jmap.api_url = urljoin(url, jmap.api_url)
    return jmap


def load_jmap(jmap: JmapSession, messages: list[imap_load.Message], roles: dict[str, str | None]) -> float:
    """Upload + Email/import in chunks (the dataset may not fit in memory); returns the seconds spent."""
    start = time.perf_counter()
    folders = ensure_folders(jmap, set(roles))
    for i in range(0, len(messages), CHUNK):
        chunk = messages[i:i + CHUNK]
        blob_ids, _ = upload_all(jmap, [m.path.read_bytes() for m in chunk])
        items = [{"blobId": b, "mailboxIds": {folders[m.folder]: True},
                  "keywords": dict.fromkeys(m.keywords, True), "receivedAt": m.received_at}
                 for b, m in zip(blob_ids, chunk)]
        ids, _, errors = import_all(jmap, items)
        if errors or len(ids) != len(chunk):
            sys.exit(f"Email/import failed for {len(chunk) - len(ids)} messages: {errors[:3]}")
    return time.perf_counter() - start


def wait_indexed(jmap: JmapSession, word: str, expected: int, timeout: float) -> tuple[float, int]:
    """Seconds until a text search for `word` finds `expected` messages, and how many it found last."""
    start = time.perf_counter()
    found = -1
    while True:
        response = jmap.call([["Email/query", {"accountId": jmap.account_id, "filter": {"text": word},
                                               "calculateTotal": True, "limit": 1}, "s"]])[0]
        if response[0] == "Email/query":
            found = response[1].get("total", 0)
        if found >= expected or time.perf_counter() - start > timeout:
            return time.perf_counter() - start, found
        time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--method", choices=["jmap", "imap"], required=True)
    parser.add_argument("--session-url", required=True, help="JMAP Session URL (also used to wait for the index)")
    parser.add_argument("--user", default="bench")
    parser.add_argument("--password", default="bench")
    parser.add_argument("--imap-host", default="127.0.0.1")
    parser.add_argument("--imap-port", type=int, default=143)
    parser.add_argument("--imap-connections", type=int, default=4)
    parser.add_argument("--index-timeout", type=float, default=3600, help="seconds to wait for search (default 3600)")
    args = parser.parse_args()

    messages, summary = read_dataset(args.dataset)
    roles = {f["name"]: f["role"] for f in summary["folders"]}  # empty ones too: same mailbox list on both
    total_bytes = sum(m.size for m in messages)
    jmap = open_session(args.session_url, args.user, args.password)
    if args.method == "jmap":
        load_s = load_jmap(jmap, messages, roles)
    else:
        load_s = imap_load.load(args.imap_host, args.imap_port, args.user, args.password, messages, roles,
                                connections=args.imap_connections)
    marker = max(summary["markers"], key=lambda m: m["messages"])
    index_s, found = wait_indexed(jmap, marker["word"], marker["messages"], args.index_timeout)
    print(json.dumps({
        "method": args.method, "messages": len(messages), "mb": round(total_bytes / 1e6, 1),
        "load_s": round(load_s, 2), "load_msgs_per_s": round(len(messages) / load_s, 1),
        "load_mb_per_s": round(total_bytes / 1e6 / load_s, 1),
        "index_wait_s": round(index_s, 2), "indexed_msgs_per_s": round(len(messages) / (load_s + index_s), 1),
        "search_word": marker["word"], "search_expected": marker["messages"], "search_found": found,
    }))


if __name__ == "__main__":
    main()
