"""Email methods (RFC 8621 §4): get, changes, query, queryChanges, set, copy, import, parse."""

from __future__ import annotations

from ...protocol.capabilities import MAIL
from ...protocol.engine import Registry
from ..standard import register as register_standard
from ..standard.query_changes import query_changes
from .conditions import has_text_condition
from .copy import copy_emails
from .datatype import EmailType
from .import_ import import_emails
from .parse import parse_emails
from .query import email_query

EMAIL = EmailType()


def register(registry: Registry) -> None:
    register_standard(registry, EMAIL, "get", "changes", "set")
    registry.add("Email/queryChanges", MAIL, lambda call, args: query_changes(EMAIL, call, args),
                 blocking=lambda args: has_text_condition(args.get("filter")))
    registry.add("Email/copy", MAIL, copy_emails, blocking=True)
    registry.add("Email/import", MAIL, import_emails, blocking=True)
    registry.add("Email/parse", MAIL, parse_emails)
    registry.add("Email/query", MAIL, email_query, blocking=lambda args: has_text_condition(args.get("filter")))
