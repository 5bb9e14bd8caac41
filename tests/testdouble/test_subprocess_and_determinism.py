"""`jmapd serve --ephemeral` from any language: one line of JSON, then a server that leaves nothing
behind; and a deterministic server whose answers repeat byte for byte (RFC 8620 §3.4 responses)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from jmapd.testing import Server

JMAPD = str(Path(sys.executable).with_name("jmapd"))
USING = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]


def start(*flags: str, tmp: Path) -> tuple[subprocess.Popen, dict]:
    proc = subprocess.Popen([JMAPD, "serve", "--ephemeral", *flags], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "TMPDIR": str(tmp)})
    line = proc.stdout.readline()
    if not line:
        proc.wait(timeout=10)
        pytest.fail(f"no JSON line; stderr: {proc.stderr.read()}")
    return proc, json.loads(line)


def test_one_json_line_then_a_clean_exit(tmp_path):
    proc, info = start("--users", "alice,bob", "--seed", "demo", tmp=tmp_path)
    try:
        assert set(info) == {"sessionUrl", "apiUrl", "users", "adminUrl", "adminToken", "pid"}
        assert info["pid"] == proc.pid
        assert [u["username"] for u in info["users"]] == ["alice", "bob"]
        alice = info["users"][0]
        session = httpx.get(info["sessionUrl"], auth=(alice["username"], alice["password"]),
                            follow_redirects=True).json()
        assert alice["accountId"] in session["accounts"] and session["apiUrl"] == info["apiUrl"]
        folders = list(tmp_path.iterdir())
        assert len(folders) == 1 and folders[0].stat().st_mode & 0o777 == 0o700
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    assert not list(tmp_path.iterdir())  # the data folder went with the server
    assert proc.stdout.read() == ""  # exactly one line


def test_open_auth_accepts_any_password_on_loopback_only(tmp_path):
    proc, info = start("--open-auth", tmp=tmp_path)
    try:
        ok = httpx.get(info["sessionUrl"], auth=("alice", "anything at all"), follow_redirects=True)
        assert ok.status_code == 200
        assert httpx.get(info["sessionUrl"], auth=("mallory", "x"), follow_redirects=True).status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    refused = subprocess.run([JMAPD, "serve", "--ephemeral", "--open-auth", "--host", "0.0.0.0"],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "loopback" in refused.stderr and refused.stdout == ""


@pytest.mark.parametrize("content, where", [
    ('{"emails": [{"subject": "ok"}, {"subject": 5}]}', "$.emails[1].subject"),
    ('{"emails": [{"subject": "x",]}', "byte 28"),
    ('{"emails": [{"receivedAt": "yesterday"}]}', "$.emails[0].receivedAt"),
])
def test_a_bad_seed_names_the_file_and_the_place(tmp_path, content, where):
    seed = tmp_path / "seed.json"
    seed.write_text(content)
    run = subprocess.run([JMAPD, "serve", "--ephemeral", "--seed", str(seed)], capture_output=True, text=True,
                         timeout=60, env={**os.environ, "TMPDIR": str(tmp_path)})
    assert run.returncode == 2 and str(seed) in run.stderr and where in run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""
    assert [p.name for p in tmp_path.iterdir()] == ["seed.json"]  # nothing half-seeded left behind


def session(server: Server) -> list[bytes]:
    """A client's session with everything a server makes up: ids, states, receivedAt, Message-IDs."""
    user = server.options.users[0]
    account = server.account_id(user)
    answers = []
    with httpx.Client(auth=server.credentials(user)) as client:
        def call(*calls):
            body = {"using": USING, "methodCalls": [[n, {"accountId": account, **a}, str(i)]
                                                    for i, (n, a) in enumerate(calls)]}
            response = client.post(server.api_url, json=body)
            answers.append(response.content)
            return response.json()["methodResponses"]

        boxes = call(("Mailbox/get", {"ids": None}))[0][1]["list"]
        inbox = next(m["id"] for m in boxes if m["role"] == "inbox")
        call(("Mailbox/set", {"create": {"p": {"name": "Projects"}}}))
        created = call(("Email/set", {"create": {"d": {
            "mailboxIds": {inbox: True}, "subject": "Plans", "from": [{"email": f"{user}@example.test"}],
            "bodyValues": {"b": {"value": "Hello"}}, "textBody": [{"partId": "b", "type": "text/plain"}]}}}))
        email = created[0][1]["created"]["d"]["id"]
        call(("Email/get", {"ids": [email], "properties": ["messageId", "receivedAt", "sentAt", "blobId",
                                                              "threadId", "keywords"]}),
             ("Email/query", {"filter": {"inMailbox": inbox}, "limit": 5}),
             ("Email/changes", {"sinceState": "0"}))
        server.deliver(user, b"From: a@example.org\r\nSubject: later\r\n\r\nx\r\n")
        call(("Email/query", {"filter": {"inMailbox": inbox}, "limit": 5}),
             ("Email/get", {"ids": None, "properties": ["receivedAt", "subject"]}))
    return answers


def test_deterministic_runs_answer_byte_for_byte():
    with Server(users=["alice"], seed="demo", deterministic=True) as first:
        one = session(first)
    with Server(users=["alice"], seed="demo", deterministic=True) as second:
        two = session(second)
    assert one == two
    with Server(users=["alice"], seed="demo") as wall_clock:
        assert session(wall_clock) != one  # the wall clock and random Message-IDs differ
