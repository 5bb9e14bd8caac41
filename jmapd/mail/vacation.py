"""Vacation replies (RFC 8621 §8) and when to send one (RFC 3834).

`decide` is the rule, a pure function: a reply goes to the first message from each sender in a
period (seven days by default, RFC 3834 §4), while the response is on and inside its dates, and
never to mailing lists, bulk mail, automatic mail, null or system senders, or the user's own
addresses (RFC 3834 §2). `vacation_reply` applies it to a delivered message inside the delivery's
transaction: it remembers whom it answered and puts the reply in the submission queue, from the
null sender (RFC 3834 §3.3), with In-Reply-To, References and `Auto-Submitted: auto-replied`.
"""

from __future__ import annotations

import time

import msgspec

from store import WriteTxn

from ..mime import Message, parse_message
from ..mime.compose import compose_email
from .addresses import addresses_of, normalize_address
from .errors import InvalidAddress
from .expiry import expire_at, removes_once_older
from .identities import account_owner
from .submissions import Address, Envelope, Queued, queue_message

VACATION = "VacationResponse"
SINGLETON = "singleton"
REPLIED = "VacationReplied"  # per account, unlogged: sender address -> when it was last answered
DEFAULT_PERIOD = 7 * 86400

# Local parts of senders that are programs, not people (RFC 3834 §2).
SYSTEM_SENDERS = ("mailer-daemon", "postmaster", "listserv", "majordomo", "owner-", "-request", "noreply",
                  "no-reply")


class VacationRecord(msgspec.Struct, kw_only=True):
    is_enabled: bool = False
    from_date: int | None = None
    to_date: int | None = None
    subject: str | None = None
    text_body: str | None = None
    html_body: str | None = None


class Replied(msgspec.Struct, array_like=True):
    at: int


# A sender answered again since has a younger note, which stays (RFC 3834 §4: one reply per period).
removes_once_older(REPLIED, Replied, DEFAULT_PERIOD)


class Decision(msgspec.Struct, frozen=True):
    reply: bool
    why: str


def decide(vacation: VacationRecord, message: Message, sender: str, own_addresses: list[str], *, now: int,
           last_replied: int | None, period: int = DEFAULT_PERIOD) -> Decision:
    """Whether `message`, from envelope sender `sender`, gets a vacation reply now."""
    if not vacation.is_enabled:
        return Decision(False, "the vacation response is off")
    if vacation.from_date is not None and now < vacation.from_date:
        return Decision(False, "before fromDate")
    if vacation.to_date is not None and now >= vacation.to_date:
        return Decision(False, "on or after toDate")
    if not sender or sender == "<>":
        return Decision(False, "a null sender (a bounce or a notification)")
    local = sender.rpartition("@")[0].lower()
    if any(local.startswith(p) if p.endswith("-") else local.endswith(p) if p.startswith("-") else local == p
           for p in SYSTEM_SENDERS):
        return Decision(False, "the sender is a program")
    if sender.lower() in {a.lower() for a in own_addresses}:
        return Decision(False, "the user's own address")
    auto = (message.header("Auto-Submitted", "Text") or "no").strip().lower()
    if auto.split(";")[0].strip() != "no":
        return Decision(False, "Auto-Submitted mail")
    if (message.header("Precedence", "Text") or "").strip().lower() in ("bulk", "list", "junk"):
        return Decision(False, "bulk or list mail (Precedence)")
    if any(message.header(name) is not None for name in ("List-Id", "List-Post", "List-Unsubscribe", "List-Help")):
        return Decision(False, "mailing list mail")
    if last_replied is not None and now - last_replied < period:
        return Decision(False, "already answered in this period")
    return Decision(True, "first message from this sender in the period")


def vacation_reply(txn: WriteTxn, account_id: str, raw: bytes, sender: str, hostname: str, *,
                   now: int | None = None, period: int = DEFAULT_PERIOD) -> Queued | None:
    """Queue the vacation reply to a delivered message, if one is due (see `decide`)."""
    vacation = txn.get(account_id, VACATION, SINGLETON, VacationRecord)
    if vacation is None or not vacation.is_enabled:
        return None
    owner = account_owner(txn, account_id)
    if owner is None:
        return None
    now = int(time.time()) if now is None else now
    try:
        sender = normalize_address(sender) if sender else ""
    except InvalidAddress:
        return None
    own = addresses_of(txn, owner, hostname)
    message = parse_message(raw, "")
    last = txn.get(account_id, REPLIED, sender.lower(), Replied)
    if not decide(vacation, message, sender, own, now=now, last_replied=last and last.at, period=period).reply:
        return None
    txn.put_unlogged(account_id, REPLIED, sender.lower(), Replied(now))
    expire_at(txn, now + period, account_id, REPLIED, sender.lower())
    reply = compose_reply(vacation, message, sender, _addressed_as(message, own), hostname)
    return queue_message(txn, account_id, reply, Envelope(mail_from=Address(email=""),
                                                          rcpt_to=[Address(email=sender)]), now=now)


def compose_reply(vacation: VacationRecord, message: Message, sender: str, from_address: str, hostname: str) -> bytes:
    original_subject = message.header("Subject", "Text") or ""
    subject = vacation.subject or (f"Auto: {original_subject}" if original_subject else "Automatic reply")
    ids = message.header("Message-ID", "MessageIds") or []
    references = (message.header("References", "MessageIds") or message.header("In-Reply-To", "MessageIds") or [])
    email: dict = {"from": [{"email": from_address}], "to": [{"email": sender}], "subject": subject,
                   "header:Auto-Submitted:asText": "auto-replied"}
    if ids:
        email["inReplyTo"] = ids[-1:]
        email["references"] = [*references, ids[-1]]
    text = vacation.text_body
    if text is None and vacation.html_body is None:
        text = "I am away and will read your message when I am back."
    values, parts = {}, {}
    if text is not None:
        values["t"] = {"value": text}
        parts["textBody"] = [{"partId": "t", "type": "text/plain"}]
    if vacation.html_body is not None:
        values["h"] = {"value": vacation.html_body}
        parts["htmlBody"] = [{"partId": "h", "type": "text/html"}]
    return compose_email({**email, "bodyValues": values, **parts}, lambda blob_id: None, hostname=hostname)


def _addressed_as(message: Message, own: list[str]) -> str:
    """The user's address the message was sent to, so the reply comes from it; else the primary."""
    lowered = {a.lower(): a for a in own}
    for field in ("To", "Cc"):
        for entry in message.header(field, "Addresses") or []:
            found = lowered.get((entry.get("email") or "").lower())
            if found:
                return found
    return own[0]
