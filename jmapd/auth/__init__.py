"""Logins, for every protocol: HTTP Basic and Bearer, IMAP LOGIN/AUTHENTICATE, SMTP AUTH.

One place checks a user name and password (or an API token given as the password), so that every
protocol pays the same, remembers the same successful checks, and is held to the same limits.
"""

from .logins import Logins

__all__ = ["Logins"]
