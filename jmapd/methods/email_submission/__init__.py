"""EmailSubmission/get, /changes, /query, /queryChanges and /set (RFC 8621 §7).

/set takes two more arguments, onSuccessUpdateEmail and onSuccessDestroyEmail: once the submissions
are applied, the Emails of those that succeeded are changed by one implicit Email/set, answered
right after the EmailSubmission/set response under the same call id (RFC 8621 §7.5).
"""

from __future__ import annotations

from typing import Any

from ...protocol.capabilities import SUBMISSION
from ...protocol.engine import Registry
from ..args import parse
from ..context import Context
from ..identity import ensure_defaults
from ..standard import METHODS
from ..standard import register as register_standard
from .datatype import EmailSubmissionSetArgs, EmailSubmissionType

EMAIL_SUBMISSION = EmailSubmissionType()


def set_submissions(ctx: Context, raw: dict[str, Any]) -> dict[str, Any]:
    args = parse(raw, EmailSubmissionSetArgs)
    ensure_defaults(ctx, raw)  # a client may send with a default identity it has not fetched yet
    ctx.submission_emails = {}
    response = METHODS["set"](EMAIL_SUBMISSION, ctx, raw)
    succeeded = set((response.get("created") or {}).get(cid, {}).get("id") for cid in response.get("created") or {})
    succeeded |= set(response.get("updated") or {}) | set(response.get("destroyed") or [])

    def email_of(key: str) -> str | None:
        submission_id = ctx.resolve_id(key) if key.startswith("#") else key
        return ctx.submission_emails.get(submission_id) if submission_id in succeeded else None

    update = {}
    for key, patch in (args.onSuccessUpdateEmail or {}).items():
        email_id = email_of(key)
        if email_id is not None:
            update[email_id] = patch
    destroy = [e for e in (email_of(k) for k in args.onSuccessDestroyEmail or []) if e is not None]
    if update or destroy:
        ctx.then("Email/set", {"accountId": response["accountId"], "update": update or None,
                               "destroy": destroy or None})
    return response


def register(registry: Registry) -> None:
    register_standard(registry, EMAIL_SUBMISSION, "get", "changes", "query", "queryChanges")
    registry.add("EmailSubmission/set", SUBMISSION, set_submissions, blocking=True)
