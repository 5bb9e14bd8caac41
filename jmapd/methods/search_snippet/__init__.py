"""SearchSnippet/get (RFC 8621 §5): the subject and a piece of the body with the filter's words marked.

The words are analysed exactly as the index analyses them, so a match the search found (accents or
case folded, a CJK word inside a sentence) is also the one marked; everything else is HTML-escaped.
"""

from __future__ import annotations

from typing import Any

from ...mail.messages import stored_message
from ...mail.records import EmailRecord
from ...mime.summary import body_text
from ...protocol.budget import check_budget
from ...protocol.capabilities import MAIL
from ...protocol.engine import Registry
from ...protocol.errors import MethodError, invalid_arguments
from ..args import Args, parse
from ..context import Context
from ..email.conditions import KNOWN_CONDITIONS, ThreadKeywords, compile_condition
from ..filtering import build_filter


class SearchSnippetGetArgs(Args):
    accountId: str
    emailIds: list[str]
    filter: dict[str, Any] | None = None


class _UnsearchedText:
    """Text conditions are checked but not run: snippets need the filter's words, not its matches."""

    def matching_ids(self, txn, account_id, field, text) -> set[str]:
        return set()


def check_filter(ctx: Context, txn, account_id: str, node: Any) -> None:
    """The filter is "the same filter as passed to Email/query" (RFC 8621 §5.1): it is rejected
    exactly as Email/query would reject it (unsupportedFilter, invalidArguments)."""
    if node is None:
        return
    threads = ThreadKeywords(txn, account_id)
    build_filter(node, lambda c: compile_condition(c, ctx=ctx, txn=txn, account_id=account_id,
                                                    search=_UnsearchedText(), threads=threads))


def filter_texts(node: Any, fields: tuple[str, ...], negated: bool = False) -> list[str]:
    """The text of the conditions on `fields` that a match satisfies: not those under an odd number
    of NOTs (a NOT of a NOT requires its words again)."""
    if not isinstance(node, dict):
        raise invalid_arguments("a filter must be a FilterOperator or FilterCondition object")
    if "operator" in node:
        conditions = node.get("conditions")
        if node.get("operator") not in ("AND", "OR", "NOT") or not isinstance(conditions, list):
            raise invalid_arguments("a FilterOperator needs operator AND, OR or NOT and a conditions array")
        negated = negated != (node["operator"] == "NOT")
        return [t for c in conditions for t in filter_texts(c, fields, negated)]
    unknown = [k for k in node if k not in KNOWN_CONDITIONS]
    if unknown:
        raise MethodError("unsupportedFilter", f"Email filters have no condition {unknown[0]!r}")
    if negated:
        return []
    return [node[f] for f in fields if isinstance(node.get(f), str)]


def get_snippets(ctx: Context, raw: dict[str, Any]) -> dict[str, Any]:
    # The analyser loads on first use: its Unicode tables would slow every server start.
    from index import PREVIEW_MAX_BYTES, SearchIndex

    args = parse(raw, SearchSnippetGetArgs)
    account_id = ctx.account(args.accountId, MAIL)
    limit = ctx.server.core_limits.max_objects_in_get
    if len(args.emailIds) > limit:
        raise MethodError("requestTooLarge", f"at most {limit} emailIds in one SearchSnippet/get")
    found, not_found = [], []
    with ctx.store.read() as txn:
        check_filter(ctx, txn, account_id, args.filter)
        subject_terms = SearchIndex.query_terms(" ".join(filter_texts(args.filter or {}, ("text", "subject"))))
        body_terms = SearchIndex.query_terms(" ".join(filter_texts(args.filter or {}, ("text", "body"))))
        for email_id in dict.fromkeys(args.emailIds):
            check_budget()
            record = txn.get(account_id, "Email", email_id, EmailRecord)
            if record is None:
                not_found.append(email_id)
                continue
            subject = record.summary.subject
            preview = None
            if not body_terms.empty:
                message = stored_message(txn, account_id, record.blob_id)
                preview = SearchIndex.snippet(body_text(message), body_terms, max_bytes=PREVIEW_MAX_BYTES)
            found.append({
                "emailId": email_id,
                "subject": None if subject_terms.empty or not subject else SearchIndex.snippet(subject, subject_terms),
                "preview": preview,
            })
    return {"accountId": account_id, "list": found, "notFound": not_found or None}


def register(registry: Registry) -> None:
    # Each snippet parses its message: never on the event loop.
    registry.add("SearchSnippet/get", MAIL, get_snippets, blocking=True)
