"""Push fixtures: a jmapd whose push subscriptions may reach loopback, and a push service to receive them."""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from jmapd.config import PushConfig
from jmapd.testing import LiveServer


_counter = itertools.count()


class Received:
    def __init__(self, path: str, headers: dict[str, str], body: bytes):
        self.path = path
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)


class PushService:
    """A small HTTP receiver on loopback standing in for a push service: it records every POST and
    answers with the status the test chose for its path (200 unless told otherwise)."""

    def __init__(self):
        self.received: list[Received] = []
        self.statuses: dict[str, int] = {}
        self.cond = threading.Condition()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the http.server convention)
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                status = service.statuses.get(self.path, 200)
                with service.cond:
                    service.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()},
                                                     body))
                    service.cond.notify_all()
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:1/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def on(self, path: str) -> list[Received]:
        with self.cond:
            return [r for r in self.received if r.path == path]

    def wait_for(self, path: str, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                mine = [r for r in self.received if r.path == path]
                if len(mine) >= count or time.monotonic() > deadline:
                    return mine
                self.cond.wait(timeout=max(0.01, deadline - time.monotonic()))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def push_service():
    service = PushService()
    yield service
    service.close()


@pytest.fixture
def failing_push_service():
    """A push service of its own (its own origin), for tests that make it fail: the server backs
    off a failing origin as a whole, which must not delay other tests' pushes."""
    service = PushService()
    yield service
    service.close()


@pytest.fixture(scope="module")
def push_live():
    """A server that lets push subscriptions reach loopback (the test push service)."""
    with LiveServer(push=PushConfig(allowed_networks=["127.0.0.1/32"])) as server:
        yield server


@pytest.fixture
def push_client(push_live, client_type):
    name = f"pusher{os.getpid()}x{next(_counter)}"
    push_live.add_user(name, "pw", f"{name}@example.test")
    c = client_type(push_live.url, name, "pw")
    yield c
    c.close()



class EventStream:
    """An EventSource connection read in a thread: each event as (id, name, data) on a queue."""

    def __init__(self, client, types: str = "*", closeafter: str = "no", ping: int = 0,
                 last_event_id: str | None = None):
        import queue

        import httpx

        url = (client.session["eventSourceUrl"].replace("{types}", types).replace("{closeafter}", closeafter)
               .replace("{ping}", str(ping)))
        headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
        self.events: queue.Queue = queue.Queue()
        self.seen: list[tuple] = []  # every event, in order, including those next() skipped
        self.last_id: str | None = None
        self.status: int | None = None
        self.opened = threading.Event()
        self.ended = threading.Event()
        self._http = httpx.Client(auth=client.http.auth, timeout=httpx.Timeout(30, read=None))
        self._stop = False

        def run():
            try:
                with self._http.stream("GET", url, headers=headers) as response:
                    self.status = response.status_code
                    self.opened.set()
                    name, data, event_id = None, None, None
                    for line in response.iter_lines():
                        if self._stop:
                            return
                        if line.startswith("id: "):
                            event_id = self.last_id = line[4:]
                        elif line.startswith("event: "):
                            name = line[7:]
                        elif line.startswith("data: "):
                            data = json.loads(line[6:])
                        elif line == "" and name is not None:
                            event = (event_id if name == "state" else None, name, data)
                            self.seen.append(event)
                            self.events.put(event)
                            name, data, event_id = None, None, None
            except Exception:
                pass
            finally:
                self.opened.set()
                self.ended.set()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert self.opened.wait(10)

    def ready(self, timeout: float = 30.0) -> "EventStream":
        """Wait until the server has sent the stream's first id (it listens from then on)."""
        deadline = time.monotonic() + timeout
        while self.last_id is None and time.monotonic() < deadline and not self.ended.is_set():
            time.sleep(0.01)
        assert self.last_id is not None, "the event stream did not start"
        return self

    def next(self, timeout: float = 20.0, name: str = "state"):
        import queue

        deadline = time.monotonic() + timeout
        while True:
            try:
                event = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                return None
            if event[1] == name:
                return event

    def close(self) -> None:
        self._stop = True
        self._http.close()


@pytest.fixture
def event_stream():
    opened: list[EventStream] = []

    def open_stream(client, **kwargs) -> EventStream:
        stream = EventStream(client, **kwargs)
        opened.append(stream)
        return stream

    yield open_stream
    for stream in opened:
        stream.close()
