"""Idle worker processes are retired and come back for the next job unseen by their callers: an
idle server does not keep five child interpreters' memory."""

from __future__ import annotations

import os
import time

from index.workers import WorkerProcess, retire_idle


def test_an_idle_worker_is_retired_and_the_next_job_starts_it_again():
    worker = WorkerProcess(jobs="jmapd.workers.parsing")
    try:
        first = worker.run("parse", [(b"Subject: one\r\n\r\nbody\r\n", "B1")], timeout=30)
        old_pid = worker.pid
        assert retire_idle(3600) == 0 and worker.pid == old_pid  # used just now: kept
        time.sleep(0.05)
        assert retire_idle(0.01) >= 1
        assert worker.alive()  # still takes jobs
        try:
            os.kill(old_pid, 0)
            gone = False
        except ProcessLookupError:
            gone = True
        assert gone, "the retired child is still running"
        again = worker.run("parse", [(b"Subject: one\r\n\r\nbody\r\n", "B1")], timeout=30)
        assert worker.pid != old_pid and again == first
    finally:
        worker.close()
    assert not worker.alive()
