"""Helpers for the Email and Thread tests (RFC 8621 §3, §4), all over real HTTP.

`mail` wraps the `client` fixture with the few JMAP calls these tests repeat; `make_mail` gives
more accounts. Test modules reach the helpers through these fixtures (conftest is not importable).
"""

from __future__ import annotations

import itertools
import os
from typing import Any

import pytest

CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"
COUNTS = ("totalEmails", "unreadEmails", "totalThreads", "unreadThreads")
SYSTEM_KEYWORDS = ("$seen", "$flagged", "$draft", "$answered", "$forwarded", "$phishing", "$junk", "$notjunk")

_serial = itertools.count(1)


def message(subject: str = "Hello", *, msgid: str | None = None, in_reply_to: str | None = None,
            references: list[str] | tuple[str, ...] = (), body: str = "Hello there.\n") -> bytes:
    """A small RFC 5322 message with CRLF line endings.

    msgid, in_reply_to and references are given without angle brackets.
    """
    msgid = msgid or f"m{next(_serial)}@test.example"
    lines = ["From: Alice <alice@example.org>", "To: Bob <bob@example.net>", f"Subject: {subject}",
             "Date: Thu, 02 Jan 2020 03:04:05 +0000", f"Message-ID: <{msgid}>"]
    if in_reply_to:
        lines.append(f"In-Reply-To: <{in_reply_to}>")
    if references:
        lines.append("References: " + "\r\n ".join(f"<{r}>" for r in references))
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", ""]
    return ("\r\n".join(lines) + "\r\n" + body.replace("\r\n", "\n").replace("\n", "\r\n")).encode("utf-8")


