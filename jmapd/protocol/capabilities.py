"""Capability identifiers and the limits of the core capability (RFC 8620 §2)."""

from __future__ import annotations

import msgspec

CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"
SUBMISSION = "urn:ietf:params:jmap:submission"
VACATION = "urn:ietf:params:jmap:vacationresponse"
WEBSOCKET = "urn:ietf:params:jmap:websocket"
QUOTA = "urn:ietf:params:jmap:quota"  # RFC 9425


class CoreLimits(msgspec.Struct, kw_only=True, rename="camel"):
    """Advertised in the Session and enforced; the defaults are at or above the RFC's suggested minimums."""

    max_size_upload: int = 50_000_000
    max_concurrent_upload: int = 4
    max_size_request: int = 10_000_000
    max_concurrent_requests: int = 8
    max_calls_in_request: int = 32
    max_objects_in_get: int = 1000
    max_objects_in_set: int = 1000
    collation_algorithms: list[str] = msgspec.field(
        default_factory=lambda: ["i;ascii-numeric", "i;ascii-casemap", "i;unicode-casemap"]
    )


class MailLimits(msgspec.Struct, kw_only=True, rename="camel"):
    """The mail account capability (RFC 8621 §1.3.1)."""

    max_mailboxes_per_email: int | None = None
    max_mailbox_depth: int | None = 10
    max_size_mailbox_name: int = 255
    max_size_attachments_per_email: int = 50_000_000
    may_create_top_level_mailbox: bool = True
