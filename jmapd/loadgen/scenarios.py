"""The scenarios: one async function per operation, all built on `Jmap.call`.

Each function performs exactly one operation and raises CallError if it failed.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from .client import BenchError, CallError, Jmap

DEFAULT_WORDS = ["the", "meeting", "report", "project", "update", "time", "hello", "thanks", "week", "please"]

LIST_PROPERTIES = [
    "id", "threadId", "mailboxIds", "keywords", "from", "subject", "receivedAt", "size", "preview", "hasAttachment",
]
THREAD_PROPERTIES = [
    "id", "threadId", "mailboxIds", "keywords", "from", "to", "subject", "receivedAt", "sentAt", "textBody", "bodyValues",
]


@dataclass
class Context:
    """What every worker shares: the client, the inbox, the start list of emails, the search words."""

    jmap: Jmap
    inbox_id: str
    email_ids: list[str]
    words: list[str] = field(default_factory=lambda: list(DEFAULT_WORDS))
    sequence: int = 0

    def next_sequence(self) -> int:
        self.sequence += 1
        return self.sequence


@dataclass
class Worker:
    """Per-client state for scenarios that need it."""

    index: int
    rng: random.Random
    iteration: int = 0
    email_state: str | None = None
    flag_on: bool = True


async def prepare(jmap: Jmap) -> Context:
    """Find the inbox and fetch the start list of email ids (Email/query limit 200)."""
    try:
        mailboxes, query = await jmap.call(
            ("Mailbox/get", {"accountId": jmap.account_id, "ids": None, "properties": ["id", "role", "name"]}),
            ("Email/query", {"accountId": jmap.account_id, "sort": [{"property": "receivedAt", "isAscending": False}],
                             "limit": 200}),
        )
    except CallError as exc:
        raise BenchError(f"cannot list mailboxes and emails: {exc.kind}") from None
    inbox = next((m["id"] for m in mailboxes.get("list", []) if m.get("role") == "inbox"), None)
    if inbox is None:
        raise BenchError("the primary mail account has no mailbox with role inbox")
    return Context(jmap=jmap, inbox_id=inbox, email_ids=list(query.get("ids", [])))


async def refresh_email_ids(ctx: Context) -> None:
    """Re-fetch the start list; scenarios that pick an existing email need at least one."""
    try:
        (query,) = await ctx.jmap.call(
            ("Email/query", {"accountId": ctx.jmap.account_id,
                             "sort": [{"property": "receivedAt", "isAscending": False}], "limit": 200}),
        )
    except CallError as exc:
        raise BenchError(f"cannot list emails: {exc.kind}") from None
    ctx.email_ids = list(query.get("ids", []))
    if not ctx.email_ids:
        raise BenchError("the account has no emails; run the import scenario first")


def _pick(ctx: Context, worker: Worker) -> str:
    return worker.rng.choice(ctx.email_ids)


async def mailbox_view(ctx: Context, worker: Worker) -> None:
    a = ctx.jmap.account_id
    await ctx.jmap.call(
        ("Email/query", {"accountId": a, "filter": {"inMailbox": ctx.inbox_id},
                         "sort": [{"property": "receivedAt", "isAscending": False}],
                         "collapseThreads": True, "limit": 50}),
        ("Email/get", {"accountId": a, "#ids": {"resultOf": "0", "name": "Email/query", "path": "/ids"},
                       "properties": LIST_PROPERTIES}),
    )


async def open_thread(ctx: Context, worker: Worker) -> None:
    a = ctx.jmap.account_id
    await ctx.jmap.call(
        ("Email/get", {"accountId": a, "ids": [_pick(ctx, worker)], "properties": ["threadId"]}),
        ("Thread/get", {"accountId": a, "#ids": {"resultOf": "0", "name": "Email/get", "path": "/list/*/threadId"}}),
        ("Email/get", {"accountId": a, "#ids": {"resultOf": "1", "name": "Thread/get", "path": "/list/*/emailIds"},
                       "properties": THREAD_PROPERTIES, "fetchTextBodyValues": True}),
    )


async def search(ctx: Context, worker: Worker) -> None:
    a = ctx.jmap.account_id
    word = ctx.words[(worker.index + worker.iteration) % len(ctx.words)]
    await ctx.jmap.call(
        ("Email/query", {"accountId": a, "filter": {"text": word}, "limit": 50}),
        ("SearchSnippet/get", {"accountId": a, "filter": {"text": word},
                               "#emailIds": {"resultOf": "0", "name": "Email/query", "path": "/ids"}}),
    )


async def _set_flag(ctx: Context, email_id: str, on: bool) -> None:
    (result,) = await ctx.jmap.call(
        ("Email/set", {"accountId": ctx.jmap.account_id,
                       "update": {email_id: {"keywords/$flagged": True if on else None}}}),
    )
    if result.get("notUpdated"):
        error = next(iter(result["notUpdated"].values()), {})
        raise CallError(f"set:{error.get('type', 'unknown')}")


async def flag(ctx: Context, worker: Worker) -> None:
    """Set or clear $flagged, alternately, on a random email of the start list."""
    await _set_flag(ctx, _pick(ctx, worker), worker.flag_on)
    worker.flag_on = not worker.flag_on


async def sync(ctx: Context, worker: Worker) -> None:
    """Flip $flagged on this client's own email, then Email/changes since its last state + Mailbox/get.

    Each client owns one email (by index) and knows its current flag, so every flip is a real
    change and the changes must be non-empty; an empty answer counts as an error.
    """
    a = ctx.jmap.account_id
    email_id = ctx.email_ids[worker.index % len(ctx.email_ids)]
    if worker.email_state is None:
        (got,) = await ctx.jmap.call(("Email/get", {"accountId": a, "ids": [email_id], "properties": ["keywords"]}))
        worker.email_state = got["state"]
        keywords = got["list"][0].get("keywords") or {} if got.get("list") else {}
        worker.flag_on = not keywords.get("$flagged", False)
    await _set_flag(ctx, email_id, worker.flag_on)
    worker.flag_on = not worker.flag_on
    try:
        changes, _ = await ctx.jmap.call(
            ("Email/changes", {"accountId": a, "sinceState": worker.email_state, "maxChanges": 500}),
            ("Mailbox/get", {"accountId": a, "ids": None}),
        )
    except CallError:
        worker.email_state = None  # e.g. cannotCalculateChanges: start over from a fresh state
        raise
    worker.email_state = changes.get("newState", worker.email_state)
    if not (changes.get("created") or changes.get("updated") or changes.get("destroyed")):
        raise CallError("sync:empty-changes")


def make_message(ctx: Context, worker: Worker) -> bytes:
    n = ctx.next_sequence()
    message_id = f"<{uuid.uuid4().hex}.{n}@bench.invalid>"
    date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
    word = ctx.words[n % len(ctx.words)]
    lines = [
        "From: Bench Sender <sender@bench.invalid>",
        "To: Bench Reader <reader@bench.invalid>",
        f"Subject: Benchmark {word} message {n}",
        f"Date: {date}",
        f"Message-ID: {message_id}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        f"Hello, this is {word} message number {n} from worker {worker.index}.",
        "It exists only to measure how fast a server ingests mail.",
        "",
    ]
    return "\r\n".join(lines).encode()


async def import_message(ctx: Context, worker: Worker) -> None:
    blob_id = await ctx.jmap.upload(make_message(ctx, worker))
    (result,) = await ctx.jmap.call(
        ("Email/import", {"accountId": ctx.jmap.account_id,
                          "emails": {"m": {"blobId": blob_id, "mailboxIds": {ctx.inbox_id: True}}}}),
    )
    if result.get("notCreated"):
        error = next(iter(result["notCreated"].values()), {})
        raise CallError(f"import:{error.get('type', 'unknown')}")


Scenario = Callable[[Context, Worker], Awaitable[None]]

SCENARIOS: dict[str, Scenario] = {
    "mailbox-view": mailbox_view,
    "open-thread": open_thread,
    "search": search,
    "flag": flag,
    "sync": sync,
    "import": import_message,
}
NEEDS_EMAILS = {"open-thread", "flag", "sync"}
UNITS = {"import": "messages/s"}
