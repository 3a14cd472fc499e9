"""The health history: one JSON line per run with every exposure's status, and what the page shows of it.

File format (JSON lines, one record per run, oldest first)::

    {"version": 1, "at": "2026-11-22T06:00:05Z", "exposures": [
        {"unique_id": "exposure.greenery.orders_overview", "name": "orders_overview", "status": "stale"}]}

``at`` is the run results' ``generated_at`` (else the time of recording). :func:`record_run` adds a
run under an exclusive lock (``FILE.lock``, ``fcntl.flock``) by reading the file and writing a complete
new one atomically, so concurrent writers lose no run and readers never see half a file. A record
with the same ``at`` (the same dbt results recorded again) is merged into, not duplicated. Records
older than the retention before the newest run are dropped. A missing file starts a new history;
unreadable lines are skipped with a warning, and the new run is still recorded.

:func:`summarize` turns the records into what the status page shows per exposure: a strip of the last
days (worst status of each day), the share of fresh days, since when it is in its current state, the
last incident and the recoveries. Must not print anything but ``dbtmeta: warning:`` lines.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dbtmeta.atomic import output_target, write_atomic
from dbtmeta.console import info, warn
from dbtmeta.errors import UsageError
from dbtmeta.files import MAX_HISTORY_BYTES, locked, read_bytes
from dbtmeta.health.model import UNHEALTHY, HealthReport, Status, status_name, status_rank
from dbtmeta.text import loads_json
from dbtmeta.timestamps import parse_timestamp, timestamp_or_none

VERSION = 1
DEFAULT_RETENTION_DAYS = 90
MAX_RETENTION_DAYS = 3650  # ten years; --history-days has the same bound
# A record dated later than this past both the run being recorded and the clock cannot be a run
# that happened (clock skew between machines stays far below it): it is dropped, never "the newest".
FUTURE_TOLERANCE = dt.timedelta(days=1)
WINDOW_DAYS = 30
_STATUSES = frozenset(status.value for status in Status)


@dataclass(frozen=True)
class RunRecord:
    """One run: when, and unique id -> (name, status value) of every exposure it reported."""

    at: dt.datetime
    exposures: dict[str, tuple[str, str]]

    def to_json(self) -> str:
        """The record as one line of JSON (no newline)."""
        items = [
            {"unique_id": uid, "name": name, "status": status}
            for uid, (name, status) in sorted(self.exposures.items())
        ]
        return json.dumps(
            {"version": VERSION, "at": format_time(self.at), "exposures": items},
            ensure_ascii=True,
            separators=(",", ":"),
        )


def format_time(moment: dt.datetime) -> str:
    """``2026-11-22T06:00:05Z`` (UTC, whole seconds kept with microseconds when present)."""
    text = moment.astimezone(dt.timezone.utc).isoformat()
    return text.replace("+00:00", "Z")


def parse_time(value: object) -> dt.datetime | None:
    """An ISO-8601 time as aware UTC in the years dbtmeta computes with, else None
    (:func:`dbtmeta.timestamps.parse_timestamp`)."""
    return timestamp_or_none(value)


def record_of(report: HealthReport, now: dt.datetime | None = None) -> RunRecord:
    """The history record of a report: at its ``generated_at``, else ``now`` (else the clock)."""
    at = parse_time(report.generated_at) or now or dt.datetime.now(dt.timezone.utc)
    return RunRecord(
        at=at, exposures={e.unique_id: (e.name, status_name(e.status)) for e in report.exposures}
    )


def _parse_line(line: bytes) -> RunRecord:
    data = loads_json(line)
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise ValueError("not a version 1 record")
    at = parse_timestamp(data.get("at"))  # BadTimestamp (a ValueError): the line is skipped
    items = data.get("exposures")
    if not isinstance(items, list):
        raise ValueError("no 'exposures' list")
    exposures: dict[str, tuple[str, str]] = {}
    for item in items:
        if not isinstance(item, dict):
            raise ValueError("an exposure is not an object")
        uid, name, status = item.get("unique_id"), item.get("name"), item.get("status")
        if not isinstance(uid, str) or not isinstance(name, str) or status not in _STATUSES:
            raise ValueError("an exposure lacks unique_id, name or a known status")
        exposures[uid] = (name, str(status))
    return RunRecord(at=at, exposures=exposures)


# A line: from its first non-blank byte to the end of the line. Blank lines are skipped inside the
# regex engine, so a file of millions of empty lines costs no Python object per line.
_LINE = re.compile(rb"\S[^\n]*")


def read_history(path: str | os.PathLike[str]) -> list[RunRecord]:
    """Every readable record of the file, oldest first; [] for a missing file.

    Unreadable lines (bad JSON, JSON nested too deep, an unknown shape, a time that is not one or
    is outside the years 1970-2999, a half-written last line) are skipped with one
    ``dbtmeta: warning:`` line naming them. The file must be a regular file of at most
    ``MAX_HISTORY_BYTES`` (``InputError`` otherwise).
    """
    target = Path(path)
    try:
        raw = read_bytes(target, "history file", MAX_HISTORY_BYTES)
    except FileNotFoundError:
        return []
    except IsADirectoryError:
        raise UsageError(f"history file {str(target)!r} is a directory; give a file path") from None
    except OSError as exc:
        raise UsageError(f"cannot read history file {str(target)!r}: {exc.strerror or exc}") from None
    records: list[RunRecord] = []
    bad: list[int] = []
    number, counted = 1, 0
    for match in _LINE.finditer(raw):
        number += raw.count(b"\n", counted, match.start())
        counted = match.start()
        try:
            records.append(_parse_line(match.group()))
        except ValueError:  # JSONDecodeError, JsonTooDeep, BadTimestamp, UnicodeDecodeError, shape
            bad.append(number)
    if bad:
        shown = ", ".join(map(str, bad[:5])) + (" ..." if len(bad) > 5 else "")
        warn(
            f"history file {str(target)!r}: skipped {len(bad)} unreadable line{'s' if len(bad) != 1 else ''} "
            f"(line {shown}); they are dropped when this run is recorded"
        )
    records.sort(key=lambda record: record.at)
    return records


@contextlib.contextmanager
def _locked(target: Path) -> Iterator[None]:
    lock_path = target.with_name(target.name + ".lock")
    with contextlib.ExitStack() as stack:
        try:  # a FIFO or device as the lock file, or a lock held too long: InputError
            stack.enter_context(locked(lock_path, "history lock file"))
        except OSError as exc:
            raise UsageError(f"cannot lock history file {str(target)!r}: {exc.strerror or exc}") from None
        yield


def check_history_path(path: str | os.PathLike[str]) -> None:
    """Fail before any work when ``path`` cannot be a history file (a directory, a missing parent)."""
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"history file {str(target)!r} is a directory; give a file path")
    output_target(target, "history file")  # not a FIFO, device or socket (a symlink is followed)
    if not target.parent.is_dir():
        raise UsageError(
            f"history file {str(target)!r}: directory {str(target.parent)!r} does not exist; create it first"
        )


def record_run(
    path: str | os.PathLike[str],
    record: RunRecord,
    *,
    retention_days: int = DEFAULT_RETENTION_DAYS,
    now: dt.datetime | None = None,
) -> list[RunRecord]:
    """Add ``record`` to the history file and return every record kept, oldest first.

    Under the file's lock: read (skipping unreadable lines), drop records dated in the future
    (more than ``FUTURE_TOLERANCE`` after both ``record`` and ``now``, the clock by default; with
    a warning), merge a record of the same time, drop records more than ``retention_days`` older
    than the newest one, write the whole file atomically.
    """
    if not 1 <= retention_days <= MAX_RETENTION_DAYS:
        raise UsageError(
            f"history retention must be 1 to {MAX_RETENTION_DAYS:,} days, not {retention_days:,}"
        )
    target = Path(path)
    check_history_path(target)
    with _locked(target):
        if not target.exists():
            info(f"starting a new history in {str(target)!r}")
        horizon = max(record.at, now or dt.datetime.now(dt.timezone.utc)) + FUTURE_TOLERANCE
        records = _drop_future(read_history(target), horizon, target)
        merged = False
        for index, old in enumerate(records):
            if old.at == record.at:
                records[index] = RunRecord(at=record.at, exposures={**old.exposures, **record.exposures})
                merged = True
        if not merged:
            records.append(record)
        records.sort(key=lambda item: item.at)
        cutoff = records[-1].at - dt.timedelta(days=retention_days)
        records = [item for item in records if item.at >= cutoff]
        text = "".join(item.to_json() + "\n" for item in records)
        try:
            write_atomic(target, text)
        except OSError as exc:
            raise UsageError(f"cannot write history file {str(target)!r}: {exc.strerror or exc}") from None
    return records


def _drop_future(records: list[RunRecord], horizon: dt.datetime, target: Path) -> list[RunRecord]:
    """``records`` dated at most ``horizon``; the others are named in one warning."""
    future = [record for record in records if record.at > horizon]
    if not future:
        return records
    plural = "s" if len(future) != 1 else ""
    warn(
        f"history file {str(target)!r}: dropped {len(future)} record{plural} dated in the future "
        f"(from {format_time(future[0].at)}, after this run and the clock)"
    )
    return [record for record in records if record.at <= horizon]


# --------------------------------------------------------------------------------------- summary


@dataclass(frozen=True)
class Incident:
    """A stretch of unhealthy runs: from the first to the run that found it fresh again (None: ongoing)."""

    start: dt.datetime
    end: dt.datetime | None
    worst: str
    duration: dt.timedelta


@dataclass(frozen=True)
class ExposureHistory:
    """What the page shows of one exposure's history."""

    unique_id: str
    days: tuple[tuple[dt.date, str | None], ...]  # oldest first; worst status of the day, None: no run
    fresh_days: int
    days_with_runs: int
    since: dt.datetime | None  # the first run of the current status streak
    since_exact: bool  # False when the streak reaches back to the oldest record kept
    last_incident: Incident | None
    recoveries: tuple[dt.datetime, ...]  # within the window, oldest first

    def strip_description(self) -> str:
        """The strip in words (its accessible label)."""
        counts: dict[str, int] = {}
        for _, status in self.days:
            key = status or "no run"
            counts[key] = counts.get(key, 0) + 1
        order = [*(s.value for s in sorted(Status, reverse=True)), "no run"]
        parts = [
            f"{counts[key]} day{'s' if counts[key] != 1 else ''} {key.replace('_', ' ')}"
            for key in order
            if counts.get(key)
        ]
        return f"Last {len(self.days)} days: " + ", ".join(parts)


