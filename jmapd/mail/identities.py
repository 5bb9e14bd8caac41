"""Identities: the addresses an account sends as (RFC 8621 §6), and who may send as what.

Every address of the account's owner gets a default identity the first time identities are looked
at after the address appears (`ensure_default_identities`, a write only when one is missing); the
one of the primary address cannot be deleted, so there is always one to send with. Which addresses
a user may send as is the address model's answer (`addresses.may_send_as`): their own addresses and
aliases, or any address of a domain they own (`*@domain`).
"""

from __future__ import annotations

import msgspec

from store import ReadTxn, WriteTxn
from store.records import User
from store.users import get_account, get_user

from .addresses import addresses_of, may_send_as
from .errors import MailError

IDENTITY = "Identity"
SEEDED = "IdentitySeeded"  # per account, unlogged: addresses whose default identity was made


class ForbiddenFrom(MailError):
    def __init__(self, address: str):
        super().__init__(f"this account may not send as {address}")
        self.address = address


class IdentityRecord(msgspec.Struct, kw_only=True):
    email: str
    name: str = ""
    reply_to: list[dict[str, str | None]] | None = None
    bcc: list[dict[str, str | None]] | None = None
    text_signature: str = ""
    html_signature: str = ""
    may_delete: bool = True


class Seeded(msgspec.Struct, kw_only=True):
    addresses: list[str] = []


def account_owner(txn: ReadTxn, account_id: str) -> User | None:
    """The user whose addresses the account sends from."""
    account = get_account(txn, account_id)
    return None if account is None else get_user(txn, account.owner)


def missing_defaults(txn: ReadTxn, account_id: str, hostname: str) -> list[str]:
    """Addresses of the owner that have not had their default identity yet (a handful of lookups)."""
    owner = account_owner(txn, account_id)
    if owner is None:
        return []
    seeded = txn.get(account_id, SEEDED, "", Seeded) or Seeded()
    return [a for a in addresses_of(txn, owner, hostname) if a not in seeded.addresses]


def ensure_default_identities(txn: WriteTxn, account_id: str, hostname: str) -> None:
    """Create the default identity of each address that has none yet. An identity the user deleted
    stays deleted: the address is remembered as seeded."""
    missing = missing_defaults(txn, account_id, hostname)
    if not missing:
        return
    owner = account_owner(txn, account_id)
    primary = addresses_of(txn, owner, hostname)[0]
    seeded = txn.get(account_id, SEEDED, "", Seeded) or Seeded()
    for address in missing:
        identity_id = txn.new_id(account_id, IDENTITY, "I")
        txn.create(account_id, IDENTITY, identity_id,
                   IdentityRecord(email=address, name=owner.name, may_delete=address != primary))
    seeded.addresses = [*seeded.addresses, *missing]
    txn.put_unlogged(account_id, SEEDED, "", seeded)


def check_may_send_as(txn: ReadTxn, account_id: str, address: str, hostname: str) -> None:
    """Raise ForbiddenFrom unless the account's owner may send as `address` (or `*@domain`)."""
    owner = account_owner(txn, account_id)
    if owner is None or not may_send_as(txn, owner, address, hostname):
        raise ForbiddenFrom(address)


def identity_allows(identity: IdentityRecord, address: str) -> bool:
    """Whether a From or MAIL FROM address matches the identity: the same address (domains compare
    case-insensitively), or any address of the domain for a `*@domain` identity."""
    local, _, domain = identity.email.rpartition("@")
    got_local, sep, got_domain = address.rpartition("@")
    if not sep or got_domain.lower() != domain.lower():
        return False
    return local == "*" or got_local == local
