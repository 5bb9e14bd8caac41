"""The SMTP envelope of a submission: given by the client, or derived from the message (RFC 8621
§7 envelope), with its FUTURERELEASE hold (RFC 4865 HOLDFOR/HOLDUNTIL) turned into a release time.

Every problem becomes the SetError RFC 8621 §7.5 names; nothing here touches the store.
"""

from __future__ import annotations

import math
from typing import Any

from ...mail.addresses import normalize_address
from ...mail.errors import InvalidAddress
from ...mail.identities import IdentityRecord, identity_allows
from ...mail.records import EmailRecord
from ...mail.submissions import Address, Envelope, SubmissionPolicy
from ...protocol.errors import SetError, invalid_properties
from ..dates import parse_date

# MAIL FROM parameters taken (RFC 4865 FUTURERELEASE; the rest are accepted and not passed on).
MAIL_PARAMETERS = frozenset({"HOLDFOR", "HOLDUNTIL", "BODY", "SMTPUTF8", "ENVID", "RET", "SIZE"})
RCPT_PARAMETERS = frozenset({"NOTIFY", "ORCPT"})


def smtp_mailbox(value: Any) -> str | None:
    """A Mailbox as MAIL FROM and RCPT TO carry it (RFC 5321 §4.1.2), or None if it is not one:
    no spaces, no controls (so no CR/LF to inject a command or a header), a valid domain."""
    if not isinstance(value, str) or not value or len(value) > 254:
        return None
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return None
    try:
        return normalize_address(value)
    except InvalidAddress:
        return None


def _address(value: Any, allowed: frozenset[str]) -> Address | None:
    if not isinstance(value, dict) or set(value) - {"email", "parameters"} or not isinstance(value.get("email"), str):
        return None
    params = value.get("parameters")
    if params is not None:
        if not isinstance(params, dict) or any(
                not isinstance(k, str) or k.upper() not in allowed or (v is not None and not isinstance(v, str))
                or any(c in (v or "") for c in "\r\n ") for k, v in params.items()):
            return None
        params = {k.upper(): v for k, v in params.items()}
    return Address(email=value["email"], parameters=params)


def given_envelope(value: Any, policy: SubmissionPolicy) -> Envelope:
    """A client's envelope, checked for shape and syntax (not yet for who may use it)."""
    if not isinstance(value, dict) or set(value) - {"mailFrom", "rcptTo"} or not isinstance(value.get("rcptTo"), list):
        raise invalid_properties(["envelope"], "an Envelope has mailFrom (an Address) and rcptTo (Address[])")
    mail_from = _address(value.get("mailFrom"), MAIL_PARAMETERS)
    if mail_from is None:
        raise invalid_properties(["envelope"], "envelope/mailFrom is not an Address with known parameters")
    if mail_from.email:
        normalized = smtp_mailbox(mail_from.email)
        if normalized is None:
            raise invalid_properties(["envelope"], f"envelope/mailFrom {mail_from.email!r} is not an address")
        mail_from.email = normalized
    recipients = []
    invalid = []
    for item in value["rcptTo"]:
        address = _address(item, RCPT_PARAMETERS)
        if address is None:
            raise invalid_properties(["envelope"], "envelope/rcptTo holds something that is not an Address")
        normalized = smtp_mailbox(address.email)
        if normalized is None:
            invalid.append(address.email)
        else:
            address.email = normalized
            recipients.append(address)
    return _checked(Envelope(mail_from=mail_from, rcpt_to=recipients), invalid, policy)


def derived_envelope(record: EmailRecord, identity: IdentityRecord, policy: SubmissionPolicy) -> Envelope:
    """RFC 8621 §7 envelope: MAIL FROM from Sender, else From (the identity's address when the
    message's is not allowed by the identity); RCPT TO from To, Cc and Bcc, de-duplicated."""
    summary = record.summary
    source = summary.sender if summary.sender else summary.from_
    if source is not None and len(source) > 1:
        raise SetError("invalidEmail", "the message has more than one Sender/From address",
                       properties=["sender" if summary.sender else "from"])
    mail_from = source[0]["email"] if source else None
    if mail_from is None or smtp_mailbox(mail_from) is None or not identity_allows(identity, mail_from):
        mail_from = identity.email
    if mail_from.startswith("*@"):
        raise SetError("forbiddenMailFrom", "no address to send from: the message's does not match the identity")
    recipients: dict[str, Address] = {}
    invalid = []
    for group in (summary.to, summary.cc, summary.bcc):
        for entry in group or []:
            normalized = smtp_mailbox(entry.get("email"))
            if normalized is None:
                invalid.append(entry.get("email") or "")
            else:
                recipients.setdefault(normalized.lower(), Address(email=normalized))
    return _checked(Envelope(mail_from=Address(email=smtp_mailbox(mail_from) or mail_from),
                             rcpt_to=list(recipients.values())), invalid, policy)


def _checked(envelope: Envelope, invalid: list[str], policy: SubmissionPolicy) -> Envelope:
    if invalid:
        raise SetError("invalidRecipients", "these are not addresses mail can be sent to",
                       invalidRecipients=invalid)
    if not envelope.rcpt_to:
        raise SetError("noRecipients", "the envelope has no recipients")
    if len(envelope.rcpt_to) > policy.max_recipients:
        raise SetError("tooManyRecipients", f"at most {policy.max_recipients} recipients",
                       maxRecipients=policy.max_recipients)
    return envelope


def release_time(envelope: Envelope, moment: float, policy: SubmissionPolicy) -> int:
    """When a FUTURERELEASE hold lets the message go (RFC 4865 §3): HOLDFOR seconds from now, or
    HOLDUNTIL a date; at most maxDelayedSend ahead, never in the past. Release times are whole
    seconds, so a HOLDFOR counts from the next whole second: the message is held at least as long
    as asked, never up to a second less."""
    now = int(moment)
    params = envelope.mail_from.parameters or {}
    hold_for, hold_until = params.get("HOLDFOR"), params.get("HOLDUNTIL")
    if hold_for is not None and hold_until is not None:
        raise invalid_properties(["envelope"], "HOLDFOR and HOLDUNTIL cannot be used together (RFC 4865 §3)")
    if hold_for is not None:
        if not hold_for.isdigit() or len(hold_for) > 12:
            raise invalid_properties(["envelope"], "HOLDFOR must be a number of seconds")
        delay = int(hold_for)
        now = math.ceil(moment)
    elif hold_until is not None:
        when = parse_date(hold_until)
        if when is None:
            raise invalid_properties(["envelope"], "HOLDUNTIL must be an RFC 3339 date-time")
        if when < now:
            raise invalid_properties(["envelope"], "HOLDUNTIL is in the past")
        delay = when - now
    else:
        return now
    if delay > policy.max_delayed_send:
        raise invalid_properties(["envelope"], f"the hold is longer than maxDelayedSend ({policy.max_delayed_send} s)")
    return now + delay
