"""The PushSubscription sender (RFC 8620 §7.2): POSTs to the push services clients registered.

A new subscription first gets a PushVerification; StateChanges follow only once the client has
echoed its code back. Each subscription has at most one request in flight: changes that come
meanwhile are merged into one pending StateChange with the latest states, so a slow push service gets
one event, never a backlog. A failure (an error status, a redirect, a timeout, a refused connection)
backs off the subscription and its whole origin exponentially, so thousands of subscriptions to a
dead host cost one probe now and then, not a request each; 429 is honoured with its Retry-After.
Before each request the host is resolved and every address checked against the URL policy, and the
request goes to the address that was checked (SSRF: DNS cannot swap in a private one afterwards).

One process sends for the whole data folder (a lock file decides which, and another takes over if
it exits); it learns of subscriptions created, verified or destroyed through any process from their
change log, and of the changes to push from the broadcaster, which sees every process's commits.
"""

from __future__ import annotations

import asyncio
import fcntl
import ipaddress
import logging
import os
import random
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from store import ReadTxn, Store
from store import subscriptions as stored
from store.records import DESTROYED
from store.subscriptions import PushSubscriptionRecord
from store.users import get_user

from ..methods.push_subscription.url_policy import UrlPolicy
from ..protocol.wire import encode_json
from .broadcaster import Broadcaster, Event, Subscriber

log = logging.getLogger("jmapd.push")

LOCK_FILE = "push.lock"
OWNER_RETRY_SECONDS = 5.0
CONNECT_TIMEOUT, TIMEOUT = 5.0, 10.0
MAX_IN_FLIGHT = 32          # requests at once, all subscriptions together
PER_ORIGIN = 4              # requests at once to one healthy origin; one probe to a failing one
BACKOFF_FIRST, BACKOFF_MAX = 1.0, 300.0
TTL_SECONDS = 86400         # how long a push service may hold a StateChange for a sleeping device
HOUSEKEEPING_SECONDS = 60.0


def backoff(failures: int) -> float:
    return min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (failures - 1)) * random.uniform(0.8, 1.2)


@dataclass
class UserChanges:
    """What changed for one user, for all its subscriptions at once: each (account, type) with the
    number of the event that last moved it and its latest state. A subscription remembers the
    number up to which its push service has everything, so coalescing costs nothing per
    subscription however many events a slow one misses (states only grow: the latest one wins)."""

    seq: int = 0
    latest: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)

    def since(self, acked: int, types: list[str] | None) -> dict[str, dict[str, str]]:
        changed: dict[str, dict[str, str]] = {}
        for (account, kind), (seq, state) in self.latest.items():
            if seq > acked and (types is None or kind in types):
                changed.setdefault(account, {})[kind] = state
        return changed


@dataclass(eq=False)
class Target:
    record: PushSubscriptionRecord
    origin: str
    changes: UserChanges
    acked: int = 0  # the user's changes up to here reached the push service (or were not for it)
    verification_due: bool = False
    in_flight: bool = False
    failures: int = 0
    retry_at: float = 0.0

    def has_work(self) -> bool:
        return self.verification_due or (self.record.verified and self.changes.seq > self.acked)


@dataclass
class Origin:
    failures: int = 0
    retry_at: float = 0.0
    in_flight: int = 0
    ready: set[str] = field(default_factory=set)  # target keys with something to send


class _Listener(Subscriber):
    """Hands events to the sender rather than queueing them: the sender coalesces."""

    def __init__(self, user: str | None, accounts: frozenset[str], types: frozenset[str] | None, on_event):
        super().__init__(accounts, types, user=user)
        self.on_event = on_event

    def offer(self, event: Event) -> None:
        self.on_event(self, event)


def _accounts_of(txn: ReadTxn, user: str) -> frozenset[str]:
    record = get_user(txn, user)
    return frozenset() if record is None else frozenset({record.account_id, *record.shared_accounts})


class Refused(Exception):
    """The URL resolves to an address the policy refuses."""


