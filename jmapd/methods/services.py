"""The long-lived parts of a running server, and who is asking in one request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from store import Store
from store.records import User

from ..auth import Logins
from ..config import PushConfig
from ..mail import Mail
from ..protocol.capabilities import CoreLimits, MailLimits
from .cache.query_results import QueryResults
from .cache.rendered import RenderedRecords


@dataclass
class Server:
    store: Store
    core_limits: CoreLimits = field(default_factory=CoreLimits)
    mail_limits: MailLimits = field(default_factory=MailLimits)
    hostname: str = "localhost"
    push: PushConfig = field(default_factory=PushConfig)
    # /get answers kept encoded between requests (list views ask for the same ones again and again).
    rendered: RenderedRecords = field(default_factory=RenderedRecords)
    # Email/query answers by arguments and state (clients re-run a mailbox's first page on every refresh).
    query_results: QueryResults = field(default_factory=QueryResults)
    # Full-text index, outbox and other workers attach here when they run.
    extras: dict[str, Any] = field(default_factory=dict)
    # Credential checks, shared by every protocol's login.
    logins: Logins = field(init=False)

    def __post_init__(self) -> None:
        self.logins = Logins(self.store)

    @property
    def mail(self) -> Mail:
        """The mail layer's operations on this server's store; stored messages are handed to the
        full-text index when it runs here, so it need not parse them again."""
        search = self.extras.get("search")
        return Mail(self.store, max_mailboxes=self.mail_limits.max_mailboxes_per_email,
                    hand_over=None if search is None else search.hand_over)


@dataclass
class Principal:
    """Who is asking, for the length of one request."""

    server: Server
    user: User
    # The accounts this user may use, read once per request (see jmapd.methods.context).
    accounts: dict[str, Any] | None = None
    # Which credentials proved the user: "password", or "token:<id>" for an API token. Push
    # subscriptions are tied to them (RFC 8620 §7.2).
    credential: str = ""


class BackgroundService(Protocol):
    """Something that runs beside the HTTP server for the life of the process: another protocol's
    listener (IMAP, LMTP/SMTP), the outbox worker. Started once the store, the search index and the
    parse pool are up, stopped (in reverse order) before they go down."""

    async def start(self, server: Server) -> None: ...

    async def stop(self) -> None: ...
