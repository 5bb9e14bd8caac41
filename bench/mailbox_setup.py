"""Loading a generated dataset into a running JMAP server over JMAP: folders, uploads, imports.

Server-neutral (plain RFC 8620/8621 calls), so the same loader serves jmapd and other servers.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

USING = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]
ROLES = {"Inbox": "inbox", "Drafts": "drafts", "Sent": "sent", "Archive": "archive", "Junk": "junk",
         "Trash": "trash"}


class JmapSession:
    def __init__(self, session_url: str, user: str, password: str):
        self.http = httpx.Client(auth=(user, password), timeout=120, follow_redirects=True)
        self.session = self.http.get(session_url).raise_for_status().json()
        self.account_id = self.session["primaryAccounts"]["urn:ietf:params:jmap:mail"]
        self.api_url = self.session["apiUrl"]
        self.auth = (user, password)

    def call(self, calls: list[list[Any]]) -> list[list[Any]]:
        r = self.http.post(self.api_url, json={"using": USING, "methodCalls": calls})
        r.raise_for_status()
        return r.json()["methodResponses"]

    def upload_url(self) -> str:
        return self.session["uploadUrl"].replace("{accountId}", self.account_id)


def ensure_folders(jmap: JmapSession, folders: set[str]) -> dict[str, str]:
    """Mailbox ids by folder path ("Lists/dev"), creating what is missing, parents first."""
    existing = jmap.call([["Mailbox/get", {"accountId": jmap.account_id, "ids": None}, "0"]])[0][1]["list"]
    by_role = {m["role"]: m["id"] for m in existing if m["role"]}
    by_path: dict[str, str] = {}
    by_id = {m["id"]: m for m in existing}
    for m in existing:
        path, parent = m["name"], m["parentId"]
        while parent:
            path = by_id[parent]["name"] + "/" + path
            parent = by_id[parent]["parentId"]
        by_path[path] = m["id"]
    for folder in sorted(folders, key=lambda f: f.count("/")):
        role = ROLES.get(folder)
        if role in by_role:
            by_path[folder] = by_role[role]
            continue
        if folder in by_path:
            continue
        parent_path, _, name = folder.rpartition("/")
        parent = by_path.get(parent_path) if parent_path else None
        if parent_path and parent is None:
            by_path.update(ensure_folders(jmap, {parent_path}))
            parent = by_path[parent_path]
        created = jmap.call([["Mailbox/set", {"accountId": jmap.account_id, "create": {
            "f": {"name": name, "parentId": parent}}}, "0"]])[0][1]["created"]["f"]["id"]
        by_path[folder] = created
    return by_path


async def _upload_all(url: str, auth, raws: list[bytes], concurrency: int) -> list[str]:
    ids: list[str | None] = [None] * len(raws)
    queue = list(range(len(raws)))
    async with httpx.AsyncClient(auth=auth, timeout=120) as client:
        async def worker():
            while queue:
                i = queue.pop()
                r = await client.post(url, content=raws[i], headers={"content-type": "message/rfc822"})
                r.raise_for_status()
                ids[i] = r.json()["blobId"]
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return ids  # type: ignore[return-value]


def upload_all(jmap: JmapSession, raws: list[bytes], concurrency: int = 4) -> tuple[list[str], float]:
    """Upload concurrently, within the server's advertised maxConcurrentUpload (RFC 8620 §2)."""
    limit = jmap.session["capabilities"]["urn:ietf:params:jmap:core"].get("maxConcurrentUpload", 1)
    concurrency = max(1, min(concurrency, limit))
    start = time.perf_counter()
    ids = asyncio.run(_upload_all(jmap.upload_url(), jmap.auth, raws, concurrency))
    return ids, time.perf_counter() - start


def import_all(jmap: JmapSession, items: list[dict[str, Any]], batch: int = 100,
               concurrency: int = 2) -> tuple[list[str], float, list]:
    """Email/import in batches, `concurrency` requests in flight (as a migration tool would keep the
    server busy while a response travels back); returns the new ids in item order, the seconds
    spent, and any notCreated errors."""
    limit = jmap.session["capabilities"]["urn:ietf:params:jmap:core"].get("maxConcurrentRequests", 1)
    chunks = [{str(j): item for j, item in enumerate(items[i:i + batch])} for i in range(0, len(items), batch)]

    def one(chunk: dict[str, Any]) -> dict[str, Any]:
        return jmap.call([["Email/import", {"accountId": jmap.account_id, "emails": chunk}, "0"]])[0][1]

    start = time.perf_counter()
    with ThreadPoolExecutor(max(1, min(concurrency, limit))) as pool:
        results = list(pool.map(one, chunks))
    elapsed = time.perf_counter() - start
    ids: list[str] = []
    errors: list = []
    for chunk, result in zip(chunks, results):
        created = result.get("created") or {}
        errors += list((result.get("notCreated") or {}).values())
        ids += [created[k]["id"] for k in chunk if k in created]
    return ids, elapsed, errors
