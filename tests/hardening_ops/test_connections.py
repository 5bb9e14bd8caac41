"""Issue 20, finding 2: slow clients. A connection that trickles its headers or its body is timed
out; connections are capped per client address and in total, below the descriptor limit, so that one
address holding hundreds of connections leaves real clients served. Trickling clients come from
127.0.0.2 (all of 127/8 is loopback), honest ones from 127.0.0.1."""

from __future__ import annotations

import os
import resource
import socket
import time

import httpx
import pytest

from jmapd.limits import ConnectionGate, ConnectionSettings, Refusal
from jmapd.limits.descriptors import connections_allowed
from jmapd.testing import LiveServer, ServeProcess

ECHO = {"using": ["urn:ietf:params:jmap:core"], "methodCalls": [["Core/echo", {"hello": True}, "0"]]}


def connect(port: int, source: str = "127.0.0.2") -> socket.socket:
    sock = socket.socket()
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    return sock


def read_until_closed(sock: socket.socket, timeout: float) -> bytes:
    sock.settimeout(timeout)
    got = b""
    try:
        while chunk := sock.recv(4096):
            got += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return got


def echo(server: LiveServer, user=("honest", "pw")) -> int:
    return httpx.post(server.url + "/jmap/api/", json=ECHO, auth=user, timeout=10).status_code


@pytest.fixture(scope="module")
def quick():
    """A server with short phase timeouts and a small per-address cap."""
    settings = ConnectionSettings(max_per_address=8, header_timeout=0.5, body_timeout=0.5, body_min_rate=1000)
    with LiveServer(connections=settings) as server:
        server.add_user("honest", "pw")
        yield server


def test_trickled_headers_get_408_and_are_closed(quick):
    """A connection trickling its headers was never timed out (slowloris)."""
    sock = connect(quick.port)
    started = time.monotonic()
    sock.sendall(b"GET /jmap/session HTTP/1.1\r\nHost: x\r\n")
    for _ in range(3):
        time.sleep(0.2)
        try:
            sock.sendall(b"X-Slow: 1\r\n")
        except OSError:
            break
    answer = read_until_closed(sock, 5)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert time.monotonic() - started < 4


def test_silent_connection_is_closed(quick):
    """A connection that never sends a byte held its descriptor forever."""
    sock = connect(quick.port)
    assert read_until_closed(sock, 5).startswith(b"HTTP/1.1 408")
    sock.close()


def test_trickled_body_gets_408(quick):
    """A body slower than body_min_rate is cut off; the server goes on serving."""
    sock = connect(quick.port)
    sock.sendall(b"POST /jmap/api/ HTTP/1.1\r\nHost: x\r\nAuthorization: Basic aG9uZXN0OnB3\r\n"
                 b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
    answer = read_until_closed(sock, 5)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert echo(quick) == 200


def test_keep_alive_connection_serves_many_requests(quick):
    """The header timeout counts from each request's first byte, not from connecting: a kept-alive
    connection used for longer than the timeout is not cut."""
    with httpx.Client(base_url=quick.url, auth=("honest", "pw")) as client:
        for _ in range(4):
            assert client.post("/jmap/api/", json=ECHO).status_code == 200
            time.sleep(0.2)


def test_oversized_headers_get_431(quick):
    sock = connect(quick.port)
    sock.sendall(b"GET /jmap/session HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"a" * 70_000 + b"\r\n")
    answer = read_until_closed(sock, 5)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 431"), answer[:100]


def test_per_address_cap_leaves_others_served(quick):
    """One address holding its cap of idle connections gets 429 for more; another address is served,
    and the address is admitted again once its connections close."""
    held = [connect(quick.port) for _ in range(8)]
    try:
        time.sleep(0.1)
        extra = connect(quick.port)
        answer = read_until_closed(extra, 3)
        extra.close()
        assert answer.startswith(b"HTTP/1.1 429") and b"retry-after" in answer.lower(), answer
        assert echo(quick) == 200
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.2)
    again = connect(quick.port)
    again.sendall(b"GET /.well-known/jmap HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert read_until_closed(again, 3).startswith(b"HTTP/1.1 307")
    again.close()


def test_total_cap_answers_503():
    """Past the process's total, anyone is told to retry later rather than left hanging."""
    with LiveServer(connections=ConnectionSettings(max_total=3, header_timeout=5)) as server:
        held = [connect(server.port, f"127.0.0.{n}") for n in (2, 3, 4)]
        try:
            time.sleep(0.1)
            extra = connect(server.port, "127.0.0.5")
            answer = read_until_closed(extra, 3)
            extra.close()
            assert answer.startswith(b"HTTP/1.1 503"), answer
        finally:
            for sock in held:
                sock.close()
        time.sleep(0.2)
        assert httpx.get(server.url + "/.well-known/jmap").status_code == 307


def test_gate_api_for_other_listeners():
    """The plain API IMAP and SMTP listeners call: admit counts a connection or raises Refusal (per
    address, or the whole process full); release gives its place back, once. IPv6 clients count per
    /64, IPv4-mapped addresses as their IPv4 address."""
    gate = ConnectionGate(ConnectionSettings(max_per_address=2, max_total=3))
    a1 = gate.admit("2001:db8::1")
    a2 = gate.admit("2001:db8::2")
    with pytest.raises(Refusal) as per_address:
        gate.admit("2001:db8::ffff")
    assert per_address.value.per_address
    b = gate.admit("::ffff:192.0.2.1")
    with pytest.raises(Refusal) as full:
        gate.admit("192.0.2.9")
    assert not full.value.per_address
    gate.release(a1)
    gate.release(a1)  # a second release of the same ticket changes nothing
    assert gate.total == 2
    assert gate.by_address == {"2001:db8::/64": 1, "192.0.2.1": 1}
    for ticket in (a2, b):
        gate.release(ticket)
    assert gate.total == 0 and gate.by_address == {}


def test_total_is_kept_below_the_descriptor_limit():
    """The total leaves room for the store, the index and the listening sockets: a 1,024-descriptor
    limit allows 896 connections; a configured total above that is lowered to it."""
    assert connections_allowed(1024) == 896
    assert ConnectionGate(ConnectionSettings(max_total=5000), descriptors=1024).max_total == 896
    assert ConnectionGate(ConnectionSettings(max_total=100), descriptors=1024).max_total == 100


def test_serve_raises_its_descriptor_limit_and_survives_a_flood(tmp_path):
    """`jmapd serve` started with a soft limit of 256 descriptors (hard 1,024) raises it at start;
    300 idle connections from one address then leave a real client served (with the limit of 256
    that was in force, 250 idle connections took every descriptor)."""

    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 1024))

    served = ServeProcess(["--data", str(tmp_path)], preexec_fn=low_limit)
    port = served.port
    held = []
    try:
        with open(f"/proc/{served.proc.pid}/limits") as f:
            soft = next(line for line in f if line.startswith("Max open files")).split()[3]
        assert soft == "1024"
        password = (tmp_path / "first-user-password").read_text().strip()
        refused = 0
        for _ in range(300):
            sock = connect(port)
            held.append(sock)
        time.sleep(0.5)
        for sock in held:
            sock.settimeout(0.01)
            try:
                refused += sock.recv(64).startswith(b"HTTP/1.1 429")
            except (TimeoutError, ConnectionResetError):
                pass
        assert refused == 300 - 256
        r = httpx.get(f"http://127.0.0.1:{port}/jmap/session", auth=("admin", password), timeout=10)
        assert r.status_code == 200
    finally:
        for sock in held:
            sock.close()
        served.stop()


