"""The alert state file: what was announced when, so repeats are suppressed and recoveries announced.

Format (JSON, written atomically, only after a successful post)::

    {"version": 1,
     "exposures": {"exposure.pkg.name": {"status": "stale", "alerted_at": "2026-01-01T06:00:00Z",
                                          "causes": ["model.pkg.stg_x"]}}}

Rules, per exposure of the current report:

- unhealthy (``at_risk``/``stale``): alert unless the same status with the same root causes was
  already announced less than ``repeat_after`` ago;
- ``fresh`` after an announced ``at_risk``/``stale``: announce the recovery once;
- ``unknown`` (nothing upstream ran): say nothing and keep the previous entry;
- exposures absent from the report (filtered out, deleted) keep their entries.

Must not: post, render or print anything: it decides what to say and keeps the state file.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from dbtmeta.atomic import output_target, write_atomic
from dbtmeta.errors import InputError, UsageError
from dbtmeta.files import read_optional_text
from dbtmeta.health.model import UNHEALTHY, status_name
from dbtmeta.text import JsonTooDeep, loads_json
from dbtmeta.timestamps import timestamp_or_none

STATE_VERSION = 1
MAX_REPEAT_AFTER = timedelta(days=3650)  # ten years: "never again" in practice, and computable
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """``"24h"``, ``"90m"``, ``"1d12h"``, ``"45s"``, ``"2w"``, ``"0"`` -> timedelta."""
    value = text.strip().lower().replace(" ", "")
    if value == "0":
        return timedelta(0)
    if not value or _DURATION.sub("", value):
        raise UsageError(
            f"--repeat-after {text!r} is not a duration; use a number with a unit, e.g. 30m, 24h, 7d, or 0"
        )
    seconds = sum(float(number) * _UNITS[unit] for number, unit in _DURATION.findall(value))
    if not seconds <= MAX_REPEAT_AFTER.total_seconds():  # inf from 400 digits too
        raise UsageError(
            f"--repeat-after {text!r} is longer than {MAX_REPEAT_AFTER.days:,} days; give at most 3650d"
        )
    return timedelta(seconds=seconds)


def format_time(moment: datetime) -> str:
    """``moment`` in UTC as the state file writes it: ``2026-01-01T06:00:00Z``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Entry:
    """What was last announced for one exposure: status, when (None: never), the root causes' ids."""

    status: str
    alerted_at: datetime | None = None
    causes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The entry as stored in the state file (``alerted_at`` formatted by :func:`format_time`)."""
        return {
            "status": self.status,
            "alerted_at": format_time(self.alerted_at) if self.alerted_at else None,
            "causes": list(self.causes),
        }


@dataclass
class AlertState:
    """The alert state file's contents: exposure unique id -> :class:`Entry`."""

    entries: dict[str, Entry] = field(default_factory=dict)


def check_state_path(path: str | os.PathLike[str]) -> Path:
    """Fail early (before any work) when the state file cannot be written where asked."""
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"--state-file {str(target)!r} is a directory; give a file path")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(
            f"--state-file {str(target)!r}: directory {str(parent)!r} does not exist; create it first"
        )
    if not os.access(parent, os.W_OK):
        raise UsageError(f"--state-file {str(target)!r}: directory {str(parent)!r} is not writable")
    output_target(target, "--state-file")  # not a device or FIFO; a symlink is written through
    return target


