"""Where each recipient's mail goes: the relay, or each domain's mail exchangers.

A route is the hosts to try, in order, for one SMTP transaction, and how to talk to them. With a
relay every recipient takes the same route. Delivered directly, recipients are grouped by domain
(one transaction per domain, RFC 5321 §5): the `transport` table's host:port when it names the
domain, else the domain's MX hosts by preference, else its own address (the implicit MX); a null MX
(RFC 7505) means the domain takes no mail.

DNS goes through a `Resolver`: dnspython's in production; tests give a stub, as nothing here may
reach the network.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from ..config import OutboxConfig, RelayConfig


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
    async def mx(self, domain: str) -> list[tuple[int, str]] | None:
        """(preference, host) pairs; [] when the domain has no MX; None when it does not exist."""

    async def addresses(self, host: str) -> list[str]:
        """A and AAAA addresses of a host, [] if none."""


class DnsResolver:
    """dnspython's asynchronous resolver."""

    def __init__(self, timeout: float = 10.0):
        import dns.asyncresolver

        self._resolver = dns.asyncresolver.Resolver()
        self._resolver.lifetime = timeout

    async def mx(self, domain: str) -> list[tuple[int, str]] | None:
        import dns.exception
        import dns.resolver

        try:
            answer = await self._resolver.resolve(domain, "MX")
        except dns.resolver.NXDOMAIN:
            return None
        except dns.resolver.NoAnswer:
            return []
        except dns.exception.DNSException as exc:
            raise LookupError(str(exc)) from None
        return [(r.preference, r.exchange.to_text(omit_final_dot=True)) for r in answer]

    async def addresses(self, host: str) -> list[str]:
        import dns.exception

        found: list[str] = []
        for kind in ("A", "AAAA"):
            try:
                found += [r.to_text() for r in await self._resolver.resolve(host, kind)]
            except dns.exception.DNSException:
                continue
        return found


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
            self.resolver = DnsResolver(self.settings.timeout)
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
                hosts += [(address, self.settings.mx_port) for address in await self.resolver.addresses(exchanger)]
        except LookupError as exc:
            return Unroutable(f"451 4.4.3 looking up {domain} failed: {exc}", False)
        if not hosts:
            return Unroutable(f"451 4.4.4 no address for the mail exchangers of {domain}", False)
        return Route(domain, tuple(dict.fromkeys(hosts)), "opportunistic")
