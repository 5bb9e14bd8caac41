"""A real jmapd on an ephemeral loopback port, for tests: yours and ours.

    from jmapd.testing import LiveServer

    with LiveServer() as server:
        user = server.add_user("alice", "secret")   # name, account_id, email
        # point any JMAP client at server.session_url with alice / secret

Everything is real (uvicorn, LMDB in a temporary folder); only the port and the folder are throwaway.
`LiveServer(port=8081)` listens on a port of your choice; any other keyword is a setting of
jmapd.config.Config. The connection limits are the server's own, not shared with others in the process.
"""

from __future__ import annotations

import asyncio
import socket
import tempfile
import threading
import time
from typing import Any

import msgspec
import uvicorn

from .config import Config
from .http.app import create_app
from .http.connections import protocol_with_gate
from .limits import EXTRAS_KEY, ConnectionGate
from .mail.accounts import create_user
from .server import background_services, open_server, uvicorn_options


class TestUser(msgspec.Struct, frozen=True):
    """A user LiveServer.add_user created: what a test needs to sign in, and no password hash."""

    __test__ = False  # not a pytest test class, whatever its name
    name: str
    account_id: str
    email: str | None


def free_port() -> int:
    """A loopback port nothing listens on now, for a server started in another process."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_answering(url: str, timeout: float = 20.0) -> None:
    """Wait for a server started in another process to answer `url` (any HTTP status will do)."""
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class LiveServer:
    def __init__(self, data: str | None = None, port: int = 0, **config: Any):
        self._tmp = None if data is not None else tempfile.TemporaryDirectory(prefix="jmapd-")
        config.setdefault("log_level", "warning")
        self.config = Config(data=data or self._tmp.name, host="127.0.0.1", port=port, **config)
        self.server = open_server(self.config)
        self.connections = ConnectionGate(self.config.connections)
        self.server.extras[EXTRAS_KEY] = self.connections  # HTTP's and every other listener's
        self._uvicorn: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = port

    @property
    def url(self) -> str:
        scheme = "https" if self.config.tls_cert else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    @property
    def session_url(self) -> str:
        return self.url + "/.well-known/jmap"

    def add_user(self, name: str, password: str, email: str | None = None) -> TestUser:
        user = create_user(self.server.store, name, password, email)
        return TestUser(user.name, user.account_id, user.email)

    def start(self) -> "LiveServer":
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", self.port))
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        self.config.port = self.port
        app = create_app(self.config, self.server, background_services(self.config))
        options = uvicorn_options(self.config)
        del options["host"], options["port"]
        options["http"] = protocol_with_gate(self.connections)
        config = uvicorn.Config(app, lifespan="on", **options)
        self._uvicorn = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._uvicorn.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._uvicorn.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("jmapd did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._uvicorn is not None:
            self._uvicorn.should_exit = True
            self._thread.join(timeout=10)
            self._uvicorn = None
        self.server.store.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> "LiveServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

from .testdouble import Server  # noqa: E402,F401  (the test double: `with jmapd.testing.Server(...)`)


class ServeProcess:
    """`jmapd serve` in a process of its own, as an operator starts it, on a port the kernel picks.

    The command binds `--port 0` itself and prints the port it got on its "serving" line, which is
    read here: choosing a free port in the test first and handing it over raced with every other
    test doing the same. If the command ends before that line, the error carries what it printed.

        with ServeProcess(["--data", folder]) as served:
            httpx.get(served.url + "/.well-known/jmap")
    """

    __test__ = False

    def __init__(self, args: list[str], timeout: float = 60.0, **popen: Any):
        import os
        import subprocess
        import sys

        command = os.path.join(os.path.dirname(sys.executable), "jmapd")
        self.proc = subprocess.Popen([command, "serve", "--port", "0", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, **popen)
        self._lines: list[str] = []
        self._serving = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + timeout
        self._serving.wait(timeout)
        while self.url is not None and self.proc.poll() is None and time.monotonic() < deadline:
            try:  # bound when "serving" is printed; listening once uvicorn has started
                socket.create_connection((self.host, self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.proc.kill()
        self._reader.join(10)
        raise RuntimeError("jmapd serve did not start: " + "".join(self._lines))

    url: str | None = None

    def _read(self) -> None:
        for line in self.proc.stdout:
            self._lines.append(line)
            if self.url is None and line.startswith("jmapd: serving ") and " on " in line:
                self.url = line.split(" on ", 1)[1].split()[0].replace("0.0.0.0", "127.0.0.1")
                self._serving.set()
        self._serving.set()  # ended: whoever waits learns it now

    @property
    def host(self) -> str:
        return self.url.split("://", 1)[1].rsplit(":", 1)[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    @property
    def output(self) -> str:
        """What the command printed so far (all of it once stop() returned)."""
        return "".join(self._lines)

    def stop(self, sig: int | None = None, timeout: float = 30.0) -> int:
        """Send SIGTERM (or `sig`), wait for the command to end and return its exit status."""
        import signal

        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM if sig is None else sig)
        try:
            status = self.proc.wait(timeout)
        except Exception:
            self.proc.kill()
            status = self.proc.wait()
        self._reader.join(10)
        return status

    def __enter__(self) -> "ServeProcess":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Received:
    """One message an SmtpSink accepted: its envelope, its bytes, and the port it came in on."""

    def __init__(self, mail_from: str, rcpt_tos: list[str], content: bytes, port: int):
        self.mail_from = mail_from
        self.rcpt_tos = rcpt_tos
        self.content = content
        self.port = port


class SmtpSink:
    """An SMTP server on loopback (aiosmtpd) that keeps what it accepts: a relay or a remote mail
    exchanger for a LiveServer that sends (`LiveServer(relay=f"127.0.0.1:{sink.port}")`).

    `data_replies` are answered to DATA in turn ("drop" closes the connection instead); `refuse`
    maps recipients to their RCPT reply; `hold` makes DATA wait until it is set; `delay` makes each
    DATA take that many seconds. Keyword arguments go to aiosmtpd's Controller."""

    def __init__(self, **smtp: Any):
        self.received: list[Received] = []
        self.data_replies: list[str] = []
        self.refuse: dict[str, str] = {}
        self.hold: threading.Event | None = None
        self.data_started = threading.Event()
        self.delay = 0.0  # seconds each DATA takes
        self.active = 0  # transactions in DATA now, and the most at once
        self.most_active = 0
        self.lock = threading.Lock()
        from aiosmtpd.controller import Controller

        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **smtp)

    def start(self) -> "SmtpSink":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_started.set()
        if self.delay:
            with self.lock:
                self.active += 1
                self.most_active = max(self.most_active, self.active)
            await asyncio.sleep(self.delay)
            with self.lock:
                self.active -= 1
        if self.hold is not None:
            # A relay that has the content and is slow to answer: it delivers whatever happens
            # to the connection meanwhile.
            with self.lock:
                self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content,
                                              self.port))
            while not self.hold.is_set():
                await asyncio.sleep(0.05)
            return "250 2.0.0 accepted"
        with self.lock:
            reply = self.data_replies.pop(0) if self.data_replies else "250 2.0.0 accepted"
        if reply == "drop":
            server.transport.close()
            return "421 closing"
        if reply.startswith("250"):
            with self.lock:
                self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content,
                                              self.port))
        return reply

    def wait(self, count: int, timeout: float = 15.0) -> list[Received]:
        """Every message received, once there are at least `count`."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{count} messages at the sink (got {len(self.received)})")
            time.sleep(0.05)
        return list(self.received)

    def with_subject(self, subject: str) -> list[Received]:
        return [r for r in list(self.received) if f"Subject: {subject}".encode() in r.content]

    def wait_for_subject(self, subject: str, timeout: float = 15.0) -> Received:
        deadline = time.monotonic() + timeout
        while not self.with_subject(subject):
            if time.monotonic() > deadline:
                raise AssertionError(f"{subject!r} never reached the sink")
            time.sleep(0.05)
        return self.with_subject(subject)[0]

    def __enter__(self) -> "SmtpSink":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
