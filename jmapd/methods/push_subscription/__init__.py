"""PushSubscription/get and /set (RFC 8620 §7.2): a user's push service URLs.

Subscriptions belong to the user who made them, not to an account, so neither method takes an
accountId or a state, and there is no /changes. The sender (jmapd/push/webhooks.py) POSTs the
PushVerification and, once the client has echoed its code back here, the StateChanges.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from typing import Any

from store import WriteTxn
from store import subscriptions as stored
from store.subscriptions import PushKeys, PushSubscriptionRecord
from store.users import normalize

from ...protocol.capabilities import CORE
from ...protocol.engine import Registry
from ...protocol.errors import MethodError, SetError, invalid_properties
from ..args import Args, parse
from ..context import Context
from ..dates import parse_utc_date, utc_date
from .url_policy import UrlPolicy

PROPERTIES = ("id", "deviceClientId", "verificationCode", "expires", "types")
PRIVATE = frozenset({"url", "keys"})  # never returned (§7.2.1)
CREATE_PROPERTIES = frozenset({"deviceClientId", "url", "keys", "verificationCode", "expires", "types"})
UPDATABLE = frozenset({"verificationCode", "expires", "types"})
MAX_DEVICE_CLIENT_ID = 255
MAX_TYPES = 64


class GetArgs(Args):
    ids: list[str] | None = None
    properties: list[str] | None = None


class SetArgs(Args):
    create: dict[str, Any] | None = None
    update: dict[str, Any] | None = None
    destroy: list[str] | None = None


def to_json(record: PushSubscriptionRecord, properties: frozenset[str]) -> dict[str, Any]:
    # The code is shown once the client has proved it received it: showing it before would let a
    # client verify a URL that never got the PushVerification (§7.2: the protection against abuse).
    full = {"id": record.id, "deviceClientId": record.device_client_id,
            "verificationCode": record.verification_code if record.verified else None,
            "expires": utc_date(record.expires), "types": record.types}
    return {k: v for k, v in full.items() if k in properties}


def get(ctx: Context, raw: dict[str, Any]) -> dict[str, Any]:
    args = parse(raw, GetArgs)
    if args.properties is None:
        properties = frozenset(PROPERTIES)
    else:
        if PRIVATE.intersection(args.properties):
            raise MethodError("forbidden", "url and keys are never returned (RFC 8620 §7.2.1)")
        unknown = [p for p in args.properties if p not in PROPERTIES]
        if unknown:
            raise MethodError("invalidArguments", f"unknown PushSubscription properties: {', '.join(unknown)}")
        properties = frozenset(args.properties) | {"id"}
    limit = ctx.server.core_limits.max_objects_in_get
    if args.ids is not None and len(args.ids) > limit:
        raise MethodError("requestTooLarge", f"{len(args.ids)} ids; at most {limit} in one /get")
    user = normalize(ctx.user.name)
    now = int(time.time())
    with ctx.store.read() as txn:
        if args.ids is None:
            records = [r for r in stored.of_user(txn, user) if r.expires > now and _mine(ctx, r)]
            return {"list": [to_json(r, properties) for r in records], "notFound": []}
        found, not_found = [], []
        for subscription_id in dict.fromkeys(args.ids):
            record = stored.get(txn, user, subscription_id)
            if record is None or record.expires <= now or not _mine(ctx, record):
                not_found.append(subscription_id)
            else:
                found.append(to_json(record, properties))
    return {"list": found, "notFound": not_found}


def _mine(ctx: Context, record: PushSubscriptionRecord) -> bool:
    """Only the credentials that created a subscription see and change it (RFC 8620 §7.2)."""
    return record.credential == ctx.principal.credential


def _expiry(value: Any, ctx: Context, now: int) -> tuple[int, bool]:
    """The expiry to keep, and whether it differs from what the client asked for (then it is
    returned to the client, RFC 8620 §5.3)."""
    latest = now + int(ctx.server.push.max_expiry_days * 86400)
    if value is None:
        return latest, True
    when = parse_utc_date(value)
    if when is None:
        raise invalid_properties(["expires"], "expires must be a UTCDate")
    if when <= now:
        raise invalid_properties(["expires"], "expires is in the past")
    return (latest, True) if when > latest else (when, False)


def _types(value: Any) -> list[str] | None:
    if value is None:
        return None
    if (not isinstance(value, list) or len(value) > MAX_TYPES
            or not all(isinstance(t, str) and 0 < len(t) <= 64 for t in value)):
        raise invalid_properties(["types"], "types must be null or a list of type names")
    return sorted(set(value))


def _b64url(value: Any, size: int | None) -> bytes | None:
    if not isinstance(value, str) or len(value) > 200:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if size is None or len(raw) == size else None


def _keys(value: Any) -> PushKeys | None:
    """RFC 8291 keys: a P-256 public key (65 octets, uncompressed) and a 16-octet secret."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"p256dh", "auth"}:
        raise invalid_properties(["keys"], "keys must be null or an object with p256dh and auth")
    public, auth = _b64url(value["p256dh"], 65), _b64url(value["auth"], 16)
    if public is None or public[0] != 4 or auth is None:
        raise invalid_properties(["keys"], "keys.p256dh must be a P-256 public key and keys.auth 16 octets, "
                                           "in URL-safe base64 (RFC 8291)")
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public)
    except ValueError:
        raise invalid_properties(["keys"], "keys.p256dh is not a point on P-256") from None
    return PushKeys(p256dh=value["p256dh"], auth=value["auth"])


