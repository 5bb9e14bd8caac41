"""The outbox finds mail exchangers through the same resolver as SPF, DKIM and DMARC, here pointed at
a name server on loopback: RFC 5321 §5.1 (MX by preference; no MX means the domain's own address; no
such domain is a permanent failure) and RFC 7505 (a null MX takes no mail)."""

from __future__ import annotations

import asyncio

from jmapd.config import OutboxConfig
from jmapd.outbox.routes import Route, Router


def plan(nameserver, *recipients: str):
    router = Router(OutboxConfig(delivery="direct", mx_port=2525), nameserver.resolver())
    return asyncio.run(router.plan(recipients))


def test_mail_exchangers_by_preference_and_the_implicit_mx(nameserver):
    """RFC 5321 §5.1: the MX hosts in order of preference, each with its addresses; a domain with
    no MX record is its own mail exchanger."""
    nameserver.add("pref.test", "MX", "20 second.pref.test.", "10 first.pref.test.")
    nameserver.add("first.pref.test", "A", "192.0.2.1")
    nameserver.add("second.pref.test", "A", "192.0.2.2")
    nameserver.add("second.pref.test", "AAAA", "2001:db8::2")
    nameserver.add("bare.test", "A", "192.0.2.9")
    result = plan(nameserver, "a@pref.test", "b@bare.test")
    routes = {route.key: (route, rcpts) for route, rcpts in result.routes}
    assert routes["pref.test"][0].hosts == (("192.0.2.1", 2525), ("192.0.2.2", 2525), ("2001:db8::2", 2525))
    assert routes["bare.test"] == (Route("bare.test", (("192.0.2.9", 2525),)), ["b@bare.test"])
    assert not result.unroutable


def test_no_such_domain_null_mx_and_a_failing_server(nameserver):
    """No such domain and a null MX (RFC 7505 §3) fail for good; a name server that fails is a
    temporary failure, retried later (RFC 5321 §4.5.4.1)."""
    nameserver.add("nullmx.test", "MX", "0 .")
    nameserver.add("broken.test", "A", "192.0.2.3")
    nameserver.failing.add("broken.test")
    result = plan(nameserver, "x@missing.test", "y@nullmx.test", "z@broken.test")
    assert not result.routes
    failures = {rcpts[0]: (" ".join(failure.reply.split()[:2]), failure.permanent) for failure, rcpts in result.unroutable}
    assert failures == {"x@missing.test": ("550 5.1.2", True), "y@nullmx.test": ("556 5.1.10", True),
                        "z@broken.test": ("451 4.4.3", False)}
