"""Logins, for every protocol: HTTP Basic and Bearer, IMAP LOGIN/AUTHENTICATE, SMTP AUTH.

One place checks a user name and password (or an API token given as the password), so that every
protocol pays the same, remembers the same successful checks, and is held to the same limits:

    from jmapd.auth import LoginThrottled

    try:
        user = await server.logins.verify(name, password, peer=client_ip)
    except LoginThrottled as exc:
        # too many failures for this user or address: refuse without checking, and say
        # "retry in exc.retry_after seconds" (HTTP 429 + Retry-After; IMAP NO [UNAVAILABLE]; SMTP 454)
        ...
    if user is None:
        ...  # wrong credentials (the failure is counted)

`verify` runs scrypt off the event loop; call it from the listener's event loop.
"""

from .backoff import LoginLimits, LoginThrottled
from .logins import Logins

__all__ = ["LoginLimits", "LoginThrottled", "Logins"]