def load_state(path: str | os.PathLike[str]) -> AlertState:
    """Read the state file; a missing file is an empty state."""
    name = str(path)
    text = read_optional_text(path, "state file")
    if text is None:
        return AlertState()
    try:
        data = loads_json(text) if text.strip() else {"version": STATE_VERSION, "exposures": {}}
    except JsonTooDeep as exc:
        raise InputError(
            f"state file {name!r} is not an alert state ({exc}); delete it to start over "
            "(alerts will repeat once)"
        ) from None
    except ValueError:  # not JSON, or a number beyond the int conversion limit
        raise InputError(
            f"state file {name!r} is not valid JSON; delete it to start over (alerts will repeat once)"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("exposures"), dict):
        raise InputError(f"state file {name!r} is not a dbtmeta alert state; delete it or pick another path")
    if data.get("version") != STATE_VERSION:
        raise InputError(
            f"state file {name!r} has version {data.get('version')!r}, expected {STATE_VERSION}; "
            "delete it to start over"
        )
    entries: dict[str, Entry] = {}
    for unique_id, raw in data["exposures"].items():
        if not isinstance(raw, dict) or not isinstance(raw.get("status"), str):
            continue
        causes = raw.get("causes")
        entries[unique_id] = Entry(
            status=raw["status"],
            # Not a time, or outside 1970-2999: as if never announced (it is announced again).
            alerted_at=timestamp_or_none(raw.get("alerted_at")),
            causes=tuple(c for c in causes if isinstance(c, str)) if isinstance(causes, list) else (),
        )
    return AlertState(entries)


def save_state(path: str | os.PathLike[str], state: AlertState) -> None:
    """Write ``state`` to ``path`` atomically, entries sorted by id; ``UsageError`` if it cannot."""
    data = {
        "version": STATE_VERSION,
        "exposures": {uid: state.entries[uid].to_dict() for uid in sorted(state.entries)},
    }
    try:
        write_atomic(path, json.dumps(data, indent=2, sort_keys=True) + "\n", what="--state-file")
    except OSError as exc:
        raise UsageError(f"cannot write state file {str(path)!r}: {exc.strerror or exc}") from None


def _cause_ids(exposure: Any) -> tuple[str, ...]:
    return tuple(sorted({cause.unique_id for cause in getattr(exposure, "causes", ()) or ()}))


@dataclass
class AlertPlan:
    """What to post: unhealthy exposures to announce, recoveries to announce, and repeats held back."""

    alerts: list[Any] = field(default_factory=list)  # unhealthy, to announce
    recovered: list[Any] = field(default_factory=list)  # were announced unhealthy, now fresh
    suppressed: list[Any] = field(default_factory=list)  # announced recently, unchanged

    @property
    def empty(self) -> bool:
        """True when there is nothing to post (suppressed repeats do not count)."""
        return not self.alerts and not self.recovered


def plan_alerts(
    exposures: Iterable[Any],
    state: AlertState | None,
    *,
    now: datetime,
    repeat_after: timedelta,
) -> AlertPlan:
    """Decide what to announce. Without a state every unhealthy exposure is announced."""
    plan = AlertPlan()
    for exposure in exposures:
        status = status_name(exposure.status)
        previous = state.entries.get(exposure.unique_id) if state is not None else None
        if status in UNHEALTHY:
            if (
                previous is not None
                and previous.status == status
                and previous.causes == _cause_ids(exposure)
                and previous.alerted_at is not None
                and previous.alerted_at <= now  # a time in the future is not a past alert
                and now - previous.alerted_at < repeat_after
            ):
                plan.suppressed.append(exposure)
            else:
                plan.alerts.append(exposure)
        elif status == "fresh" and previous is not None and previous.status in UNHEALTHY:
            plan.recovered.append(exposure)
    return plan


def updated_state(
    state: AlertState,
    exposures: Iterable[Any],
    *,
    announced: set[str],
    now: datetime,
) -> AlertState:
    """The new state after a run; ``announced`` = unique ids whose alert/recovery was posted.

    An alert or recovery that was not posted keeps the previous entry, so it is tried again.
    """
    entries = dict(state.entries)
    for exposure in exposures:
        uid = exposure.unique_id
        status = status_name(exposure.status)
        previous = entries.get(uid)
        if status == "unknown":
            if previous is None:
                entries[uid] = Entry("unknown")
            continue
        if status in UNHEALTHY:
            if uid in announced:
                entries[uid] = Entry(status, now, _cause_ids(exposure))
            continue  # suppressed (entry unchanged) or failed to post (retry next run)
        # fresh
        if previous is not None and previous.status in UNHEALTHY and uid not in announced:
            continue  # the recovery was not posted: keep the old entry to announce it next time
        entries[uid] = Entry(status)
    return AlertState(entries)
