"""Sending the draft's way (draft §5.3.3, §5.3.4): a message put in the Outbox is submitted, one
taken out of it before it has gone is not.

A submission is an RFC 8621 EmailSubmission (EmailSubmission/set), so RFC 8621 clients see it and
its delivery status too: its identity is the account's identity for the message's From address, and
a `date` in the future holds it until then (RFC 4865 HOLDUNTIL in its envelope). Once sent, the mail
layer moves the message from the Outbox to Sent (jmapd/mail/outbox_mailbox.py).

What the draft checks before sending (a From the user may send as, at least one recipient, every
address valid) is refused as invalidProperties naming the properties at fault.
"""

from __future__ import annotations

import time
from typing import Any

from ..mail.identities import IdentityRecord, identity_allows
from ..mail.submissions import pending_submissions
from ..methods.context import Context
from ..methods.dates import parse_utc_date
from ..methods.email_submission.envelope import smtp_mailbox
from .common import rfc

RECIPIENTS = ("to", "cc", "bcc")
# RFC 8621 §7.5 EmailSubmission SetErrors, as the draft properties at fault.
PROPERTIES_AT_FAULT = {"forbiddenFrom": ["from"], "forbiddenMailFrom": ["from"], "invalidEmail": ["from"],
                       "invalidRecipients": list(RECIPIENTS), "noRecipients": list(RECIPIENTS),
                       "tooManyRecipients": list(RECIPIENTS), "tooLarge": ["attachments"],
                       "invalidProperties": ["date"], "forbiddenToSend": ["mailboxIds"]}


def _refused(properties: list[str], description: str) -> dict[str, Any]:
    return {"type": "invalidProperties", "properties": sorted(set(properties)), "description": description}


def _identity(identities: list[dict[str, Any]], address: str) -> str | None:
    return next((i["id"] for i in identities if identity_allows(IdentityRecord(email=i["email"]), address)), None)


def submit(ctx: Context, account_id: str, emails: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Submit these Emails (key -> email id) from the Outbox; returns key -> SetError for those that
    cannot be sent (the caller takes them back out, as the draft rejects them)."""
    if not emails:
        return {}
    if ctx.server.extras.get("submission") is None:
        return {key: _refused(["mailboxIds"], "this server does not send mail") for key in emails}
    shown = rfc(ctx, "Email/get", {"accountId": account_id, "ids": list(dict.fromkeys(emails.values())),
                                   "properties": ["from", *RECIPIENTS, "receivedAt"]})
    by_id = {e["id"]: e for e in shown["list"]}
    identities = rfc(ctx, "Identity/get", {"accountId": account_id})["list"]
    refused: dict[str, dict[str, Any]] = {}
    creates: dict[str, Any] = {}
    now = int(time.time())
    for key, email_id in emails.items():
        email = by_id.get(email_id)
        if email is None:
            refused[key] = {"type": "notFound"}
            continue
        senders = email.get("from") or []
        sender = smtp_mailbox(senders[0].get("email")) if len(senders) == 1 else None
        identity = sender and _identity(identities, sender)
        bad = [] if identity else ["from"]
        addresses = [a.get("email") for p in RECIPIENTS for a in email.get(p) or []]
        if not addresses:
            bad.append("to")
        bad += [p for p in RECIPIENTS if any(smtp_mailbox(a.get("email")) is None for a in email.get(p) or [])]
        if bad:
            refused[key] = _refused(bad, "a message is sent from an address the user may send as, to at least "
                                         "one valid address (draft §5.3.3)")
            continue
        submission: dict[str, Any] = {"identityId": identity, "emailId": email_id}
        when = parse_utc_date(email["receivedAt"])
        if when is not None and when > now:  # the draft's date: send then (draft §5.3.1 date)
            submission["envelope"] = {
                "mailFrom": {"email": sender, "parameters": {"HOLDUNTIL": email["receivedAt"]}},
                "rcptTo": [{"email": a} for a in dict.fromkeys(smtp_mailbox(a) for a in addresses)]}
        creates[key] = submission
    if creates:
        result = rfc(ctx, "EmailSubmission/set", {"accountId": account_id, "create": creates})
        for key, error in (result.get("notCreated") or {}).items():
            refused[key] = _refused(PROPERTIES_AT_FAULT.get(error["type"], ["mailboxIds"]),
                                    error.get("description") or error["type"])
    return refused


def cancel(ctx: Context, account_id: str, email_ids: list[str]) -> set[str]:
    """Cancel the sending of these Emails (draft §5.3.4); returns those whose sending has begun and
    can no longer be cancelled."""
    if not email_ids:
        return set()
    with ctx.store.read() as txn:
        pending = pending_submissions(txn, account_id, email_ids)
    if not pending:
        return set()
    result = rfc(ctx, "EmailSubmission/set", {"accountId": account_id, "update": {
        submission_id: {"undoStatus": "canceled"} for submission_id in pending.values()}})
    failed = set(result.get("notUpdated") or {})
    return {email_id for email_id, submission_id in pending.items() if submission_id in failed}
