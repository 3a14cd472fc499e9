"""The health model: :class:`Status` and its order, :class:`Cause`, :class:`ExposureHealth`, the report.

Data only: how health is computed lives in :mod:`dbtmeta.health.compute`, how it is shown in
:mod:`dbtmeta.render`. This module must not read files or import anything heavy.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class Status(str, enum.Enum):
    """Health of an exposure, by severity (the order of definition): fresh < unknown < at_risk < stale."""

    FRESH = "fresh"
    UNKNOWN = "unknown"
    AT_RISK = "at_risk"
    STALE = "stale"

    @property
    def rank(self) -> int:
        """0 for fresh up to 3 for stale."""
        return _RANK[self]

    @property
    def label(self) -> str:
        """For people: ``at risk`` rather than ``at_risk``."""
        return self.value.replace("_", " ")

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Status):
            return NotImplemented
        return _RANK[self] < _RANK[other]

    # functools.total_ordering cannot fill these in: the str mixin already defines them (comparing
    # names alphabetically), and total_ordering only adds the methods a class lacks.
    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Status):
            return NotImplemented
        return _RANK[self] > _RANK[other]

    def __le__(self, other: object) -> bool:
        return self == other or self < other

    def __ge__(self, other: object) -> bool:
        return self == other or self > other

    def __str__(self) -> str:
        return self.value


_RANK: dict[Status, int] = {status: rank for rank, status in enumerate(Status)}
UNHEALTHY = frozenset({Status.AT_RISK.value, Status.STALE.value})


def status_name(status: Status | str) -> str:
    """``Status.STALE`` or ``"stale"`` -> ``"stale"``."""
    return status.value if isinstance(status, Status) else str(status)


def status_rank(status: Status | str) -> int:
    """The rank of a Status or of its value; 0 (fresh) for an unknown string."""
    try:
        return Status(status_name(status)).rank
    except ValueError:
        return 0


@dataclass(frozen=True)
class Cause:
    """One root cause of an unhealthy exposure.

    ``status`` is dbt's own status of the result, lower case: ``error``, ``fail``, ``warn``,
    ``skipped``, ``partial success`` (run results) or ``error``, ``warn``, ``runtime error``
    (source freshness; then ``resource_type`` is ``source``). ``failures`` is the failing row
    count of a test. ``path`` lists unique ids from the cause to the exposure: for a test
    ``(test, node it tests, ..., exposure)``, for a node ``(node, ..., exposure)``.
    ``severity`` is the health this cause alone gives (``stale`` or ``at_risk``).
    """

    unique_id: str
    resource_type: str
    name: str
    status: str
    message: str | None
    failures: int | None
    completed_at: str | None
    execution_time: float | None
    path: tuple[str, ...]
    severity: Status = Status.STALE
    # With Looker content (tile-level health): ids of the dashboard's tiles this cause affects.
    tiles: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ExposureHealth:
    """Health of one exposure. ``causes`` is empty unless status is stale/at_risk; worst first."""

    unique_id: str
    name: str
    label: str | None
    type: str
    maturity: str | None
    url: str | None
    owner_name: str | None
    owner_email: str | None
    tags: tuple[str, ...]
    meta: dict[str, Any]
    status: Status
    causes: tuple[Cause, ...]
    original_file_path: str | None
    # With Looker content: (tile id, title) of every tile of the dashboard; None without it.
    tiles: tuple[tuple[str, str], ...] | None = None


@dataclass
class HealthReport:
    """All enabled exposures of the manifest, worst status first, then by name."""

    exposures: list[ExposureHealth]
    project_name: str
    generated_at: str | None  # newest generated_at of the run results / sources given
    invocation_ids: tuple[str, ...]

    @property
    def counts(self) -> dict[str, int]:
        """Status value -> number of exposures, every status present."""
        counts = {status.value: 0 for status in Status}
        for item in self.exposures:
            counts[item.status.value] += 1
        return counts

    def worst(self) -> Status:
        """The worst status of any exposure (FRESH when there are none)."""
        return max((item.status for item in self.exposures), default=Status.FRESH)
