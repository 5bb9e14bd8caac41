"""How failed logins back off (applied by jmapd.auth.backoff, for every protocol)."""

from __future__ import annotations

import msgspec


class LoginLimits(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The `[logins]` table of the configuration."""

    free_per_user: int = 10
    free_per_address: int = 20
    cap_per_user: float = 60.0
    cap_per_address: float = 900.0
    forgive_every: float = 30.0
    # Keys remembered at most (the oldest forgotten first), so that failures cannot fill memory.
    max_keys: int = 100_000
