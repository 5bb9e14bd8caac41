"""A live jmapd serving JMAP and IMAP on loopback, and users to drive it with imaplib, imapclient
and the JMAP test client."""

from __future__ import annotations

import imaplib
import itertools
import os
from dataclasses import dataclass

import pytest

from jmapd.testing import LiveServer

_names = itertools.count()

MESSAGE = (b"From: Bob <bob@example.com>\r\nTo: Alice <alice@example.test>\r\nSubject: %s\r\n"
           b"Message-ID: <%s@example.com>\r\nDate: Mon, 07 Feb 1994 21:52:25 -0800\r\n\r\n%s\r\n")


def message(subject: str = "hello", body: str = "Hello there", msgid: str | None = None) -> bytes:
    msgid = msgid or f"m{next(_names)}x{os.getpid()}"
    return MESSAGE % (subject.encode(), msgid.encode(), body.encode())


@pytest.fixture(scope="session")
def imap_server():
    with LiveServer(imap="127.0.0.1:0") as server:
        assert server.server.extras["search"].ready.wait(30)
        yield server


@dataclass
class Account:
    name: str
    password: str
    port: int
    server: LiveServer

    def imaplib(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        conn.login(self.name, self.password)
        return conn

    def imapclient(self):
        from imapclient import IMAPClient

        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=30)
        client.login(self.name, self.password)
        return client

    def jmap(self, client_type):
        return client_type(self.server.url, self.name, self.password)


@pytest.fixture
def account(imap_server) -> Account:
    name = f"imap{os.getpid()}x{next(_names)}"
    imap_server.add_user(name, "secret-pw", f"{name}@example.test")
    return Account(name, "secret-pw", imap_server.server.extras["imap"].port, imap_server)


@pytest.fixture
def conn(account):
    """A logged-in imaplib connection of a fresh user."""
    c = account.imaplib()
    yield c
    try:
        c.logout()
    except (imaplib.IMAP4.error, OSError):
        pass

