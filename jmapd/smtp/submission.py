"""Message submission for mail apps (RFC 6409): AUTH, then mail the user may send, into the outbox.

AUTH PLAIN (RFC 4616) and LOGIN take the user's password or an API token, checked by the server's
one credential check (`server.logins`, which also backs failures off per user and per client
address for every protocol), and only over TLS (STARTTLS on 587, implicit on 465,
RFC 8314) unless the listener is bound to loopback. MAIL FROM must be an address the user may
send as (jmapd.mail.addresses.may_send_as). Accepted mail is queued for sending and, when the
settings keep one, a copy goes to the user's Sent mailbox through the same `deliver()` as
incoming mail, in the same transaction as the queue entry.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import formatdate, getaddresses, make_msgid
from typing import Any

from store.records import User

from ..auth import LoginThrottled
from ..config import Receiving
from ..mail.addresses import may_send_as
from ..mail.delivery import Destination, Incoming, deliver, with_fields
from ..mail.errors import MailError
from ..mail.identities import (
    IDENTITY,
    ForbiddenFrom,
    IdentityRecord,
    check_may_send_as,
    ensure_default_identities,
    identity_allows,
)
from ..mail.submissions import Address, Envelope, SubmissionLink, SubmissionPolicy, queue_message
from ..methods.services import Server
from . import replies
from .handlers import BaseHandler

log = logging.getLogger("jmapd.smtp")

AUTH_OK = "235 2.7.0 Authentication successful"
AUTH_INVALID = "535 5.7.8 Authentication credentials invalid"
AUTH_THROTTLED = "454 4.7.0 Too many failed logins, try again later"
AUTH_NEEDS_TLS = "538 5.7.11 Encryption required for requested authentication mechanism"
AUTH_SYNTAX = "501 5.5.2 Cannot decode the credentials"
SENDING_OFF = "451 4.3.5 Sending is not configured on this server"
NOT_YOURS = "553 5.7.1 {address}: not an address you may send as"


class SubmissionHandler(BaseHandler):
    def __init__(self, server: Server, settings: Receiving, *, plaintext_auth: bool, implicit_tls: bool):
        super().__init__(server, settings)
        self.plaintext_auth = plaintext_auth
        self.implicit_tls = implicit_tls

    def offers_auth(self, smtp: Any) -> bool:
        return self.plaintext_auth or self.uses_tls(smtp)

    # -- AUTH --------------------------------------------------------------------------------------
    async def handle_AUTH(self, smtp, session, envelope, args: list[str]):
        if self.over_command_budget(smtp, session):
            return replies.TOO_MANY_COMMANDS
        if not self.offers_auth(smtp):
            return AUTH_NEEDS_TLS
        client = self.client_ip(session)
        mechanism = args[0].upper()
        if mechanism == "PLAIN":
            credentials = await self._plain(smtp, args)
        elif mechanism == "LOGIN":
            credentials = await self._login(smtp, args)
        else:
            return "504 5.5.4 Unrecognized authentication type"
        if isinstance(credentials, str):
            return credentials  # a reply: the exchange went wrong
        name, password = credentials
        try:
            user = await self.server.logins.verify(name, password, peer=client)
        except LoginThrottled as exc:
            return f"{AUTH_THROTTLED}, in {exc.retry_after} s"
        if user is None:
            log.warning("submission: failed AUTH from %s", client)
            return AUTH_INVALID
        session.authenticated = True
        session.auth_data = user
        session.login_data = name
        return AUTH_OK

    async def _plain(self, smtp, args: list[str]) -> tuple[str, str] | str:
        if len(args) > 1:
            encoded = args[1].encode()
        else:
            answer = await smtp.challenge_auth("")
            if not isinstance(answer, bytes):
                return "501 5.7.0 Authentication aborted"
            return _split_plain(answer)
        try:
            return _split_plain(base64.b64decode(encoded, validate=True))
        except binascii.Error:
            return AUTH_SYNTAX

    async def _login(self, smtp, args: list[str]) -> tuple[str, str] | str:
        if len(args) > 1:
            try:
                name = base64.b64decode(args[1].encode(), validate=True)
            except binascii.Error:
                return AUTH_SYNTAX
        else:
            name = await smtp.challenge_auth("Username:")
        if not isinstance(name, bytes):
            return "501 5.7.0 Authentication aborted"
        password = await smtp.challenge_auth("Password:")
        if not isinstance(password, bytes):
            return "501 5.7.0 Authentication aborted"
        return _text(name), _text(password)

    # -- the envelope ------------------------------------------------------------------------------
    async def handle_MAIL(self, smtp, session, envelope, address: str, mail_options: list[str]):
        refusal = self.envelope_refusal(smtp, session, envelope, address)
        if refusal is not None:
            return refusal
        user: User = session.auth_data
        if address in ("", "<>") or not await asyncio.to_thread(self._may_send_as, user, address):
            return NOT_YOURS.format(address=address or "<>")
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return replies.OK_SENDER

    def _may_send_as(self, user: User, address: str) -> bool:
        with self.server.store.read() as txn:
            return may_send_as(txn, user, address, self.server.hostname)

    async def handle_RCPT(self, smtp, session, envelope, address: str, rcpt_options: list[str]):
        refusal = self.envelope_refusal(smtp, session, envelope, address, recipient=True)
        if refusal is not None:
            return refusal
        if "@" not in address:
            return f"553 5.1.3 {address}: not a mailbox address"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return replies.OK_RECIPIENT

    # -- the message -------------------------------------------------------------------------------
    async def handle_DATA(self, smtp, session, envelope):
        self.data_done(session)
        raw = envelope.original_content
        problem = self.content_problem(raw, bare_lf_allowed=False)
        if problem is not None:
            return problem
        policy: SubmissionPolicy | None = self.server.extras.get("submission")
        if policy is None:
            return SENDING_OFF
        if len(raw) > policy.max_size:
            return f"552 5.3.4 The message is larger than the {policy.max_size} octets this server sends"
        if len(envelope.rcpt_tos) > policy.max_recipients:
            return f"452 4.5.3 This server sends to at most {policy.max_recipients} recipients per message"
        user: User = session.auth_data
        raw = with_missing_fields(raw, self.server.hostname)
        try:
            await asyncio.to_thread(self._send, user, envelope, raw, policy)
        except ForbiddenFrom as exc:
            return f"550 5.7.1 From {exc.address}: not an address you may send as"
        except MailError as exc:
            return f"554 5.6.0 {exc}"
        except Exception:
            log.exception("submission from %s could not be queued", user.name)
            return replies.STORE_FAILED
        return "250 2.0.0 Message queued for delivery"

    def _send(self, user: User, envelope: Any, raw: bytes, policy: SubmissionPolicy) -> None:
        """One transaction: the From check, the copy in Sent, the queue entry with its
        EmailSubmission (RFC 8621 §7), which a JMAP client then sees like one it made itself."""
        hostname = self.server.hostname
        account_id = user.account_id
        mail_from = envelope.mail_from
        with self.server.store.read() as txn:
            for address in header_senders(raw) or [mail_from]:
                check_may_send_as(txn, account_id, address, hostname)
        copies = [Destination(account_id=account_id, delivered_to=None, mailbox_role="sent", keywords=("$seen",))] \
            if self.settings.sent_copy else []
        incoming = Incoming(raw=raw, mail_from=mail_from, received_by=hostname, protocol="ESMTPSA", trace=False)
        queue_envelope = Envelope(mail_from=Address(email=mail_from),
                                  rcpt_to=[Address(email=r) for r in envelope.rcpt_tos])

        def queue(txn, outcomes) -> None:
            link = None
            copy = outcomes[0] if outcomes else None
            if copy is not None and copy.stored is not None and copy.stored.thread_id:
                identity_id = identity_for(txn, account_id, mail_from, hostname)
                if identity_id is not None:
                    link = SubmissionLink(identity_id=identity_id, email_id=copy.stored.email_id,
                                          thread_id=copy.stored.thread_id)
            queue_message(txn, account_id, raw, queue_envelope, lifetime=policy.lifetime, link=link)

        deliver(self.server.mail, incoming, copies, filters=(), hooks=(), within=queue)


def header_senders(raw: bytes) -> list[str]:
    """The addresses of the message's From field (what a recipient sees as the sender)."""
    head = raw.split(b"\r\n\r\n", 1)[0] + b"\r\n"
    fields = BytesHeaderParser(policy=compat32).parsebytes(head).get_all("From") or []
    return [address for _, address in getaddresses([str(f) for f in fields]) if address]


