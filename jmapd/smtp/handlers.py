"""What every listener's handler shares: counting commands before DATA, checking message content,
and describing the client for the Received field.

Handlers use aiosmtpd's hooks (`handle_MAIL`, `handle_RCPT`, `handle_DATA`, ...): a hook that
returns a reply has decided the command, and its reply is sent as it is.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from ..config import Receiving
from ..methods.services import Server
from . import replies

log = logging.getLogger("jmapd.smtp")
_BARE_LF = re.compile(rb"(?<!\r)\n")


class BaseHandler:
    #: The Received `with` word for this listener (RFC 3848), without the S (TLS) and A (AUTH) suffixes.
    protocol_word = "ESMTP"

    def __init__(self, server: Server, settings: Receiving, *, count_commands: bool = True):
        self.server = server
        self.settings = settings
        self.count_commands = count_commands

    # -- commands before DATA ----------------------------------------------------------------------
    def over_command_budget(self, smtp: Any, session: Any) -> bool:
        """Counts a command of the current transaction; True (and the connection is closing) when
        there were too many without a message."""
        if not self.count_commands:
            return False
        session.commands_before_data = getattr(session, "commands_before_data", 0) + 1
        if session.commands_before_data <= self.settings.max_commands_before_data:
            return False
        smtp.close_after_reply = True
        return True

    def envelope_refusal(self, smtp: Any, session: Any, envelope: Any, address: str,
                         recipient: bool = False) -> str | None:
        """The reply refusing a MAIL or RCPT before its address is looked at, or None: too many
        commands, a non-ASCII address without SMTPUTF8 (RFC 6531 §3.4), too many recipients."""
        if self.over_command_budget(smtp, session):
            return replies.TOO_MANY_COMMANDS
        if not address.isascii() and not envelope.smtp_utf8:
            return replies.NEEDS_SMTPUTF8.format(address=address)
        if recipient and len(envelope.rcpt_tos) >= self.settings.max_recipients:
            return replies.TOO_MANY_RECIPIENTS
        return None

    async def handle_NOOP(self, smtp, session, envelope, arg):
        return replies.TOO_MANY_COMMANDS if self.over_command_budget(smtp, session) else "250 2.0.0 OK"

    async def handle_RSET(self, smtp, session, envelope):
        return replies.TOO_MANY_COMMANDS if self.over_command_budget(smtp, session) else "250 2.0.0 OK"

    async def handle_VRFY(self, smtp, session, envelope, address):
        if self.over_command_budget(smtp, session):
            return replies.TOO_MANY_COMMANDS
        return "252 2.5.2 Cannot VRFY user, but will accept message and attempt delivery"

    async def handle_HELO(self, smtp, session, envelope, hostname):
        if self.over_command_budget(smtp, session):
            return replies.TOO_MANY_COMMANDS
        session.host_name = hostname
        return f"250 {smtp.hostname}"

    async def handle_EHLO(self, smtp, session, envelope, hostname, responses):
        if self.over_command_budget(smtp, session):
            return [replies.TOO_MANY_COMMANDS]
        session.host_name = hostname
        if not self.offers_auth(smtp):
            responses = [r for r in responses if not r.startswith("250-AUTH")]
        return responses

    def offers_auth(self, smtp: Any) -> bool:
        """Whether EHLO lists AUTH now (RFC 4954 §4: not where it must not be used)."""
        return False

    async def handle_AUTH(self, smtp, session, envelope, args):
        return "502 5.5.1 AUTH is not available here"

    async def handle_exception(self, error: Exception) -> str:
        """What went wrong in a session is logged here; the client hears only that it may retry."""
        log.error("SMTP session error", exc_info=error)
        return "451 4.3.0 Internal error, try again later"

    def data_done(self, session: Any) -> None:
        session.commands_before_data = 0

    # -- the message -------------------------------------------------------------------------------
    @staticmethod
    def content_problem(raw: bytes, *, bare_lf_allowed: bool) -> str | None:
        """A reply refusing content no mail may carry (RFC 5321 §2.3.8, §4.1.4), or None."""
        if b"\x00" in raw:
            return replies.HAS_NUL
        if not bare_lf_allowed and has_bare_lf(raw):
            return replies.BARE_LF
        return None

    @staticmethod
    def uses_tls(smtp: Any) -> bool:
        transport = smtp.transport
        return smtp.session.ssl is not None or (transport is not None and transport.get_extra_info("ssl_object") is not None)

    @staticmethod
    def tls_description(smtp: Any) -> str | None:
        transport = smtp.transport
        ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
        if ssl_object is None:
            return None
        cipher = ssl_object.cipher()
        return f"version={ssl_object.version()} cipher={cipher[0]}" if cipher else ssl_object.version()

    def with_word(self, smtp: Any, session: Any) -> str:
        word = self.protocol_word
        if self.uses_tls(smtp):
            word += "S"
        if session.authenticated:
            word += "A"
        return word

    @staticmethod
    def reverse_path(envelope: Any) -> str:
        return "" if envelope.mail_from in (None, "", "<>") else envelope.mail_from

    @staticmethod
    def client_ip(session: Any) -> str | None:
        return session.peer[0] if isinstance(session.peer, tuple) and session.peer else None


def has_bare_lf(raw: bytes) -> bool:
    """Whether a line ends in LF alone (counting is quicker than a search with look-behind)."""
    return raw.count(b"\n") != raw.count(b"\r\n")


def normalize_line_endings(raw: bytes) -> bytes:
    """Bare LF made CRLF: what an MTA in front hands over is stored the way RFC 5322 spells it."""
    return _BARE_LF.sub(b"\r\n", raw) if has_bare_lf(raw) else raw
