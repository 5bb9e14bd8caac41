"""Fixtures for receiving mail: a jmapd with its LMTP, SMTP and submission listeners on loopback
ports, a name server of our own on loopback for SPF/DKIM/DMARC lookups, certificates and keys
made with openssl, and a few helpers to speak LMTP/SMTP with smtplib."""

from __future__ import annotations

import itertools
import shutil
import smtplib
import socket
import ssl
import subprocess
import threading
from pathlib import Path

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import httpx
import pytest

from jmapd.config import OutboxConfig, Receiving
from jmapd.limits import ConnectionSettings
from jmapd.mail.addresses import add_domain
from jmapd.dns import Resolver
from jmapd.testing import LiveServer, SmtpSink

_ids = itertools.count()


class LocalNameServer:
    """A DNS server on a loopback UDP port answering from `records`: {(name, type): [text, ...]}.
    A name with no records of any type is NXDOMAIN; `failing` names get SERVFAIL."""

    def __init__(self):
        self.records: dict[tuple[str, str], list[str]] = {}
        self.failing: set[str] = set()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def add(self, name: str, rdtype: str, *values: str) -> None:
        self.records.setdefault((name.lower().rstrip("."), rdtype.upper()), []).extend(values)

    def txt(self, name: str, text: str) -> None:
        """A TXT record, split into 255-octet strings as a zone file would."""
        chunks = " ".join('"' + text[i:i + 255].replace('"', '\\"') + '"' for i in range(0, len(text), 255))
        self.add(name, "TXT", chunks)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except (socket.timeout, OSError):
                continue
            try:
                query = dns.message.from_wire(data)
            except Exception:
                continue
            response = dns.message.make_response(query)
            question = query.question[0]
            name = question.name.to_text(omit_final_dot=True).lower()
            rdtype = dns.rdatatype.to_text(question.rdtype)
            if name in self.failing:
                response.set_rcode(dns.rcode.SERVFAIL)
            elif (name, rdtype) in self.records:
                response.answer.append(dns.rrset.from_text_list(question.name, 60, "IN", rdtype,
                                                                 self.records[(name, rdtype)]))
            elif not any(key[0] == name for key in self.records):
                response.set_rcode(dns.rcode.NXDOMAIN)
            self.sock.sendto(response.to_wire(), peer)

    def resolver(self) -> Resolver:
        return Resolver(["127.0.0.1"], port=self.port, lifetime=2.0)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture(scope="session")
def dkim_key(tmp_path_factory) -> tuple[bytes, str]:
    """An RSA private key (PEM) for dkimpy to sign with, and its public key as a DKIM p= value."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    path = tmp_path_factory.mktemp("dkim") / "key.pem"
    subprocess.run(["openssl", "genrsa", "-traditional", "-out", str(path), "1024"], check=True, capture_output=True)
    der = subprocess.run(["openssl", "rsa", "-in", str(path), "-pubout", "-outform", "DER"], check=True,
                         capture_output=True).stdout
    import base64

    return path.read_bytes(), base64.b64encode(der).decode()


@pytest.fixture(scope="module")
def nameserver():
    server = LocalNameServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def sink():
    """Where the outbox relays."""
    with SmtpSink() as sink:
        yield sink


@pytest.fixture(scope="module")
def mailserver(certificate, nameserver, sink):
    """One jmapd with all four listeners for the module, sending through `sink`; short timeouts so
    tests of them are quick."""
    cert, key = certificate
    settings = Receiving(max_message_size=200_000, max_recipients=5, max_connections_per_ip=1200,
                         command_timeout=3.0, data_timeout=4.0)
    with LiveServer(hostname="mx.example.test", tls_cert=cert, tls_key=key, lmtp="127.0.0.1:0",
                    connections=ConnectionSettings(max_per_address=1200),  # the shared gate's share too
                    smtp="127.0.0.1:0", submission="127.0.0.1:0", submissions="127.0.0.1:0",
                    receiving=settings, relay=f"127.0.0.1:{sink.port}",
                    outbox=OutboxConfig(retry_after=1)) as server:
        server.server.extras["dns"] = nameserver.resolver()
        server.server.store.write(lambda txn: add_domain(txn, "example.test"))
        yield server


def port_of(server: LiveServer, kind: str) -> int:
    return server.server.extras[f"{kind}_listener"].port


def unique(prefix: str = "m") -> str:
    return f"{prefix}{next(_ids)}x{threading.get_ident() % 10000}"


def message(subject: str = "hello", *, sender: str = "bob@sender.test", to: str = "someone@example.test",
            message_id: str | None = None, extra: str = "", body: str = "hello there") -> bytes:
    message_id = message_id or f"<{unique()}@sender.test>"
    return (f"From: Bob <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n"
            f"Date: Sat, 05 Dec 2026 10:00:00 +0000\r\n{extra}\r\n{body}\r\n").encode()


def lmtp_deliver(port: int, sender: str, recipients: list[str], raw: bytes) -> dict[str, tuple[int, bytes]]:
    """Send one message over LMTP; each recipient's reply: RCPT's when it was refused, else the
    one after DATA (RFC 2033 §4.2)."""
    with smtplib.LMTP("127.0.0.1", port) as client:
        client.ehlo("mta.example.test")
        code, reply = client.mail(sender)
        assert code == 250, reply
        replies, accepted = {}, []
        for rcpt in recipients:
            code, reply = client.rcpt(rcpt)
            if code == 250:
                accepted.append(rcpt)
            else:
                replies[rcpt] = (code, reply)
        if not accepted:
            return replies
        code, reply = client.data(raw)
        replies[accepted[0]] = (code, reply)
        for rcpt in accepted[1:]:
            replies[rcpt] = client.getreply()
        return replies


def client_tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@pytest.fixture
def jmap_user(mailserver, client_type, certificate):
    """A user with an address in a local domain, and a JMAP client of theirs (over the server's
    HTTPS, trusting its certificate)."""
    made = []

    class TrustingClient(client_type):
        def __init__(self, base_url: str, username: str, password: str):
            self.http = httpx.Client(base_url=base_url, auth=(username, password), timeout=30,
                                     verify=ssl.create_default_context(cafile=certificate[0]))
            self.username = username
            self.session = self.http.get("/jmap/session").raise_for_status().json()
            self.account_id = self.session["primaryAccounts"]["urn:ietf:params:jmap:mail"]
            self.api_url = self.session["apiUrl"]

    def make(name: str | None = None):
        name = name or unique("u")
        mailserver.add_user(name, "pw-" + name, f"{name}@example.test")
        client = TrustingClient(mailserver.url, name, "pw-" + name)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def inbox_emails(client, role: str = "inbox", properties: tuple[str, ...] = ("subject", "headers", "threadId",
                                                                             "keywords", "mailboxIds")) -> list[dict]:
    box = client.mailboxes()[role]["id"]
    ids = client.ok("Email/query", {"filter": {"inMailbox": box}})["ids"]
    if not ids:
        return []
    return client.ok("Email/get", {"ids": ids, "properties": list(properties)})["list"]


def header(email: dict, name: str) -> list[str]:
    return [h["value"].strip() for h in email["headers"] if h["name"].lower() == name.lower()]


__all__ = ["LocalNameServer", "Path"]
