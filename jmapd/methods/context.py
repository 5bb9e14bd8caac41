"""What a JMAP method handler works with: the store, the user, and the request's creation ids."""

from __future__ import annotations

from typing import Any

import msgspec

from store import Store
from store.records import Account, User
from store.users import get_account

from ..protocol.capabilities import CORE, MAIL, QUOTA, SUBMISSION, VACATION
from ..protocol.engine import Call
from ..protocol.errors import MethodError
from .services import Principal, Server

# Capabilities every personal account carries; a data type's methods need its capability here.
ACCOUNT_CAPABILITIES = (MAIL, SUBMISSION, VACATION, CORE, QUOTA)


class Context(Call):
    """A `Call` with the server's services; one per method invocation."""

    @property
    def principal(self) -> Principal:
        return self.scope.services

    @property
    def server(self) -> Server:
        return self.principal.server

    @property
    def store(self) -> Store:
        return self.server.store

    @property
    def user(self) -> User:
        return self.principal.user

    def accessible_accounts(self) -> dict[str, Account]:
        return request_accounts(self.principal)

    def account(self, account_id: Any, capability: str, *, write: bool = False, prefix: str = "") -> str:
        """Validate the accountId argument: exists for this user, supports the capability, is writable.

        `prefix` serves /copy's fromAccountId, whose errors are named fromAccountNotFound etc. (§5.4).
        """
        accounts = self.accessible_accounts()
        account = accounts.get(account_id) if isinstance(account_id, str) else None
        name = (lambda n: prefix + n[0].upper() + n[1:]) if prefix else (lambda n: n)
        if account is None:
            raise MethodError(name("accountNotFound"), f"no account {account_id!r} for this user")
        if capability not in ACCOUNT_CAPABILITIES:
            raise MethodError(name("accountNotSupportedByMethod"), f"account {account_id} has no {capability}")
        if write and account.is_read_only:
            raise MethodError("accountReadOnly", f"account {account_id} is read-only")
        return account_id

    def resolve_id(self, value: str) -> str | None:
        """An id, or `#creationId` of a record created earlier in this request (RFC 8620 §5.3)."""
        if value.startswith("#"):
            return self.creation(value[1:])
        return value


def request_accounts(principal: Principal) -> dict[str, Account]:
    """The principal's accounts, read once per request: every call checks its accountId against
    them, and the response's sessionState is derived from them."""
    if principal.accounts is None:
        principal.accounts = accessible_accounts(principal.server, principal.user)
    return principal.accounts


def accessible_accounts(server: Server, user: User) -> dict[str, Account]:
    """The user's own account, then the accounts others shared with it, as this user sees them."""
    accounts: dict[str, Account] = {}
    with server.store.read() as txn:
        own = get_account(txn, user.account_id)
        if own is not None:
            accounts[user.account_id] = own
        for account_id, read_only in sorted(user.shared_accounts.items()):
            shared = get_account(txn, account_id)
            if shared is not None:
                accounts[account_id] = msgspec.structs.replace(
                    shared, is_personal=False, is_read_only=shared.is_read_only or read_only)
    return accounts
