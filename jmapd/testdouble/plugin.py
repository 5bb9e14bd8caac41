"""pytest fixtures for testing a JMAP client against jmapd (registered as the `jmapd` plugin).

    def test_lists_mailboxes(jmapd, jmapd_user):
        client = MyClient(jmapd_user.session_url, jmapd_user.username, jmapd_user.password)
        assert "Inbox" in client.mailbox_names()

`jmapd` is one server for the whole session, with every account put back as it started, faults
switched off and the request log emptied before each test; `jmapd_fresh` is a server of the test's
own. Override `jmapd_options` in a conftest.py to choose users, seed and determinism. Nothing is
imported from jmapd until a fixture is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest


@dataclass(frozen=True)
class JmapUser:
    username: str
    password: str
    account_id: str
    session_url: str
    api_url: str


def _user(server, name: str) -> JmapUser:
    username, password = server.credentials(name)
    return JmapUser(username, password, server.account_id(name), server.session_url, server.api_url)


@pytest.fixture(scope="session")
def jmapd_options() -> dict[str, Any]:
    """Override to start the servers otherwise: users, seed, deterministic, open_auth, ..."""
    return {"users": ["alice", "bob"], "seed": "demo"}


@pytest.fixture(scope="session")
def jmapd_server(jmapd_options):
    from jmapd.testdouble import Server

    with Server(**jmapd_options) as server:
        yield server


@pytest.fixture
def jmapd(jmapd_server):
    """The session's server, as it started: accounts reset, captured mail, faults and the request
    log emptied."""
    jmapd_server.clear_faults()
    jmapd_server.reset()
    jmapd_server.log.clear()
    yield jmapd_server
    jmapd_server.clear_faults()


@pytest.fixture
def jmapd_fresh(jmapd_options):
    """A server of this test's own."""
    from jmapd.testdouble import Server

    with Server(**jmapd_options) as server:
        yield server


@pytest.fixture
def jmapd_user(jmapd) -> JmapUser:
    """The first user, with what a client needs to connect."""
    return _user(jmapd, jmapd.options.users[0])


@pytest.fixture
def jmapd_client(jmapd, jmapd_user):
    """An httpx client signed in as the first user, its base URL the server's."""
    import httpx

    with httpx.Client(base_url=jmapd.url, auth=(jmapd_user.username, jmapd_user.password),
                      follow_redirects=True, timeout=30) as client:
        yield client
