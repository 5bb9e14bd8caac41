"""HTTP Basic and Bearer authentication (RFC 8620 §8.2 leaves the scheme to the server).

The Authorization header is read here; whether the credentials prove a user is jmapd.auth's, the
same check every protocol makes.
"""

from __future__ import annotations

import base64

from starlette.requests import HTTPConnection

from store import Store
from store.records import User

from ..auth import Logins

CHALLENGE = 'Basic realm="jmapd", charset="UTF-8", Bearer realm="jmapd"'


class Authenticator:
    def __init__(self, store: Store, logins: Logins | None = None):
        self.logins = logins or Logins(store)

    async def authenticate(self, conn: HTTPConnection) -> User | None:
        return await self.check(conn.headers.get("authorization", ""))

    async def check(self, header: str) -> User | None:
        """The user an Authorization header value names and proves, or None."""
        scheme, _, value = header.partition(" ")
        scheme = scheme.lower()
        if scheme == "bearer" and value:
            return self.logins.token_user(value)
        if scheme != "basic" or not value:
            return None
        try:
            name, sep, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        if not sep:
            return None
        return await self.logins.verify(name, password)
