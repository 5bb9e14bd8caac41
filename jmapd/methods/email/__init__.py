"""Email methods (RFC 8621 §4): get, changes, query, queryChanges, set, copy, import, parse."""

from __future__ import annotations

from ...protocol.capabilities import MAIL
from ...protocol.engine import Registry
from ..standard import register as register_standard
from .copy import copy_emails
from .datatype import EmailType
from .import_ import import_emails
from .parse import parse_emails
from .query import email_query

EMAIL = EmailType()


def register(registry: Registry) -> None:
    register_standard(registry, EMAIL, "get", "changes", "set", "queryChanges")
    registry.add("Email/copy", MAIL, copy_emails, writes=True)
    registry.add("Email/import", MAIL, import_emails, writes=True)
    registry.add("Email/parse", MAIL, parse_emails)
    registry.add("Email/query", MAIL, email_query)
