"""`jmapd queue list|retry|delete`: the operator's view of the submission queue."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from jmapd.mail.submissions import Address, Envelope, list_queue, queue_message
from store import Store

JMAPD = str(Path(sys.executable).with_name("jmapd"))


def jmapd(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([JMAPD, *args], capture_output=True, text=True)


def test_list_retry_delete(tmp_path):
    """A held message is listed with its recipients; retry makes it due now; delete removes it;
    an unknown id is one line and exit status 2."""
    store = Store.open(str(tmp_path))
    envelope = Envelope(mail_from=Address(email="op@example.test"),
                        rcpt_to=[Address(email="x@remote.test"), Address(email="y@remote.test")])
    later = int(time.time()) + 3600
    queued = store.write(lambda txn: queue_message(txn, "acct", b"Subject: q\r\n\r\nhi\r\n", envelope, release_at=later))
    store.close()
    listed = jmapd("queue", "list", "--data", str(tmp_path))
    assert listed.returncode == 0
    assert queued.queue_id in listed.stdout and "x@remote.test  pending" in listed.stdout and "held until" in listed.stdout
    assert jmapd("queue", "retry", queued.queue_id, "--data", str(tmp_path)).returncode == 0
    store = Store.open(str(tmp_path))
    with store.read() as txn:
        entry = dict(list_queue(txn))[queued.queue_id]
    store.close()
    assert entry.due <= time.time() and entry.release_at <= time.time()
    missing = jmapd("queue", "delete", "Qnope", "--data", str(tmp_path))
    assert missing.returncode == 2 and missing.stderr.strip() == "jmapd: no queued message Qnope"
    assert jmapd("queue", "delete", queued.queue_id, "--data", str(tmp_path)).returncode == 0
    assert "the queue is empty" in jmapd("queue", "list", "--data", str(tmp_path)).stdout
