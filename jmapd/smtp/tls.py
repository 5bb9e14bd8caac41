"""TLS for the mail listeners, from the same certificate and key as HTTPS (`tls_cert`, `tls_key`).

One server context per process, shared by every listener. SIGHUP loads the files again into that
context, so a renewed certificate is used for new connections without a restart (where the
process can take signals: in the main thread of `jmapd serve`).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import ssl
import threading

log = logging.getLogger("jmapd.smtp")


class ServerTls:
    def __init__(self, cert: str, key: str):
        self.cert, self.key = cert, key
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.context.load_cert_chain(cert, key)

    def reload(self) -> None:
        try:
            self.context.load_cert_chain(self.cert, self.key)
            log.info("mail listeners: reloaded the certificate %s", self.cert)
        except (OSError, ssl.SSLError) as exc:
            log.error("mail listeners: kept the old certificate, the new one did not load: %s", exc)

    def reload_on_sighup(self, loop: asyncio.AbstractEventLoop) -> None:
        if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGHUP"):
            return
        try:
            loop.add_signal_handler(signal.SIGHUP, self.reload)
        except (NotImplementedError, RuntimeError, ValueError):
            pass


_shared: dict[tuple[str, str], ServerTls] = {}


def server_tls(cert: str | None, key: str | None) -> ServerTls | None:
    """The process's TLS for these files (made once), or None when no certificate is configured."""
    if not cert or not key:
        return None
    if (cert, key) not in _shared:
        _shared[(cert, key)] = ServerTls(cert, key)
    return _shared[(cert, key)]
