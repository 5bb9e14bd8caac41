"""PushSubscription (RFC 8620 §7.2): get and set, verification before any StateChange, delivery
with coalescing and back-off, Web Push encryption (RFC 8291) and the refusal of private addresses."""

from __future__ import annotations

import base64
import itertools
import time

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from jmapd.config import PushConfig
from jmapd.methods.dates import parse_utc_date
from jmapd.testing import LiveServer

_paths = itertools.count()


def ps_call(client, method: str, args: dict):
    """PushSubscription/get or /set: no accountId (RFC 8620 §7.2.1-7.2.2)."""
    name, result, _ = client.request([[f"PushSubscription/{method}", args, "c"]])["methodResponses"][0]
    return name, result


def ps_ok(client, method: str, args: dict) -> dict:
    name, result = ps_call(client, method, args)
    assert name == f"PushSubscription/{method}", result
    return result


def subscribe(client, push_service, **extra):
    path = f"/device/{next(_paths)}"
    result = ps_ok(client, "set", {"create": {"s": {
        "deviceClientId": f"dev-{path}", "url": push_service.url + path, **extra}}})
    assert "s" in (result["created"] or {}), result
    return result["created"]["s"], path


def verify(client, push_service, subscription_id, path):
    verification = push_service.wait_for(path, 1)[0].json()
    ps_ok(client, "set", {"update": {subscription_id: {
        "verificationCode": verification["verificationCode"]}}})
    return verification


def test_verification_first_then_state_changes(push_client, push_service):
    """RFC 8620 §7.2.2: a PushVerification is POSTed at once; nothing else reaches the URL until the
    client sets the code; then StateChanges follow, as JSON with TTL (RFC 8030 §5.2)."""
    created, path = subscribe(push_client, push_service, types=["Mailbox"])
    push_client.ok("Mailbox/set", {"create": {"n": {"name": "Before verification"}}})
    first = push_service.wait_for(path, 1)
    time.sleep(0.5)
    assert len(push_service.on(path)) == 1
    verification = first[0].json()
    assert verification == {"@type": "PushVerification", "pushSubscriptionId": created["id"],
                            "verificationCode": verification["verificationCode"]}
    assert len(verification["verificationCode"]) >= 32
    assert first[0].headers["content-type"] == "application/json" and int(first[0].headers["ttl"]) > 0
    ps_ok(push_client, "set", {"update": {created["id"]: {
        "verificationCode": verification["verificationCode"]}}})
    state = push_client.ok("Mailbox/set", {"create": {"n": {"name": "After"}}})["newState"]
    deadline = time.monotonic() + 10
    while push_service.on(path)[-1].json().get("changed", {}).get(push_client.account_id) != {"Mailbox": state}:
        assert time.monotonic() < deadline, [r.json() for r in push_service.on(path)]
        time.sleep(0.05)
    change = push_service.on(path)[-1]
    assert change.json() == {"@type": "StateChange", "changed": {push_client.account_id: {"Mailbox": state}}}
    assert change.headers["urgency"] == "normal"
    # Coalesced: the change made before verification came, if at all, in at most one earlier push.
    assert len(push_service.on(path)) <= 3
    listed = ps_ok(push_client, "get", {"ids": None})
    assert listed["list"][0]["verificationCode"] == verification["verificationCode"]


def test_another_subscriptions_code_is_refused(push_client, push_service):
    """RFC 8620 §7.2.2: an invalid verification code (here, another subscription's) is rejected
    with invalidProperties, and the subscription stays unverified."""
    first, first_path = subscribe(push_client, push_service)
    second, second_path = subscribe(push_client, push_service)
    code = push_service.wait_for(first_path, 1)[0].json()["verificationCode"]
    result = ps_ok(push_client, "set", {"update": {second["id"]: {"verificationCode": code}}})
    assert result["notUpdated"][second["id"]]["type"] == "invalidProperties"
    assert result["notUpdated"][second["id"]]["properties"] == ["verificationCode"]
    listed = ps_ok(push_client, "get", {"ids": [second["id"]]})["list"]
    assert listed[0]["verificationCode"] is None


