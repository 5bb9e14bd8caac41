"""Email methods (RFC 8621 §4): get, changes, query, queryChanges, set, copy, import, parse."""

from __future__ import annotations

from ...protocol.capabilities import MAIL
from ...protocol.engine import Registry
from ..standard import register as register_standard
from ..cost import email_get_may_block, email_query_may_block
from ..standard.get import get
from ..standard.query_changes import query_changes
from .copy import copy_emails
from .datatype import EmailType
from .import_ import import_emails
from .parse import parse_emails
from .query import email_query

EMAIL = EmailType()


def register(registry: Registry) -> None:
    register_standard(registry, EMAIL, "changes", "set")
    # Where each call runs: jmapd.methods.cost.
    registry.add("Email/get", MAIL, lambda call, args: get(EMAIL, call, args), blocking=email_get_may_block)
    registry.add("Email/queryChanges", MAIL, lambda call, args: query_changes(EMAIL, call, args), blocking=True)
    registry.add("Email/copy", MAIL, copy_emails, blocking=True)
    registry.add("Email/import", MAIL, import_emails, blocking=True)
    registry.add("Email/parse", MAIL, parse_emails, blocking=True)
    registry.add("Email/query", MAIL, email_query, blocking=email_query_may_block)
