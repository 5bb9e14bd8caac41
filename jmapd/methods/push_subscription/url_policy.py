"""Where a push subscription may send requests (RFC 8620 §7.2 and §8.6: a push URL makes the server
a client of someone else's choosing, so it must not become a way into the server's own network).

A URL is checked twice: when it is registered (its form, and its host when that is an address), and
by the sender on every address its name resolves to, the one it then connects to.
"""

from __future__ import annotations

import ipaddress
from functools import cached_property
from urllib.parse import urlsplit

from ...config import PushConfig

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_URL_LENGTH = 2048


class UrlPolicy:
    def __init__(self, config: PushConfig):
        self.config = config

    @cached_property
    def allowed_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(n, strict=False) for n in self.config.allowed_networks]

    def address_allowed(self, address: Address) -> bool:
        """Public addresses, and the non-public ones the configuration lists."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in network for network in self.allowed_networks):
            return True
        return address.is_global and not address.is_multicast

    def problem(self, url: str) -> str | None:
        """Why `url` cannot be a push URL, or None if it can be registered."""
        if len(url) > MAX_URL_LENGTH:
            return f"the URL is longer than {MAX_URL_LENGTH} characters"
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            return f"the URL is not valid: {exc}"
        host = parts.hostname
        if parts.scheme not in ("https", "http") or not host:
            return "the URL must be an absolute https:// URL"
        if parts.username is not None or parts.password is not None:
            return "the URL may not carry credentials"
        if port == 0:
            return "the URL's port is not valid"
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        if address is None and (host == "localhost" or host.endswith(".localhost")):
            address = ipaddress.ip_address("127.0.0.1")
        if address is not None and not self.address_allowed(address):
            return "the URL points to an address this server does not send to"
        if parts.scheme == "http" and (address is None or not address.is_loopback):
            return "the URL must begin with https:// (RFC 8620 §7.2)"
        return None