def test_get_never_returns_url_or_keys_and_expiry_is_clamped(push_client, push_service):
    """RFC 8620 §7.2.1: no accountId and no state; url and keys are never returned, and asking for
    them is `forbidden`; §7.2: an expiry beyond the server's maximum (7 days) is clamped and the
    clamped value returned; another user's subscriptions are not visible."""
    far = "2099-01-01T00:00:00Z"
    created, _ = subscribe(push_client, push_service, expires=far)
    clamped = parse_utc_date(created["expires"])
    assert abs(clamped - (time.time() + 7 * 86400)) < 120
    got = ps_ok(push_client, "get", {"ids": [created["id"], "nope"]})
    assert set(got) == {"list", "notFound"} and got["notFound"] == ["nope"]
    assert set(got["list"][0]) == {"id", "deviceClientId", "verificationCode", "expires", "types"}
    name, error = ps_call(push_client, "get", {"ids": None, "properties": ["id", "url"]})
    assert name == "error" and error["type"] == "forbidden"
    soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    updated = ps_ok(push_client, "set", {"update": {created["id"]: {"expires": soon}}})
    assert updated["updated"] == {created["id"]: None}
    fixed = ps_ok(push_client, "set", {"update": {created["id"]: {"url": push_service.url}}})
    assert fixed["notUpdated"][created["id"]]["type"] == "invalidProperties"


def test_urls_must_be_https_and_public(live, client):
    """RFC 8620 §7.2 (url MUST begin with https://) and §8.6 (no requests into the server's own
    network): without configuration, loopback and private addresses are refused."""
    for url in ("http://push.example.com/x", "https://127.0.0.1/x", "https://10.1.2.3/x",
                "https://[::1]/x", "https://localhost:8443/x", "https://169.254.169.254/latest",
                "ftp://example.com/", "https://user:pw@push.example.com/"):
        result = ps_ok(client, "set", {"create": {"s": {"deviceClientId": "d", "url": url}}})
        assert result["notCreated"]["s"]["properties"] == ["url"], url
    result = ps_ok(client, "set", {"create": {"s": {
        "deviceClientId": "d", "url": "https://push.example.com/x", "verificationCode": "mine"}}})
    assert result["notCreated"]["s"]["properties"] == ["verificationCode"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_web_push_encryption(push_client, push_service):
    """RFC 8291: with keys, every body (the verification too) is aes128gcm-encrypted to the client's
    key and secret, and decrypts with the client's private key; RFC 8030 §5.2-5.3: TTL and Urgency,
    high for a new Email (EmailDelivery)."""
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(serialization.Encoding.X962,
                                               serialization.PublicFormat.UncompressedPoint)
    auth = b"0123456789abcdef"
    created, path = subscribe(push_client, push_service, keys={"p256dh": _b64(public), "auth": _b64(auth)})
    sealed = push_service.wait_for(path, 1)[0]
    assert sealed.headers["content-encoding"] == "aes128gcm"
    assert b"verificationCode" not in sealed.body
    verification = __import__("json").loads(
        http_ece.decrypt(sealed.body, private_key=private, auth_secret=auth, version="aes128gcm"))
    ps_ok(push_client, "set", {"update": {created["id"]: {
        "verificationCode": verification["verificationCode"]}}})
    inbox = push_client.mailboxes()["inbox"]["id"]
    push_client.ok("Email/set", {"create": {"c": {
        "mailboxIds": {inbox: True}, "subject": "Ring", "from": [{"email": "me@example.test"}],
        "bodyValues": {"b": {"value": "hi"}}, "textBody": [{"partId": "b", "type": "text/plain"}]}}})
    pushed = push_service.wait_for(path, 2)[1]
    change = __import__("json").loads(
        http_ece.decrypt(pushed.body, private_key=private, auth_secret=auth, version="aes128gcm"))
    assert change["@type"] == "StateChange" and "EmailDelivery" in change["changed"][push_client.account_id]
    assert pushed.headers["urgency"] == "high" and int(pushed.headers["ttl"]) > 0


def test_failing_push_service_backs_off_and_coalesces(push_client, failing_push_service):
    """RFC 8620 §7.2 (a push service's errors handled in a reasonable manner; §7 pushes coalesced):
    while the service answers 500, the server retries with growing pauses, not once per change;
    when it recovers, one StateChange with the latest states arrives."""
    created, path = subscribe(push_client, failing_push_service, types=["Mailbox"])
    verify(push_client, failing_push_service, created["id"], path)
    failing_push_service.statuses[path] = 500
    for n in range(6):
        push_client.ok("Mailbox/set", {"create": {"n": {"name": f"Burst {n}"}}})
    time.sleep(1.5)
    attempts = len(failing_push_service.on(path)) - 1
    assert 1 <= attempts <= 3, attempts
    latest = push_client.ok("Mailbox/get", {"ids": []})["state"]
    del failing_push_service.statuses[path]
    delivered = failing_push_service.wait_for(path, attempts + 2, timeout=15)
    assert delivered[-1].json()["changed"] == {push_client.account_id: {"Mailbox": latest}}


def test_redirect_counts_as_failure(push_client, push_service):
    """RFC 8620 §8.6: a push URL's redirect is not followed (it could lead anywhere); it is retried
    later like any failure, with back-off."""
    push_service.statuses["/moved"] = 307
    result = ps_ok(push_client, "set", {"create": {"s": {
        "deviceClientId": "mover", "url": push_service.url + "/moved"}}})
    assert "s" in result["created"]
    assert len(push_service.wait_for("/moved", 1)) == 1
    again = push_service.wait_for("/moved", 2, timeout=5)  # retried after a pause, not at once
    assert len(again) == 2 and again[1].json()["@type"] == "PushVerification"
    assert len(push_service.on("/moved")) <= 3
    assert push_service.on("/elsewhere") == []


def test_expired_subscription_gets_nothing(push_client, push_service, push_live):
    """RFC 8620 §7.2: after `expires`, the server makes no further requests to the URL, and the
    subscription is no longer listed."""
    created, path = subscribe(push_client, push_service, types=["Mailbox"])
    verify(push_client, push_service, created["id"], path)
    soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 2))
    ps_ok(push_client, "set", {"update": {created["id"]: {"expires": soon}}})
    time.sleep(3.1)
    push_client.ok("Mailbox/set", {"create": {"n": {"name": "Too late"}}})
    time.sleep(1.0)
    assert len(push_service.on(path)) == 1  # the verification only
    assert ps_ok(push_client, "get", {"ids": None})["list"] == []


