"""The EmailSubmission data type (RFC 8621 §7): wire form, the checks of a create, undo, queries."""

from __future__ import annotations

import time
from typing import Any

from store.blobs import read_blob

from ...mail.identities import IDENTITY, ForbiddenFrom, IdentityRecord, check_may_send_as, identity_allows
from ...mail.records import EmailRecord
from ...mail.submissions import (
    SUBMISSION, CannotUnsend, Envelope, SubmissionLink, SubmissionPolicy, SubmissionRecord, cancel_submission,
    queue_message,
)
from ...protocol.capabilities import SUBMISSION as SUBMISSION_CAPABILITY
from ...protocol.errors import MethodError, SetError, invalid_arguments, invalid_properties
from ..args import SetArgs
from ..datatype import DataType
from ..dates import parse_utc_date, utc_date
from .envelope import derived_envelope, given_envelope, release_time


class EmailSubmissionSetArgs(SetArgs):
    onSuccessUpdateEmail: dict[str, Any] | None = None
    onSuccessDestroyEmail: list[str] | None = None


def envelope_json(envelope: Envelope) -> dict[str, Any]:
    address = lambda a: {"email": a.email, "parameters": a.parameters}  # noqa: E731
    return {"mailFrom": address(envelope.mail_from), "rcptTo": [address(a) for a in envelope.rcpt_to]}


