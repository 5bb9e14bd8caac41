"""DNS: the one resolver every lookup asks (dnspython's asyncio resolver).

SPF, DKIM and DMARC on mail coming in, and the outbox finding each domain's mail exchangers on mail
going out, all go through one `Resolver`, so that a deployment points it at its own name servers
(`nameservers` in jmapd.toml) and tests at a name server of their own on loopback. A name without
records of the type asked is an empty answer (what SPF counts as a void lookup, RFC 7208 §4.6.4);
so is a name that does not exist, except for MX, where the outbox must tell "no such domain" from
"no MX, the domain is its own exchanger" (RFC 5321 §5.1). A server that fails or does not answer
in time is a `DnsTemporaryError` (SPF and DMARC `temperror`, a retry later for the outbox).
"""

from __future__ import annotations

import dns.asyncresolver
import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver

#: Seconds one lookup may take, all retries included.
LOOKUP_LIFETIME = 5.0
NO_SUCH_NAME = object()


class DnsTemporaryError(LookupError):
    """The answer could not be had now; asking again later may work."""


class Resolver:
    def __init__(self, nameservers: list[str] | None = None, port: int = 53, lifetime: float = LOOKUP_LIFETIME):
        if nameservers:
            self._resolver = dns.asyncresolver.Resolver(configure=False)
            self._resolver.nameservers = list(nameservers)
            self._resolver.port = port
        else:
            try:
                self._resolver = dns.asyncresolver.Resolver()
            except dns.resolver.NoResolverConfiguration:
                self._resolver = dns.asyncresolver.Resolver(configure=False)
                self._resolver.nameservers = ["127.0.0.1"]
        self._resolver.lifetime = lifetime
        self._resolver.timeout = lifetime

    async def _query(self, name: str, rdtype: str):
        try:
            return await self._resolver.resolve(name, rdtype, search=False, raise_on_no_answer=False)
        except dns.resolver.NXDOMAIN:
            return NO_SUCH_NAME
        except dns.resolver.NoAnswer:
            return None
        except (dns.exception.Timeout, dns.resolver.NoNameservers, dns.resolver.LifetimeTimeout) as exc:
            raise DnsTemporaryError(f"{name} {rdtype}: {exc}") from None
        except (dns.name.EmptyLabel, dns.name.LabelTooLong, dns.name.NameTooLong, UnicodeError, ValueError):
            return None

    async def txt(self, name: str) -> list[str]:
        """Each TXT record as one string (its character-strings joined, RFC 7208 §3.3)."""
        answer = await self._query(name, "TXT")
        if answer in (None, NO_SUCH_NAME) or answer.rrset is None:
            return []
        return [b"".join(r.strings).decode("utf-8", "replace") for r in answer]

    async def addresses(self, name: str, ipv6: bool = False) -> list[str]:
        answer = await self._query(name, "AAAA" if ipv6 else "A")
        if answer in (None, NO_SUCH_NAME) or answer.rrset is None:
            return []
        return [r.address for r in answer]

    async def mx(self, name: str) -> list[tuple[int, str]] | None:
        """(preference, exchange) pairs, most preferred first; None when the name does not exist."""
        answer = await self._query(name, "MX")
        if answer is NO_SUCH_NAME:
            return None
        if answer is None or answer.rrset is None:
            return []
        return sorted((r.preference, r.exchange.to_text(omit_final_dot=True)) for r in answer)


def resolver_for(nameservers: list[str]) -> Resolver:
    """A resolver asking these name servers ("host", "host:port", "[v6]:port"), or the system's."""
    if not nameservers:
        return Resolver()
    hosts, port = [], 53
    for entry in nameservers:
        host, sep, maybe_port = entry.rpartition(":")
        bare_ipv6 = entry.count(":") > 1 and not entry.startswith("[")
        if sep and maybe_port.isdigit() and not bare_ipv6:
            hosts.append(host.strip("[]"))
            port = int(maybe_port)
        else:
            hosts.append(entry.strip("[]"))
    return Resolver(hosts, port=port)