def with_missing_fields(raw: bytes, hostname: str) -> bytes:
    """Date and Message-ID added when the mail app left them out (RFC 6409 §8.2, §8.3)."""
    head = raw.split(b"\r\n\r\n", 1)[0] + b"\r\n"
    parsed = BytesHeaderParser(policy=compat32).parsebytes(head)
    added = []
    if parsed.get("Date") is None:
        added.append(f"Date: {formatdate(usegmt=True)}")
    if parsed.get("Message-ID") is None:
        added.append(f"Message-ID: {make_msgid(domain=hostname)}")
    return with_fields(raw, added)


def identity_for(txn, account_id: str, address: str, hostname: str) -> str | None:
    """The account's identity that sends as `address` (its default ones made if missing)."""
    ensure_default_identities(txn, account_id, hostname)
    return next((i for i, identity in txn.scan(account_id, IDENTITY, IdentityRecord)
                 if identity_allows(identity, address)), None)


def _split_plain(blob: bytes) -> tuple[str, str] | str:
    """`authzid NUL authcid NUL passwd` (RFC 4616 §2); an authzid other than the user is refused."""
    parts = blob.split(b"\x00")
    if len(parts) != 3 or not parts[1]:
        return AUTH_SYNTAX
    authzid, name, password = (_text(p) for p in parts)
    if authzid and authzid != name:
        return "535 5.7.8 Acting for another user is not allowed"
    return name, password


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")
