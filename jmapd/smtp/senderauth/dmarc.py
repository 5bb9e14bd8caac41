"""DMARC (RFC 7489): does a message's From domain vouch for it, and what does it ask for if not?

The policy record is looked up at `_dmarc.<From domain>` and, failing that, up the tree of the
domain's parents (the DNS tree walk of DMARCbis, which replaces RFC 7489's public-suffix list and
needs no list shipped with the server): the domain where a record is found stands for the
organization. A message passes when SPF or DKIM passed for a domain aligned with the From domain:
the same domain (strict), or within the same organizational domain (relaxed, the default).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...dns import DnsTemporaryError, Resolver
from .dkim_check import DkimResult
from .spf import SpfResult

#: Most names a tree walk asks about (DMARCbis §4.10.1 stops at eight).
MAX_WALK = 8


@dataclass(frozen=True)
class DmarcPolicy:
    domain: str  # where the record was found: the organizational domain, or the From domain itself
    policy: str  # none, quarantine, reject: the one that applies to the From domain
    strict_dkim: bool = False
    strict_spf: bool = False


@dataclass(frozen=True)
class DmarcResult:
    result: str  # pass, fail, none, temperror, permerror
    from_domain: str
    policy: str | None = None


def parse_record(text: str) -> dict[str, str] | None:
    """A DMARC record's tags, or None when the text is not one (RFC 7489 §6.4: v=DMARC1 first)."""
    tags: dict[str, str] = {}
    for part in text.split(";"):
        name, eq, value = part.strip().partition("=")
        if eq:
            tags.setdefault(name.strip().lower(), value.strip())
    if not text.strip().lower().startswith("v=dmarc1") or tags.get("v", "").upper() != "DMARC1":
        return None
    return tags


async def find_policy(resolver: Resolver, from_domain: str) -> DmarcPolicy | None:
    labels = from_domain.split(".")
    for start in range(0, min(len(labels) - 1, MAX_WALK)):
        name = ".".join(labels[start:])
        records = [r for r in (parse_record(t) for t in await resolver.txt(f"_dmarc.{name}")) if r is not None]
        if len(records) != 1:
            continue  # none, or several (RFC 7489 §6.6.3: then there is no policy here)
        tags = records[0]
        requested = tags.get("p", "").lower()
        if requested not in ("none", "quarantine", "reject"):
            if "rua" not in tags:
                continue
            requested = "none"  # §6.6.3: an invalid p with a valid rua is p=none
        policy = requested
        if start > 0:
            sub = tags.get("sp", "").lower()
            policy = sub if sub in ("none", "quarantine", "reject") else requested
        return DmarcPolicy(name, policy, tags.get("adkim", "r").lower() == "s", tags.get("aspf", "r").lower() == "s")
    return None


def aligned(domain: str, from_domain: str, organization: str, strict: bool) -> bool:
    domain, from_domain = domain.lower().rstrip("."), from_domain.lower().rstrip(".")
    if domain == from_domain:
        return True
    if strict:
        return False
    return domain == organization or domain.endswith("." + organization)


async def check_dmarc(resolver: Resolver, from_domain: str | None, spf: SpfResult,
                      dkim_results: list[DkimResult]) -> DmarcResult:
    if not from_domain:
        return DmarcResult("none", "")
    try:
        policy = await find_policy(resolver, from_domain)
    except DnsTemporaryError:
        return DmarcResult("temperror", from_domain)
    if policy is None:
        return DmarcResult("none", from_domain)
    spf_ok = spf.result == "pass" and spf.identity == "mailfrom" and aligned(
        spf.domain, from_domain, policy.domain, policy.strict_spf)
    dkim_ok = any(r.result == "pass" and aligned(r.domain, from_domain, policy.domain, policy.strict_dkim)
                  for r in dkim_results)
    return DmarcResult("pass" if spf_ok or dkim_ok else "fail", from_domain, policy.policy)
