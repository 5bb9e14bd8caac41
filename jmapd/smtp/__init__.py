"""Mail in over SMTP: LMTP from an MTA in front (RFC 2033), SMTP as the MX (RFC 5321), and
message submission for mail apps (RFC 6409, RFC 8314), on aiosmtpd.

A frontend like jmapd/http: it turns the protocol into calls of the mail layer (addresses,
`delivery.deliver()`) and the mail layer's answers into SMTP replies. Each listener is a
background service of the server (service.py), turned on by `--lmtp`, `--smtp`, `--submission`,
`--submissions` or the same keys of jmapd.toml. A server without any loads none of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import Config
from .listen import KINDS, check_listeners

if TYPE_CHECKING:
    from .service import MailListener

__all__ = ["check_listeners", "listeners"]


def listeners(config: Config) -> list["MailListener"]:
    """The mail listeners the configuration turns on."""
    check_listeners(config)
    kinds = [kind for kind in KINDS if getattr(config, kind)]
    if not kinds:
        return []
    from .service import MailListener

    return [MailListener(kind, config) for kind in kinds]
