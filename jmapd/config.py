"""Server configuration: defaults that work on a laptop, a TOML file, environment overrides, flags.

Precedence, lowest first: built-in defaults, `jmapd.toml` (or --config FILE), `JMAPD_*` environment
variables, command-line flags.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from typing import Any

import msgspec

from .limits import ConnectionSettings, LoginLimits
from .protocol.capabilities import CoreLimits, MailLimits


class PushConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """PushSubscription (RFC 8620 §7.2): how long a subscription lasts, and where webhooks may go."""

    # Expiry a client may ask for at most (the RFC asks for at least 48 hours, and suggests 7 days).
    max_expiry_days: float = 7.0
    max_subscriptions_per_user: int = 50
    # Networks a push URL may reach although they are not public (loopback, private ranges), e.g.
    # ["127.0.0.1/32"] for a push service on this machine; http:// is accepted only for loopback
    # addresses listed here. Empty by default: a webhook must not reach the server's own network.
    allowed_networks: list[str] = []


class RelayConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A smarthost: all outgoing mail goes to it. `tls`: "starttls" (required), "implicit" (port
    465 style) or "none" (loopback relays only)."""

    host: str
    port: int = 587
    tls: str = "starttls"
    username: str | None = None
    password: str | None = None


class OutboxConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Sending ([outbox] in jmapd.toml). `delivery` is "relay" (through `relay`) or "direct" (each
    domain's MX, or the `transport` table's host:port for the domains it names); unset, the server
    does not send and does not offer the submission capability."""

    delivery: str | None = None
    relay: RelayConfig | None = None
    transport: dict[str, str] = {}
    max_delayed_send: int = 30 * 86400  # seconds a FUTURERELEASE hold may last
    lifetime: int = 5 * 86400  # seconds temporary failures are retried
    retry_after: int = 60  # seconds before the first retry; doubling after each failure
    max_recipients: int = 100
    max_size: int = 25_000_000
    connections_per_domain: int = 4
    mx_port: int = 25  # where direct delivery reaches mail exchangers
    timeout: float = 60.0
    dkim_selector: str = "jmapd"


class Receiving(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Limits and choices of the LMTP, SMTP and submission listeners (`[receiving]` in jmapd.toml)."""

    max_message_size: int = 50_000_000  # octets; SIZE (RFC 1870) and the DATA limit
    max_recipients: int = 100  # per message (RFC 5321 §4.5.3.1.8: at least 100)
    max_connections_per_ip: int = 20  # SMTP and submission; LMTP serves one trusted MTA
    max_commands_before_data: int = 150  # commands in one transaction before DATA (SMTP, submission)
    command_timeout: float = 300.0  # seconds a client may take between commands (RFC 5321 §4.5.3.2)
    data_timeout: float = 600.0  # seconds the whole of DATA may take
    sent_copy: bool = True  # submission keeps a copy of what a user sends in their Sent mailbox
    # DNS servers for every lookup: SPF, DKIM and DMARC here, and the outbox's MX lookups ("host"
    # or "host:port"); empty: the system's.
    nameservers: list[str] = []


