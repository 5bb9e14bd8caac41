"""What a mailbox list view and the search index need, computed once at import.

Stored alongside the message (msgpack via msgspec) so that list views and
Email/get of the fast properties (RFC 8621 §4.2) never re-parse MIME.
"""

from __future__ import annotations

import msgspec

from .dates import date_and_epoch, date_to_epoch
from .headers import unfold
from .message import Message

__all__ = ["EmailSummary", "summarize", "body_text", "BODY_TEXT_LIMIT"]

# Search text beyond this many characters is not indexed.
BODY_TEXT_LIMIT = 1_000_000

AddressList = list[dict[str, str | None]]


class EmailSummary(msgspec.Struct, omit_defaults=True):
    """Header-derived and body-derived facts of one message.

    Address lists are RFC 8621 EmailAddress dicts ({"name", "email"}); every
    field is the value the matching Email property would have (None where the
    property is null). ``sent_at`` is the Date form (RFC 3339 with the
    sender's offset); ``sent_at_epoch`` is the same instant in seconds, for sorting.
    """

    subject: str | None = None
    from_: AddressList | None = msgspec.field(default=None, name="from")
    to: AddressList | None = None
    cc: AddressList | None = None
    bcc: AddressList | None = None
    reply_to: AddressList | None = None
    sender: AddressList | None = None
    sent_at: str | None = None
    sent_at_epoch: int | None = None
    message_id: list[str] | None = None
    in_reply_to: list[str] | None = None
    references: list[str] | None = None
    preview: str = ""
    has_attachment: bool = False
    body_text: str = ""
    attachment_names: list[str] = msgspec.field(default_factory=list)


def body_text(msg: Message) -> str:
    """The searchable text of the body: text parts, and HTML ones as a reader sees them."""
    return "\n\n".join(t for t in msg.body_text_parts() if t)[:BODY_TEXT_LIMIT]


def summarize(msg: Message) -> EmailSummary:
    """Build the summary of a parsed message. Never raises on message content."""
    h = msg.header
    date_raw = msg._values("date")
    sent_at = None
    epoch = None
    if date_raw and date_raw[-1].isascii():  # the Date form reads it as it is: one parse for both
        sent_at, epoch = date_and_epoch(unfold(date_raw[-1]))
    elif date_raw:
        sent_at = h("Date", "Date")
        if sent_at is not None:
            epoch = date_to_epoch(unfold(date_raw[-1]))
    body = body_text(msg)
    names = [p.name for p in msg.attachment_parts() if p.name]
    return EmailSummary(
        subject=h("Subject", "Text"),
        from_=h("From", "Addresses"),
        to=h("To", "Addresses"),
        cc=h("Cc", "Addresses"),
        bcc=h("Bcc", "Addresses"),
        reply_to=h("Reply-To", "Addresses"),
        sender=h("Sender", "Addresses"),
        sent_at=sent_at,
        sent_at_epoch=epoch,
        message_id=h("Message-ID", "MessageIds"),
        in_reply_to=h("In-Reply-To", "MessageIds"),
        references=h("References", "MessageIds"),
        preview=msg.preview,
        has_attachment=msg.has_attachment,
        body_text=body,
        attachment_names=names,
    )
