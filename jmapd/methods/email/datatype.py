"""The Email data type (RFC 8621 §4): get, changes and set over the Email writer."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from store import WriteTxn
from store.blobs import blob_id_for

from ...mail import clock
from ...mail.messages import read_blob_any
from ...mail.parsing import parse_for_import
from ...mail.records import EmailRecord, ThreadRecord
from ...mail.writer import delete_email, store_message, update_email
from ...mime.compose import BlobNotFound, ComposeError, compose_email
from ...protocol.capabilities import MAIL
from ...protocol.errors import MethodError, SetError, invalid_properties
from ..args import SetArgs
from ..datatype import DataType
from ..dates import parse_utc_date
from . import placement
from .properties import ALL, FAST, PARSED, check_body_properties, check_header_property, check_properties, fast_value
from .query import EmailQuery, EmailQueryChangesArgs
from .render import EmailGetArgs, renderer

# Properties Email/set create takes as stored state rather than message content (RFC 8621 §4.6).
METADATA_ON_CREATE = ("mailboxIds", "keywords", "receivedAt")


class EmailType(DataType):
    name = "Email"
    capability = MAIL
    record = EmailRecord
    id_prefix = "E"
    properties = ALL
    server_set = frozenset({"id", "blobId", "threadId", "size"})
    # Everything but mailboxIds and keywords is fixed once the Email exists (RFC 8621 §4.1).
    immutable = frozenset(ALL) - {"mailboxIds", "keywords"}
    get_args = EmailGetArgs

    query_changes_args = EmailQueryChangesArgs

    def run_query(self, ctx, txn, account_id, args) -> list[str]:
        return EmailQuery(ctx, txn, account_id, args).all_ids()

    def check_query(self, ctx, txn, account_id, args) -> None:
        EmailQuery(ctx, txn, account_id, args)  # compiling the filter and sort validates them

    def changed_since(self, ctx, txn, account_id, since, args) -> list[str]:
        """With collapsed threads or thread-keyword conditions, an email's place depends on the other
        emails of its thread: every email of a changed thread counts as changed."""
        changed = super().changed_since(ctx, txn, account_id, since, args)
        if not (args.collapseThreads or _mentions_thread(args)):
            return changed
        for thread_id in dict.fromkeys(e.id for _, e in txn.changes_since(account_id, "Thread", since)):
            thread = txn.get(account_id, "Thread", thread_id, ThreadRecord)
            changed += [email_id for _, email_id in (thread.emails if thread else [])]
        for email_id in list(changed):
            record = txn.get(account_id, "Email", email_id, EmailRecord)
            thread = record and txn.get(account_id, "Thread", record.thread_id, ThreadRecord)
            changed += [other for _, other in (thread.emails if thread else [])]
        return list(dict.fromkeys(changed))

    def renderer(self, ctx, txn, account_id, args):
        return renderer(txn, account_id, args)

    def fetch(self, ctx, txn, account_id, args, state, record_ids):
        """List views (record properties only) answer from kept renderings; anything that parses
        the message is rendered each time, as it is rarely asked for twice."""
        properties = check_properties(args.properties)
        check_body_properties(args.bodyProperties)
        if not FAST.issuperset(properties):
            return super().fetch(ctx, txn, account_id, args, state, record_ids)
        return ctx.server.rendered.answers(
            txn, account_id, self.name, properties, state, record_ids,
            load=lambda record_id: self.load(txn, account_id, record_id),
            renderer=lambda: renderer(txn, account_id, args))

    def to_json(self, ctx, txn, account_id, record_id, record, properties) -> dict[str, Any]:
        return {p: fast_value(record_id, record, p) for p in properties if p in FAST}

    def normalize_patch(self, patch: dict[str, Any]) -> dict[str, Any]:
        """Keywords are case-insensitive and stored lowercase (RFC 8621 §4.1.1)."""
        return {("keywords/" + k[9:].lower() if k[:9].lower() == "keywords/" else k): v for k, v in patch.items()}

    def patch_base(self, ctx, txn, account_id, record_id, record, patch) -> dict[str, Any]:
        """The cheap properties, plus the parsed ones the patch names: a client may send back a whole
        Email from Email/get (RFC 8620 §5.3), but parsing the message for every flag change would
        be waste."""
        named = {key.split("/", 1)[0] for key in patch}
        parsed = [p for p in named if p in PARSED or (p.startswith("header:") and _valid_header_property(p))]
        if not parsed:
            return self.to_json(ctx, txn, account_id, record_id, record, FAST)
        args = EmailGetArgs(accountId=account_id, properties=[*FAST, *parsed])
        return renderer(txn, account_id, args)(record_id, record)

    def create(self, ctx, txn: WriteTxn, account_id: str, obj: dict[str, Any], args: SetArgs):
        mailboxes = placement.mailbox_ids(ctx, txn, account_id, obj.get("mailboxIds"))
        keywords = placement.keywords(obj.get("keywords"))
        received_at = clock.now()
        if "receivedAt" in obj:
            received_at = parse_utc_date(obj["receivedAt"])
            if received_at is None:
                raise invalid_properties(["receivedAt"], "receivedAt must be a UTCDate")
        content = {k: v for k, v in obj.items() if k not in METADATA_ON_CREATE}
        try:
            raw = compose_email(content, lambda blob_id: read_blob_any(txn, account_id, blob_id),
                                hostname=ctx.server.hostname,
                                now=datetime.fromtimestamp(clock.now(), timezone.utc),
                                message_id=clock.current().message_id(ctx.server.hostname))
        except ComposeError as exc:
            raise invalid_properties(exc.properties, exc.description) from None
        except BlobNotFound as exc:
            raise SetError("blobNotFound", str(exc), notFound=exc.blob_ids) from None
        email_id, record = store_message(txn, account_id, raw, parse_for_import(raw, blob_id_for(raw)),
                                         mailbox_ids=mailboxes, keywords=keywords, received_at=received_at)
        return email_id, {"blobId": record.blob_id, "threadId": record.thread_id, "size": record.size}

    def update(self, ctx, txn, account_id, record_id, record: EmailRecord, changes, args) -> None:
        mailboxes = keywords = None
        if "mailboxIds" in changes:
            mailboxes = placement.mailbox_ids(ctx, txn, account_id, changes["mailboxIds"])
        if "keywords" in changes:
            keywords = placement.keywords(changes["keywords"])
        update_email(txn, account_id, record_id, record, mailbox_ids=mailboxes, keywords=keywords)
        return None

    def destroy(self, ctx, txn, account_id, record_id, record: EmailRecord, args) -> None:
        delete_email(txn, account_id, record_id, record)


def _mentions_thread(args) -> bool:
    """Whether the filter or sort looks at other emails of the thread."""
    thread_props = {"allInThreadHaveKeyword", "someInThreadHaveKeyword", "noneInThreadHaveKeyword"}
    if any(c.property in thread_props for c in args.sort or []):
        return True

    def walk(node) -> bool:
        if not isinstance(node, dict):
            return False
        if "operator" in node:
            return any(walk(c) for c in node.get("conditions") or [])
        return any(p in thread_props for p in node)

    return walk(args.filter)


def _valid_header_property(prop: str) -> bool:
    try:
        check_header_property(prop)
    except MethodError:
        return False
    return True
