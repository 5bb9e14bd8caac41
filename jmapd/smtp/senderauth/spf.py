"""SPF (RFC 7208): may this IP address send mail for the MAIL FROM (or HELO) domain?

`check_host()` of RFC 7208 §4 over our resolver: the mechanisms all, include, a, mx, ip4, ip6,
exists and ptr (which §5.5 says not to use; it never matches here, so a record relying on it
falls through to its other terms), the redirect modifier, macros (§7) in domain specifications,
and the limits that keep one check cheap: at most 10 terms that query DNS (§4.6.4), at most two
lookups that find nothing, at most 10 addresses looked up per `mx`.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from ...dns import DnsTemporaryError, Resolver

MAX_DNS_TERMS = 10
MAX_VOID_LOOKUPS = 2
MAX_MX_NAMES = 10
QUALIFIERS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}


class SpfPermanentError(Exception):
    pass


@dataclass
class _Budget:
    dns_terms: int = 0
    void_lookups: int = 0

    def term(self) -> None:
        self.dns_terms += 1
        if self.dns_terms > MAX_DNS_TERMS:
            raise SpfPermanentError("more than 10 DNS-querying terms")

    def void(self, found: list) -> list:
        if not found:
            self.void_lookups += 1
            if self.void_lookups > MAX_VOID_LOOKUPS:
                raise SpfPermanentError("more than 2 void lookups")
        return found


@dataclass(frozen=True)
class SpfResult:
    result: str  # none, neutral, pass, fail, softfail, temperror, permerror
    domain: str  # the domain checked (the MAIL FROM's, or HELO's for the null sender)
    identity: str = "mailfrom"  # which identity it is: "mailfrom" or "helo"
    reason: str = ""


@dataclass
class _Query:
    resolver: Resolver
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address
    sender: str
    helo: str
    budget: _Budget = field(default_factory=_Budget)


async def check_spf(resolver: Resolver, client_ip: str, mail_from: str, helo: str) -> SpfResult:
    """SPF for a message: the MAIL FROM identity, or for the null sender `postmaster@HELO`
    (RFC 7208 §2.4)."""
    helo = (helo or "").strip().rstrip(".").lower()
    if mail_from:
        local, _, domain = mail_from.rpartition("@")
        sender = mail_from if local else f"postmaster@{domain}"
        identity = "mailfrom"
    else:
        domain, sender, identity = helo, f"postmaster@{helo}", "helo"
    domain = domain.rstrip(".").lower()
    try:
        domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
        ip = ipaddress.ip_address(client_ip)
    except (UnicodeError, ValueError):
        return SpfResult("none", domain, identity, "no checkable identity")
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if not _valid_domain(domain):
        return SpfResult("none", domain, identity, "no checkable domain")
    query = _Query(resolver, ip, sender, helo)
    try:
        result = await _check_host(query, domain, depth=0)
    except SpfPermanentError as exc:
        return SpfResult("permerror", domain, identity, str(exc))
    except DnsTemporaryError as exc:
        return SpfResult("temperror", domain, identity, str(exc))
    return SpfResult(result, domain, identity)


def _valid_domain(domain: str) -> bool:
    labels = domain.split(".")
    return len(labels) > 1 and all(0 < len(label) <= 63 for label in labels) and len(domain) <= 253


async def _record(query: _Query, domain: str) -> str | None:
    records = [r for r in await query.resolver.txt(domain)
               if r.lower() == "v=spf1" or r.lower().startswith("v=spf1 ")]
    if len(records) > 1:
        raise SpfPermanentError(f"{domain} has more than one SPF record")
    return records[0] if records else None


async def _check_host(query: _Query, domain: str, depth: int) -> str:
    if depth > MAX_DNS_TERMS:
        raise SpfPermanentError("include loop")
    record = await _record(query, domain)
    if record is None:
        return "none"
    terms = record.split()[1:]
    redirect = None
    for term in terms:
        name, eq, value = term.partition("=")
        if eq and re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]*", name):
            if name.lower() == "redirect":
                if redirect is not None:
                    raise SpfPermanentError("two redirect modifiers")
                redirect = value
            continue  # exp= and unknown modifiers change no result
        qualifier = QUALIFIERS.get(term[0])
        mechanism = term[1:] if qualifier else term
        if await _matches(query, domain, mechanism, depth):
            return qualifier or "pass"
    if redirect is not None:
        query.budget.term()
        target = _expand(query, redirect, domain)
        result = await _check_host(query, target, depth + 1)
        if result == "none":
            raise SpfPermanentError(f"redirect to {target}, which has no SPF record")
        return result
    return "neutral"


_MECHANISM = re.compile(r"(?P<name>[A-Za-z0-9]+)(?::(?P<spec>[^/]+))?(?:/(?P<v4>\d+))?(?://(?P<v6>\d+))?$")


async def _matches(query: _Query, domain: str, mechanism: str, depth: int) -> bool:
    name, _, rest = mechanism.partition(":")
    name = name.split("/")[0].lower()
    if name == "all":
        return True
    if name in ("ip4", "ip6"):
        try:
            network = ipaddress.ip_network(rest, strict=False)
        except ValueError:
            raise SpfPermanentError(f"bad {name} network {rest!r}") from None
        return query.ip.version == network.version and query.ip in network
    parsed = _MECHANISM.match(mechanism)
    if parsed is None:
        raise SpfPermanentError(f"unknown mechanism {mechanism!r}")
    spec = parsed.group("spec")
    target = _expand(query, spec, domain) if spec else domain
    v4 = int(parsed.group("v4")) if parsed.group("v4") else 32
    v6 = int(parsed.group("v6")) if parsed.group("v6") else 128
    if v4 > 32 or v6 > 128:
        raise SpfPermanentError(f"bad prefix length in {mechanism!r}")
    if name == "include":
        if not spec:
            raise SpfPermanentError("include without a domain")
        query.budget.term()
        result = await _check_host(query, target, depth + 1)
        if result == "none":
            raise SpfPermanentError(f"include of {target}, which has no SPF record")
        if result in ("temperror", "permerror"):
            raise SpfPermanentError(result)
        return result == "pass"
    if name == "a":
        query.budget.term()
        return await _address_matches(query, target, v4, v6)
    if name == "mx":
        query.budget.term()
        exchanges = query.budget.void(await query.resolver.mx(target) or [])
        if len(exchanges) > MAX_MX_NAMES:
            raise SpfPermanentError(f"{target} has more than 10 MX records")
        for _, exchange in exchanges:
            if await _address_matches(query, exchange, v4, v6):
                return True
        return False
    if name == "exists":
        if not spec:
            raise SpfPermanentError("exists without a domain")
        query.budget.term()
        return bool(query.budget.void(await query.resolver.addresses(target)))
    if name == "ptr":
        query.budget.term()
        return False
    raise SpfPermanentError(f"unknown mechanism {mechanism!r}")


async def _address_matches(query: _Query, name: str, v4: int, v6: int) -> bool:
    ipv6 = query.ip.version == 6
    found = query.budget.void(await query.resolver.addresses(name, ipv6=ipv6))
    prefix = v6 if ipv6 else v4
    for address in found:
        try:
            if query.ip in ipaddress.ip_network(f"{address}/{prefix}", strict=False):
                return True
        except ValueError:
            continue
    return False


_MACRO = re.compile(r"%\{(?P<letter>[slodiphcrtvSLODIPHCRTV])(?P<digits>\d*)(?P<reverse>[rR]?)(?P<delims>[.\-+,/_=]*)\}"
                    r"|%%|%_|%-")


def _expand(query: _Query, spec: str, domain: str) -> str:
    """A domain-spec with its macros (RFC 7208 §7) filled in."""
    local, _, sender_domain = query.sender.rpartition("@")

    def value(letter: str) -> str:
        letter = letter.lower()
        if letter == "s":
            return query.sender
        if letter == "l":
            return local or "postmaster"
        if letter == "o":
            return sender_domain
        if letter == "d":
            return domain
        if letter == "i":
            if query.ip.version == 4:
                return str(query.ip)
            return ".".join(query.ip.exploded.replace(":", ""))
        if letter == "v":
            return "in-addr" if query.ip.version == 4 else "ip6"
        if letter == "h":
            return query.helo or "unknown"
        if letter == "p":
            return "unknown"
        raise SpfPermanentError(f"macro %{{{letter}}} is not allowed here")

    def replace(match: re.Match) -> str:
        text = match.group(0)
        if text == "%%":
            return "%"
        if text == "%_":
            return " "
        if text == "%-":
            return "%20"
        parts = re.split("[" + re.escape(match.group("delims") or ".") + "]", value(match.group("letter")))
        if match.group("reverse"):
            parts.reverse()
        if match.group("digits"):
            keep = int(match.group("digits"))
            if keep == 0:
                raise SpfPermanentError("macro keeps zero labels")
            parts = parts[-keep:]
        return ".".join(parts)

    if "%" in spec and _MACRO.sub("", spec).count("%"):
        raise SpfPermanentError(f"bad macro in {spec!r}")
    expanded = _MACRO.sub(replace, spec).rstrip(".")
    while len(expanded) > 253 and "." in expanded:
        expanded = expanded.split(".", 1)[1]
    return expanded
