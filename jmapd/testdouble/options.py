"""What a test server is started with, from Python or from `jmapd serve --ephemeral`."""

from __future__ import annotations

import msgspec


class Options(msgspec.Struct, kw_only=True):
    # Users to create; each gets a personal account (password: `passwords` or the user name).
    users: list[str] = msgspec.field(default_factory=lambda: ["alice"])
    passwords: dict[str, str] = {}
    # Any password logs in (only ever on loopback).
    open_auth: bool = False
    # "demo", a number of generated messages, or a file: .json seed, an mbox, or a folder of .eml.
    seed: str | None = None
    seed_random: int = 1
    # Ids, states, receivedAt of new mail and generated Message-IDs from counters and a fixed clock.
    deterministic: bool = False
    # The fixed clock's start, seconds since the epoch (2024-01-01T00:00:00Z).
    clock_start: float = 1704067200.0
    host: str = "127.0.0.1"
    port: int = 0
    hostname: str = "example.test"
    # HTTPS with this certificate and key (client libraries that only speak https need it).
    tls_cert: str | None = None
    tls_key: str | None = None
    # A data folder to use instead of a temporary one (kept at exit).
    data: str | None = None

    def password_of(self, user: str) -> str:
        return self.passwords.get(user, user)