class EmailSubmissionType(DataType):
    name = SUBMISSION
    capability = SUBMISSION_CAPABILITY
    record = SubmissionRecord
    id_prefix = "S"
    properties = ("id", "identityId", "emailId", "threadId", "envelope", "sendAt", "undoStatus",
                  "deliveryStatus", "dsnBlobIds", "mdnBlobIds")
    server_set = frozenset({"id", "threadId", "sendAt", "deliveryStatus", "dsnBlobIds", "mdnBlobIds"})
    immutable = frozenset(properties) - {"undoStatus"}
    set_args = EmailSubmissionSetArgs

    def to_json(self, ctx, txn, account_id, record_id, record: SubmissionRecord, properties) -> dict[str, Any]:
        full = {
            "id": record_id,
            "identityId": record.identity_id,
            "emailId": record.email_id,
            "threadId": record.thread_id,
            "envelope": envelope_json(record.envelope),
            "sendAt": utc_date(record.send_at),
            "undoStatus": record.undo_status,
            "deliveryStatus": {address: {"smtpReply": s.smtp_reply, "delivered": s.delivered,
                                         "displayed": s.displayed}
                               for address, s in record.delivery_status.items()},
            "dsnBlobIds": list(record.dsn_blob_ids),
            "mdnBlobIds": list(record.mdn_blob_ids),
        }
        return {p: full[p] for p in properties}

    # -- set -------------------------------------------------------------------------------------
    def create(self, ctx, txn, account_id, obj, args) -> tuple[str, dict[str, Any]]:
        policy: SubmissionPolicy | None = ctx.server.extras.get("submission")
        if policy is None:
            raise SetError("forbiddenToSend", "this server is not set up to send mail")
        unknown = [p for p in obj if p not in self.properties]
        if obj.get("undoStatus", "pending") != "pending":
            unknown.append("undoStatus")
        if unknown:
            raise invalid_properties(unknown, "unknown properties, or an undoStatus other than pending")
        identity_id = ctx.resolve_id(obj["identityId"]) if isinstance(obj.get("identityId"), str) else None
        identity = identity_id and txn.get(account_id, IDENTITY, identity_id, IdentityRecord)
        email_id = ctx.resolve_id(obj["emailId"]) if isinstance(obj.get("emailId"), str) else None
        email = email_id and txn.get(account_id, "Email", email_id, EmailRecord)
        missing = [p for p, found in (("identityId", identity), ("emailId", email)) if not found]
        if missing:
            raise invalid_properties(missing, "no such " + " or ".join(missing))
        max_size = policy.max_size
        outbox = ctx.server.extras.get("outbox")
        relay_limit = outbox.relay_size_limit() if outbox is not None else None
        if relay_limit:
            max_size = min(max_size, relay_limit)
        if email.size > max_size:
            raise SetError("tooLarge", f"the message is larger than {max_size} octets", maxSize=max_size)
        senders = email.summary.from_ or []
        if not senders:
            raise SetError("invalidEmail", "the message has no From address", properties=["from"])
        hostname = ctx.server.hostname
        for sender in senders:
            address = sender.get("email") or ""
            if not identity_allows(identity, address):
                raise SetError("forbiddenFrom", f"From {address!r} does not match identity {identity.email}")
            try:
                check_may_send_as(txn, account_id, address, hostname)
            except ForbiddenFrom as exc:
                raise SetError("forbiddenFrom", str(exc)) from None
        if obj.get("envelope") is None:
            envelope = derived_envelope(email, identity, policy)
        else:
            envelope = given_envelope(obj["envelope"], policy)
            mail_from = envelope.mail_from.email
            try:
                if not mail_from:
                    raise ForbiddenFrom("<>")
                check_may_send_as(txn, account_id, mail_from, hostname)
            except ForbiddenFrom:
                raise SetError("forbiddenMailFrom", f"this account may not use {mail_from!r} in MAIL FROM") from None
        moment = time.time()
        now = int(moment)
        release = release_time(envelope, moment, policy)
        raw = read_blob(txn, account_id, email.blob_id)
        if raw is None:
            raise SetError("invalidEmail", "the message's content is missing", properties=["blobId"])
        queued = queue_message(txn, account_id, raw, envelope, release_at=release, lifetime=policy.lifetime,
                               link=SubmissionLink(identity_id=identity_id, email_id=email_id,
                                                   thread_id=email.thread_id), now=now)
        ctx.submission_emails[queued.submission_id] = email_id
        record = txn.get(account_id, SUBMISSION, queued.submission_id, SubmissionRecord)
        shown = self.to_json(ctx, txn, account_id, queued.submission_id, record, frozenset(self.properties))
        return queued.submission_id, {p: v for p, v in shown.items() if p not in obj and p != "id"}

    def update(self, ctx, txn, account_id, record_id, record: SubmissionRecord, changes, args):
        if set(changes) != {"undoStatus"} or changes["undoStatus"] != "canceled":
            raise invalid_properties(list(changes), "only undoStatus may change, and only to canceled")
        try:
            cancel_submission(txn, account_id, record_id)
        except CannotUnsend as exc:
            raise SetError("cannotUnsend", str(exc)) from None
        ctx.submission_emails[record_id] = record.email_id
        return None

    def destroy(self, ctx, txn, account_id, record_id, record: SubmissionRecord, args) -> None:
        """Only the record goes; the delivery it describes goes on (RFC 8621 §7.5)."""
        ctx.submission_emails[record_id] = record.email_id
        txn.destroy(account_id, self.name, record_id)

    # -- query -----------------------------------------------------------------------------------
    def condition(self, ctx, txn, account_id, condition):
        tests = []
        for prop, value in condition.items():
            if prop in ("identityIds", "emailIds", "threadIds"):
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise invalid_arguments(f"{prop} must be a list of ids")
                wanted = {ctx.resolve_id(v) for v in value}
                field = {"identityIds": "identity_id", "emailIds": "email_id", "threadIds": "thread_id"}[prop]
                tests.append(lambda i, r, f=field, w=wanted: getattr(r, f) in w)
            elif prop == "undoStatus":
                if not isinstance(value, str):
                    raise invalid_arguments("undoStatus must be a string")
                tests.append(lambda i, r, v=value: r.undo_status == v)
            elif prop in ("before", "after"):
                when = parse_utc_date(value)
                if when is None:
                    raise invalid_arguments(f"{prop} must be a UTCDate")
                tests.append((lambda i, r, w=when: r.send_at < w) if prop == "before"
                             else (lambda i, r, w=when: r.send_at >= w))
            else:
                raise MethodError("unsupportedFilter", f"EmailSubmission has no filter {prop!r}")
        return lambda i, r: all(t(i, r) for t in tests)

    def sort_key(self, ctx, txn, account_id, comparator):
        keys = {"emailId": lambda i, r: r.email_id, "threadId": lambda i, r: r.thread_id,
                "sentAt": lambda i, r: r.send_at, "sendAt": lambda i, r: r.send_at}
        if comparator.property not in keys:
            return super().sort_key(ctx, txn, account_id, comparator)
        return keys[comparator.property]

