"""Bounces: a delivery status notification (RFC 3464) for recipients that failed for good,
filed in the sender's Inbox. It is a multipart/report with a human-readable part, the
machine-readable message/delivery-status, and the original message's header (text/rfc822-headers,
RFC 6522), so mail clients show and understand it as any bounce."""

from __future__ import annotations

import secrets
import time
from email.utils import format_datetime, make_msgid
from datetime import datetime, timezone

from ..mail.submissions import QueueEntry, RecipientState
from ..mime.headers import split_header_block


def compose_dsn(entry: QueueEntry, failed: list[RecipientState], original: bytes, hostname: str,
                now: float | None = None) -> bytes:
    when = format_datetime(datetime.fromtimestamp(now or time.time(), timezone.utc))
    boundary = "dsn-" + secrets.token_hex(12)
    _, body_at = split_header_block(original, 0, len(original))
    headers = original[:body_at].rstrip(b"\r\n").replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    lines = "\r\n".join(f"  {r.address}: {r.reply}" for r in failed)
    per_recipient = "\r\n\r\n".join(
        f"Final-Recipient: rfc822; {r.address}\r\n"
        f"Action: failed\r\n"
        f"Status: {_status(r.reply)}\r\n"
        f"Diagnostic-Code: smtp; {r.reply}\r\n"
        f"Last-Attempt-Date: {when}"
        for r in failed)
    text = (
        f"From: Mail Delivery System <MAILER-DAEMON@{hostname}>\r\n"
        f"To: <{entry.mail_from.email}>\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\n"
        f"Date: {when}\r\n"
        f"Message-ID: {make_msgid('dsn', hostname)}\r\n"
        f"Auto-Submitted: auto-replied\r\n"
        f"MIME-Version: 1.0\r\n"
        f"Content-Type: multipart/report; report-type=delivery-status; boundary=\"{boundary}\"\r\n"
        f"\r\n"
        f"--{boundary}\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n"
        f"\r\n"
        f"Your message could not be delivered to these recipients:\r\n\r\n{lines}\r\n"
        f"\r\n"
        f"--{boundary}\r\n"
        f"Content-Type: message/delivery-status\r\n"
        f"\r\n"
        f"Reporting-MTA: dns; {hostname}\r\n"
        f"Arrival-Date: {format_datetime(datetime.fromtimestamp(entry.created_at, timezone.utc))}\r\n"
        f"\r\n"
        f"{per_recipient}\r\n"
        f"\r\n"
        f"--{boundary}\r\n"
        f"Content-Type: text/rfc822-headers\r\n"
        f"\r\n"
    ).encode()
    return text + headers + f"\r\n\r\n--{boundary}--\r\n".encode()


def _status(reply: str) -> str:
    """The enhanced status code of a reply (RFC 3463), or one made from its basic code."""
    parts = reply.split()
    if len(parts) > 1 and parts[1].count(".") == 2 and parts[1].replace(".", "").isdigit():
        return parts[1]
    return f"{reply[:1] if reply[:1] in '45' else '5'}.0.0"