def test_steady_slow_body_is_not_cut(quick):
    """A body above body_min_rate is served however long it takes in all (a slow uplink, not an attack)."""
    body = httpx.Request("POST", "/", json=ECHO).content
    body += b" " * (4000 - len(body))
    sock = connect(quick.port, "127.0.0.1")
    sock.sendall(b"POST /jmap/api/ HTTP/1.1\r\nHost: x\r\nAuthorization: Basic aG9uZXN0OnB3\r\n"
                 b"Content-Type: application/json\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(body))
    for start in range(0, len(body), 800):  # 4,000 bytes over ~1.2 s: above 1,000 bytes/s
        sock.sendall(body[start:start + 800])
        time.sleep(0.25)
    answer = read_until_closed(sock, 5)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]


def test_unread_response_is_dropped():
    """A client that never reads its response held the connection (and the request's task) forever:
    after send_timeout with the socket's buffers full, it is dropped."""
    with LiveServer(connections=ConnectionSettings(send_timeout=0.5)) as server:
        user = server.add_user("reader", "pw")
        blob = httpx.post(f"{server.url}/jmap/upload/{user.account_id}/", content=os.urandom(8 << 20),
                          auth=("reader", "pw"), timeout=60).json()["blobId"]
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", server.port))
        sock.sendall(f"GET /jmap/download/{user.account_id}/{blob}/x HTTP/1.1\r\nHost: x\r\n"
                     f"Authorization: Basic cmVhZGVyOnB3\r\n\r\n".encode())
        time.sleep(3)  # never reading, while the server's send buffer fills and then times out
        received = len(read_until_closed(sock, 10))
        sock.close()
        assert received < 8 << 20
        assert httpx.get(server.url + "/.well-known/jmap").status_code == 307


def test_imap_and_smtp_listeners_use_the_same_gate(tmp_path):
    """The same connection accounting for every protocol: an address holding its share of the
    server's connections is refused by IMAP (BYE [UNAVAILABLE], RFC 5530), SMTP (421 4.7.0) and
    HTTP (429) alike, while another address is served."""
    from jmapd.config import Receiving

    with LiveServer(data=str(tmp_path), imap="127.0.0.1:0", lmtp="127.0.0.1:0", receiving=Receiving(),
                    connections=ConnectionSettings(max_per_address=2)) as server:
        small_process_gate = server.connections
        imap_port = server.server.extras["imap"].port
        lmtp_port = server.server.extras["lmtp_listener"].port
        held = [connect(imap_port), connect(lmtp_port)]
        try:
            for sock in held:
                sock.settimeout(5)
                assert sock.recv(200)  # greeted: admitted
            assert small_process_gate.by_address == {"127.0.0.2": 2}
            for port, refusal in ((imap_port, b"* BYE [UNAVAILABLE]"), (lmtp_port, b"421 4.7.0"),
                                  (server.port, b"HTTP/1.1 429")):
                extra = connect(port)
                assert read_until_closed(extra, 5).startswith(refusal)
                extra.close()
            other = connect(imap_port, "127.0.0.3")
            other.settimeout(5)
            assert other.recv(200).startswith(b"* OK")
            other.close()
        finally:
            for sock in held:
                sock.close()
        deadline = time.monotonic() + 5
        while small_process_gate.total and time.monotonic() < deadline:
            time.sleep(0.05)
        assert small_process_gate.total == 0