class WebhookSender:
    def __init__(self, store: Store, push: Broadcaster, policy: UrlPolicy, data_dir: str):
        self.store = store
        self.push = push
        self.policy = policy
        self.lock_path = os.path.join(data_dir, LOCK_FILE)
        self.targets: dict[tuple[str, str], Target] = {}
        self.by_user: dict[str, dict[str, Target]] = {}
        self.user_changes: dict[str, UserChanges] = {}
        self.origins: dict[str, Origin] = {}
        self.listeners: dict[str, _Listener] = {}
        self.control: _Listener | None = None
        self.seen = 0  # the subscriptions' change log, read up to here
        self.in_flight = 0
        self.owner = False
        self.sent = 0  # successful requests, for tests and logs
        self._lock_fd: int | None = None
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()
        self._main: asyncio.Task | None = None
        self.client = None  # an httpx.AsyncClient once this process sends
        self._reload_due = False

    # -- life ----------------------------------------------------------------------------------------
    async def start(self) -> None:
        self._main = asyncio.create_task(self._run())

    async def stop(self) -> None:
        for task in [self._main, *self._tasks]:
            if task is not None:
                task.cancel()
        for task in [self._main, *self._tasks]:
            if task is not None:
                try:
                    await task
                except (asyncio.CancelledError, Exception):
                    pass
        for listener in [self.control, *self.listeners.values()]:
            if listener is not None:
                self.push.unsubscribe(listener)
        if self.client is not None:
            await self.client.aclose()
        if self._lock_fd is not None:
            os.close(self._lock_fd)

    def _take_ownership(self) -> bool:
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._lock_fd = fd
        return True

    async def _run(self) -> None:
        while not self._take_ownership():
            await asyncio.sleep(OWNER_RETRY_SECONDS)
        self.owner = True
        import httpx  # only the sending process needs it

        self.client = httpx.AsyncClient(timeout=httpx.Timeout(TIMEOUT, connect=CONNECT_TIMEOUT),
                                        follow_redirects=False, trust_env=False,
                                        limits=httpx.Limits(max_connections=MAX_IN_FLIGHT))
        self.control = _Listener(None, frozenset({stored.OWNER}), frozenset({stored.KIND}), self._reload_soon)
        self.push.subscribe(self.control)
        seen, records = await asyncio.to_thread(self._read_all)
        self.seen = seen
        for record in records:
            self._hold(record, fresh=not record.verified)
        await self._refresh_listeners()
        last_housekeeping = time.monotonic()
        while True:
            self._wake.clear()
            if self._reload_due:
                self._reload_due = False
                await self._reload()
            delay = self._dispatch()
            if time.monotonic() - last_housekeeping > HOUSEKEEPING_SECONDS:
                last_housekeeping = time.monotonic()
                await self._forget_expired()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=min(delay, HOUSEKEEPING_SECONDS))
            except asyncio.TimeoutError:
                pass

    def _read_all(self) -> tuple[int, list[PushSubscriptionRecord]]:
        with self.store.read() as txn:
            return stored.state(txn), list(stored.every(txn))

    # -- which subscriptions there are -----------------------------------------------------------------
    def _hold(self, record: PushSubscriptionRecord, *, fresh: bool) -> None:
        key = (record.user, record.id)
        target = self.targets.get(key)
        if target is None:
            parts = urlsplit(record.url)
            changes = self.user_changes.setdefault(record.user, UserChanges())
            target = self.targets[key] = Target(record, f"{parts.scheme}://{parts.netloc}", changes, changes.seq)
            self.by_user.setdefault(record.user, {})[record.id] = target
            target.verification_due = fresh and not record.verified
        else:
            # Verified now: what changed since the subscription was made flows from here on (the
            # verification is read in a thread, so a change may have been recorded before it).
            target.record = record
        self._mark_ready(target)

    def _release(self, user: str, subscription_id: str) -> None:
        target = self.targets.pop((user, subscription_id), None)
        if target is not None:
            mine = self.by_user.get(user, {})
            mine.pop(subscription_id, None)
            if not mine:
                self.by_user.pop(user, None)
                self.user_changes.pop(user, None)
            origin = self.origins.get(target.origin)
            if origin is not None:
                origin.ready.discard(f"{user}\x00{subscription_id}")

    def _reload_soon(self, _sub: Subscriber, _event: Event) -> None:
        self._reload_due = True
        self._wake.set()

    def _read_changes(self) -> tuple[dict[tuple[str, str], PushSubscriptionRecord | None], int]:
        """The subscriptions changed since last read, as they are now (None: destroyed)."""
        changed: dict[tuple[str, str], PushSubscriptionRecord | None] = {}
        seen = self.seen
        with self.store.read() as txn:
            for seq, user, subscription_id, change in stored.changed_since(txn, self.seen):
                seen = seq
                changed[(user, subscription_id)] = None if change.kind == DESTROYED else stored.get(
                    txn, user, subscription_id)
        return changed, seen

    async def _reload(self) -> None:
        """Subscriptions changed (in any process): apply exactly those changes; the reading is done
        in a thread, as thousands may change at once."""
        changed, self.seen = await asyncio.to_thread(self._read_changes)
        for (user, subscription_id), record in changed.items():
            if record is None:
                self._release(user, subscription_id)
            else:
                self._hold(record, fresh=(user, subscription_id) not in self.targets)
        await self._refresh_listeners()

    def _read_accounts(self, users: list[str]) -> dict[str, frozenset[str]]:
        accounts: dict[str, frozenset[str]] = {}
        with self.store.read() as txn:
            for user in users:
                accounts[user] = _accounts_of(txn, user)
        return accounts

    async def _refresh_listeners(self) -> None:
        """One broadcaster listener per user with subscriptions, over the accounts it can see."""
        for user in [u for u in self.listeners if u not in self.by_user]:
            self.push.unsubscribe(self.listeners.pop(user))
        new_users = [u for u in self.by_user if u not in self.listeners]
        if not new_users:
            return
        accounts = await asyncio.to_thread(self._read_accounts, new_users)
        for user, visible in accounts.items():
            if user in self.by_user and user not in self.listeners:
                listener = self.listeners[user] = _Listener(user, visible, None, self._changed)
                self.push.subscribe(listener)

    def _changed(self, listener: _Listener, event: Event) -> None:
        """A StateChange for a user: recorded once, and its verified subscriptions marked due."""
        changes = self.user_changes.get(listener.user)
        if changes is None:
            return
        changes.seq += 1
        for account, kinds in event.changed.items():
            for kind, state in kinds.items():
                changes.latest[(account, kind)] = (changes.seq, state)
        for target in self.by_user.get(listener.user, {}).values():
            if target.record.verified:
                self._mark_ready(target)
        self._wake.set()

    def _mark_ready(self, target: Target) -> None:
        if target.has_work():
            self.origins.setdefault(target.origin, Origin()).ready.add(f"{target.record.user}\x00{target.record.id}")

    # -- sending -------------------------------------------------------------------------------------
    def _dispatch(self) -> float:
        """Start what may start now; returns how long until something else may."""
        now = time.monotonic()
        wait = HOUSEKEEPING_SECONDS
        for origin in self.origins.values():
            if not origin.ready:
                continue
            if origin.retry_at > now:
                wait = min(wait, origin.retry_at - now)
                continue
            room = (1 if origin.failures else PER_ORIGIN) - origin.in_flight
            for key in list(origin.ready):
                if room <= 0 or self.in_flight >= MAX_IN_FLIGHT:
                    break
                user, _, subscription_id = key.partition("\x00")
                target = self.targets.get((user, subscription_id))
                if target is None or not target.has_work():
                    origin.ready.discard(key)
                    continue
                if target.in_flight:
                    continue
                if target.retry_at > now:
                    wait = min(wait, target.retry_at - now)
                    continue
                origin.ready.discard(key)
                room -= 1
                self._start(target, origin)
        return wait

    def _start(self, target: Target, origin: Origin) -> None:
        target.in_flight = True
        origin.in_flight += 1
        self.in_flight += 1
        task = asyncio.create_task(self._deliver(target, origin))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, target: Target, origin: Origin) -> None:
        record = target.record
        verification = target.verification_due
        try:
            if record.expires <= time.time():
                # RFC 8620 §7.2: nothing more after expiry; housekeeping destroys the record.
                self._release(record.user, record.id)
                return
            if verification:
                payload = {"@type": "PushVerification", "pushSubscriptionId": record.id,
                           "verificationCode": record.verification_code}
                urgent = False
            else:
                upto = target.changes.seq
                changed = target.changes.since(target.acked, record.types)
                if not changed:  # nothing of the types it asked for
                    target.acked = upto
                    return
                payload = {"@type": "StateChange", "changed": changed}
                urgent = any("EmailDelivery" in kinds for kinds in changed.values())
            failure = await self._post(record, encode_json(payload), urgent)
            if failure is None:
                self.sent += 1
                origin.failures = target.failures = 0
                if verification:
                    target.verification_due = False
                else:
                    target.acked = max(target.acked, upto)
            else:
                retry_after, whole_origin = failure
                now = time.monotonic()
                target.failures += 1
                target.retry_at = now + max(retry_after, backoff(target.failures))
                if whole_origin:
                    origin.failures += 1
                    origin.retry_at = max(origin.retry_at, now + max(retry_after, backoff(origin.failures)))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("push to a subscription failed")
        finally:
            target.in_flight = False
            origin.in_flight -= 1
            self.in_flight -= 1
            if (record.user, record.id) in self.targets:
                self._mark_ready(target)
            self._wake.set()

    async def _post(self, record: PushSubscriptionRecord, body: bytes,
                    urgent: bool) -> tuple[float, bool] | None:
        """POST one body. None on success; else how long at least to wait before trying again, and
        whether the whole origin is failing (unreachable, timing out, 5xx, 429) rather than this one
        URL (a redirect, a 4xx: other subscriptions on the same push service may be fine)."""
        parts = urlsplit(record.url)
        host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
        try:
            address = await self._resolve(host, port)
        except (OSError, Refused) as exc:
            log.warning("push subscription %s: %s", record.id, exc)
            return 0.0, True
        netloc = (f"[{address}]" if address.version == 6 else str(address)) + f":{port}"
        url = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
        headers = {"Host": parts.netloc.rpartition("@")[2], "TTL": str(TTL_SECONDS),
                   "Urgency": "high" if urgent else "normal", "Content-Type": "application/json"}
        if record.keys is not None:
            from .webpush import encrypt

            body = encrypt(body, record.keys)
            headers["Content-Type"] = "application/octet-stream"
            headers["Content-Encoding"] = "aes128gcm"
        extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
        import httpx

        try:
            response = await self.client.post(url, content=body, headers=headers, extensions=extensions)
        except httpx.HTTPError as exc:
            log.info("push subscription %s: %s", record.id, type(exc).__name__)
            return 0.0, True
        if 200 <= response.status_code < 300:
            return None
        if response.status_code == 429:
            after = response.headers.get("retry-after", "")
            return (float(min(int(after), BACKOFF_MAX)) if after.isdigit() else 0.0), True
        log.info("push subscription %s: HTTP %d", record.id, response.status_code)
        return 0.0, response.status_code >= 500

    async def _resolve(self, host: str, port: int):
        """The address to connect to, once every address the name has is one the policy allows."""
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
            addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
        if not addresses:
            raise Refused(f"{host} has no address")
        refused = [a for a in addresses if not self.policy.address_allowed(a)]
        if refused:
            raise Refused(f"{host} resolves to {refused[0]}, which push requests may not reach")
        return addresses[0]

    async def _forget_expired(self) -> None:
        now = int(time.time())
        expired = [key for key, t in self.targets.items() if t.record.expires <= now]
        if not expired:
            return

        def work(txn) -> None:
            for user, subscription_id in expired:
                record = stored.get(txn, user, subscription_id)
                if record is not None and record.expires <= now:
                    stored.delete(txn, user, subscription_id)

        await asyncio.to_thread(self.store.write, work)
