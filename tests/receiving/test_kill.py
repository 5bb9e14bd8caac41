"""A kill -9 during a burst of LMTP deliveries to a real `jmapd serve` process: every message that
got its 250 is there after a restart, and none is stored twice, even when the MTA sends again
what it did not see acknowledged (RFC 5321 §6.1: the server is responsible once it said 250)."""

from __future__ import annotations

import collections
import os
import signal
import smtplib
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from jmapd.testing import free_port, wait_until_answering

from .conftest import message

JMAPD = str(Path(sys.executable).with_name("jmapd"))


def serve(data: Path, http_port: int, lmtp_port: int) -> subprocess.Popen:
    process = subprocess.Popen([JMAPD, "serve", "--data", str(data), "--port", str(http_port),
                                "--lmtp", f"127.0.0.1:{lmtp_port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until_answering(f"http://127.0.0.1:{http_port}/.well-known/jmap", timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            smtplib.LMTP("127.0.0.1", lmtp_port).close()
            break
        except OSError:
            time.sleep(0.05)
    return process


def sender(port: int, numbers, acknowledged: list, stop: threading.Event) -> None:
    """An MTA's delivery loop: one message after another on one connection until it breaks."""
    try:
        with smtplib.LMTP("127.0.0.1", port, timeout=10) as client:
            client.ehlo("mta.example.test")
            for n in numbers:
                if stop.is_set():
                    return
                client.mail("bob@sender.test")
                client.rcpt("alice@example.test")
                code, _ = client.data(message(f"burst {n}", message_id=f"<burst{n}@sender.test>"))
                if code == 250:
                    acknowledged.append(n)
    except (OSError, smtplib.SMTPException):
        return


def stored_numbers(http_port: int) -> collections.Counter:
    with httpx.Client(base_url=f"http://127.0.0.1:{http_port}", auth=("alice", "alice-pw"), timeout=30) as http:
        session = http.get("/jmap/session").json()
        account = session["primaryAccounts"]["urn:ietf:params:jmap:mail"]
        calls = [["Email/query", {"accountId": account, "limit": 1000}, "q"],
                 ["Email/get", {"accountId": account, "#ids": {"resultOf": "q", "name": "Email/query", "path": "/ids"},
                                "properties": ["messageId"]}, "g"]]
        body = {"using": ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"], "methodCalls": calls}
        listed = http.post(session["apiUrl"], json=body).json()["methodResponses"][1][1]["list"]
    return collections.Counter(int(e["messageId"][0][len("burst"):].split("@")[0]) for e in listed)


def test_kill_during_burst_loses_and_duplicates_nothing(tmp_path):
    """Acknowledged mail survives kill -9; a resend of everything is never a second copy."""
    data = tmp_path / "data"
    subprocess.run([JMAPD, "user", "add", "alice", "--password", "alice-pw", "--email", "alice@example.test",
                    "--data", str(data)], check=True, capture_output=True)
    http_port, lmtp_port = free_port(), free_port()
    process = serve(data, http_port, lmtp_port)
    acknowledged: list[int] = []
    stop = threading.Event()
    threads = [threading.Thread(target=sender, args=(lmtp_port, range(k, 10_000, 4), acknowledged, stop))
               for k in range(4)]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 20
        while len(acknowledged) < 60 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        if process.poll() is None:
            process.kill()
    assert len(acknowledged) >= 60
    process = serve(data, http_port, lmtp_port)
    try:
        after_crash = stored_numbers(http_port)
        assert set(acknowledged) <= set(after_crash)
        assert max(after_crash.values()) == 1
        # The MTA sends again everything it sent, acknowledged or not: nothing is stored twice.
        attempted = range(max(after_crash) + 8)
        resend_stop = threading.Event()
        sender(lmtp_port, attempted, [], resend_stop)
        after_resend = stored_numbers(http_port)
        assert set(after_resend) == set(attempted)
        assert max(after_resend.values()) == 1
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