def test_subscriptions_survive_a_restart(push_service, tmp_path, client_type):
    """RFC 8620 §7.2: subscriptions belong to the user and last until they expire: a verified one
    keeps receiving StateChanges after the server restarts, without a new verification."""
    config = dict(push=PushConfig(allowed_networks=["127.0.0.1/32"]))
    with LiveServer(data=str(tmp_path), **config) as server:
        server.add_user("keeper", "pw")
        client = client_type(server.url, "keeper", "pw")
        created, path = subscribe(client, push_service)
        verify(client, push_service, created["id"], path)
        client.close()
    with LiveServer(data=str(tmp_path), **config) as server:
        client = client_type(server.url, "keeper", "pw")
        state = client.ok("Mailbox/set", {"create": {"n": {"name": "After restart"}}})["newState"]
        received = push_service.wait_for(path, 2)
        assert [r.json()["@type"] for r in received] == ["PushVerification", "StateChange"]
        assert received[1].json()["changed"][client.account_id]["Mailbox"] == state
        client.close()


def test_subscriptions_belong_to_the_credentials_that_made_them(push_live, push_client, push_service, client_type):
    """RFC 8620 §7.2: a push subscription is tied to the credentials of the request that created
    it. Only they fetch it, and when they are revoked (an API token revoked, a password changed)
    the server destroys it."""
    from store.subscriptions import of_user
    from store.users import create_token, hash_password, normalize, revoke_tokens, set_password, token_id

    store = push_live.server.store
    name = push_client.username
    token = store.write(lambda txn: create_token(txn, name, "phone"))
    with_token = client_type(push_live.url, name, token)  # the token as a Basic password
    try:
        by_token = subscribe(with_token, push_service)[0]["id"]
        by_password = subscribe(push_client, push_service)[0]["id"]
        assert [s["id"] for s in ps_ok(with_token, "get", {"ids": None})["list"]] == [by_token]
        assert [s["id"] for s in ps_ok(push_client, "get", {"ids": None})["list"]] == [by_password]
        assert ps_ok(push_client, "get", {"ids": [by_token]})["notFound"] == [by_token]
        assert ps_ok(push_client, "set", {"destroy": [by_token]})["notDestroyed"][by_token]["type"] == "notFound"

        def remaining() -> list[str]:
            with store.read() as txn:
                return sorted(record.id for record in of_user(txn, normalize(name)))

        assert remaining() == sorted([by_token, by_password])
        store.write(lambda txn: revoke_tokens(txn, name, [token_id(token)]))
        assert remaining() == [by_password]
        new_hash = hash_password("pw2")
        store.write(lambda txn: set_password(txn, name, new_hash, keep_tokens=True))
        assert remaining() == []
    finally:
        with_token.close()
