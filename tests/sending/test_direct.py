"""Direct delivery: each domain's mail exchangers (RFC 5321 §5.1) found through a resolver, or
the transport table; one transaction per domain; DKIM signatures (RFC 6376) that dkimpy verifies
against the record `jmapd dkim generate` printed; at most N connections per domain."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dkim
import pytest

from jmapd.config import OutboxConfig
from jmapd.testing import LiveServer

JMAPD = str(Path(sys.executable).with_name("jmapd"))


class StubResolver:
    """DNS as these tests need it, with no network: MX records and host addresses."""

    def __init__(self, mx: dict[str, list[tuple[int, str]] | None], addresses: dict[str, list[str]]):
        self._mx = mx
        self._addresses = addresses
        self.asked: list[str] = []

    async def mx(self, domain):
        self.asked.append(domain)
        if domain not in self._mx:
            return None  # NXDOMAIN
        return self._mx[domain]

    async def addresses(self, host, ipv6=False):
        return [] if ipv6 else self._addresses.get(host, [])


@pytest.fixture(scope="module")
def remotes(kit):
    one, two = kit.Sink().start(), kit.Sink().start()
    yield one, two
    one.stop()
    two.stop()


@pytest.fixture(scope="module")
def direct(remotes, tmp_path_factory):
    """A server delivering directly: one.test by the transport table, the rest by (stub) DNS, whose
    mail exchangers listen on the second sink's port; example.test has a DKIM key."""
    one, two = remotes
    data = tmp_path_factory.mktemp("direct")
    printed = subprocess.run([JMAPD, "dkim", "generate", "example.test", "--data", str(data)],
                             check=True, capture_output=True, text=True).stdout
    settings = OutboxConfig(delivery="direct", transport={"one.test": f"127.0.0.1:{one.port}"},
                            mx_port=two.port, retry_after=1, connections_per_domain=2)
    with LiveServer(data=str(data), outbox=settings) as server:
        server.server.extras["outbox"].router.resolver = StubResolver(
            {"two.test": [(20, "backup.two.test"), (10, "mx.two.test")], "three.test": [(0, ".")],
             "bare.test": []},
            {"mx.two.test": ["127.0.0.1"], "backup.two.test": ["127.0.0.1"], "bare.test": ["127.0.0.1"]})
        server.add_user("dora", "pw-dora", "dora@example.test")
        yield server, printed


@pytest.fixture
def dora(direct, client_type):
    c = client_type(direct[0].url, "dora", "pw-dora")
    yield c
    c.close()


def with_subject(sink, subject):
    return [m for m in list(sink.received) if f"Subject: {subject}\r\n".encode() in m.content]


def test_one_transaction_per_domain_by_mx_and_transport(dora, remotes, kit):
    """RFC 5321 §5.1: recipients grouped by domain, each domain's MX (by preference, or the domain
    itself without MX) or its transport-table host; a null MX (RFC 7505) and a domain that does not
    exist fail for good, with a bounce."""
    one, two = remotes
    draft = kit.create_draft(dora, to=["a@one.test", "b@one.test", "c@two.test", "d@bare.test",
                                       "e@three.test", "f@nowhere.test"], subject="by domain", from_="dora@example.test")
    sid = kit.submit(dora, draft)["created"]["s"]["id"]
    status = kit.wait_for(lambda: (s := kit.submission(dora, sid))["dsnBlobIds"]
                          and all(d["delivered"] != "queued" for d in s["deliveryStatus"].values()) and s,
                          15, "every recipient settled")
    assert [sorted(m.rcpt_tos) for m in with_subject(one, "by domain")] == [["a@one.test", "b@one.test"]]
    assert sorted(sorted(m.rcpt_tos) for m in with_subject(two, "by domain")) == [["c@two.test"], ["d@bare.test"]]
    delivery = status["deliveryStatus"]
    assert {a: d["delivered"] for a, d in delivery.items()} == {
        "a@one.test": "unknown", "b@one.test": "unknown", "c@two.test": "unknown", "d@bare.test": "unknown",
        "e@three.test": "no", "f@nowhere.test": "no"}
    assert delivery["e@three.test"]["smtpReply"].startswith("556 5.1.10")
    assert delivery["f@nowhere.test"]["smtpReply"].startswith("550 5.1.2")


def test_dkim_signature_verifies_against_the_printed_record(dora, direct, remotes, kit):
    """RFC 6376 §3.5/§6: the message arrives with a DKIM-Signature for d=example.test that verifies
    with the public key `jmapd dkim generate` printed, and it signs the From field."""
    server, printed = direct
    one, _ = remotes
    record = "".join(part for part in printed.split('"')[1::2])
    assert printed.splitlines()[-1].startswith("jmapd._domainkey.example.test. IN TXT")
    draft = kit.create_draft(dora, to=["signed@one.test"], subject="signed mail", from_="dora@example.test",
                             bcc=["secret@one.test"])
    kit.submit(dora, draft)
    message = kit.wait_for(lambda: with_subject(one, "signed mail"), 15, "the signed message")[0]
    assert message.content.startswith(b"DKIM-Signature:") and b"d=example.test" in message.content
    assert b"secret@one.test" not in message.content

    def dns(name, timeout=5):
        assert name == b"jmapd._domainkey.example.test."
        return record.encode()

    assert dkim.verify(message.content, dnsfunc=dns)
    tampered = message.content.replace(b"signed mail", b"forged mail")
    assert not dkim.verify(tampered, dnsfunc=dns)


def test_connections_per_domain_are_bounded(dora, remotes, kit):
    """At most `connections_per_domain` transactions to one destination at once (here 2)."""
    one, _ = remotes
    one.delay, one.most_active = 0.3, 0
    try:
        for i in range(6):
            draft = kit.create_draft(dora, to=[f"t{i}@one.test"], subject=f"throttled {i}", from_="dora@example.test")
            kit.submit(dora, draft)
        kit.wait_for(lambda: all(with_subject(one, f"throttled {i}") for i in range(6)), 20, "six messages")
        assert one.most_active == 2
    finally:
        one.delay = 0.0


def test_dkim_cli_mistakes(tmp_path):
    """A CLI mistake is one line and exit status 2: a bad domain, a key that already exists."""
    bad = subprocess.run([JMAPD, "dkim", "generate", "not a domain", "--data", str(tmp_path)],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    subprocess.run([JMAPD, "dkim", "generate", "twice.test", "--data", str(tmp_path)], check=True,
                   capture_output=True)
    again = subprocess.run([JMAPD, "dkim", "generate", "twice.test", "--data", str(tmp_path)],
                           capture_output=True, text=True)
    assert again.returncode == 2 and "already has a key" in again.stderr
    assert oct((tmp_path / "dkim" / "twice.test.jmapd.key").stat().st_mode & 0o777) == "0o600"
    assert oct((tmp_path / "dkim").stat().st_mode & 0o777) == "0o700"
