"""Users, their accounts, passwords and API tokens.

Passwords are stored as scrypt hashes (memory-hard, in the standard library). Tokens are random and
stored only as SHA-256 digests: they are long enough that a fast hash is safe, and a fast hash keeps
Bearer authentication cheap on every request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterator

from . import subscriptions
from .codec import decode, encode
from .records import Account, Token, User
from .txn import ReadTxn, WriteTxn

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


class UserExists(Exception):
    pass


class UnknownUser(Exception):
    pass


class InvalidUserName(ValueError):
    """A user name no protocol could log in with; the message says which rule it breaks."""


MAX_NAME_LENGTH = 255


def check_user_name(name: str) -> None:
    """User names must survive every login: HTTP Basic splits "name:password" at the first colon,
    and IMAP and SMTP take names as atoms, without spaces or control characters."""
    if not name:
        raise InvalidUserName("a user name may not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidUserName(f"a user name may have at most {MAX_NAME_LENGTH} characters")
    if ":" in name:
        raise InvalidUserName(f"a user name may not contain ':' (HTTP Basic logins split at it): {name!r}")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise InvalidUserName(f"a user name may not contain spaces or control characters: {name!r}")


def hash_password(password: str, n: int | None = None) -> str:
    """An scrypt hash; `n` lowers the work factor for throw-away test accounts only."""
    n = n or SCRYPT_N
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${b64(salt)}${b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def normalize(name: str) -> str:
    """User names compare case-insensitively, as mail addresses' local parts do in practice."""
    return name.strip().lower()


def get_user(txn: ReadTxn, name: str) -> User | None:
    raw = user_record(txn, name)
    return None if raw is None else decode(raw, User)


def user_record(txn: ReadTxn, name: str) -> bytes | None:
    """A user as stored: equal bytes mean nothing about the user changed (password, disabled...)."""
    return txn.txn.get(normalize(name).encode(), db=txn.dbs["users"])


def list_users(txn: ReadTxn) -> Iterator[User]:
    with txn.txn.cursor(db=txn.dbs["users"]) as cur:
        for _, value in cur:
            yield decode(value, User)


def has_users(txn: ReadTxn) -> bool:
    with txn.txn.cursor(db=txn.dbs["users"]) as cur:
        return cur.first()


def put_user(txn: WriteTxn, user: User) -> None:
    txn.txn.put(normalize(user.name).encode(), encode(user), db=txn.dbs["users"])


def add_user(txn: WriteTxn, name: str, password_hash: str, email: str | None, *,
             account_id: str | None = None) -> User:
    """Create a user with a personal account of its own; the caller provisions the account's content.
    The account id is random unless given (a deterministic test server derives it from the name)."""
    check_user_name(name)
    if get_user(txn, name) is not None:
        raise UserExists(name)
    if account_id is not None and get_account(txn, account_id) is not None:
        raise UserExists(f"account {account_id}")
    account_id = account_id or "a" + secrets.token_hex(4)
    while get_account(txn, account_id) is not None:
        account_id = "a" + secrets.token_hex(4)
    now = int(time.time())
    user = User(name=name.strip(), password_hash=password_hash, account_id=account_id, email=email, created_at=now)
    put_user(txn, user)
    put_account(txn, account_id, Account(name=email or name.strip(), owner=normalize(name), created_at=now))
    return user


def set_password(txn: WriteTxn, name: str, password_hash: str, *, keep_tokens: bool = False) -> int:
    """A new password; the user's API tokens are revoked with the old one (a password is changed
    when it may have leaked, and tokens may have been made with it), unless `keep_tokens`.
    Returns how many tokens were revoked."""
    user = get_user(txn, name)
    if user is None:
        raise UnknownUser(name)
    user.password_hash = password_hash
    put_user(txn, user)
    # Push subscriptions made with the old password go with it (RFC 8620 §7.2).
    subscriptions.destroy_for_credentials(txn, normalize(name), lambda credential: credential in ("", "password"))
    return 0 if keep_tokens else revoke_tokens(txn, name)


