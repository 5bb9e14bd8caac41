"""Who an address belongs to: domains, users' addresses and aliases, plus-addressing, catch-alls.

One model for delivery (which account gets a message for `rcpt`), Identity and sending (may this
user send as `from`). Records are server-wide, kept under the empty account id, which no account
has. Lookups are by key: nothing here scans users or addresses per message.

Addresses compare case-insensitively in the domain and as stored in the local part (RFC 5321 §2.4
leaves the local part's case to the receiving host). Domains are kept in their ASCII (IDNA) form,
so `bücher.example` and `xn--bcher-kva.example` are one domain.
"""

from __future__ import annotations

import time

import msgspec

from store import ReadTxn, WriteTxn
from store.records import User
from store.users import get_user, normalize

from .errors import AddressTaken, InvalidAddress, UnknownDomain

SERVER = ""  # the account id of server-wide records
DOMAIN, ADDRESS, ALIASES = "Domain", "Address", "Aliases"
PLUS = "+"


class DomainRecord(msgspec.Struct, kw_only=True):
    """A domain this server receives mail for. `catch_all` names the user who gets mail for unknown
    local parts; `owners` may send as any address of the domain (`*@domain` identities)."""

    catch_all: str | None = None
    owners: list[str] = []
    created_at: int = 0


class AddressRecord(msgspec.Struct, kw_only=True):
    user: str  # normalized user name


class AliasList(msgspec.Struct, kw_only=True):
    addresses: list[str] = []


class Recipient(msgspec.Struct, frozen=True):
    """Whose mail an address is: the user, the address as known here, and the `+tag` if one was used."""

    user: User
    address: str
    tag: str | None = None


def normalize_domain(domain: str) -> str:
    """A domain's ASCII form, lowercase, without a trailing dot."""
    name = domain.strip().rstrip(".")
    if not name or any(c.isspace() or c in "@<>\"\\()[],;:" for c in name):
        raise InvalidAddress(domain, "not a valid domain")
    try:
        ascii_name = name.encode("idna").decode("ascii") if not name.isascii() else name
    except UnicodeError:
        raise InvalidAddress(domain, "not a valid internationalized domain") from None
    ascii_name = ascii_name.lower()
    if any(not label or len(label) > 63 for label in ascii_name.split(".")) or len(ascii_name) > 253:
        raise InvalidAddress(domain, "not a valid domain")
    return ascii_name


def normalize_address(address: str) -> str:
    """`local@domain` with the domain normalized and the local part as given."""
    local, sep, domain = address.strip().rpartition("@")
    if not sep or not local or len(local) > 64:
        raise InvalidAddress(address)
    if any(ord(c) < 0x21 or ord(c) == 0x7F or c in "<>" for c in local):
        raise InvalidAddress(address, "the local part has a character an address may not have")
    return f"{local}@{normalize_domain(domain)}"


def domain_of(address: str) -> str:
    return address.rpartition("@")[2]


# -- domains ---------------------------------------------------------------------------------------
def add_domain(txn: WriteTxn, domain: str, *, catch_all: str | None = None,
               owners: list[str] | None = None) -> str:
    name = normalize_domain(domain)
    record = txn.get(SERVER, DOMAIN, name, DomainRecord) or DomainRecord(created_at=int(time.time()))
    if catch_all is not None:
        record.catch_all = _existing_user(txn, catch_all)
    if owners is not None:
        record.owners = sorted({_existing_user(txn, o) for o in owners})
    txn.put_unlogged(SERVER, DOMAIN, name, record)
    return name


def remove_domain(txn: WriteTxn, domain: str) -> None:
    name = normalize_domain(domain)
    if txn.get(SERVER, DOMAIN, name, DomainRecord) is None:
        raise UnknownDomain(name)
    txn.delete_unlogged(SERVER, DOMAIN, name)


def list_domains(txn: ReadTxn) -> list[tuple[str, DomainRecord]]:
    return list(txn.scan(SERVER, DOMAIN, DomainRecord))


def is_local_domain(txn: ReadTxn, domain: str, hostname: str) -> bool:
    """A domain this server takes mail for: one added, or the server's own host name."""
    try:
        name = normalize_domain(domain)
    except InvalidAddress:
        return False
    return name == normalize_domain(hostname) or txn.exists(SERVER, DOMAIN, name)


