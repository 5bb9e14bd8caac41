"""An account on the session's live server with a few messages, shared by a module's tests."""

from __future__ import annotations

import itertools
import os
from typing import Any

import pytest

CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"
_accounts = itertools.count()


def message(n: int, *, subject: str | None = None, extra_headers: str = "") -> bytes:
    """A small real message; every third one in a thread with the one before."""
    subject = subject or f"Meeting notes {n}"
    reply = f"In-Reply-To: <m{n - 1}@example.test>\r\n" if n % 3 == 2 else ""
    return (f"From: Alice Example <alice@example.org>\r\nTo: bob@example.net\r\nSubject: {subject}\r\n"
            f"Date: Mon, 1 Jan 2024 10:{n % 60:02d}:00 +0000\r\nMessage-ID: <m{n}@example.test>\r\n{reply}"
            f"X-Serial: {n}\r\n{extra_headers}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            f"Hello, this is the body of message {n} about the project report.\r\n").encode()


def upload(client, raw: bytes) -> str:
    url = client.session["uploadUrl"].replace("{accountId}", client.account_id)
    r = client.http.post(url, content=raw, headers={"content-type": "message/rfc822"})
    assert r.status_code in (200, 201), r.text
    return r.json()["blobId"]


def import_messages(client, raws: list[bytes], mailbox_id: str) -> dict[str, Any]:
    emails = {f"m{i}": {"blobId": upload(client, raw), "mailboxIds": {mailbox_id: True}}
              for i, raw in enumerate(raws)}
    return client.ok("Email/import", {"emails": emails})


@pytest.fixture(scope="module")
def mail(live, client_type):
    """A user with an inbox of 12 messages (ids in `mail.email_ids`)."""
    name = f"hard{os.getpid()}x{next(_accounts)}"
    live.add_user(name, "secret-pw", f"{name}@example.test")
    client = client_type(live.url, name, "secret-pw")
    client.inbox = client.mailboxes()["inbox"]["id"]
    result = import_messages(client, [message(n) for n in range(12)], client.inbox)
    assert not result["notCreated"], result
    client.email_ids = [made["id"] for made in result["created"].values()]
    yield client
    client.close()
