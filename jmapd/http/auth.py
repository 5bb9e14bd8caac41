"""HTTP Basic and Bearer authentication (RFC 8620 §8.2 leaves the scheme to the server).

The Authorization header is read here; whether the credentials prove a user is jmapd.auth's, the
same check every protocol makes, with the same back-off: a client blocked by it gets 429 Too Many
Requests with Retry-After (RFC 6585 §4), before any password is checked.

The client's address is the connection's peer; behind a trusted proxy it is the last address the
proxy chain added to X-Forwarded-For (anything further left could be made up by the client).
"""

from __future__ import annotations

import base64
import ipaddress

from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection

from store import Store
from store.records import User
from store.users import token_id

from ..auth import Logins, LoginThrottled
from ..auth.logins import TOKEN_PREFIX

CHALLENGE = 'Basic realm="jmapd", charset="UTF-8", Bearer realm="jmapd"'


class Authenticator:
    def __init__(self, store: Store, logins: Logins | None = None, trusted_proxies: list[str] | None = None):
        self.logins = logins or Logins(store)
        self.trusted = [ipaddress.ip_network(p, strict=False) for p in trusted_proxies or ()]

    async def authenticate(self, conn: HTTPConnection) -> User | None:
        return await self.check(conn.headers.get("authorization", ""), self.client_address(conn.scope))

    def client_address(self, scope) -> str | None:
        """The address failed logins are counted against."""
        client = scope.get("client")
        peer = client[0] if client else None
        if not self.trusted or not self._is_trusted(peer):
            return peer
        forwarded = [value.decode("latin-1") for name, value in scope["headers"] if name == b"x-forwarded-for"]
        hops = [hop.strip() for hop in ",".join(forwarded).split(",") if hop.strip()]
        while hops and self._is_trusted(hops[-1]):
            peer = hops.pop()
        return hops[-1] if hops else peer

    def _is_trusted(self, host: str | None) -> bool:
        try:
            address = ipaddress.ip_address(host or "")
        except ValueError:
            return False
        return any(address in network for network in self.trusted)

    async def check(self, header: str, peer: str | None = None) -> User | None:
        """The user an Authorization header value names and proves, or None; HTTPException 429
        while the user or `peer` is blocked by failed logins."""
        try:
            return await self._check(header, peer)
        except LoginThrottled as exc:
            raise HTTPException(429, f"Too many failed logins: retry in {exc.retry_after} s.",
                                headers={"Retry-After": str(exc.retry_after)}) from None

    @staticmethod
    def credential_of(header: str) -> str:
        """Which credentials an Authorization header carries: "token:<id>" for an API token (as
        Bearer or as a Basic password), else "password". Call it once the header proved a user."""
        scheme, _, value = header.partition(" ")
        secret = value.strip()
        if scheme.lower() == "basic":
            try:
                secret = base64.b64decode(secret, validate=True).decode().partition(":")[2]
            except (ValueError, UnicodeDecodeError):
                return "password"
        if scheme.lower() == "bearer" or secret.startswith(TOKEN_PREFIX):
            return f"token:{token_id(secret)}"
        return "password"

    async def _check(self, header: str, peer: str | None) -> User | None:
        scheme, _, value = header.partition(" ")
        scheme = scheme.lower()
        if scheme == "bearer" and value:
            return self.logins.token_user(value, peer)
        if scheme != "basic" or not value:
            return None
        try:
            name, sep, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        if not sep:
            return None
        return await self.logins.verify(name, password, peer)