def expected_counts(emails: list[dict[str, Any]], mailboxes: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """The four counts of every mailbox, recounted from the Emails (RFC 8621 §2).

    `emails` carry id, threadId, mailboxIds and keywords. unreadThreads is the "quality
    implementation" definition with both trash rules: an unread Email that is only in the trash is
    ignored for every other mailbox, and an unread Email not in the trash is ignored for the trash.
    """
    trash = next((m["id"] for m in mailboxes if m.get("role") == "trash"), None)

    def unread(e: dict[str, Any]) -> bool:
        return not ({"$seen", "$draft"} & set(e["keywords"]))

    threads: dict[str, list[dict[str, Any]]] = {}
    for e in emails:
        threads.setdefault(e["threadId"], []).append(e)
    out = {}
    for mailbox in mailboxes:
        mid = mailbox["id"]
        inside = [e for e in emails if mid in e["mailboxIds"]]
        counts = {"totalEmails": len(inside), "unreadEmails": sum(unread(e) for e in inside),
                  "totalThreads": 0, "unreadThreads": 0}
        for members in threads.values():
            if not any(mid in e["mailboxIds"] for e in members):
                continue
            counts["totalThreads"] += 1
            if mid == trash:
                relevant = [e for e in members if trash in e["mailboxIds"]]
            else:
                relevant = [e for e in members if set(e["mailboxIds"]) - {trash}]
            if any(unread(e) for e in relevant):
                counts["unreadThreads"] += 1
        out[mid] = counts
    return out


class Mail:
    """A mail client over the `client` fixture: upload, import, get, set, download."""

    def __init__(self, client):
        self.client = client
        self.account_id = client.account_id
        self._roles: dict[str, str] | None = None

    # -- basics ------------------------------------------------------------------------------------
    def call(self, method: str, args: dict[str, Any] | None = None):
        return self.client.call(method, args)

    def ok(self, method: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.client.ok(method, args)

    def request(self, calls: list[list[Any]]) -> list[list[Any]]:
        return self.client.request(calls)["methodResponses"]

    @property
    def roles(self) -> dict[str, str]:
        """Mailbox id by role."""
        if self._roles is None:
            self._roles = {role: m["id"] for role, m in self.client.mailboxes().items()}
        return self._roles

    def mailbox_ids(self, *roles: str) -> dict[str, bool]:
        return {self.roles[r]: True for r in roles}

    # -- blobs -------------------------------------------------------------------------------------
    def upload(self, data: bytes, content_type: str = "message/rfc822") -> str:
        r = self.client.http.post(f"/jmap/upload/{self.account_id}/", content=data,
                                  headers={"content-type": content_type})
        assert r.status_code in (200, 201), r.text
        body = r.json()
        assert body["size"] == len(data)
        return body["blobId"]

    def download(self, blob_id: str, name: str = "blob", type_: str = "application/octet-stream",
                 account_id: str | None = None):
        template = self.client.session["downloadUrl"]
        url = (template.replace("{accountId}", account_id or self.account_id).replace("{blobId}", blob_id)
               .replace("{name}", name).replace("{type}", type_))
        return self.client.http.get(url)

    # -- Email/import ------------------------------------------------------------------------------
    def import_raw(self, raws: list[bytes], mailboxes: tuple[str, ...] = ("inbox",),
                   keywords: dict[str, bool] | None = None, received_at: list[str | None] | None = None,
                   ) -> list[dict[str, Any]]:
        """Upload and import each message; every one must succeed. Returns the created objects."""
        emails = {}
        for i, raw in enumerate(raws):
            item = {"blobId": self.upload(raw), "mailboxIds": self.mailbox_ids(*mailboxes)}
            if keywords is not None:
                item["keywords"] = keywords
            if received_at is not None and received_at[i] is not None:
                item["receivedAt"] = received_at[i]
            emails[f"k{i}"] = item
        result = self.ok("Email/import", {"emails": emails})
        assert result["notCreated"] is None, result["notCreated"]
        return [result["created"][f"k{i}"] for i in range(len(raws))]

    def import_one(self, raw: bytes, **kw: Any) -> dict[str, Any]:
        received_at = kw.pop("received_at", None)
        return self.import_raw([raw], received_at=[received_at], **kw)[0]

    # -- reads -------------------------------------------------------------------------------------
    def get(self, ids: list[str] | None, properties: list[str] | None = None, **args: Any) -> list[dict[str, Any]]:
        result = self.ok("Email/get", {"ids": ids, "properties": properties, **args})
        assert result["notFound"] == [], result["notFound"]
        return result["list"]

    def get_one(self, email_id: str, properties: list[str] | None = None, **args: Any) -> dict[str, Any]:
        (found,) = self.get([email_id], properties, **args)
        return found

    def threads(self, ids: list[str] | None) -> dict[str, Any]:
        return self.ok("Thread/get", {"ids": ids})

    def email_set(self, **args: Any) -> dict[str, Any]:
        return self.ok("Email/set", args)

    def state(self, type_: str) -> str:
        return self.ok(f"{type_}/get", {"ids": []})["state"]

    def snapshot(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        """Every Email (metadata), every Thread and every Mailbox, read in one request."""
        responses = self.request([
            ["Email/get", {"accountId": self.account_id, "ids": None,
                           "properties": ["threadId", "mailboxIds", "keywords", "receivedAt"]}, "e"],
            ["Thread/get", {"accountId": self.account_id, "ids": None}, "t"],
            ["Mailbox/get", {"accountId": self.account_id, "ids": None}, "m"],
        ])
        assert [r[0] for r in responses] == ["Email/get", "Thread/get", "Mailbox/get"], responses
        return responses[0][1]["list"], responses[1][1]["list"], responses[2][1]["list"]

    def check_counts(self) -> None:
        """Every mailbox's four counts equal the RFC 8621 §2 recount, and the Threads agree with
        the Emails' threadIds (RFC 8621 §3)."""
        emails, threads, mailboxes = self.snapshot()
        by_thread: dict[str, set[str]] = {}
        for e in emails:
            by_thread.setdefault(e["threadId"], set()).add(e["id"])
        assert {t["id"]: set(t["emailIds"]) for t in threads} == by_thread
        want = expected_counts(emails, mailboxes)
        have = {m["id"]: {k: m[k] for k in COUNTS} for m in mailboxes}
        names = {m["id"]: m["role"] or m["name"] for m in mailboxes}
        diff = {names[mid]: (have[mid], want[mid]) for mid in want if have[mid] != want[mid]}
        assert not diff, diff


@pytest.fixture
def mail(client) -> Mail:
    """A fresh account: for tests that look at account-wide state (counts, changes, threads)."""
    return Mail(client)


@pytest.fixture(scope="module")
def module_mail(live, client_type):
    """One account for a whole module: only for tests that read nothing but their own Emails."""
    name = f"module{os.getpid()}x{next(_serial)}"
    live.add_user(name, "module-pw", f"{name}@example.test")
    client = client_type(live.url, name, "module-pw")
    yield Mail(client)
    client.http.close()


@pytest.fixture
def make_mail(make_client):
    return lambda: Mail(make_client())


@pytest.fixture
def kit():
    """The module-level helpers, for test modules."""
    from types import SimpleNamespace

    return SimpleNamespace(message=message, COUNTS=COUNTS, SYSTEM_KEYWORDS=SYSTEM_KEYWORDS)


@pytest.fixture(scope="module")
def two_mails(two_servers) -> tuple[Mail, Mail]:
    """One account seen through two server processes on one data folder (see `two_servers`)."""
    a, b = two_servers
    return Mail(a), Mail(b)
