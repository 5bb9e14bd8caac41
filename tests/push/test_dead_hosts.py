"""Push services that never answer must not cost the API anything (RFC 8620 §7.2 and §8.6: the
server limits what it spends on URLs clients chose)."""

from __future__ import annotations

import socket
import statistics
import threading
import time

from store import subscriptions as stored
from store.subscriptions import PushSubscriptionRecord
from store.users import normalize


class Tarpit:
    """A loopback listener that accepts connections and never answers, counting them."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1024)
        self.accepted: list[socket.socket] = []
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self):
        self.sock.close()
        for conn in self.accepted:
            conn.close()


def test_ten_thousand_subscriptions_to_a_hanging_host(push_live, push_client):
    """10,000 verified subscriptions whose push service hangs: API calls made while their pushes are
    due answer as fast as before, and the hanging host sees only a handful of connections (the
    origin's requests are capped, then it is backed off as a whole), never one per subscription."""
    tarpit = Tarpit()
    user = normalize(push_client.username)
    expires = int(time.time()) + 3600

    def seed(txn):
        for n in range(10_000):
            stored.put(txn, PushSubscriptionRecord(
                id=stored.new_id(txn), user=user, device_client_id=f"d{n}", verified=True, expires=expires,
                url=f"http://127.0.0.1:{tarpit.port}/s/{n}", verification_code="x"), created=True)

    def round_trips(label: str) -> list[float]:
        took = []
        for n in range(10):
            started = time.perf_counter()
            push_client.ok("Mailbox/set", {"create": {"n": {"name": f"{label} {n}"}}})
            push_client.ok("Mailbox/get", {"ids": []})
            took.append(time.perf_counter() - started)
            time.sleep(0.05)
        return took

    try:
        before = round_trips("Quiet")
        push_live.server.store.write(seed)
        during = round_trips("Busy")
        assert statistics.median(during) < 3 * statistics.median(before) + 0.1, (before, during)
        assert 1 <= len(tarpit.accepted) <= 8, len(tarpit.accepted)
    finally:
        tarpit.close()
        push_live.server.store.write(lambda txn: [stored.delete(txn, user, r.id) for r in list(stored.of_user(txn, user))])
