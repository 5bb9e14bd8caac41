"""A test server in this process: started in well under a second, reset in milliseconds.

    with Server(users=["alice", "bob"], seed="demo") as server:
        run_client(server.session_url, *server.credentials("alice"))
        server.reset("alice")

`jmapd serve --ephemeral` runs the same server in its own process and prints `info()` as one line
of JSON once the Session is served.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import os
import secrets
import shutil
import socket
import tempfile
import threading
import time
from typing import Any

import msgspec
import uvicorn

from store import Store

from ..config import Config, is_loopback_host
from ..http.app import create_app
from ..mail import Stored, clock
from ..mail.accounts import create_user
from ..mail.addresses import resolve
from ..mail.delivery import Destination, Incoming, deliver
from ..mail.snapshots import restore_account, snapshot_account
from ..methods.cache.query_results import QueryResults
from ..methods.dates import parse_utc_date, utc_date
from ..outbox import Outbox
from ..protocol.engine import Method
from ..server import background_services, open_server, uvicorn_options
from . import seeds
from .admin import Admin, ClockRequest
from .app import TestDoubleApp
from .capture import CaptureTransport
from .faults import Fault, Faults
from .open_auth import OpenLogins
from .options import Options
from .requestlog import RequestLog

# Test passwords protect nothing: hashed cheaply, still scrypt and checked the same way.
TEST_SCRYPT_N = 2**4


class Server:
    def __init__(self, users: list[str] | tuple[str, ...] | None = None, seed: str | None = None, *,
                 options: Options | None = None, **more: Any):
        fields = {**({} if options is None else {f: getattr(options, f) for f in options.__struct_fields__}), **more}
        if users is not None:
            fields["users"] = list(users)
        if seed is not None:
            fields["seed"] = seed
        self.options = Options(**fields)
        if self.options.open_auth and not is_loopback_host(self.options.host):
            raise ValueError("--open-auth is only allowed on a loopback address")
        self.admin_token = secrets.token_urlsafe(24)
        self.faults = Faults()
        self.log = RequestLog()
        self.capture = CaptureTransport(self.faults, self._user_of_account)
        self.port = 0
        self._tmp: str | None = None
        self._uvicorn: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._accounts: dict[str, str] = {}
        self._snapshots: dict[tuple[str, str], Any] = {}
        self._clock: clock.FixedClock | None = None
        self._previous_clock = clock.current()

    # -- life ------------------------------------------------------------------------------------
    def start(self) -> "Server":
        options = self.options
        if options.deterministic:
            self._clock = clock.FixedClock(options.clock_start)
            clock.use(self._clock)
        data = options.data
        if data is None:
            self._tmp = data = tempfile.mkdtemp(prefix="jmapd-test-")
            os.chmod(data, 0o700)
        # Sending goes through the real outbox to an in-process sink (capture.py): the relay named
        # here is never contacted.
        self.config = Config(data=data, host=options.host, port=options.port, hostname=options.hostname,
                             tls_cert=options.tls_cert, tls_key=options.tls_key, log_level="warning",
                             relay="capture.invalid:25")
        self.server = open_server(self.config)
        try:
            if options.open_auth:
                self.server.logins = OpenLogins(self.server.store)
            self._provision()
            self._serve()
        except BaseException:
            self.stop()
            raise
        return self

    def _provision(self) -> None:
        folders, items = ([], [])
        if self.options.seed is not None:
            folders, items = seeds.read_seed(self.options.seed, seed_random=self.options.seed_random,
                                             hostname=self.options.hostname)
        parsed = seeds.parse(items)
        store = self.server.store
        for name in self.options.users:
            account_id = None
            if self.options.deterministic:
                account_id = "a" + hashlib.sha256(name.encode()).hexdigest()[:8]
            user = create_user(store, name, self.options.password_of(name), f"{name}@{self.options.hostname}",
                               account_id=account_id, scrypt_n=TEST_SCRYPT_N)
            self._accounts[name.lower()] = user.account_id
            self._snapshots[(name.lower(), "empty")] = snapshot_account(store, user.account_id)
            if items:
                seeds.load(store, user.account_id, folders, items, parsed)
            self._snapshots[(name.lower(), "initial")] = snapshot_account(store, user.account_id)

    def _serve(self) -> None:
        services = [s for s in background_services(self.config) if not isinstance(s, Outbox)]
        services.append(Outbox(self.config.sending(), self.config.data, transport=self.capture, poll=0.2))
        inner = create_app(self.config, self.server, services)
        self._state = inner.state.jmapd
        self._inject_method_faults()
        app = TestDoubleApp(inner, Admin(self).app(), self.faults, self.log, self.server.logins)
        sock = socket.socket(socket.AF_INET6 if ":" in self.options.host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.options.host, self.options.port))
        self.port = sock.getsockname()[1]
        self.config.port = self.port
        options = uvicorn_options(self.config)
        del options["host"], options["port"]
        self._uvicorn = uvicorn.Server(uvicorn.Config(app, lifespan="on", **options))
        self._thread = threading.Thread(target=self._uvicorn.run, kwargs={"sockets": [sock]}, daemon=True,
                                        name="jmapd-test-server")
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._uvicorn.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.005)

    def _inject_method_faults(self) -> None:
        registry = self._state.engine.registry
        for name, method in list(registry.methods.items()):
            registry.methods[name] = dataclasses.replace(method, handler=self._faulty(method))

    def _faulty(self, method: Method):
        def handler(call, args):
            error = self.faults.method_error(method.name, call.user.name.lower(), args)
            if error is not None:
                raise error
            return method.handler(call, args)

        return handler

    def stop(self) -> None:
        if self._uvicorn is not None:
            self._uvicorn.should_exit = True
            if self._thread is not None:
                self._thread.join(timeout=15)
            self._uvicorn = None
        if getattr(self, "server", None) is not None:
            self.server.store.close()
            self.server = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        clock.use(self._previous_clock)

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what a client needs -----------------------------------------------------------------------
    @property
    def url(self) -> str:
        host = f"[{self.options.host}]" if ":" in self.options.host else self.options.host
        return f"{'https' if self.options.tls_cert else 'http'}://{host}:{self.port}"

    @property
    def session_url(self) -> str:
        return self.url + "/.well-known/jmap"

    @property
    def api_url(self) -> str:
        return self.url + "/jmap/api/"

    def account_id(self, user: str) -> str:
        try:
            return self._accounts[user.lower()]
        except KeyError:
            raise LookupError(f"no user {user} on this test server") from None

    def credentials(self, user: str) -> tuple[str, str]:
        self.account_id(user)
        return user, self.options.password_of(user)

    def info(self) -> dict[str, Any]:
        return {"sessionUrl": self.session_url, "apiUrl": self.api_url,
                "users": [{"username": u, "password": self.options.password_of(u), "accountId": self.account_id(u)}
                          for u in self.options.users],
                "adminUrl": self.url + "/_admin", "adminToken": self.admin_token, "pid": os.getpid()}

    # -- test controls -----------------------------------------------------------------------------
    def reset(self, user: str | None = None, seed: str | None = None) -> float:
        """Put an account (or every account, and the captured mail) back as it started, or empty
        ("empty"), or reseeded; returns the seconds it took."""
        started = time.perf_counter()
        if user is None:
            self.capture.clear()
        for name in ([user] if user is not None else self.options.users):
            self._reset_one(name.lower(), seed)
        return time.perf_counter() - started

    def _reset_one(self, name: str, seed: str | None) -> None:
        account_id = self.account_id(name)
        store: Store = self.server.store
        target = self._snapshots[(name, "initial" if seed is None else "empty")]
        if seed not in (None, "empty"):
            folders, items = seeds.read_seed(seed, seed_random=self.options.seed_random,
                                             hostname=self.options.hostname)
            store.write(lambda txn: restore_account(txn, target))
            seeds.load(store, account_id, folders, items)
        else:
            store.write(lambda txn: restore_account(txn, target))
        # Answers kept between requests are exact for states the account has now gone back to.
        self.server.rendered.clear()
        self.server.query_results = QueryResults()
        self._state.push.rebase(account_id)

    async def reset_async(self, user: str, seed: str | None) -> float:
        return await asyncio.to_thread(self.reset, user, seed)

    def deliver(self, user: str, raw: bytes) -> Stored:
        """A message into the user's Inbox as mail from outside: the delivery path LMTP and SMTP
        take (trace fields, filters, push with EmailDelivery)."""
        if not raw.strip():
            raise ValueError("an empty message")
        account_id = self.account_id(user)
        incoming = Incoming(raw=raw, mail_from="", received_by=self.options.hostname, protocol="ESMTP",
                            client_name="localhost", client_ip="127.0.0.1")
        (outcome,) = deliver(self.server.mail, incoming,
                             [Destination(account_id=account_id, delivered_to=f"{user}@{self.options.hostname}")])
        if outcome.stored is None:
            raise ValueError(f"not delivered: {outcome.refused or 'a copy was delivered already'}")
        return outcome.stored

    async def deliver_async(self, user: str, raw: bytes) -> Stored:
        return await asyncio.to_thread(self.deliver, user, raw)

    def export(self, user: str) -> dict:
        return seeds.export(self.server.store, self.account_id(user))

    async def export_async(self, user: str) -> dict:
        return await asyncio.to_thread(self.export, user)

    def fault(self, kind: str, user: str | None = None, **settings: Any) -> None:
        """Switch a fault on, e.g. fault("method", "alice", methods=["Email/query"], count=1); the
        settings are Fault's fields, in snake_case or as the admin API spells them."""
        import msgspec

        camel = {k.split("_")[0] + "".join(w.title() for w in k.split("_")[1:]): v for k, v in settings.items()}
        self.faults.set(msgspec.convert({"kind": kind, "user": user, **camel}, Fault))

    def clear_faults(self, user: str | None = None) -> None:
        self.faults.clear(user)

    def requests(self, user: str | None = None) -> list[dict]:
        import msgspec

        return msgspec.json.decode(msgspec.json.encode(self.log.entries(user)))

    def set_clock(self, change: ClockRequest) -> None:
        if self._clock is None:
            raise ValueError("the clock is fixed only with --deterministic")
        if change.now is not None:
            when = parse_utc_date(change.now)
            if when is None:
                raise ValueError(f"not a UTCDate: {change.now}")
            self._clock.set(when)
        if change.advance is not None:
            self._clock.advance(change.advance)

    def clock_info(self) -> dict:
        return {"now": utc_date(clock.now()), "fixed": self._clock is not None}

    def captured(self) -> list[dict]:
        """The mail the server sent, oldest first: id, submissionId, mailFrom, recipients, message."""
        return msgspec.to_builtins(self.capture.messages())

    def deliver_captured(self, captured_id: str) -> list[str]:
        """Deliver a captured message to those of its recipients who are users here, as mail from
        outside; returns the users it reached."""
        captured = self.capture.get(captured_id)
        with self.server.store.read() as txn:
            reached = [found.user.name for found in (resolve(txn, r, self.options.hostname)
                                                     for r in captured.recipients) if found is not None]
        for name in dict.fromkeys(reached):
            self.deliver(name, captured.message.encode("latin-1"))
        return list(dict.fromkeys(reached))

    def _user_of_account(self, account_id: str) -> str | None:
        return next((name for name, account in self._accounts.items() if account == account_id), None)