# -- addresses -------------------------------------------------------------------------------------
def add_address(txn: WriteTxn, user_name: str, address: str) -> str:
    """Give a user one more address (an alias); refused if another user has it."""
    user = _existing_user(txn, user_name)
    normalized = normalize_address(address)
    taken = txn.get(SERVER, ADDRESS, normalized, AddressRecord)
    if taken is not None and taken.user != user:
        raise AddressTaken(normalized, taken.user)
    txn.put_unlogged(SERVER, ADDRESS, normalized, AddressRecord(user=user))
    aliases = txn.get(SERVER, ALIASES, user, AliasList) or AliasList()
    if normalized not in aliases.addresses:
        aliases.addresses = [*aliases.addresses, normalized]
        txn.put_unlogged(SERVER, ALIASES, user, aliases)
    return normalized


def remove_address(txn: WriteTxn, user_name: str, address: str) -> None:
    user = _existing_user(txn, user_name)
    normalized = normalize_address(address)
    taken = txn.get(SERVER, ADDRESS, normalized, AddressRecord)
    if taken is None or taken.user != user:
        raise InvalidAddress(normalized, f"not an address of {user}")
    txn.delete_unlogged(SERVER, ADDRESS, normalized)
    aliases = txn.get(SERVER, ALIASES, user, AliasList) or AliasList()
    aliases.addresses = [a for a in aliases.addresses if a != normalized]
    txn.put_unlogged(SERVER, ALIASES, user, aliases)


def addresses_of(txn: ReadTxn, user: User, hostname: str) -> list[str]:
    """A user's addresses, the primary one first: the one given at creation (or name@hostname),
    then the aliases added since."""
    primary = user.email or f"{normalize(user.name)}@{hostname}"
    try:
        primary = normalize_address(primary)
    except InvalidAddress:
        pass
    aliases = txn.get(SERVER, ALIASES, normalize(user.name), AliasList) or AliasList()
    return list(dict.fromkeys([primary, *aliases.addresses]))


def resolve(txn: ReadTxn, address: str, hostname: str) -> Recipient | None:
    """The user mail to `address` is for, or None. In order: the address itself (a user's own or an
    alias); the same without a `+tag`; a user of that name, in a local domain; the domain's
    catch-all."""
    try:
        normalized = normalize_address(address)
    except InvalidAddress:
        return None
    local, _, domain = normalized.rpartition("@")
    base, plus, tag = local.partition(PLUS)
    candidates = [(normalized, None)]
    if plus and base:
        candidates.append((f"{base}@{domain}", tag))
    for candidate, tag_used in candidates:
        owner = txn.get(SERVER, ADDRESS, candidate, AddressRecord)
        user = get_user(txn, owner.user) if owner is not None else None
        if user is not None and not user.disabled:
            return Recipient(user, candidate, tag_used)
    if not is_local_domain(txn, domain, hostname):
        return None
    for name, tag_used in ((local, None), (base, tag or None)):
        user = get_user(txn, name) if name else None
        if user is not None and not user.disabled and _primary_domain(user, hostname) == domain:
            return Recipient(user, f"{name}@{domain}", tag_used)
    record = txn.get(SERVER, DOMAIN, domain, DomainRecord)
    if record is not None and record.catch_all:
        user = get_user(txn, record.catch_all)
        if user is not None and not user.disabled:
            return Recipient(user, normalized, None)
    return None


def may_send_as(txn: ReadTxn, user: User, address: str, hostname: str) -> bool:
    """Whether `user` may put `address` in From or MAIL FROM: one of their own addresses, or any
    address of a domain they own. `*@domain` asks for the whole domain."""
    try:
        local, _, domain = normalize_address(address).rpartition("@")
    except InvalidAddress:
        return False
    record = txn.get(SERVER, DOMAIN, domain, DomainRecord)
    if record is not None and normalize(user.name) in record.owners:
        return True
    if local == "*":
        return False
    found = resolve(txn, f"{local}@{domain}", hostname)
    return found is not None and normalize(found.user.name) == normalize(user.name) and found.tag is None \
        and found.address in addresses_of(txn, user, hostname) + [f"{normalize(user.name)}@{domain}"]


def _primary_domain(user: User, hostname: str) -> str:
    """The domain a user's name is a local part in: that of the address given at creation, or the
    server's host name."""
    try:
        return domain_of(normalize_address(user.email)) if user.email else normalize_domain(hostname)
    except InvalidAddress:
        return normalize_domain(hostname)


def _existing_user(txn: ReadTxn, name: str) -> str:
    user = get_user(txn, name)
    if user is None:
        raise InvalidAddress(name, "no such user")
    return normalize(user.name)
