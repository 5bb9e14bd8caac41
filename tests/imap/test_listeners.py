"""The listeners: implicit TLS (RFC 8314), STARTTLS (RFC 9051 §6.2.1), plain-text logins only on
loopback or after TLS (§11.1), the command-line checks, and acknowledged APPENDs surviving kill -9."""

from __future__ import annotations

import asyncio
import imaplib
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jmapd.imap.auth import login
from jmapd.imap.errors import No
from jmapd.imap.parser import Parser
from jmapd.imap.session import Session
from jmapd.testing import LiveServer, free_port

from .conftest import message

JMAPD = [str(Path(sys.executable).with_name("jmapd"))]


def test_imaps_and_starttls(certificate):
    """RFC 8314 §3.2 implicit TLS and RFC 9051 §6.2.1 STARTTLS: both log in over TLS, STARTTLS
    stops being offered once TLS is on."""
    cert, key = certificate
    trust = ssl.create_default_context(cafile=cert)
    with LiveServer(tls_cert=cert, tls_key=key, imap="127.0.0.1:0", imaps="127.0.0.1:0") as server:
        server.add_user("t", "pw")
        secure = imaplib.IMAP4_SSL("127.0.0.1", server.server.extras["imaps"].port, ssl_context=trust)
        assert "STARTTLS" not in secure.capabilities
        assert secure.login("t", "pw")[0] == "OK"
        secure.logout()
        plain = imaplib.IMAP4("127.0.0.1", server.server.extras["imap"].port)
        assert "STARTTLS" in plain.capabilities
        assert plain.starttls(ssl_context=trust)[0] == "OK"
        assert "STARTTLS" not in plain.capabilities
        assert plain.login("t", "pw")[0] == "OK"
        plain.logout()


def test_plaintext_login_needs_tls_beyond_loopback(imap_server):
    """RFC 9051 §6.2.3 and §11.1: on a listener beyond loopback without TLS, LOGIN and
    AUTHENTICATE PLAIN are refused with [PRIVACYREQUIRED] and LOGINDISABLED is advertised."""
    service = imap_server.server.extras["imap"]
    session = Session(server=imap_server.server, service=service, out=None, peer="192.0.2.1", secure=False,
                      loopback=False)
    capabilities = service.capabilities(session).split()
    assert "LOGINDISABLED" in capabilities and "AUTH=PLAIN" not in capabilities
    with pytest.raises(No) as refused:
        asyncio.run(login(session, "t1", Parser(b" someone secret")))
    assert refused.value.code == "PRIVACYREQUIRED" and session.user is None
    session.secure = True
    assert "AUTH=PLAIN" in service.capabilities(session).split()


@pytest.mark.parametrize("args, says", [
    (["--imap", "0.0.0.0:1143"], "needs --tls-cert"),
    (["--imaps", "127.0.0.1:1993"], "needs --tls-cert"),
    (["--imap", "nonsense"], "wants ADDRESS:PORT"),
])
def test_serve_refuses_imap_without_tls_beyond_loopback(tmp_path, args, says):
    """Security: IMAP beyond loopback in clear text, or IMAPS without a certificate, is a one-line
    error and exit status 2."""
    r = subprocess.run([*JMAPD, "serve", "--data", str(tmp_path), *args], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2 and says in r.stderr and "Traceback" not in r.stderr


def test_acknowledged_appends_survive_kill_9(tmp_path):
    """RFC 9051 §6.3.12: an APPEND answered OK is stored; a `jmapd serve` killed with SIGKILL and
    started again serves every acknowledged message with the same UIDs and UIDVALIDITY."""
    data = tmp_path / "data"
    subprocess.run([*JMAPD, "user", "add", "k", "--password", "pw", "--data", str(data)], check=True,
                   capture_output=True, timeout=60)

    def start():
        http, imap = free_port(), free_port()
        proc = subprocess.Popen([*JMAPD, "serve", "--port", str(http), "--imap", f"127.0.0.1:{imap}", "--data",
                                 str(data)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                return proc, imaplib.IMAP4("127.0.0.1", imap, timeout=10)
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    proc.kill()
                    raise
                time.sleep(0.1)

    proc, conn = start()
    conn.login("k", "pw")
    acknowledged = []
    for i in range(20):
        typ, data_ = conn.append("INBOX", None, None, message(f"durable {i}"))
        assert typ == "OK"
        acknowledged.append(data_[0].split()[2].rstrip(b"]"))
    conn.select("INBOX")
    validity = conn.untagged_responses["UIDVALIDITY"][0]
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    proc, conn = start()
    try:
        conn.login("k", "pw")
        conn.select("INBOX")
        assert conn.untagged_responses["UIDVALIDITY"][0] == validity
        typ, found = conn.uid("SEARCH", None, "ALL")
        assert found[0].split() == acknowledged
        typ, subjects = conn.fetch("20", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert subjects[0][1].startswith(b"Subject: durable 19")
        conn.logout()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
