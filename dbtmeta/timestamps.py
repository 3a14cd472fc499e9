"""Timestamps from files and answers dbtmeta did not write: one parser, into a range it computes with.

History records, the alert state file and dbt's ``generated_at``/``completed_at`` carry ISO-8601
times written by other programs (or by hand). Year 1, year 9999 with an offset, an offset of 99
hours or a 5,000-digit string are all "a time" to a careless parser and then an ``OverflowError``
in the first subtraction. :func:`parse_timestamp` gives an aware UTC ``datetime`` between
:data:`EARLIEST` and :data:`LATEST` or raises :class:`BadTimestamp` saying which of the two
problems it is; every computation on a parsed time (a retention of up to 100 years, a 30-day
window, ``now - then``) stays inside ``datetime``'s range.

Must not: import from any package of dbtmeta (a leaf), or print.
"""

from __future__ import annotations

import datetime as dt
import re

# No dbt run, Looker dashboard or alert predates the Unix epoch; nothing dbtmeta reads is dated past
# the year 2999. Both ends leave more than a century of room for arithmetic inside datetime's years
# 1-9999.
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
LATEST = dt.datetime(2999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.timezone.utc)
# The longest ISO-8601 time written with nanoseconds and an offset is 35 characters.
_MAX_LENGTH = 64
_FRACTION = re.compile(r"^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d)(\.\d+)?(.*)$")


class BadTimestamp(ValueError):
    """A value that is not an ISO-8601 time, or one outside the years dbtmeta computes with."""


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def parse_timestamp(value: object) -> dt.datetime:
    """``value`` (ISO-8601: ``Z``, an offset or none, meaning UTC; ``T`` or a space; up to nanoseconds)
    as an aware UTC ``datetime`` in ``[EARLIEST, LATEST]``.

    Raises :class:`BadTimestamp` (a ``ValueError``) with one line saying what is wrong: not a time,
    or a time outside the years 1970 to 2999.
    """
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_LENGTH:
        raise BadTimestamp(f"{_shown(value)} is not an ISO-8601 time")
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    match = _FRACTION.match(text)
    if match:  # fromisoformat reads at most 6 fractional digits (dbt writes up to 9)
        text = match.group(1) + (match.group(2) or "")[:7] + match.group(3)
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise BadTimestamp(f"{_shown(value)} is not an ISO-8601 time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    outside = BadTimestamp(f"time {_shown(value)} is outside the years 1970 to 2999")
    try:
        moment = parsed.astimezone(dt.timezone.utc)
    except OverflowError:  # 0001-01-01T00:00:00+05:00 has no UTC form
        raise outside from None
    if not EARLIEST <= moment <= LATEST:
        raise outside
    return moment


def timestamp_or_none(value: object) -> dt.datetime | None:
    """:func:`parse_timestamp`, or None where it raises (for values that may be absent or wrong)."""
    try:
        return parse_timestamp(value)
    except BadTimestamp:
        return None
