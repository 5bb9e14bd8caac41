"""Connections held per client address and in total: one gate per process, for every listener.

A connection costs a file descriptor from the moment it is accepted, whether or not it ever sends a
complete request. Without a cap, one client opening connections and trickling bytes into them holds
every descriptor the process has (issue 20, finding 2). The gate admits a connection only while its
address holds fewer than `max_per_address` and the process fewer than its total, which is kept below
the descriptor limit; refused connections are answered and closed at once, so they cost a
descriptor for microseconds.

IPv6 clients are counted per /64: one host is usually given a whole /64, and counting each of its
addresses apart would let it open as many connections as it likes.
"""

from __future__ import annotations

import ipaddress
import threading

import msgspec

from .descriptors import connections_allowed, descriptor_limit


class ConnectionSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The `[connections]` table of the configuration."""

    # Connections one client address (an IPv6 /64) may hold at once, over every protocol.
    max_per_address: int = 256
    # Connections the process may hold; 0: as many as the descriptor limit leaves room for.
    max_total: int = 0
    # Seconds a client has to send a request's line and headers, from its first byte (or from
    # connecting). Past it: 408 and the connection closed.
    header_timeout: float = 10.0
    # A request's body must arrive at no less than `body_min_rate` bytes a second, measured over
    # windows of `body_timeout` seconds.
    body_timeout: float = 20.0
    body_min_rate: int = 1024
    # Seconds a client may leave a response unread (the socket's buffers full) before it is dropped.
    send_timeout: float = 60.0

    def __post_init__(self) -> None:
        if self.max_per_address < 1 or self.max_total < 0:
            raise ValueError("connections: max_per_address must be at least 1 and max_total at least 0")
        if min(self.header_timeout, self.body_timeout, self.send_timeout) <= 0 or self.body_min_rate < 0:
            raise ValueError("connections: timeouts must be positive and body_min_rate at least 0")


class Refusal(Exception):
    """A connection the gate will not admit; `per_address` tells whether its address has too many
    (the client should slow down) or the whole process is full (anyone should retry later)."""

    def __init__(self, per_address: bool, message: str):
        super().__init__(message)
        self.per_address = per_address


class Ticket:
    """One admitted connection; hand it back to `ConnectionGate.release` when the connection closes.
    It is counted by the gate that admitted it, even if the process's gate was replaced since."""

    __slots__ = ("gate", "key", "released")

    def __init__(self, gate: "ConnectionGate", key: str):
        self.gate = gate
        self.key = key
        self.released = False


def address_key(host: str | None) -> str:
    """What a client is counted as: its IPv4 address, or its IPv6 /64."""
    if not host:
        return "local"
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class ConnectionGate:
    def __init__(self, settings: ConnectionSettings | None = None, descriptors: int | None = None):
        self.settings = settings or ConnectionSettings()
        allowed = connections_allowed(descriptor_limit() if descriptors is None else descriptors)
        self.max_total = min(self.settings.max_total, allowed) if self.settings.max_total else allowed
        self.max_per_address = self.settings.max_per_address
        self.total = 0
        self.by_address: dict[str, int] = {}
        self.refused = 0
        self._lock = threading.Lock()

    def admit(self, host: str | None) -> Ticket:
        """Count a new connection from `host`, or raise Refusal (the caller answers and closes it)."""
        key = address_key(host)
        with self._lock:
            held = self.by_address.get(key, 0)
            if held >= self.max_per_address:
                self.refused += 1
                raise Refusal(True, f"Too many connections from {key} ({held}); close some and retry.")
            if self.total >= self.max_total:
                self.refused += 1
                raise Refusal(False, f"The server holds its most connections ({self.total}); retry shortly.")
            self.by_address[key] = held + 1
            self.total += 1
        return Ticket(self, key)

    def release(self, ticket: Ticket) -> None:
        """Give back an admitted connection's place; a second release of the same ticket does nothing."""
        if ticket.gate is not self:
            ticket.gate.release(ticket)
            return
        with self._lock:
            if ticket.released:
                return
            ticket.released = True
            self.total -= 1
            left = self.by_address[ticket.key] - 1
            if left:
                self.by_address[ticket.key] = left
            else:
                del self.by_address[ticket.key]


# Where a running server keeps the gate its listeners share (Server.extras): the process's gate under
# `jmapd serve`, a gate of its own for each LiveServer.
EXTRAS_KEY = "connection_gate"


def gate_of(extras: dict) -> "ConnectionGate":
    """The gate of the server whose `extras` these are (the process's gate if it has none)."""
    return extras.get(EXTRAS_KEY) or connection_gate()


_process_gate: ConnectionGate | None = None
_process_lock = threading.Lock()


def configure_process(settings: ConnectionSettings, descriptors: int | None = None) -> ConnectionGate:
    """Set up the gate every listener of this process shares (at start, after the descriptor limit
    was raised); returns it."""
    global _process_gate
    with _process_lock:
        _process_gate = ConnectionGate(settings, descriptors)
        return _process_gate


def connection_gate() -> ConnectionGate:
    """The process's gate: the one `configure_process` set up, or one with the default settings."""
    global _process_gate
    with _process_lock:
        if _process_gate is None:
            _process_gate = ConnectionGate()
        return _process_gate
