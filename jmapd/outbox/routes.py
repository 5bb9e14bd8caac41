"""Where each recipient's mail goes: the relay, or each domain's mail exchangers.

A route is the hosts to try, in order, for one SMTP transaction, and how to talk to them. With a
relay every recipient takes the same route. Delivered directly, recipients are grouped by domain
(one transaction per domain, RFC 5321 §5): the `transport` table's host:port when it names the
domain, else the domain's MX hosts by preference, else its own address (the implicit MX); a null MX
(RFC 7505) means the domain takes no mail.

DNS goes through the server's one resolver (jmapd/dns.py, with the configured name servers);
tests give a stub, as nothing here may reach the network.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from ..config import OutboxConfig, RelayConfig
from ..dns import resolver_for


@dataclass(frozen=True)
class Route:
    key: str  # what throttling counts connections by: the domain, or "relay"
    hosts: tuple[tuple[str, int], ...]
    tls: str = "opportunistic"  # opportunistic, starttls (required), implicit, none
    username: str | None = None
    password: str | None = None


@dataclass
class Unroutable:
    """Recipients with no route: `permanent` when the domain takes no mail, else a DNS failure."""

    reply: str
    permanent: bool


@dataclass
class Plan:
    routes: list[tuple[Route, list[str]]] = field(default_factory=list)
    unroutable: list[tuple[Unroutable, list[str]]] = field(default_factory=list)


class Resolver(Protocol):
    """What routing asks of DNS: jmapd.dns.Resolver in production; tests give a stub."""

    async def mx(self, domain: str) -> list[tuple[int, str]] | None:
        """(preference, host) pairs; [] when the domain has no MX; None when it does not exist."""

    async def addresses(self, host: str, ipv6: bool = False) -> list[str]:
        """A (or AAAA) addresses of a host, [] if none."""


def relay_route(relay: RelayConfig) -> Route:
    return Route("relay", ((relay.host, relay.port),), relay.tls, relay.username, relay.password)


def parse_host_port(value: str, default_port: int = 25) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or "]" in port:
        return value.strip("[]"), default_port
    return host.strip("[]"), int(port)


class Router:
    def __init__(self, settings: OutboxConfig, resolver: Resolver | None = None):
        self.settings = settings
        self.resolver = resolver
        self.transport = {domain.lower(): parse_host_port(target) for domain, target in settings.transport.items()}

    async def plan(self, recipients: Iterable[str]) -> Plan:
        recipients = list(recipients)
        plan = Plan()
        if self.settings.delivery == "relay":
            plan.routes.append((relay_route(self.settings.relay), recipients))
            return plan
        by_domain: dict[str, list[str]] = {}
        for address in recipients:
            by_domain.setdefault(address.rpartition("@")[2].lower(), []).append(address)
        results = await asyncio.gather(*(self._domain_route(d) for d in by_domain))
        for (domain, addresses), result in zip(by_domain.items(), results):
            if isinstance(result, Unroutable):
                plan.unroutable.append((result, addresses))
            else:
                plan.routes.append((result, addresses))
        return plan

    async def _domain_route(self, domain: str) -> Route | Unroutable:
        if domain in self.transport:
            return Route(domain, (self.transport[domain],), "opportunistic")
        if self.resolver is None:
            self.resolver = resolver_for([])
        try:
            mx = await self.resolver.mx(domain)
            if mx is None:
                return Unroutable(f"550 5.1.2 {domain} does not exist", True)
            if len(mx) == 1 and mx[0][1] in ("", "."):
                return Unroutable(f"556 5.1.10 {domain} accepts no mail (null MX, RFC 7505)", True)
            # No MX: the domain itself is the mail exchanger (RFC 5321 §5.1).
            exchangers = [host for _, host in sorted(mx)] if mx else [domain]
            hosts: list[tuple[str, int]] = []
            for exchanger in exchangers:
                found = await self.resolver.addresses(exchanger) + await self.resolver.addresses(exchanger, ipv6=True)
                hosts += [(address, self.settings.mx_port) for address in found]
        except LookupError as exc:
            return Unroutable(f"451 4.4.3 looking up {domain} failed: {exc}", False)
        if not hosts:
            return Unroutable(f"451 4.4.4 no address for the mail exchangers of {domain}", False)
        return Route(domain, tuple(dict.fromkeys(hosts)), "opportunistic")
