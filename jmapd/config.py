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

from .protocol.capabilities import CoreLimits, MailLimits


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
    access_log: bool = False
    log_level: str = "info"
    hostname: str = "localhost"
    # Continuous IMAP sync (`jmapd sync`): how often the server looks for sources that are due, in
    # seconds (0 turns the background sync off), and where the key that encrypts their passwords is
    # (default DATA/sync.key; put it elsewhere to keep it out of copies of the data folder).
    sync_check_every: float = 30.0
    sync_key_file: str | None = None
    limits: CoreLimits = msgspec.field(default_factory=CoreLimits)
    mail: MailLimits = msgspec.field(default_factory=MailLimits)

    def is_loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def allowed_origins(self) -> list[str]:
        if self.cors_origins:
            return self.cors_origins
        return ["*"] if self.is_loopback() else []


ENV_PREFIX = "JMAPD_"
_ENV_FIELDS = {
    "HOST": "host", "PORT": "port", "DATA": "data", "PUBLIC_URL": "public_url", "TLS_CERT": "tls_cert",
    "TLS_KEY": "tls_key", "TRUSTED_PROXIES": "trusted_proxies", "CORS_ORIGINS": "cors_origins",
    "WORKERS": "workers", "ACCESS_LOG": "access_log", "LOG_LEVEL": "log_level", "HOSTNAME": "hostname",
    "SYNC_CHECK_EVERY": "sync_check_every", "SYNC_KEY_FILE": "sync_key_file",
}
_LISTS = {"trusted_proxies", "cors_origins"}


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
