"""The draft JMAP-for-Mail dialect (draft-jenkins-jmapmail-00) driven over real HTTP.

`draft` gives a fresh user with both a draft-dialect client and an RFC 8621 client of the same
account, so tests can check that a change made in one dialect is seen in the other.
"""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest

DRAFT = "urn:jmapd:draft-jenkins-jmapmail-00"
_serial = itertools.count(1)


def message(subject: str = "Hello", *, msgid: str | None = None, in_reply_to: str | None = None,
            body: str = "Hello there.\n", sender: str = "Alice <alice@example.org>",
            date: str = "Thu, 02 Jan 2020 03:04:05 +0000") -> bytes:
    msgid = msgid or f"d{next(_serial)}@test.example"
    lines = [f"From: {sender}", "To: Bob <bob@example.net>", f"Subject: {subject}", f"Date: {date}",
             f"Message-ID: <{msgid}>"]
    if in_reply_to:
        lines += [f"In-Reply-To: <{in_reply_to}>", f"References: <{in_reply_to}>"]
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", ""]
    return ("\r\n".join(lines) + "\r\n" + body.replace("\n", "\r\n")).encode()


class DraftClient:
    """A client of the draft's time: one POST of [name, arguments, clientId] calls."""

    def __init__(self, rfc):
        self.rfc = rfc
        self.http: httpx.Client = rfc.http
        self.url = rfc.session["capabilities"][DRAFT]["apiUrl"]
        self.account_id = rfc.account_id

    def post(self, body: Any, **kwargs: Any) -> httpx.Response:
        return self.http.post(self.url, json=body, **kwargs)

    def send(self, calls: list[list[Any]]) -> list[list[Any]]:
        response = self.post(calls)
        assert response.status_code == 200, response.text
        return response.json()

    def call(self, name: str, args: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        responses = self.send([[name, args or {}, "#0"]])
        return responses[0][0], responses[0][1]

    def ok(self, name: str, response_name: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        got, result = self.call(name, args)
        assert got == response_name, result
        return result

    def error(self, name: str, args: dict[str, Any] | None = None) -> str:
        got, result = self.call(name, args)
        assert got == "error", result
        return result["type"]

    def roles(self) -> dict[str, str]:
        """Mailbox ids by role (or name)."""
        listed = self.ok("getMailboxes", "mailboxes")["list"]
        return {m["role"] or m["name"]: m["id"] for m in listed}

    def upload(self, raw: bytes) -> str:
        return self.http.post(f"/jmap/upload/{self.account_id}/", content=raw).json()["blobId"]

    def deliver(self, raw: bytes, mailbox: str, *, unread: bool = True, flagged: bool = False) -> str:
        """A received message, stored with RFC 8621 Email/import: what the dialects then show."""
        keywords = {k: True for k, on in (("$seen", not unread), ("$flagged", flagged)) if on}
        created = self.rfc.ok("Email/import", {"emails": {"m": {
            "blobId": self.upload(raw), "mailboxIds": {mailbox: True}, "keywords": keywords}}})["created"]
        return created["m"]["id"]


@pytest.fixture
def draft(client) -> DraftClient:
    return DraftClient(client)


@pytest.fixture
def make_draft(make_client):
    return lambda: DraftClient(make_client())
