"""Taking mail in for local users: over LMTP from an MTA in front (RFC 2033), or as the MX (RFC 5321).

RCPT accepts only addresses that reach a user here (jmapd.mail.addresses.resolve: aliases,
`+tag`, catch-alls, IDNs) and refuses the rest at once; the message is handed to the mail
layer's `deliver_async()` once, for all accepted recipients (the message parsed on the loop, the
store's commit awaited without a thread of its own), and the reply is sent only after it returns,
that is after the durable commit. The MX also checks SPF, DKIM and DMARC first and records them in an
Authentication-Results field; the delivery filters decide from them (the DMARC rule).
"""

from __future__ import annotations

import logging
from typing import Any

from ..config import Receiving
from ..mail.addresses import domain_of, is_local_domain, resolve
from ..mail.delivery import DEFAULT_FILTERS, DeliveryFilter, Destination, Incoming, deliver_async
from ..methods.services import Server
from . import replies
from ..dns import Resolver, resolver_for
from .handlers import BaseHandler, normalize_line_endings
from .senderauth import authenticate, without_forged_results

log = logging.getLogger("jmapd.smtp")


class InboundHandler(BaseHandler):
    def __init__(self, server: Server, settings: Receiving, *, as_mx: bool,
                 filters: tuple[DeliveryFilter, ...] = DEFAULT_FILTERS):
        # An MTA in front sends message after message on one connection: no command budget there.
        super().__init__(server, settings, count_commands=as_mx)
        self.as_mx = as_mx
        self.filters = filters
        self.protocol_word = "ESMTP" if as_mx else "LMTP"

    @property
    def resolver(self) -> Resolver:
        """The server's one resolver (`server.extras["dns"]`), made on first use."""
        resolver = self.server.extras.get("dns")
        if resolver is None:
            resolver = self.server.extras["dns"] = resolver_for(self.settings.nameservers)
        return resolver

    # -- the envelope ------------------------------------------------------------------------------
    async def handle_MAIL(self, smtp, session, envelope, address: str, mail_options: list[str]):
        refusal = self.envelope_refusal(smtp, session, envelope, address)
        if refusal is not None:
            return refusal
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return replies.OK_SENDER

    async def handle_RCPT(self, smtp, session, envelope, address: str, rcpt_options: list[str]):
        refusal = self.envelope_refusal(smtp, session, envelope, address, recipient=True)
        if refusal is not None:
            return refusal
        # A few reads of memory-mapped records, done on the loop: handing them to a thread cost
        # more than the lookup, once per recipient of every message.
        recipient, local = self._resolve(address)
        if recipient is None:
            if self.as_mx and not local:
                return replies.RELAY_DENIED.format(address=address)
            return replies.NO_SUCH_USER.format(address=address)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        envelope.destinations.append(Destination(account_id=recipient.user.account_id, delivered_to=address))
        return replies.OK_RECIPIENT

    def _resolve(self, address: str):
        hostname = self.server.hostname
        with self.server.store.read() as txn:
            recipient = resolve(txn, address, hostname)
            local = recipient is not None or is_local_domain(txn, domain_of(address), hostname)
        return recipient, local

    # -- the message -------------------------------------------------------------------------------
    async def handle_DATA(self, smtp, session, envelope):
        self.data_done(session)
        raw = envelope.original_content
        problem = self.content_problem(raw, bare_lf_allowed=not self.as_mx)
        if problem is not None:
            return self._for_each(envelope, problem)
        if not self.as_mx:
            raw = normalize_line_endings(raw)
        incoming = Incoming(raw=raw, mail_from=self.reverse_path(envelope), received_by=self.server.hostname,
                            protocol=self.with_word(smtp, session), client_name=session.host_name,
                            client_ip=self.client_ip(session), tls=self.tls_description(smtp))
        if self.as_mx:
            incoming.raw = without_forged_results(raw, self.server.hostname)
            incoming.authentication, field = await authenticate(
                self.resolver, incoming.raw, client_ip=incoming.client_ip or "", helo=session.host_name or "",
                mail_from=incoming.mail_from, authserv_id=self.server.hostname)
            incoming.header_fields = [field]
        try:
            outcomes = await deliver_async(self.server.mail, incoming, envelope.destinations, self.filters)
        except Exception:
            log.exception("delivery of a message from %s failed", incoming.client_ip)
            return self._for_each(envelope, replies.STORE_FAILED)
        if self.as_mx:
            return replies.combined_reply(outcomes)
        return "\r\n".join(replies.outcome_reply(o) for o in outcomes)

    def _for_each(self, envelope: Any, reply: str) -> str:
        """The same reply for the message: once in SMTP, once per recipient in LMTP."""
        if self.as_mx:
            return reply
        return "\r\n".join([reply] * max(1, len(envelope.rcpt_tos)))