@dataclass(frozen=True)
class HistorySummary:
    """Per exposure unique id, its history over ``window_days`` ending on ``end`` (a UTC day)."""

    window_days: int
    end: dt.date
    exposures: dict[str, ExposureHistory] = field(default_factory=dict)


def summarize(
    records: Sequence[RunRecord], *, window_days: int = WINDOW_DAYS, end: dt.datetime | None = None
) -> HistorySummary:
    """The history of every exposure in ``records`` over the ``window_days`` ending at ``end``.

    ``end`` defaults to the newest record's time; records after ``end`` are left out (the page of
    a run passes the run's time, so a record dated in the future cannot push it out of the window).
    Days are UTC days; a day's cell is the worst status of that day's runs. An incident is a run of
    at_risk/stale results ended by a fresh one (unknown results neither start nor end one).
    """
    ordered = sorted((r for r in records if end is None or r.at <= end), key=lambda r: r.at)
    if not ordered:
        today = (end or dt.datetime.now(dt.timezone.utc)).date()
        return HistorySummary(window_days=window_days, end=today)
    stop = end or ordered[-1].at
    last_day = stop.date()
    first_day = last_day - dt.timedelta(days=window_days - 1)
    window_start = dt.datetime.combine(first_day, dt.time(), tzinfo=dt.timezone.utc)
    runs: dict[str, list[tuple[dt.datetime, str]]] = {}
    for record in ordered:
        for uid, (_, status) in record.exposures.items():
            runs.setdefault(uid, []).append((record.at, status))
    oldest = ordered[0].at
    out: dict[str, ExposureHistory] = {}
    for uid, series in runs.items():
        worst: dict[dt.date, str] = {}
        for at, status in series:
            day = at.date()
            if day >= first_day and (day not in worst or status_rank(status) > status_rank(worst[day])):
                worst[day] = status
        days = tuple(
            (first_day + dt.timedelta(days=n), worst.get(first_day + dt.timedelta(days=n)))
            for n in range(window_days)
        )
        with_runs = [status for _, status in days if status is not None]
        since, exact = _since(series, oldest)
        incident, recoveries = _incidents(series, stop)
        out[uid] = ExposureHistory(
            unique_id=uid,
            days=days,
            fresh_days=sum(1 for status in with_runs if status == Status.FRESH.value),
            days_with_runs=len(with_runs),
            since=since,
            since_exact=exact,
            last_incident=incident,
            recoveries=tuple(moment for moment in recoveries if moment >= window_start),
        )
    return HistorySummary(window_days=window_days, end=last_day, exposures=out)


def _since(series: list[tuple[dt.datetime, str]], oldest: dt.datetime) -> tuple[dt.datetime, bool]:
    current = series[-1][1]
    start = series[-1][0]
    index = len(series) - 1
    while index > 0 and series[index - 1][1] == current:
        index -= 1
        start = series[index][0]
    # Exact when an earlier run had another status, or when the exposure first appeared after the
    # oldest record (it did not exist before).
    exact = index > 0 or series[0][0] > oldest
    return start, exact


def _incidents(
    series: list[tuple[dt.datetime, str]], stop: dt.datetime
) -> tuple[Incident | None, list[dt.datetime]]:
    last: Incident | None = None
    recoveries: list[dt.datetime] = []
    start: dt.datetime | None = None
    worst = Status.AT_RISK.value
    for at, status in series:
        if status in UNHEALTHY:
            if start is None:
                start, worst = at, status
            elif status_rank(status) > status_rank(worst):
                worst = status
        elif status == Status.FRESH.value and start is not None:
            last = Incident(start=start, end=at, worst=worst, duration=at - start)
            recoveries.append(at)
            start = None
    if start is not None:
        last = Incident(start=start, end=None, worst=worst, duration=max(stop - start, dt.timedelta()))
    return last, recoveries
