"""Building the health report a command shows: find and load the artifacts, compute, filter, judge.

Library code: errors speak of values (a pattern, a path), never of command-line flags; the CLI layer
(:mod:`dbtmeta.commands.stale_dashboards`) adds the flag names.

Must not: render or print the report (only warnings about files left out, through
:func:`dbtmeta.console.warn`).
"""

from __future__ import annotations

import dataclasses
import fnmatch
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dbtmeta.console import warn
from dbtmeta.errors import EXIT_FINDINGS, EXIT_OK, InputError, UsageError
from dbtmeta.health.model import ExposureHealth, HealthReport, Status

if TYPE_CHECKING:
    from dbtmeta.dbt.artifacts import Manifest

FAIL_ON: tuple[str, ...] = ("at_risk", "stale", "never")


@dataclasses.dataclass
class Filters:
    """Which exposures to keep: each field a list of accepted values (empty: no filter)."""

    exposures: Sequence[str] = ()  # names, unique ids or globs
    types: Sequence[str] = ()
    maturities: Sequence[str] = ()
    owners: Sequence[str] = ()

    def __bool__(self) -> bool:
        return bool(self.exposures or self.types or self.maturities or self.owners)


def filter_report(report: HealthReport, filters: Filters) -> HealthReport:
    """Keep the exposures that match every given filter (each filter: any of its values).

    An exposure pattern that matches no exposure at all is a usage error: a typo must not make
    a CI check silently pass.
    """
    exposures = list(report.exposures)
    for pattern in filters.exposures:
        if not pattern.strip():
            raise UsageError("an exposure filter needs a name or glob, got an empty string")
        if not any(_selected(e, [pattern]) for e in exposures):
            names = ", ".join(sorted(e.name for e in exposures)[:8]) or "none"
            raise UsageError(
                f"exposure pattern {pattern!r} matches no exposure; exposures are: {names}"
                + (" ..." if len(exposures) > 8 else "")
            )
    kept = [
        e
        for e in exposures
        if (not filters.exposures or _selected(e, filters.exposures))
        and (not filters.types or (e.type or "").lower() in filters.types)
        and (not filters.maturities or (e.maturity or "").lower() in filters.maturities)
        and (not filters.owners or _owned(e, filters.owners))
    ]
    return dataclasses.replace(report, exposures=kept)


def _selected(exposure: ExposureHealth, patterns: Sequence[str]) -> bool:
    return any(
        fnmatch.fnmatchcase(exposure.name, p) or fnmatch.fnmatchcase(exposure.unique_id, p) for p in patterns
    )


def _owned(exposure: ExposureHealth, patterns: Sequence[str]) -> bool:
    values = [v.lower() for v in (exposure.owner_name, exposure.owner_email) if v]
    return any(fnmatch.fnmatchcase(v, p.lower()) for v in values for p in patterns)


def exit_code_for(report: HealthReport, fail_on: str) -> int:
    """1 when some exposure is at least as unhealthy as ``fail_on`` (``at_risk``/``stale``), else 0."""
    if fail_on == "never":
        return EXIT_OK
    return EXIT_FINDINGS if report.worst() >= Status(fail_on) else EXIT_OK


def load_health(
    project_dir: str | None,
    target_path: str | None,
    manifest_path: str | None,
    run_results_paths: Sequence[str],
    sources_path: str | None,
    *,
    strict: bool = False,
) -> tuple[HealthReport, Manifest]:
    """Find and load the artifacts, compute the health of every exposure; with the manifest read
    (for who needs it next: read once)."""
    from dbtmeta.dbt import artifacts
    from dbtmeta.health.compute import compute_health

    # With an explicit manifest, the run_results.json/sources.json next to it (find_artifacts does that).
    paths = artifacts.find_artifacts(project_dir, target_path, manifest_path)
    results_files = [Path(p) for p in run_results_paths] or ([paths.run_results] if paths.run_results else [])
    sources_file = Path(sources_path) if sources_path is not None else paths.sources

    manifest = artifacts.load_manifest(paths.manifest)
    results = (
        artifacts.load_run_results(results_files, manifest, require_usable=False) if results_files else None
    )
    freshness = (
        artifacts.load_sources(sources_file, manifest, require_usable=False)
        if sources_file is not None
        else None
    )
    if strict:
        _strict_validate(paths.manifest, results_files, sources_file)
    skipped = [
        *(results.skipped if results else ()),
        *([freshness.skipped] if freshness and freshness.skipped else []),
    ]
    if results is not None and not results.paths:
        results = None
    if freshness is not None and freshness.skipped:
        freshness = None
    if skipped and results is None and freshness is None:
        # Nothing usable is left: the first reason is the error (the others would say the same).
        first = skipped[0]
        kind = "sources" if first.path == str(sources_file) else "run results"
        more = f" (and {len(skipped) - 1} other file(s) left out too)" if len(skipped) > 1 else ""
        raise InputError(f"{kind} {first}{more}")
    for item in skipped:
        kind = "sources" if item.path == str(sources_file) else "run results"
        warn(f"left out {kind} {item}")
    if results is None and freshness is None:
        warn(
            f"no run_results.json or sources.json next to the manifest in {str(paths.target_dir)!r}: every "
            "dashboard is 'unknown'; run `dbt build` (and `dbt source freshness`) first, "
            "or pass the run results"
        )
    return compute_health(manifest, results, freshness), manifest


def _strict_validate(manifest: Path, run_results: Sequence[Path], sources: Path | None) -> None:
    from dbtmeta.dbt.strict import validate_strict

    validate_strict(manifest, "manifest")
    for path in run_results:
        validate_strict(path, "run_results")
    if sources is not None:
        validate_strict(sources, "sources")
