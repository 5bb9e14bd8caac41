"""RFC 8621 §4.1.2.6 Date form: RFC 5322 §3.3 date-time to an RFC 3339 ``Date``.

The result keeps the sender's local time and offset (RFC 8620 §1.4 ``Date``,
e.g. ``2014-10-30T14:12:00+08:00``); a zero or unknown offset is written
``Z``. Obsolete syntax (RFC 5322 §4.3: two-digit years, named zones, comments,
missing seconds) is accepted; anything that does not give a real calendar
date and time is a parse failure (None).
"""

from __future__ import annotations

import calendar
import re

__all__ = ["parse_date", "date_to_epoch", "date_and_epoch"]

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
# RFC 5322 §4.3 obs-zone; military zones are "-0000" (their sign was historically reversed).
_ZONES = {
    "ut": 0, "utc": 0, "gmt": 0, "z": 0,
    "edt": -4 * 60, "est": -5 * 60, "cdt": -5 * 60, "cst": -6 * 60,
    "mdt": -6 * 60, "mst": -7 * 60, "pdt": -7 * 60, "pst": -8 * 60,
}

_DATE = re.compile(
    r"""^\s*
    (?:[A-Za-z]+\s*,?\s*)?                   # day-of-week, possibly without comma
    (\d{1,2})\s*[-\s]\s*([A-Za-z]{3})[A-Za-z]*\.?\s*[-\s]\s*(\d{2,4})   # day month year
    \s+(\d{1,2})\s*:\s*(\d{2})(?:\s*:\s*(\d{2}))?(?:\.\d+)?  # time
    \s*(?:([+-])(\d{2}):?(\d{2})|([A-Za-z]+))?  # zone
    """,
    re.X,
)
_COMMENT = re.compile(r"\([^()]*\)")


def _parse(value: str) -> tuple[int, int, int, int, int, int, int | None] | None:
    if "(" in value:
        value = _COMMENT.sub(" ", value)
    m = _DATE.match(value)
    if not m:
        return None
    day = int(m.group(1))
    month = _MONTHS.get(m.group(2).lower())
    if month is None:
        return None
    ytext = m.group(3)
    year = int(ytext)
    if len(ytext) == 2:
        year += 2000 if year < 50 else 1900
    elif len(ytext) == 3:
        year += 1900
    hour, minute = int(m.group(4)), int(m.group(5))
    second = int(m.group(6)) if m.group(6) else 0
    if not (1 <= year <= 9999 and 1 <= day <= calendar.monthrange(year, month)[1]):
        return None
    if hour > 23 or minute > 59 or second > 60:
        return None
    if m.group(7):
        oh, om = int(m.group(8)), int(m.group(9))
        if oh > 23 or om > 59:
            return None
        offset: int | None = (oh * 60 + om) * (-1 if m.group(7) == "-" else 1)
        if offset == 0 and m.group(7) == "-":
            offset = None  # "-0000": time is UTC, local offset unknown
    elif m.group(10):
        offset = _ZONES.get(m.group(10).lower())
    else:
        offset = None
    return year, month, day, hour, minute, second, offset


def parse_date(value: str) -> str | None:
    """Date form of an unfolded header value, or None if it is not a date-time."""
    return _date_form(_parse(value))


def date_to_epoch(value: str) -> int | None:
    """Seconds since the epoch for a header date, for sorting; None if unparseable."""
    return _epoch(_parse(value))


def date_and_epoch(value: str) -> tuple[str | None, int | None]:
    """`parse_date` and `date_to_epoch` of one value, parsed once."""
    p = _parse(value)
    return _date_form(p), _epoch(p)


def _date_form(p: tuple[int, int, int, int, int, int, int | None] | None) -> str | None:
    if p is None:
        return None
    year, month, day, hour, minute, second, offset = p
    base = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"
    if not offset:
        return base + "Z"
    sign = "-" if offset < 0 else "+"
    a = abs(offset)
    return f"{base}{sign}{a // 60:02d}:{a % 60:02d}"


def _epoch(p: tuple[int, int, int, int, int, int, int | None] | None) -> int | None:
    if p is None:
        return None
    year, month, day, hour, minute, second, offset = p
    ts = calendar.timegm((year, month, day, hour, minute, min(second, 59), 0, 0, 0))
    return ts - (offset or 0) * 60
