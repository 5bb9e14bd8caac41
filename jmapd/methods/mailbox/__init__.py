"""Mailbox/get, /changes, /query, /queryChanges and /set (RFC 8621 §2)."""

from __future__ import annotations

from ...protocol.engine import Registry
from ..standard import register as register_standard
from .datatype import MailboxType

MAILBOX = MailboxType()


def register(registry: Registry) -> None:
    register_standard(registry, MAILBOX, "get", "changes", "set", "query", "queryChanges")
