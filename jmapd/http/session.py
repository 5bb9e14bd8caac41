"""The Session resource (RFC 8620 §2) and its well-known redirect (§2.2)."""

from __future__ import annotations

import hashlib
import time
from functools import lru_cache
from typing import Any

import msgspec

from store.records import Account, User

from ..draft import DRAFT, DRAFT_PATH
from ..draft import capability as draft_capability
from ..methods.email.sorting import SORT_PROPERTIES
from ..methods.services import Server
from ..protocol.capabilities import CORE, MAIL, QUOTA, SUBMISSION, VACATION, WEBSOCKET
from .urls import UrlBuilder

DOWNLOAD_PATH = "/jmap/download/{accountId}/{blobId}/{name}?accept={type}"
UPLOAD_PATH = "/jmap/upload/{accountId}/"
EVENTSOURCE_PATH = "/jmap/eventsource/?types={types}&closeafter={closeafter}&ping={ping}"
API_PATH = "/jmap/api/"
WEBSOCKET_PATH = "/jmap/ws/"


def server_capabilities(server: Server) -> dict[str, Any]:
    caps = {CORE: msgspec.to_builtins(server.core_limits), MAIL: {}, QUOTA: {}, WEBSOCKET: {"supportsPush": True}}
    if "submission" in server.extras:  # offered only while the server can send (jmapd.toml [outbox])
        caps.update({SUBMISSION: {}, VACATION: {}})
    return caps


def websocket_capability(base: str) -> dict[str, Any]:
    """RFC 8887 §3: where the WebSocket is, and that it carries push (ws:// beside http://)."""
    return {"url": "ws" + base.removeprefix("http") + WEBSOCKET_PATH, "supportsPush": True}


def account_capabilities(server: Server) -> dict[str, Any]:
    # Clients check their sorts against this list before sending them (RFC 8621 §1.3.1).
    mail = {**msgspec.to_builtins(server.mail_limits), "emailQuerySortOptions": list(SORT_PROPERTIES)}
    policy = server.extras.get("submission")
    if policy is None:
        return {MAIL: mail, QUOTA: {}}
    return {MAIL: mail, SUBMISSION: submission_capability(policy), VACATION: {}, QUOTA: {}}


def submission_capability(policy) -> dict[str, Any]:
    """RFC 8621 §1.3.2: the longest hold, and FUTURERELEASE with its EHLO arguments (RFC 4865 §3:
    the longest interval in seconds, and the latest date-time a release may be asked for)."""
    latest = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + policy.max_delayed_send))
    return {"maxDelayedSend": policy.max_delayed_send,
            "submissionExtensions": {"FUTURERELEASE": [str(policy.max_delayed_send), latest]}}


def session_state(user: User, accounts: dict[str, Account]) -> str:
    """Changes whenever anything else in the Session object would (accounts, their names and rights)."""
    material = "|".join(
        f"{i}:{a.name}:{a.is_read_only}:{a.is_personal}" for i, a in sorted(accounts.items())
    ) + f"|{user.name}"
    return _digest(material)


@lru_cache(maxsize=4096)
def _digest(material: str) -> str:
    """Every API response carries the session state, and it rarely changes: each is hashed once."""
    return hashlib.blake2b(material.encode(), digest_size=6).hexdigest()


def session_object(server: Server, user: User, accounts: dict[str, Account], base: str) -> dict[str, Any]:
    caps = account_capabilities(server)
    return {
        # The draft JMAP-for-Mail dialect: where its clients send their requests (README).
        "capabilities": {**server_capabilities(server), WEBSOCKET: websocket_capability(base),
                         DRAFT: draft_capability(server, base + DRAFT_PATH)},
        "accounts": {
            account_id: {
                "name": account.name,
                "isPersonal": account_id == user.account_id,
                "isReadOnly": account.is_read_only,
                "accountCapabilities": caps,
            }
            for account_id, account in accounts.items()
        },
        "primaryAccounts": {capability: user.account_id for capability in caps},
        "username": user.name,
        "apiUrl": base + API_PATH,
        "downloadUrl": base + DOWNLOAD_PATH,
        "uploadUrl": base + UPLOAD_PATH,
        "eventSourceUrl": base + EVENTSOURCE_PATH,
        "state": session_state(user, accounts),
    }


__all__ = ["session_object", "session_state", "server_capabilities", "UrlBuilder"]
