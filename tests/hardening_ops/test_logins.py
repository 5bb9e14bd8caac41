"""Issue 20, finding 5: authentication. Failed logins back off per user and per client address, with
Retry-After (RFC 6585 §4: 429 Too Many Requests), in jmapd.auth where every protocol checks
credentials; an unknown user costs the same work as a wrong password; tokens can be listed and
revoked, and a new password revokes them."""

from __future__ import annotations

import asyncio
import re
import statistics
import time

import httpx
import pytest

import store.users as store_users
from jmapd.auth import Logins, LoginThrottled
from jmapd.limits import LoginLimits
from jmapd.testing import LiveServer

SESSION = "/jmap/session"


def from_address(server: LiveServer, source: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, transport=httpx.HTTPTransport(local_address=source), timeout=10)


def test_wrong_passwords_for_one_user_back_off_with_retry_after():
    """300 wrong passwords at 14/s were all answered. After `free_per_user` failures the user is
    blocked: 429 with Retry-After, even for the right password, until the wait is over; the wait
    doubles with each further failure."""
    limits = LoginLimits(free_per_user=3, cap_per_user=2, free_per_address=100)
    with LiveServer(logins=limits) as server:
        server.add_user("victim", "right")
        with from_address(server, "127.0.0.2") as attacker:
            statuses = [attacker.get(SESSION, auth=("victim", f"guess{n}")).status_code for n in range(3)]
            assert statuses == [401, 401, 401]
            blocked = attacker.get(SESSION, auth=("victim", "guess4"))
            assert blocked.status_code == 401  # the fourth is checked, then blocks for 1 s
            refused = attacker.get(SESSION, auth=("victim", "right"))
            assert refused.status_code == 429
            assert 1 <= int(refused.headers["retry-after"]) <= 2
            assert refused.json()["status"] == 429
        with from_address(server, "127.0.0.3") as other:  # per user: from any address
            assert other.get(SESSION, auth=("victim", "right")).status_code == 429
            time.sleep(int(refused.headers["retry-after"]))
            assert other.get(SESSION, auth=("victim", "right")).status_code == 200


def test_one_address_guessing_many_users_is_blocked_others_are_not():
    """Per address: one client spreading guesses over many user names is blocked; a client from
    another address is still served, and so is the API endpoint's own authentication."""
    limits = LoginLimits(free_per_address=5, cap_per_address=60)
    with LiveServer(logins=limits) as server:
        server.add_user("honest", "pw")
        with from_address(server, "127.0.0.2") as attacker:
            statuses = [attacker.get(SESSION, auth=(f"user{n}", "guess")).status_code for n in range(7)]
            assert statuses[:6] == [401] * 6 and statuses[6] == 429
            api = attacker.post("/jmap/api/", auth=("honest", "pw"), json={"using": [], "methodCalls": []})
            assert api.status_code == 429 and "retry-after" in api.headers
            bearer = attacker.get(SESSION, headers={"authorization": "Bearer jmapd_nothing"})
            assert bearer.status_code == 429
        with from_address(server, "127.0.0.3") as honest:
            assert honest.get(SESSION, auth=("honest", "pw")).status_code == 200


def test_trusted_proxy_counts_the_forwarded_client():
    """Behind a trusted proxy every client arrives from the proxy's address: failures are counted
    against the address the proxy forwarded for, so one client's guesses block only that client."""
    limits = LoginLimits(free_per_address=2, free_per_user=100)
    with LiveServer(logins=limits, trusted_proxies=["127.0.0.1"]) as server:
        server.add_user("honest", "pw")
        with httpx.Client(base_url=server.url, timeout=10) as proxy:
            bad = {"x-forwarded-for": "203.0.113.7"}
            assert [proxy.get(SESSION, auth=(f"u{n}", "x"), headers=bad).status_code for n in range(4)][-1] == 429
            good = {"x-forwarded-for": "198.51.100.1, 203.0.113.7"}  # the leftmost hop is the client's claim
            assert proxy.get(SESSION, auth=("honest", "pw"), headers=good).status_code == 429
            assert proxy.get(SESSION, auth=("honest", "pw"), headers={"x-forwarded-for": "198.51.100.1"}
                             ).status_code == 200


def test_api_for_other_protocols(tmp_path):
    """The call IMAP LOGIN and SMTP AUTH make: verify(name, password, peer) returns the user or None,
    and raises LoginThrottled with the seconds to wait once blocked, before checking anything."""
    server = LiveServer(data=str(tmp_path), logins=LoginLimits(free_per_address=2, cap_per_address=30))
    try:
        server.add_user("imapuser", "pw")
        logins: Logins = server.server.logins

        async def attempts():
            assert (await logins.verify("imapuser", "pw", "192.0.2.1")).name == "imapuser"
            assert await logins.verify("imapuser", "bad", "192.0.2.1") is None
            assert await logins.verify("nobody", "bad", "192.0.2.1") is None
            assert await logins.verify("other", "bad", "192.0.2.1") is None  # past the 2 free failures
            with pytest.raises(LoginThrottled) as throttled:
                await logins.verify("imapuser", "pw", "192.0.2.1")
            assert throttled.value.retry_after >= 1
            assert (await logins.verify("imapuser", "pw", "192.0.2.2")).name == "imapuser"

        asyncio.run(attempts())
    finally:
        server.stop()


