"""UTCDate and Date values on the wire (RFC 8620 §1.4) to and from epoch seconds."""

from __future__ import annotations

import datetime as dt
import re
import time

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)


def utc_date(epoch: int) -> str:
    # time.gmtime and %-formatting: a list view formats 50 of these, and strftime costs 5x more.
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % time.gmtime(epoch)[:6]


def parse_date(value: object) -> int | None:
    """Epoch seconds of an RFC 3339 date-time, or None if it is not one (fractions are dropped)."""
    if not isinstance(value, str):
        return None
    m = _RFC3339.match(value)
    if not m:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    zone = m.group(8)
    try:
        tz = dt.timezone.utc if zone in ("Z", "z") else dt.timezone(
            (1 if zone[0] == "+" else -1) * dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
        return int(dt.datetime(year, month, day, hour, minute, min(second, 59), tzinfo=tz).timestamp())
    except ValueError:
        return None


def parse_utc_date(value: object) -> int | None:
    """A UTCDate must be in UTC with a Z (RFC 8620 §1.4)."""
    if not isinstance(value, str) or not value.endswith(("Z", "z")):
        return None
    return parse_date(value)
