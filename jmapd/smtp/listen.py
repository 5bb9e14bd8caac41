"""Where the mail listeners listen, checked before anything starts (and without loading them)."""

from __future__ import annotations

from typing import Literal

from ..config import Config, ConfigError, is_loopback_host, listen_address

Kind = Literal["lmtp", "smtp", "submission", "submissions"]
KINDS: tuple[Kind, ...] = ("lmtp", "smtp", "submission", "submissions")


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
        if kind == "submission" and not config.tls_cert and not is_loopback_host(host):
            raise ConfigError("--submission off loopback needs --tls-cert and --tls-key (passwords go over it)")
