"""`jmapd index rebuild`: the index can always be rebuilt from the stored messages (RFC 8621 §4.4.1
text conditions keep working afterwards)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from jmapd.protocol.capabilities import CORE, MAIL
from jmapd.testing import LiveServer

JMAPD = str(Path(sys.executable).with_name("jmapd"))


def query(server: LiveServer, account_id: str, text: str) -> list[str]:
    body = {"using": [CORE, MAIL], "methodCalls": [["Email/query", {"accountId": account_id,
                                                                    "filter": {"text": text}}, "q"]]}
    r = httpx.post(server.url + "/jmap/api/", json=body, auth=("r", "pw"), timeout=30)
    return r.json()["methodResponses"][0][1]["ids"]


def test_rebuild_restores_search(tmp_path):
    with LiveServer(data=str(tmp_path)) as server:
        user = server.add_user("r", "pw")
        inbox = next(m["id"] for m in httpx.post(server.url + "/jmap/api/", auth=("r", "pw"), json={
            "using": [CORE, MAIL], "methodCalls": [["Mailbox/get", {"accountId": user.account_id}, "m"]]}
        ).json()["methodResponses"][0][1]["list"] if m["role"] == "inbox")
        emails = {}
        for n, word in enumerate(("aardvark", "bumblebee", "aardvark")):
            raw = f"From: x@example.test\r\nSubject: note {n}\r\n\r\nabout the {word}\r\n".encode()
            blob = httpx.post(f"{server.url}/jmap/upload/{user.account_id}/", content=raw, auth=("r", "pw")).json()
            emails[str(n)] = {"blobId": blob["blobId"], "mailboxIds": {inbox: True}}
        httpx.post(server.url + "/jmap/api/", auth=("r", "pw"), json={"using": [CORE, MAIL], "methodCalls": [
            ["Email/import", {"accountId": user.account_id, "emails": emails}, "i"]]})
        before = sorted(query(server, user.account_id, "aardvark"))
        assert len(before) == 2
    done = subprocess.run([JMAPD, "index", "rebuild", "--data", str(tmp_path)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "indexed 3 emails" in done.stdout
    with LiveServer(data=str(tmp_path)) as server:
        assert sorted(query(server, user.account_id, "aardvark")) == before
        assert len(query(server, user.account_id, "bumblebee")) == 1
