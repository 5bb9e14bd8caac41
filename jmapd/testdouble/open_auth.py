"""`--open-auth`: any password logs in as an existing user, as container fixtures for client
development do. Only ever on loopback (the server refuses it elsewhere)."""

from __future__ import annotations

from store.records import User
from store.users import get_user

from ..auth import Logins


class OpenLogins(Logins):
    async def _check(self, name: str, password: str) -> User | None:
        with self.store.read() as txn:
            user = get_user(txn, name)
        return None if user is None or user.disabled else user
