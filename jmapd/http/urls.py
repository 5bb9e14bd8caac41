"""The absolute URLs the Session advertises (clients use them as given, so relative ones break them).

Behind a reverse proxy the request shows the proxy's view; X-Forwarded-Proto and X-Forwarded-Host are
believed only from configured proxies, as anyone else could use them to point clients elsewhere.
"""

from __future__ import annotations

import ipaddress

from starlette.requests import HTTPConnection

from ..config import Config


class UrlBuilder:
    def __init__(self, config: Config):
        self.public_url = config.public_url.rstrip("/") if config.public_url else None
        self.trusted = [ipaddress.ip_network(p, strict=False) for p in config.trusted_proxies]
        scheme = "https" if config.tls_cert else "http"
        self.fallback = f"{scheme}://{config.host}:{config.port}"

    def _trusted(self, conn: HTTPConnection) -> bool:
        if not self.trusted or conn.client is None:
            return False
        try:
            address = ipaddress.ip_address(conn.client.host)
        except ValueError:
            return False
        return any(address in network for network in self.trusted)

    def base(self, conn: HTTPConnection) -> str:
        if self.public_url:
            return self.public_url
        scheme = conn.url.scheme
        host = conn.headers.get("host")
        if self._trusted(conn):
            scheme = conn.headers.get("x-forwarded-proto", scheme).split(",")[0].strip() or scheme
            host = conn.headers.get("x-forwarded-host", host or "").split(",")[0].strip() or host
        if not host:
            return self.fallback
        return f"{scheme}://{host}"
