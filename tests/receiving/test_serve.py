"""`jmapd serve` with mail listeners: flag mistakes, and the certificate reloaded on SIGHUP."""

from __future__ import annotations

import shutil
import signal
import smtplib
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jmapd.testing import free_port

from .conftest import client_tls

JMAPD = str(Path(sys.executable).with_name("jmapd"))


@pytest.mark.parametrize("flags, problem", [
    (["--lmtp", "nonsense"], "--lmtp wants ADDRESS:PORT"),
    (["--submission", "0.0.0.0:587"], "needs --tls-cert"),
    (["--submissions", "127.0.0.1:465"], "needs --tls-cert"),
])
def test_listener_mistakes_are_one_line_and_status_2(tmp_path, flags, problem):
    """A listener asked for wrongly stops `jmapd serve` before it starts: one line, status 2 (and
    RFC 8314 §3: no submission off loopback without TLS)."""
    done = subprocess.run([JMAPD, "serve", "--data", str(tmp_path / "d"), *flags], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 2
    assert problem in done.stderr and len(done.stderr.strip().splitlines()) == 1


def make_certificate(folder: Path, name: str) -> None:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={name}",
                    "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")], check=True, capture_output=True)


def served_name(port: int) -> str:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo("x.test")
        client.starttls(context=client_tls())
        der = client.sock.getpeercert(binary_form=True)
    pem = ssl.DER_cert_to_PEM_cert(der)
    text = subprocess.run(["openssl", "x509", "-noout", "-subject"], input=pem, capture_output=True, text=True).stdout
    return text.strip().rpartition("=")[2].strip()


def test_sighup_loads_a_renewed_certificate(tmp_path):
    """RFC 3207 STARTTLS uses the configured certificate; after the files are replaced, SIGHUP makes
    new connections use the new one without a restart."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    tls = tmp_path / "tls"
    tls.mkdir()
    make_certificate(tls, "old.example.test")
    http_port, smtp_port = free_port(), free_port()
    server = subprocess.Popen([JMAPD, "serve", "--data", str(tmp_path / "data"), "--port", str(http_port),
                               "--smtp", f"127.0.0.1:{smtp_port}", "--tls-cert", str(tls / "cert.pem"),
                               "--tls-key", str(tls / "key.pem")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert served_name(smtp_port) == "old.example.test"
                break
            except OSError:
                assert time.monotonic() < deadline, "jmapd did not start"
                time.sleep(0.1)
        make_certificate(tls, "new.example.test")
        server.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while served_name(smtp_port) != "new.example.test":
            assert time.monotonic() < deadline, "the new certificate was not loaded"
            time.sleep(0.1)
        assert server.poll() is None  # SIGHUP did not stop the server
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
