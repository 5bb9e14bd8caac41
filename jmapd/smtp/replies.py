"""SMTP replies (RFC 5321 §4.2, enhanced status codes of RFC 3463) for what the mail layer decided."""

from __future__ import annotations

from ..mail.delivery import Outcome

OK_SENDER = "250 2.1.0 Sender OK"
OK_RECIPIENT = "250 2.1.5 Recipient OK"
NO_SUCH_USER = "550 5.1.1 {address}: no such user here"
RELAY_DENIED = "550 5.7.1 {address}: relaying denied"
TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"
NEEDS_SMTPUTF8 = "553 5.6.7 {address}: a non-ASCII address needs SMTPUTF8"
TOO_MANY_COMMANDS = "421 4.7.0 Too many commands without a message, closing"
STORE_FAILED = "451 4.3.0 The message could not be stored now, try again later"
HAS_NUL = "554 5.6.0 The message contains NUL characters"
BARE_LF = "554 5.6.0 The message contains bare LF line endings (RFC 5321 §2.3.8)"


def outcome_reply(outcome: Outcome) -> str:
    address = outcome.destination.delivered_to or "copy"
    if outcome.refused is not None:
        reason = _one_line(outcome.refused)
        if outcome.temporary:
            return f"451 4.3.0 <{address}>: {reason}"
        return f"550 5.7.1 <{address}>: {reason}"
    if outcome.duplicate:
        return f"250 2.0.0 <{address}> already delivered"
    where = " (to Junk)" if outcome.junk else ""
    return f"250 2.0.0 <{address}> delivered{where}"


def combined_reply(outcomes: list[Outcome]) -> str:
    """One reply for all recipients (SMTP has no per-recipient replies after DATA): a temporary
    failure anywhere asks for the whole message again (copies already stored are recognized then
    and not stored twice); a refusal for everyone refuses; otherwise the message is accepted."""
    temporary = [o for o in outcomes if o.refused is not None and o.temporary]
    if temporary:
        return outcome_reply(temporary[0])
    refused = [o for o in outcomes if o.refused is not None]
    if refused and len(refused) == len(outcomes):
        return f"550 5.7.1 {_one_line(refused[0].refused)}"
    return "250 2.0.0 Message accepted for delivery"


def _one_line(text: str) -> str:
    return " ".join(text.split())[:400]
