"""Serving HTTPS directly with --tls-cert/--tls-key (many JMAP clients insist on https)."""

from __future__ import annotations

import ssl

import httpx
import pytest

from jmapd.testing import LiveServer


def test_https_session_has_https_urls(certificate):
    """RFC 8620 §8.1 (TLS) and §2: over HTTPS the Session's URLs are https URLs of the same server."""
    cert, key = certificate
    with LiveServer(tls_cert=cert, tls_key=key) as server:
        server.add_user("t", "pw")
        base = server.url
        assert base.startswith("https://")
        trust = ssl.create_default_context(cafile=cert)
        session = httpx.get(base + "/jmap/session", auth=("t", "pw"), verify=trust).json()
        assert session["apiUrl"] == base + "/jmap/api/"
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{server.port}/jmap/session", auth=("t", "pw"), timeout=2)
