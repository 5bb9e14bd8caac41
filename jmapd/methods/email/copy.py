"""Email/copy (RFC 8621 §4.7, RFC 8620 §5.4): the same message in another account.

Only mailboxIds, keywords and receivedAt may differ from the original; the message itself, and so
its blob, is shared by content address. With onSuccessDestroyOriginal the originals are destroyed by
an implicit Email/set whose response follows this one under the same call id.
"""

from __future__ import annotations

from typing import Any

from store import WriteTxn
from store.blobs import grant

from ...mail import envelopes
from ...mail.records import EmailRecord
from ...mail.writer import insert_email
from ...protocol.capabilities import MAIL
from ...protocol.errors import MethodError, SetError, invalid_properties
from ..args import CopyArgs, parse
from ..context import Context
from ..dates import parse_utc_date
from . import placement

SETTABLE = {"id", "mailboxIds", "keywords", "receivedAt"}


def copy_emails(ctx: Context, raw_args: dict[str, Any]) -> dict[str, Any]:
    args = parse(raw_args, CopyArgs)
    from_account = ctx.account(args.fromAccountId, MAIL, prefix="from")
    to_account = ctx.account(args.accountId, MAIL, write=True)
    if from_account == to_account:
        raise MethodError("invalidArguments", "fromAccountId and accountId must differ (RFC 8620 §5.4)")
    limit = ctx.server.core_limits.max_objects_in_set
    if len(args.create) > limit:
        raise MethodError("requestTooLarge", f"at most {limit} copies in one Email/copy")
    copied_from: list[str] = []

    def work(txn: WriteTxn) -> dict[str, Any]:
        copied_from.clear()
        from_state = str(txn.state(from_account, "Email"))
        if args.ifFromInState is not None and args.ifFromInState != from_state:
            raise MethodError("stateMismatch", f"from-account Email state is {from_state}")
        old_state = str(txn.state(to_account, "Email"))
        if args.ifInState is not None and args.ifInState != old_state:
            raise MethodError("stateMismatch", f"Email state is {old_state}, not {args.ifInState}")
        created: dict[str, Any] = {}
        not_created: dict[str, Any] = {}
        for creation_id, obj in args.create.items():
            try:
                with txn.savepoint():
                    email_id, record, source_id = _copy_one(ctx, txn, from_account, to_account, obj)
            except SetError as exc:
                not_created[creation_id] = exc.to_json()
                continue
            ctx.created(creation_id, email_id)
            copied_from.append(source_id)
            created[creation_id] = {"id": email_id, "blobId": record.blob_id, "threadId": record.thread_id,
                                    "size": record.size}
        return {"fromAccountId": from_account, "accountId": to_account, "oldState": old_state,
                "newState": str(txn.state(to_account, "Email")), "created": created or None,
                "notCreated": not_created or None}

    response = ctx.store.write(work)
    if args.onSuccessDestroyOriginal and copied_from:
        ctx.then("Email/set", {"accountId": from_account, "destroy": copied_from,
                               "ifInState": args.destroyFromIfInState})
    return response


def _copy_one(ctx: Context, txn: WriteTxn, from_account: str, to_account: str,
              obj: Any) -> tuple[str, EmailRecord, str]:
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
        raise invalid_properties(["id"], "each copy names the id of the Email to copy")
    other = [k for k in obj if k not in SETTABLE]
    if other:
        raise invalid_properties(other, "only mailboxIds, keywords and receivedAt may be set on copy")
    source_id = obj["id"]
    source = txn.get(from_account, "Email", source_id, EmailRecord)
    if source is None:
        raise SetError("notFound", f"no Email {source_id} in the from account")
    mailboxes = placement.mailbox_ids(ctx, txn, to_account, obj.get("mailboxIds"))
    keywords = placement.keywords(obj["keywords"]) if "keywords" in obj else list(source.keywords)
    received_at = source.received_at
    if obj.get("receivedAt") is not None:
        received_at = parse_utc_date(obj["receivedAt"])
        if received_at is None:
            raise invalid_properties(["receivedAt"], "receivedAt must be a UTCDate")
    grant(txn, to_account, source.blob_id, source.size, "message/rfc822")
    email_id, record = insert_email(txn, to_account, blob_id=source.blob_id, size=source.size,
                                    summary=source.summary, mailbox_ids=mailboxes, keywords=keywords,
                                    received_at=received_at, head=envelopes.head(txn, from_account, source_id))
    return email_id, record, source_id
