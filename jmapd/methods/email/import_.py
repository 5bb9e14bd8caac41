"""Email/import (RFC 8621 §4.8): uploaded messages become Emails.

Parsing happens before the write transaction (in worker processes for large batches), so the
store's single writer is held only for the cheap part; a batch of imports commits once.
"""

from __future__ import annotations

from typing import Any

from store import WriteTxn

from ...mail import clock
from ...mail.messages import read_blob_any
from ...mail.parsing import parse_for_import
from ...mail.writer import store_message
from ...mime import EmailSummary, has_header_section
from ...protocol.errors import MethodError, SetError, invalid_properties
from ...workers.memory import give_back
from ...workers.parsing import MIN_POOLED_BATCH
from ..args import Args, parse
from ..context import Context
from ..dates import parse_utc_date
from . import placement


class EmailImportArgs(Args):
    accountId: str
    emails: dict[str, Any]
    ifInState: str | None = None


def read_item(ctx: Context, account_id: str, item: Any) -> tuple[bytes, str, int | None]:
    """Check one EmailImport and read its message; raises SetError for what the RFC says to reject."""
    if not isinstance(item, dict):
        raise invalid_properties([], "an EmailImport must be an object")
    unknown = [k for k in item if k not in ("blobId", "mailboxIds", "keywords", "receivedAt")]
    if unknown:
        raise invalid_properties(unknown, "unknown EmailImport properties")
    blob_id = item.get("blobId")
    if not isinstance(blob_id, str):
        raise invalid_properties(["blobId"], "blobId must be an Id")
    received_at = None
    if item.get("receivedAt") is not None:
        received_at = parse_utc_date(item["receivedAt"])
        if received_at is None:
            raise invalid_properties(["receivedAt"], "receivedAt must be a UTCDate")
    with ctx.store.read() as txn:
        raw = read_blob_any(txn, account_id, blob_id)
    if raw is None:
        raise invalid_properties(["blobId"], f"no blob {blob_id}")
    if not has_header_section(raw):
        # Not a message at all (RFC 8621 §4.8 invalidEmail); a malformed one is stored as it parses.
        raise SetError("invalidEmail", f"blob {blob_id} has no header section: it is not an email (RFC 5322)")
    return raw, blob_id, received_at


def prepare(ctx: Context, account_id: str, emails: dict[str, Any]) -> dict[str, Any]:
    """Per creation id: (item, (raw, blob id, parsed message, receivedAt)), or the SetError to report.

    The messages of a large batch are parsed in worker processes (jmapd/workers/parsing.py).
    """
    read: dict[str, Any] = {}
    for creation_id, item in emails.items():
        try:
            read[creation_id] = read_item(ctx, account_id, item)
        except SetError as exc:
            read[creation_id] = exc
    todo = [(cid, entry) for cid, entry in read.items() if not isinstance(entry, SetError)]
    pool = ctx.server.extras.get("parser")
    messages = [(raw, blob_id) for _, (raw, blob_id, _) in todo]
    parsed = pool.parse_many(messages) if pool is not None else [parse_for_import(*m) for m in messages]
    now = clock.now()
    for (creation_id, (raw, blob_id, received_at)), facts in zip(todo, parsed):
        when = received_at if received_at is not None else facts.received_at or now
        read[creation_id] = (emails[creation_id], (raw, blob_id, facts, when))
    return read


def import_emails(ctx: Context, raw_args: dict[str, Any]) -> dict[str, Any]:
    args = parse(raw_args, EmailImportArgs)
    account_id = ctx.account(args.accountId, "urn:ietf:params:jmap:mail", write=True)
    limit = ctx.server.core_limits.max_objects_in_set
    if len(args.emails) > limit:
        raise MethodError("requestTooLarge", f"at most {limit} emails in one Email/import")
    prepared = prepare(ctx, account_id, args.emails)

    summaries: dict[tuple[str, str], EmailSummary] = {}

    def work(txn: WriteTxn) -> dict[str, Any]:
        summaries.clear()
        old_state = str(txn.state(account_id, "Email"))
        if args.ifInState is not None and args.ifInState != old_state:
            raise MethodError("stateMismatch", f"Email state is {old_state}, not {args.ifInState}")
        created: dict[str, Any] = {}
        not_created: dict[str, Any] = {}
        for creation_id, entry in prepared.items():
            try:
                if isinstance(entry, SetError):
                    raise entry
                item, (raw, given_blob_id, parsed, received_at) = entry
                mailboxes = placement.mailbox_ids(ctx, txn, account_id, item.get("mailboxIds"))
                keywords = placement.keywords(item.get("keywords"))
            except SetError as exc:
                not_created[creation_id] = exc.to_json()
                continue
            # Everything that can reject one item is checked above, before its first write; what
            # follows succeeds or fails the whole request (the store aborts its transaction), so
            # items need no savepoint of their own, whose nested commit would cost more than the
            # item's writes.
            email_id, record = store_message(txn, account_id, raw, parsed, mailbox_ids=mailboxes, keywords=keywords,
                                             received_at=received_at, blob_id=given_blob_id)
            ctx.created(creation_id, email_id)
            summaries[(account_id, email_id)] = parsed.summary
            created[creation_id] = {"id": email_id, "blobId": record.blob_id, "threadId": record.thread_id,
                                    "size": record.size}
        search = ctx.server.extras.get("search")
        if search is not None and summaries:  # at the commit, before the indexer is woken by it
            txn.after_commit(lambda: search.hand_over(summaries))
        return {"accountId": account_id, "oldState": old_state, "newState": str(txn.state(account_id, "Email")),
                "created": created or None, "notCreated": not_created or None}

    response = ctx.store.write(work)
    if len(prepared) >= MIN_POOLED_BATCH:
        give_back()  # a batch of messages and their parses were just freed
    return response
