"""Exactly once across kill -9 and across processes: a real `jmapd serve --relay` killed with
SIGKILL while mail is queued and while a message is being sent, then started again; and two
processes sharing one data folder. RFC 5321 §4.1.1.4 (a message is the relay's once it answered
250 to the end of DATA) and §6.1 (reliable delivery: nothing acknowledged is lost)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from jmapd.config import OutboxConfig
from jmapd.testing import LiveServer, free_port, wait_until_answering

from store import Store

JMAPD = str(Path(sys.executable).with_name("jmapd"))


class Served:
    """`jmapd serve` in its own process, killed for real."""

    def __init__(self, data: Path, relay_port: int):
        self.data = data
        self.relay_port = relay_port
        self.port = free_port()
        self.config = data.parent / "jmapd.toml"
        self.config.write_text("[outbox]\nretry_after = 1\n")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Served":
        self.process = subprocess.Popen(
            [JMAPD, "serve", "--port", str(self.port), "--data", str(self.data), "--config", str(self.config),
             "--relay", f"127.0.0.1:{self.relay_port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until_answering(self.url + "/.well-known/jmap", timeout=30)
        return self

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


def add_user(data: Path, name: str) -> None:
    subprocess.run([JMAPD, "user", "add", name, "--password", "pw-" + name, "--email", f"{name}@example.test",
                    "--data", str(data)], check=True, stdout=subprocess.DEVNULL)


@pytest.fixture
def folder(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    add_user(data, "kim")
    return data


def send(client, kit, subject: str) -> str:
    draft = kit.create_draft(client, to=["far@remote.test"], from_="kim@example.test", subject=subject)
    result = kit.submit(client, draft)
    assert "s" in result["created"], result
    return result["created"]["s"]["id"]


def count(sink, subject: str) -> int:
    return sum(1 for m in list(sink.received) if f"Subject: {subject}\r\n".encode() in m.content)


def test_queued_mail_survives_kill_9(folder, client_type, kit):
    """Accepted submissions survive SIGKILL while the relay is down; after a restart with the relay
    up, each arrives exactly once."""
    relay_port = free_port()
    served = Served(folder, relay_port).start()
    try:
        client = client_type(served.url, "kim", "pw-kim")
        subjects = [f"queued {i}" for i in range(3)]
        for subject in subjects:
            send(client, kit, subject)
        client.close()
        time.sleep(0.3)  # the worker has tried (and failed) at least once
        served.kill()
        sink = kit.Sink()
        sink.port = relay_port
        from aiosmtpd.controller import Controller

        sink.controller = Controller(sink, hostname="127.0.0.1", port=relay_port)
        sink.start()
        try:
            served.start()
            kit.wait_for(lambda: all(count(sink, s) for s in subjects), 20, "every queued message")
            time.sleep(1.5)  # a retry that should not happen would have happened by now
            assert [count(sink, s) for s in subjects] == [1, 1, 1]
        finally:
            sink.stop()
    finally:
        served.stop()


def test_kill_9_while_sending_sends_at_most_once(folder, client_type, kit):
    """SIGKILL after the content went out but before the relay's reply was recorded: the outcome is
    unknown, so that recipient is not sent to again (at most once), and deliveryStatus says so;
    the next message goes normally."""
    sink = kit.Sink().start()
    sink.hold = threading.Event()
    served = Served(folder, sink.port).start()
    try:
        client = client_type(served.url, "kim", "pw-kim")
        first = send(client, kit, "in flight")
        assert sink.data_started.wait(15)
        time.sleep(0.2)  # the content is at the relay, its reply held back
        served.kill()
        sink.hold.set()
        kit.wait_for(lambda: count(sink, "in flight"), 10, "the held message")
        served.start()
        client = client_type(served.url, "kim", "pw-kim")
        send(client, kit, "after restart")
        kit.wait_for(lambda: count(sink, "after restart"), 20, "the next message")
        time.sleep(1.5)
        assert count(sink, "in flight") == 1
        status = kit.wait_for(lambda: (s := kit.submission(client, first))["undoStatus"] == "final" and s,
                              10, "the settled status")
        delivery = status["deliveryStatus"]["far@remote.test"]
        assert delivery["delivered"] == "unknown" and "not sent again" in delivery["smtpReply"]
        client.close()
    finally:
        served.stop()
        sink.stop()


def test_two_processes_never_send_twice(tmp_path, client_type, kit):
    """Two processes on one data folder (as `--workers 2`), both sending: every message arrives once."""
    sink = kit.Sink().start()
    data = tmp_path / "shared"
    try:
        with LiveServer(data=str(data), relay=f"127.0.0.1:{sink.port}", outbox=OutboxConfig(retry_after=1)) as here:
            here.add_user("kim", "pw-kim", "kim@example.test")
            other = Served(data, sink.port).start()
            try:
                clients = [client_type(here.url, "kim", "pw-kim"), client_type(other.url, "kim", "pw-kim")]
                subjects = [f"shared {i}" for i in range(16)]
                for i, subject in enumerate(subjects):
                    send(clients[i % 2], kit, subject)
                kit.wait_for(lambda: all(count(sink, s) for s in subjects), 30, "every message")
                time.sleep(1.5)
                assert [count(sink, s) for s in subjects] == [1] * len(subjects)
                for c in clients:
                    c.close()
            finally:
                other.stop()
    finally:
        sink.stop()


def test_a_lease_keeps_a_second_worker_out(tmp_path):
    """The queue's own rules, on a real store: while one worker holds an entry another cannot take
    it, nor mark its recipients for sending; a recipient is marked at most once."""
    from jmapd.mail.submissions import Address, Envelope, begin_delivery, claim_due, queue_message

    store = Store.open(str(tmp_path))
    try:
        envelope = Envelope(mail_from=Address(email="a@example.test"), rcpt_to=[Address(email="b@remote.test")])
        queued = store.write(lambda txn: queue_message(txn, "acct", b"Subject: x\r\n\r\nhi\r\n", envelope))
        now = int(time.time())
        mine = store.write(lambda txn: claim_due(txn, f"{os.getpid()}:a", now=now, lease=60, limit=10))
        theirs = store.write(lambda txn: claim_due(txn, f"{os.getpid()}:b", now=now, lease=60, limit=10))
        assert [q for q, _ in mine] == [queued.queue_id] and theirs == []
        assert store.write(lambda txn: begin_delivery(txn, queued.queue_id, f"{os.getpid()}:b", ["b@remote.test"],
                                                      now=now, lease=60)) == []
        assert store.write(lambda txn: begin_delivery(txn, queued.queue_id, f"{os.getpid()}:a", ["b@remote.test"],
                                                      now=now, lease=60)) == ["b@remote.test"]
        assert store.write(lambda txn: begin_delivery(txn, queued.queue_id, f"{os.getpid()}:a", ["b@remote.test"],
                                                      now=now, lease=60)) == []
    finally:
        store.close()


def test_a_graceful_stop_lets_a_send_under_way_finish(tmp_path, client_type, kit):
    """A server stopped normally (SIGTERM) finishes a transaction under way and records the
    relay's 250 (RFC 5321 §4.1.1.4), so nothing is left in doubt and nothing is sent again."""
    from jmapd.mail.submissions import SUBMISSION, SubmissionRecord, list_queue

    sink = kit.Sink().start()
    sink.delay = 1.0
    try:
        server = LiveServer(data=str(tmp_path), relay=f"127.0.0.1:{sink.port}").start()
        server.add_user("kim", "pw-kim", "kim@example.test")
        c = client_type(server.url, "kim", "pw-kim")
        sid = send(c, kit, "stopping")
        account = c.account_id
        c.close()
        assert sink.data_started.wait(10)
        server._uvicorn.should_exit = True
        server._thread.join(timeout=20)
        with server.server.store.read() as txn:
            record = txn.get(account, SUBMISSION, sid, SubmissionRecord)
            assert list_queue(txn) == []
        server.server.store.close()
        assert record.delivery_status["far@remote.test"].smtp_reply.startswith("250")
        assert count(sink, "stopping") == 1
    finally:
        sink.stop()
