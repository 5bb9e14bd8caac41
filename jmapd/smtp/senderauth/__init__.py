"""Sender authentication for mail taken in as the MX: SPF, DKIM, DMARC, and the header recording them.

`authenticate()` runs the three checks (SPF and key lookups concurrently, each bounded by the
resolver's lifetime) and returns what the delivery filters decide on (the mail layer's
`SenderAuthentication`) with the `Authentication-Results` field (RFC 8601, written with authres)
that goes on the stored message. Fields a sender forged in our name are dropped first (§5).
"""

from __future__ import annotations

import asyncio
import re
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses

import authres
import authres.dmarc

from ...mail.delivery import SenderAuthentication
from ...dns import Resolver
from .dkim_check import DkimResult, check_dkim
from .dmarc import DmarcResult, check_dmarc
from .spf import SpfResult, check_spf

#: The whole of a message's checks may take this long; what is left unanswered is a temperror.
CHECK_DEADLINE = 15.0

__all__ = ["authenticate", "without_forged_results", "from_domain"]


def from_domain(raw: bytes) -> str | None:
    """The domain of the one address in the one From field (RFC 7489 §6.6.1), lowercase, ASCII."""
    header_end = raw.find(b"\r\n\r\n")
    head = raw if header_end < 0 else raw[:header_end + 2]
    fields = BytesHeaderParser(policy=compat32).parsebytes(head).get_all("From") or []
    if len(fields) != 1:
        return None
    addresses = [a for _, a in getaddresses([str(fields[0])]) if a]
    if len(addresses) != 1 or "@" not in addresses[0]:
        return None
    domain = addresses[0].rpartition("@")[2].strip().rstrip(".").lower()
    try:
        return domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        return None


_FIELD = re.compile(rb"(?im)^authentication-results[ \t]*:(?P<value>.*(?:\r?\n[ \t].*)*)\r?\n")


def without_forged_results(raw: bytes, authserv_id: str) -> bytes:
    """The message without Authentication-Results fields that claim to be ours (RFC 8601 §5)."""
    header_end = raw.find(b"\r\n\r\n")
    if header_end < 0:
        return raw
    head, body = raw[:header_end + 2], raw[header_end + 2:]
    ours = authserv_id.lower().encode()

    def keep(match: re.Match) -> bytes:
        value = match.group("value").strip().lower()
        claimed = re.split(rb"[\s;]", value, maxsplit=1)[0] if value else b""
        return b"" if claimed == ours else match.group(0)

    return _FIELD.sub(keep, head) + body


async def authenticate(resolver: Resolver, raw: bytes, *, client_ip: str, helo: str, mail_from: str,
                       authserv_id: str) -> tuple[SenderAuthentication, str]:
    domain = from_domain(raw)
    try:
        spf, signatures = await asyncio.wait_for(
            asyncio.gather(check_spf(resolver, client_ip, mail_from, helo), check_dkim(resolver, raw)),
            CHECK_DEADLINE)
        dmarc = await asyncio.wait_for(check_dmarc(resolver, domain, spf, signatures), CHECK_DEADLINE)
    except asyncio.TimeoutError:
        spf = SpfResult("temperror", mail_from.rpartition("@")[2] or helo)
        signatures = []
        dmarc = DmarcResult("temperror", domain or "")
    summary = SenderAuthentication(spf=spf.result, dkim=_dkim_summary(signatures), dmarc=dmarc.result,
                                   dmarc_policy=dmarc.policy, from_domain=domain)
    return summary, results_field(authserv_id, spf, signatures, dmarc, mail_from, helo)


_TOKEN = re.compile(r"[\x21-\x7e]+")


def _token(text: str | None) -> str | None:
    """A client-given value fit for the header (RFC 8601 §2.2 pvalue), or None to leave it out."""
    if text and _TOKEN.fullmatch(text) and not any(c in text for c in ';()"\\'):
        return text
    return None


def _dkim_summary(signatures: list[DkimResult]) -> str:
    if not signatures:
        return "none"
    if any(s.result == "pass" for s in signatures):
        return "pass"
    return signatures[0].result


def results_field(authserv_id: str, spf: SpfResult, signatures: list[DkimResult], dmarc: DmarcResult,
                  mail_from: str, helo: str) -> str:
    results: list = []
    if spf.identity == "helo":
        results.append(authres.SPFAuthenticationResult(result=spf.result, smtp_helo=_token(helo)))
    else:
        results.append(authres.SPFAuthenticationResult(result=spf.result,
                                                       smtp_mailfrom=_token(mail_from) or _token(spf.domain)))
    if signatures:
        results.extend(authres.DKIMAuthenticationResult(result=s.result, header_d=s.domain or None,
                                                        header_s=s.selector or None) for s in signatures)
    else:
        results.append(authres.DKIMAuthenticationResult(result="none"))
    results.append(authres.dmarc.DMARCAuthenticationResult(
        result=dmarc.result, header_from=dmarc.from_domain or None,
        policy=dmarc.policy.upper() if dmarc.policy else None))
    return str(authres.AuthenticationResultsHeader(authserv_id=authserv_id, results=results))
