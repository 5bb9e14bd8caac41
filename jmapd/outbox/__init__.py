"""The outbox: sends what the submission queue holds (jmapd/mail/submissions.py) over SMTP.

- `worker.Outbox`: the BackgroundService `jmapd serve` runs when sending is configured;
- `routes`: relay, or direct delivery by MX (dnspython) with the `transport` table's overrides;
- `transports`: SMTP with aiosmtplib, behind a protocol an in-process sink can implement;
- `message`: what is sent (no Bcc; DKIM-signed by `dkim`); `dsn`: bounces (RFC 3464).
"""

from .worker import Outbox

__all__ = ["Outbox"]