class Config(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    host: str = "127.0.0.1"
    port: int = 8080
    data: str = "./data"
    # The URL clients reach the server at, when it differs from what the request shows
    # (e.g. "https://mail.example.com"); Session URLs are built from it.
    public_url: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    # Reverse proxies whose X-Forwarded-Proto/-Host are believed (addresses or networks).
    trusted_proxies: list[str] = []
    # Browser origins allowed to call the API; empty means "*" on loopback and none elsewhere.
    cors_origins: list[str] = []
    workers: int = 1
    # IMAP listeners, "HOST:PORT" (jmapd/imap): clear text with STARTTLS, and implicit TLS.
    imap: str | None = None
    imaps: str | None = None
    access_log: bool = False
    log_level: str = "info"
    hostname: str = "localhost"
    # Mail listeners, each "ADDRESS:PORT" or off: LMTP from an MTA (RFC 2033), SMTP as the MX,
    # submission with STARTTLS (RFC 6409) and with implicit TLS (RFC 8314).
    lmtp: str | None = None
    smtp: str | None = None
    submission: str | None = None
    submissions: str | None = None
    receiving: Receiving = msgspec.field(default_factory=Receiving)
    # Continuous IMAP sync (`jmapd sync`): how often the server looks for sources that are due, in
    # seconds (0 turns the background sync off), and where the key that encrypts their passwords is
    # (default DATA/sync.key; put it elsewhere to keep it out of copies of the data folder).
    sync_check_every: float = 30.0
    sync_key_file: str | None = None
    limits: CoreLimits = msgspec.field(default_factory=CoreLimits)
    mail: MailLimits = msgspec.field(default_factory=MailLimits)
    push: PushConfig = msgspec.field(default_factory=PushConfig)
    # `jmapd serve --relay HOST:PORT`: send everything to a plain SMTP relay (no TLS, no AUTH).
    relay: str | None = None
    outbox: OutboxConfig = msgspec.field(default_factory=OutboxConfig)
    # Connections per client address and in total, and the timeouts of a request's phases.
    connections: ConnectionSettings = msgspec.field(default_factory=ConnectionSettings)
    # Back-off after failed logins, per user and per client address, for every protocol.
    logins: LoginLimits = msgspec.field(default_factory=LoginLimits)
    # Serve plain HTTP on a non-loopback address (credentials cross the network in clear).
    insecure_http: bool = False

    def __post_init__(self) -> None:
        """Mistakes found here come out as one line naming the setting, whichever source set it."""
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port {self.port} is not a TCP port: choose one from 1 to 65535")
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, not {self.workers}")
        if self.public_url is not None and not _is_base_url(self.public_url):
            raise ValueError(f"public_url {self.public_url!r} is not an http:// or https:// URL with a host, "
                             "e.g. https://mail.example.com")

    def sending(self) -> OutboxConfig | None:
        """The outbox settings in force, or None when this server does not send."""
        if self.relay:
            host, _, port = self.relay.rpartition(":")
            if not host or not port.isdigit():
                raise ConfigError(f"relay must be HOST:PORT, not {self.relay!r}")
            return msgspec.structs.replace(self.outbox, delivery="relay",
                                           relay=RelayConfig(host=host.strip("[]"), port=int(port), tls="none"))
        if self.outbox.delivery is None:
            return None
        if self.outbox.delivery not in ("relay", "direct"):
            raise ConfigError(f"outbox.delivery must be \"relay\" or \"direct\", not {self.outbox.delivery!r}")
        if self.outbox.delivery == "relay" and self.outbox.relay is None:
            raise ConfigError("outbox.delivery = \"relay\" needs an [outbox.relay] table")
        return self.outbox

    def is_loopback(self) -> bool:
        return is_loopback_host(self.host)

    def allowed_origins(self) -> list[str]:
        if self.cors_origins:
            return self.cors_origins
        return ["*"] if self.is_loopback() else []


def _is_base_url(url: str) -> bool:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not parts.query and not parts.fragment


ENV_PREFIX = "JMAPD_"
_ENV_FIELDS = {
    "HOST": "host", "PORT": "port", "DATA": "data", "PUBLIC_URL": "public_url", "TLS_CERT": "tls_cert",
    "TLS_KEY": "tls_key", "TRUSTED_PROXIES": "trusted_proxies", "CORS_ORIGINS": "cors_origins",
    "WORKERS": "workers", "ACCESS_LOG": "access_log", "LOG_LEVEL": "log_level", "HOSTNAME": "hostname",
    "RELAY": "relay",
    "INSECURE_HTTP": "insecure_http",
    "LMTP": "lmtp", "SMTP": "smtp", "SUBMISSION": "submission", "SUBMISSIONS": "submissions",
    "IMAP": "imap", "IMAPS": "imaps",
    "SYNC_CHECK_EVERY": "sync_check_every", "SYNC_KEY_FILE": "sync_key_file",
}
_LISTS = {"trusted_proxies", "cors_origins"}


def is_loopback_host(host: str) -> bool:
    """Whether a listening address or a peer is this machine only (what may go without TLS)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def listen_address(text: str, flag: str) -> tuple[str, int]:
    """A listener's `ADDRESS:PORT` (`[v6]:PORT` for IPv6) as a host and a port."""
    host, sep, port = text.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"--{flag} wants ADDRESS:PORT (e.g. 127.0.0.1:{_EXAMPLE_PORTS.get(flag, 2424)}), "
                          f"not {text!r}")
    return host, int(port)


_EXAMPLE_PORTS = {"imap": 1143, "imaps": 993, "lmtp": 2424, "smtp": 25, "submission": 587, "submissions": 465}


class ConfigError(Exception):
    pass


def load(path: str | None = None, overrides: dict[str, Any] | None = None,
         environ: dict[str, str] | None = None) -> Config:
    values: dict[str, Any] = {}
    if path is None and os.path.exists("jmapd.toml"):
        path = "jmapd.toml"
    if path is not None:
        try:
            with open(path, "rb") as f:
                values.update(tomllib.load(f))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from None
    env = os.environ if environ is None else environ
    for suffix, name in _ENV_FIELDS.items():
        if ENV_PREFIX + suffix in env:
            raw = env[ENV_PREFIX + suffix]
            values[name] = [v.strip() for v in raw.split(",") if v.strip()] if name in _LISTS else raw
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        return msgspec.convert(values, Config, strict=False)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"invalid configuration: {exc}") from None
