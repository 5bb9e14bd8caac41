"""Where the mail listeners listen, checked before anything starts (and without loading them)."""

from __future__ import annotations

import ipaddress
from typing import Literal

from ..config import Config, ConfigError

Kind = Literal["lmtp", "smtp", "submission", "submissions"]
KINDS: tuple[Kind, ...] = ("lmtp", "smtp", "submission", "submissions")


def listen_address(text: str, flag: str) -> tuple[str, int]:
    """`ADDRESS:PORT` (`[v6]:PORT` for IPv6) as a host and a port."""
    host, sep, port = text.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"--{flag} wants ADDRESS:PORT (e.g. 127.0.0.1:2424), not {text!r}")
    return host, int(port)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_listeners(config: Config) -> None:
    """Refuse, before anything starts, a listener set up to do what it must not: take passwords in
    clear text off loopback, or implicit TLS without a certificate."""
    for kind in KINDS:
        text = getattr(config, kind)
        if text is None:
            continue
        host, _ = listen_address(text, kind)
        if kind == "submissions" and not config.tls_cert:
            raise ConfigError("--submissions (implicit TLS) needs --tls-cert and --tls-key")
        if kind == "submission" and not config.tls_cert and not is_loopback(host):
            raise ConfigError("--submission off loopback needs --tls-cert and --tls-key (passwords go over it)")