def share_account(txn: WriteTxn, owner: str, with_user: str, *, read_only: bool) -> str:
    """Give `with_user` access to `owner`'s account; returns the account id."""
    source, target = get_user(txn, owner), get_user(txn, with_user)
    if source is None or target is None:
        raise UnknownUser(owner if source is None else with_user)
    if normalize(owner) == normalize(with_user):
        raise ValueError("an account is always shared with its owner")
    target.shared_accounts = {**target.shared_accounts, source.account_id: read_only}
    put_user(txn, target)
    return source.account_id


def unshare_account(txn: WriteTxn, owner: str, with_user: str) -> None:
    source, target = get_user(txn, owner), get_user(txn, with_user)
    if source is None or target is None:
        raise UnknownUser(owner if source is None else with_user)
    target.shared_accounts = {k: v for k, v in target.shared_accounts.items() if k != source.account_id}
    put_user(txn, target)


def get_account(txn: ReadTxn, account_id: str) -> Account | None:
    raw = txn.txn.get(account_id.encode(), db=txn.dbs["accounts"])
    return None if raw is None else decode(raw, Account)


def put_account(txn: WriteTxn, account_id: str, account: Account) -> None:
    txn.txn.put(account_id.encode(), encode(account), db=txn.dbs["accounts"])


def token_id(token: str) -> str:
    """What `user token list` shows for a token, and what names it elsewhere (never the token)."""
    return token_digest(token).hex()[:TOKEN_ID_LENGTH]


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def create_token(txn: WriteTxn, name: str, label: str = "") -> str:
    user = get_user(txn, name)
    if user is None:
        raise UnknownUser(name)
    token = "jmapd_" + secrets.token_urlsafe(32)
    record = Token(username=normalize(name), label=label, created_at=int(time.time()))
    txn.txn.put(token_digest(token), encode(record), db=txn.dbs["tokens"])
    return token


# A token is named in lists and revocations by the start of its digest, never by itself.
TOKEN_ID_LENGTH = 12


def list_tokens(txn: ReadTxn, name: str) -> list[tuple[str, Token]]:
    """A user's tokens as (id, record), oldest first; the id is the start of the token's digest."""
    wanted = normalize(name)
    found = []
    with txn.txn.cursor(db=txn.dbs["tokens"]) as cur:
        for digest, value in cur:
            record = decode(value, Token)
            if record.username == wanted:
                found.append((digest.hex()[:TOKEN_ID_LENGTH], record))
    return sorted(found, key=lambda item: (item[1].created_at, item[0]))


def revoke_tokens(txn: WriteTxn, name: str, ids: list[str] | None = None) -> int:
    """Delete the user's tokens whose ids are given (all of them for None); returns how many.
    An id that names none of the user's tokens is an UnknownToken."""
    wanted = normalize(name)
    doomed = []
    matched: set[str] = set()
    with txn.txn.cursor(db=txn.dbs["tokens"]) as cur:
        for digest, value in cur:
            if decode(value, Token).username != wanted:
                continue
            token_id = digest.hex()[:TOKEN_ID_LENGTH]
            if ids is None or token_id in ids:
                doomed.append(digest)
                matched.add(token_id)
    missing = [] if ids is None else [i for i in ids if i not in matched]
    if missing:
        raise UnknownToken(missing[0])
    for digest in doomed:
        txn.txn.delete(digest, db=txn.dbs["tokens"])
    gone = {f"token:{digest.hex()[:TOKEN_ID_LENGTH]}" for digest in doomed}
    subscriptions.destroy_for_credentials(txn, wanted, gone.__contains__)  # RFC 8620 §7.2
    return len(doomed)


class UnknownToken(Exception):
    pass


def lookup_token(txn: ReadTxn, token: str) -> User | None:
    raw = txn.txn.get(token_digest(token), db=txn.dbs["tokens"])
    if raw is None:
        return None
    user = get_user(txn, decode(raw, Token).username)
    return None if user is None or user.disabled else user