def test_unknown_user_costs_as_much_as_a_wrong_password(tmp_path):
    """User names leaked by timing: a wrong password took 65 ms, an unknown user 2 ms. Both now pay
    one scrypt with the same parameters. (Measured here with the real work factor, which the suite
    otherwise makes tiny, and in CPU time, which other work on the machine does not stretch.)"""
    real = 2**14
    saved = store_users.SCRYPT_N
    store_users.SCRYPT_N = real
    server = LiveServer(data=str(tmp_path), logins=LoginLimits(free_per_user=1000, free_per_address=1000))
    try:
        server.add_user("known", "right")
        logins: Logins = server.server.logins

        async def timed(name: str) -> float:
            started = time.process_time()  # every thread's: scrypt runs in the login pool
            assert await logins.verify(name, "wrong") is None
            return time.process_time() - started

        async def measure():
            await timed("warm-up")
            known = [await timed("known") for _ in range(5)]
            unknown = [await timed(f"ghost{n}") for n in range(5)]
            return statistics.median(known), statistics.median(unknown)

        known, unknown = asyncio.run(measure())
        assert 0.5 < unknown / known < 2, (known, unknown)
    finally:
        store_users.SCRYPT_N = saved
        server.stop()


def test_token_list_revoke_and_passwd(cli, tmp_path):
    """Tokens survived `user passwd` and could not be revoked. `user token list NAME` shows ids (never
    the tokens), `user token revoke NAME ID` revokes one, `user passwd` revokes them all unless
    `--keep-tokens`; a revoked token is refused at once by the running server."""
    data = str(tmp_path)
    with LiveServer(data=data) as server:
        server.add_user("bob", "pw1")

        def bearer(token: str) -> int:
            return httpx.get(server.url + SESSION, headers={"authorization": f"Bearer {token}"}).status_code

        first = cli.run("user", "token", "bob", "--label", "phone", "--data", data).stdout.strip()
        second = cli.run("user", "token", "create", "bob", "--label", "laptop", "--data", data).stdout.strip()
        assert bearer(first) == bearer(second) == 200
        listing = cli.run("user", "token", "list", "bob", "--data", data).stdout.splitlines()
        assert [line.split("\t")[2] for line in listing] == ["phone", "laptop"]
        assert first not in "\n".join(listing)
        phone_id = listing[0].split("\t")[0]
        done = cli.run("user", "token", "revoke", "bob", phone_id, "--data", data)
        assert done.returncode == 0 and "revoked 1" in done.stdout
        assert bearer(first) == 401 and bearer(second) == 200
        cli.mistake(cli.run("user", "token", "revoke", "bob", phone_id, "--data", data), phone_id, "token list")
        cli.mistake(cli.run("user", "token", "revoke", "bob", "--data", data), "--all")
        cli.mistake(cli.run("user", "token", "list", "nobody", "--data", data), "no user nobody")
        cli.mistake(cli.run("user", "token", "list", "--data", data), "needs the user's name")

        kept = cli.run("user", "passwd", "bob", "--password", "pw2", "--keep-tokens", "--data", data)
        assert kept.returncode == 0 and bearer(second) == 200
        changed = cli.run("user", "passwd", "bob", "--password", "pw3", "--data", data)
        assert changed.returncode == 0 and "1 API token(s) revoked" in changed.stdout
        assert bearer(second) == 401
        assert httpx.get(server.url + SESSION, auth=("bob", "pw3")).status_code == 200
        assert cli.run("user", "token", "list", "bob", "--data", data).stdout == ""


def test_imap_and_submission_share_the_back_off(tmp_path):
    """Issue 20, finding 5: the back-off is shared by HTTP, IMAP and SMTP AUTH. Wrong passwords over
    HTTP block the user: IMAP LOGIN answers NO [UNAVAILABLE] with the seconds to wait (RFC 5530), and
    submission AUTH 454 4.7.0 (RFC 4954 §6), even with the right password."""
    import base64
    import imaplib
    import smtplib

    from jmapd.config import Receiving

    limits = LoginLimits(free_per_user=2, cap_per_user=30, free_per_address=100)
    with LiveServer(data=str(tmp_path), logins=limits, imap="127.0.0.1:0", submission="127.0.0.1:0",
                    receiving=Receiving()) as server:
        server.add_user("shared", "right")
        for n in range(3):
            assert httpx.get(server.url + SESSION, auth=("shared", f"guess{n}")).status_code == 401
        conn = imaplib.IMAP4("127.0.0.1", server.server.extras["imap"].port, timeout=10)
        with pytest.raises(imaplib.IMAP4.error) as refused:
            conn.login("shared", "right")
        assert "UNAVAILABLE" in str(refused.value) and re.search(r"in \d+ s", str(refused.value))
        conn.logout()
        with smtplib.SMTP("127.0.0.1", server.server.extras["submission_listener"].port, timeout=10) as client:
            client.ehlo("x.test")
            code, reply = client.docmd("AUTH", "PLAIN " + base64.b64encode(b"\0shared\0right").decode())
            assert code == 454 and reply.startswith(b"4.7.0") and re.search(rb"in \d+ s", reply)