def _create(ctx: Context, txn: WriteTxn, user: str, obj: Any, now: int) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise invalid_properties([], "a created object must be a JSON object")
    unknown = [p for p in obj if p not in CREATE_PROPERTIES]
    if unknown:
        raise invalid_properties(unknown, "these properties cannot be set on create")
    if obj.get("verificationCode") is not None:
        raise invalid_properties(["verificationCode"], "verificationCode must be null when created")
    device = obj.get("deviceClientId")
    if not isinstance(device, str) or not device or len(device) > MAX_DEVICE_CLIENT_ID:
        raise invalid_properties(["deviceClientId"], "deviceClientId must be a non-empty string")
    url = obj.get("url")
    problem = UrlPolicy(ctx.server.push).problem(url) if isinstance(url, str) else "url must be a string"
    if problem is not None:
        raise invalid_properties(["url"], problem)
    keys = _keys(obj.get("keys"))
    types = _types(obj.get("types"))
    expires, clamped = _expiry(obj.get("expires"), ctx, now)
    if stored.count_of_user(txn, user) >= ctx.server.push.max_subscriptions_per_user:
        raise SetError("overQuota", f"at most {ctx.server.push.max_subscriptions_per_user} push subscriptions")
    record = PushSubscriptionRecord(
        id=stored.new_id(txn), user=user, device_client_id=device, url=url, keys=keys,
        verification_code=secrets.token_hex(16), expires=expires, types=types, created_at=now,
        credential=ctx.principal.credential)
    stored.put(txn, record, created=True)
    created: dict[str, Any] = {"id": record.id}
    if clamped:
        created["expires"] = utc_date(expires)
    return created


def _update(ctx: Context, txn: WriteTxn, user: str, subscription_id: str, patch: Any,
            now: int) -> dict[str, Any] | None:
    record = stored.get(txn, user, subscription_id)
    if record is None or record.expires <= now or not _mine(ctx, record):
        raise SetError("notFound")
    if not isinstance(patch, dict):
        raise invalid_properties([], "a patch must be a JSON object")
    fixed = [p for p in patch if p not in UPDATABLE]
    if fixed:
        raise invalid_properties(fixed, "only verificationCode, expires and types can change")
    answer: dict[str, Any] = {}
    if "verificationCode" in patch:
        code = patch["verificationCode"]
        if not isinstance(code, str) or not secrets.compare_digest(code, record.verification_code):
            raise invalid_properties(["verificationCode"], "that is not this subscription's verification code")
        record.verified = True
    if "expires" in patch:
        record.expires, clamped = _expiry(patch["expires"], ctx, now)
        if clamped:
            answer["expires"] = utc_date(record.expires)
    if "types" in patch:
        record.types = _types(patch["types"])
    stored.put(txn, record, created=False)
    return answer or None


def set_(ctx: Context, raw: dict[str, Any]) -> dict[str, Any]:
    args = parse(raw, SetArgs)
    total = len(args.create or {}) + len(args.update or {}) + len(args.destroy or [])
    limit = ctx.server.core_limits.max_objects_in_set
    if total > limit:
        raise MethodError("requestTooLarge", f"{total} operations; at most {limit} in one /set")
    user = normalize(ctx.user.name)

    def work(txn: WriteTxn) -> dict[str, Any]:
        now = int(time.time())
        result: dict[str, dict[str, Any]] = {k: {} for k in ("created", "notCreated", "updated", "notUpdated",
                                                            "notDestroyed")}
        destroyed: list[str] = []
        for creation_id, obj in (args.create or {}).items():
            try:
                with txn.savepoint():
                    result["created"][creation_id] = created = _create(ctx, txn, user, obj, now)
                ctx.created(creation_id, created["id"])
            except SetError as exc:
                result["notCreated"][creation_id] = exc.to_json()
        for subscription_id, patch in (args.update or {}).items():
            real_id = ctx.resolve_id(subscription_id) or subscription_id
            try:
                with txn.savepoint():
                    result["updated"][subscription_id] = _update(ctx, txn, user, real_id, patch, now)
            except SetError as exc:
                result["notUpdated"][subscription_id] = exc.to_json()
        for subscription_id in args.destroy or []:
            real_id = ctx.resolve_id(subscription_id) or subscription_id
            record = stored.get(txn, user, real_id)
            if record is None or not _mine(ctx, record):
                result["notDestroyed"][subscription_id] = {"type": "notFound"}
            else:
                stored.delete(txn, user, real_id)
                destroyed.append(subscription_id)
        answer: dict[str, Any] = {k: (v or None) for k, v in result.items()}
        answer["destroyed"] = destroyed or None
        return answer

    return ctx.store.write(work)


def register(registry: Registry) -> None:
    registry.add("PushSubscription/get", CORE, get)
    registry.add("PushSubscription/set", CORE, set_, blocking=True)
