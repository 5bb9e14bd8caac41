"""Mail in over SMTP: LMTP from an MTA in front (RFC 2033), SMTP as the MX (RFC 5321), and
message submission for mail apps (RFC 6409, RFC 8314), on aiosmtpd.

A frontend like jmapd/http: it turns the protocol into calls of the mail layer (addresses,
`delivery.deliver()`) and the mail layer's answers into SMTP replies. Each listener is a
background service of the server (service.py), turned on by `--lmtp`, `--smtp`, `--submission`,
`--submissions` or the same keys of jmapd.toml.
"""

from .service import MailListener, check_listeners, listeners

__all__ = ["MailListener", "check_listeners", "listeners"]
