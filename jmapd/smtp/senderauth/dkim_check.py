"""DKIM (RFC 6376): which domains' signatures on a message verify, with dkimpy.

dkimpy verifies synchronously and asks a `dnsfunc` for keys; verification (hashing the body, an
RSA or Ed25519 check) is CPU work, so it runs in a thread, and its key lookups are handed back to
the event loop's resolver, the same one SPF and DMARC use.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import dkim

from ...dns import DnsTemporaryError, Resolver

#: Signatures looked at per message; more are ignored (RFC 6376 §6.1 lets a verifier limit them).
MAX_SIGNATURES = 5
KEY_LOOKUP_TIMEOUT = 6.0

log = logging.getLogger("jmapd.smtp.dkim")


@dataclass(frozen=True)
class DkimResult:
    result: str  # pass, fail, neutral, temperror, permerror (RFC 8601 §2.7.1)
    domain: str  # the signing domain, d=
    selector: str  # s=


async def check_dkim(resolver: Resolver, raw: bytes) -> list[DkimResult]:
    """One result per DKIM-Signature (up to MAX_SIGNATURES); empty when the message has none."""
    loop = asyncio.get_running_loop()

    def lookup(name: bytes, timeout: float = 5) -> bytes | None:
        future = asyncio.run_coroutine_threadsafe(resolver.txt(name.decode("ascii", "replace").rstrip(".")), loop)
        records = future.result(timeout=KEY_LOOKUP_TIMEOUT)  # DnsTemporaryError passes through
        return records[0].encode() if records else None

    return await asyncio.to_thread(_verify_all, raw, lookup)


def _verify_all(raw: bytes, lookup) -> list[DkimResult]:
    try:
        count = sum(1 for name, _ in dkim.DKIM(raw).headers if name.lower() == b"dkim-signature")
    except Exception:
        return []
    return [_verify_one(raw, idx, lookup) for idx in range(min(count, MAX_SIGNATURES))]


def _verify_one(raw: bytes, idx: int, lookup) -> DkimResult:
    verifier = dkim.DKIM(raw, logger=log)
    try:
        ok = verifier.verify(idx=idx, dnsfunc=lookup)
        result = "pass" if ok else "fail"
    except DnsTemporaryError:
        result = "temperror"
    except (TimeoutError, dkim.DnsTimeoutError):
        result = "temperror"
    except dkim.DKIMException:
        result = "permerror"
    except Exception:  # a malformed signature dkimpy did not foresee is the sender's error
        result = "permerror"
    domain = _text(verifier.domain)
    selector = _text(verifier.selector)
    return DkimResult(result, domain.lower(), selector)


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("ascii", "replace")
    return value or ""
