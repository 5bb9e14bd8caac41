"""Fixtures: a live jmapd over HTTP (uvicorn on an ephemeral loopback port) and a small JMAP client."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

import store.users as store_users
from jmapd.testing import LiveServer, ServeProcess

CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
if not CORPUS.is_dir():
    CORPUS = Path(os.environ.get("JMAPD_CORPUS", "/work/shared/corpus"))

_names = itertools.count()


class Client:
    """Just enough JMAP to drive the server the way a client would, over real HTTP."""

    def __init__(self, base_url: str, username: str, password: str):
        self.http = httpx.Client(base_url=base_url, auth=(username, password), timeout=30)
        self.username = username
        self.session = self.http.get("/jmap/session").raise_for_status().json()
        self.account_id = self.session["primaryAccounts"][MAIL]
        self.api_url = self.session["apiUrl"]

    def post(self, body: Any, **kwargs: Any) -> httpx.Response:
        return self.http.post(self.api_url, json=body, **kwargs)

    def request(self, calls: list[list[Any]], using: list[str] | None = None, **extra: Any) -> dict[str, Any]:
        body = {"using": using or [CORE, MAIL], "methodCalls": calls, **extra}
        response = self.post(body)
        assert response.status_code == 200, response.text
        return response.json()

    def call(self, method: str, args: dict[str, Any] | None = None, **kw: Any) -> tuple[str, dict[str, Any]]:
        """One method call; returns (response name, arguments)."""
        args = dict(args or {})
        if "accountId" not in args and not method.startswith("Core/"):
            args["accountId"] = self.account_id
        name, result, _ = self.request([[method, args, "c0"]], **kw)["methodResponses"][0]
        return name, result

    def ok(self, method: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        name, result = self.call(method, args)
        assert name == method, result
        return result

    def mailboxes(self) -> dict[str, dict[str, Any]]:
        """Mailboxes by role (or by name when they have none)."""
        listed = self.ok("Mailbox/get", {"ids": None})["list"]
        return {m["role"] or m["name"]: m for m in listed}

    def mailbox_set_ok(self, **args: Any) -> dict[str, Any]:
        """Mailbox/set that must succeed for every record."""
        result = self.ok("Mailbox/set", args)
        for key in ("notCreated", "notUpdated", "notDestroyed"):
            assert not result.get(key), result
        return result

    def create_mailbox(self, name: str, **props: Any) -> str:
        return self.mailbox_set_ok(create={"n": {"name": name, **props}})["created"]["n"]["id"]

    def close(self) -> None:
        self.http.close()


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes():
    """Tests create hundreds of users; the real scrypt cost would dominate the suite. Hashes stay
    scrypt, salted and checked the same way, only with a tiny work factor."""
    original = store_users.SCRYPT_N
    store_users.SCRYPT_N = 2
    yield
    store_users.SCRYPT_N = original


@pytest.fixture(scope="session")
def certificate(tmp_path_factory) -> tuple[str, str]:
    """A self-signed certificate and its key (PEM files) for mail.example.test, localhost and
    127.0.0.1: what the TLS listeners (HTTPS, IMAP, SMTP) serve in tests."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=mail.example.test", "-addext",
                    "subjectAltName=DNS:mail.example.test,DNS:localhost,IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return str(cert), str(key)


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The folder of real messages (../shared/corpus beside the project)."""
    assert CORPUS.is_dir(), f"no corpus at {CORPUS}"
    return CORPUS


@pytest.fixture(scope="session")
def client_type() -> type[Client]:
    """The Client class, for fixtures that keep an account beyond one test."""
    return Client


@pytest.fixture(scope="session")
def live():
    with LiveServer() as server:
        yield server


@pytest.fixture
def make_client(live):
    clients: list[Client] = []

    def make(name: str | None = None, password: str = "secret-pw") -> Client:
        name = name or f"user{os.getpid()}x{next(_names)}"
        live.add_user(name, password, f"{name}@example.test")
        client = Client(live.url, name, password)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client) -> Client:
    return make_client()


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory):
    """Two jmapd processes serving one data folder, as `jmapd serve --workers 2` does: this one
    (in-process, started first, so it owns the search index) and a `jmapd serve`. Yields a client
    of the same user on each."""
    data = tmp_path_factory.mktemp("shared-data")
    with LiveServer(data=str(data)) as here:
        here.add_user("both", "both-pw", "both@example.test")
        assert here.server.extras["search"].ready.wait(30)
        other = ServeProcess(["--host", "127.0.0.1", "--data", str(data)])
        try:
            a = Client(here.url, "both", "both-pw")
            b = Client(other.url, "both", "both-pw")
            yield a, b
            a.close()
            b.close()
        finally:
            other.stop()
