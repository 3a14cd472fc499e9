"""``dbtmeta stale-dashboards``: which dashboards a dbt run made stale or at risk, why, whom to tell."""

from __future__ import annotations

import dataclasses
import fnmatch
import os
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from dbtmeta.commands._options import project_options
from dbtmeta.errors import EXIT_FINDINGS, EXIT_OK, RemoteError, UsageError
from dbtmeta.renderers import FORMATS

if TYPE_CHECKING:
    from dbtmeta.health import HealthReport

EXPOSURE_TYPES = ("dashboard", "notebook", "analysis", "ml", "application")
MATURITIES = ("low", "medium", "high")
FAIL_ON = ("at_risk", "stale", "never")


def _warn(message: str) -> None:
    click.echo(f"dbtmeta: warning: {message}", err=True)


def _info(message: str) -> None:
    click.echo(f"dbtmeta: {message}", err=True)


# --------------------------------------------------------------------------------- library layer


@dataclasses.dataclass
class Filters:
    select: Sequence[str] = ()
    types: Sequence[str] = ()
    maturities: Sequence[str] = ()
    owners: Sequence[str] = ()


def filter_report(report: HealthReport, filters: Filters) -> HealthReport:
    """Keep the exposures that match every given filter (each filter: any of its values).

    A ``--select`` pattern that matches no exposure at all is a usage error: a typo must not make
    a CI check silently pass.
    """
    exposures = list(report.exposures)
    for pattern in filters.select:
        if not pattern.strip():
            raise UsageError("--select needs an exposure name or glob, got an empty string")
        if not any(_selected(e, [pattern]) for e in exposures):
            names = ", ".join(sorted(e.name for e in exposures)[:8]) or "none"
            raise UsageError(
                f"--select {pattern!r} matches no exposure; exposures are: {names}"
                + (" ..." if len(exposures) > 8 else "")
            )
    kept = [
        e
        for e in exposures
        if (not filters.select or _selected(e, filters.select))
        and (not filters.types or (e.type or "").lower() in filters.types)
        and (not filters.maturities or (e.maturity or "").lower() in filters.maturities)
        and (not filters.owners or _owned(e, filters.owners))
    ]
    return dataclasses.replace(report, exposures=kept)


def _selected(exposure: Any, patterns: Sequence[str]) -> bool:
    return any(
        fnmatch.fnmatchcase(exposure.name, p) or fnmatch.fnmatchcase(exposure.unique_id, p) for p in patterns
    )


def _owned(exposure: Any, patterns: Sequence[str]) -> bool:
    values = [v.lower() for v in (exposure.owner_name, exposure.owner_email) if v]
    return any(fnmatch.fnmatchcase(v, p.lower()) for v in values for p in patterns)


def exit_code_for(report: HealthReport, fail_on: str) -> int:
    if fail_on == "never":
        return EXIT_OK
    from dbtmeta.health import Status

    return EXIT_FINDINGS if report.worst() >= Status(fail_on) else EXIT_OK


def load_report(
    *,
    project_dir: str | None,
    target_path: str | None,
    manifest_path: str | None,
    run_results_paths: Sequence[str],
    sources_path: str | None,
    strict: bool = False,
) -> HealthReport:
    """Find and load the artifacts, then compute the health of every exposure."""
    from dbtmeta import artifacts, health

    # With --manifest, the run_results.json/sources.json next to it (find_artifacts does that).
    paths = artifacts.find_artifacts(project_dir, target_path, manifest_path)
    results_files = [Path(p) for p in run_results_paths] or ([paths.run_results] if paths.run_results else [])
    sources_file = Path(sources_path) if sources_path is not None else paths.sources

    manifest = artifacts.load_manifest(paths.manifest)
    results = artifacts.load_run_results(results_files, manifest) if results_files else None
    freshness = artifacts.load_sources(sources_file, manifest) if sources_file is not None else None
    if strict:
        _strict_validate(paths.manifest, results_files, sources_file)
    if results is None and freshness is None:
        _warn(
            f"no run_results.json or sources.json next to the manifest in {str(paths.target_dir)!r}: every "
            "dashboard is 'unknown'; run `dbt build` (and `dbt source freshness`) first, "
            "or pass --run-results"
        )
    return health.compute_health(manifest, results, freshness)


def _strict_validate(manifest: Path, run_results: Sequence[Path], sources: Path | None) -> None:
    from dbtmeta.strict import validate_strict

    validate_strict(manifest, "manifest")
    for path in run_results:
        validate_strict(path, "run_results")
    if sources is not None:
        validate_strict(sources, "sources")


@dataclasses.dataclass
class SlackOptions:
    webhook: str
    mode: str = "digest"
    state_file: str | None = None
    repeat_after: Any = None  # timedelta
    timeout: float = 10.0
    state: Any = None  # AlertState read from state_file (read before any work, to fail early)


def send_alerts(report: HealthReport, options: SlackOptions, *, now: datetime | None = None) -> str:
    """Post the alerts; return a one-line summary. Raises RemoteError after trying every message."""
    from dbtmeta import alert_state, slack
    from dbtmeta.renderers.slack import build_message

    now = now or datetime.now(timezone.utc)
    state = options.state
    if state is None and options.state_file:
        state = alert_state.load_state(options.state_file)
    plan = alert_state.plan_alerts(
        report.exposures,
        state,
        now=now,
        repeat_after=alert_state.parse_duration("24h")
        if options.repeat_after is None
        else options.repeat_after,
    )
    routes = slack.route_exposures(
        plan.alerts + plan.recovered, default_webhook=options.webhook, mode=options.mode, warn=_warn
    )
    recovered_ids = {e.unique_id for e in plan.recovered}
    announced: set[str] = set()
    failures: list[RemoteError] = []
    for route in routes:
        alerts = [e for e in route.exposures if e.unique_id not in recovered_ids]
        recovered = [e for e in route.exposures if e.unique_id in recovered_ids]
        audience = f"for {route.channel}" if route.channel else (f"for {route.owner}" if route.owner else "")
        payload = build_message(
            alerts,
            recovered=recovered,
            project_name=report.project_name,
            generated_at=report.generated_at,
            audience=audience,
        )
        if route.channel:
            payload["channel"] = route.channel
        try:
            slack.post_json(route.webhook, payload, timeout=options.timeout)
        except RemoteError as exc:
            failures.append(exc)
            continue
        announced.update(e.unique_id for e in route.exposures)
    if options.state_file and state is not None and (not failures or announced):
        new_state = alert_state.updated_state(state, report.exposures, announced=announced, now=now)
        alert_state.save_state(options.state_file, new_state)
    if failures:
        extra = f" ({len(failures)} of {len(routes)} Slack messages failed)" if len(routes) > 1 else ""
        raise RemoteError(f"{failures[0]}{extra}")
    parts = [f"posted {len(routes)} Slack message{'s' if len(routes) != 1 else ''}"]
    if plan.alerts:
        parts.append(f"{len(plan.alerts)} unhealthy dashboard(s)")
    if plan.recovered:
        parts.append(f"{len(plan.recovered)} recovered")
    if plan.suppressed:
        parts.append(f"{len(plan.suppressed)} suppressed (already announced)")
    return ", ".join(parts)


# ------------------------------------------------------------------------------------------ click


def _check_output_path(path: str, option: str) -> None:
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{option} {path!r} is a directory; give a file path")
    parent = target.parent
    if not parent.is_dir():
        raise UsageError(f"{option} {path!r}: directory {str(parent)!r} does not exist; create it first")


class _Choice(click.Choice):
    """Case-insensitive choice that also accepts ``-`` for ``_`` (``at-risk``)."""

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().lower()
            if value not in self.choices and value.replace("-", "_") in self.choices:
                value = value.replace("-", "_")
        return super().convert(value, param, ctx)


@click.command(
    name="stale-dashboards",
    epilog="""\b
Examples:
  dbtmeta stale-dashboards --project-dir example_project
  dbtmeta stale-dashboards --format json --fail-on at_risk > health.json
  dbtmeta stale-dashboards --format markdown >> "$GITHUB_STEP_SUMMARY"
  dbtmeta stale-dashboards --run-results run.json --run-results test.json --sources sources.json
  DBTMETA_SLACK_WEBHOOK=https://hooks.slack.com/... dbtmeta stale-dashboards \\
      --slack-mode per-owner --state-file .dbtmeta/alerts.json --repeat-after 24h

Exit codes: 0 nothing at or above --fail-on, 1 something is, 2 usage or input error,
3 Slack failed (the report is printed first). Docs: docs/stale-dashboards.md""",
)
@project_options
@click.option(
    "--run-results",
    "run_results_paths",
    metavar="FILE",
    multiple=True,
    help="run_results.json; repeat for several runs (newest result per node wins).",
)
@click.option("--sources", "sources_path", metavar="FILE", help="sources.json of `dbt source freshness`.")
@click.option("--strict", is_flag=True, help="Also validate the artifacts against dbt's schemas (slow).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS, case_sensitive=False),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option("--select", multiple=True, metavar="NAME|GLOB", help="Only these exposures (repeatable).")
@click.option(
    "--type", "types", multiple=True, type=_Choice(EXPOSURE_TYPES), help="Only exposures of this type."
)
@click.option("--maturity", "maturities", multiple=True, type=_Choice(MATURITIES), help="Only this maturity.")
@click.option("--owner", "owners", multiple=True, metavar="NAME|EMAIL|GLOB", help="Only this owner.")
@click.option(
    "--fail-on",
    type=_Choice(FAIL_ON),
    default="stale",
    show_default=True,
    help="Exit 1 when an exposure is at least this unhealthy.",
)
@click.option("--output", metavar="FILE", help="Also write the report (same format) to FILE.")
@click.option(
    "--slack-webhook",
    envvar="DBTMETA_SLACK_WEBHOOK",
    metavar="URL",
    help="Post alerts to this Slack incoming webhook [env DBTMETA_SLACK_WEBHOOK].",
)
@click.option(
    "--slack-mode",
    type=_Choice(("digest", "per-owner")),
    default="digest",
    show_default=True,
    help="One message, or one per owner/channel (routing from exposure meta).",
)
@click.option("--state-file", metavar="FILE", help="Alert state: suppress repeats, announce recoveries.")
@click.option(
    "--repeat-after",
    default="24h",
    show_default=True,
    metavar="DURATION",
    help="Announce an unchanged problem again after this long (30m, 24h, 7d, 0).",
)
@click.option(
    "--slack-timeout",
    type=click.FloatRange(min=0.1, max=300),
    metavar="SECONDS",
    default=10.0,
    show_default=True,
    help="Seconds to wait for Slack per attempt.",
)
def command(
    project_dir: str | None,
    target_path: str | None,
    manifest_path: str | None,
    run_results_paths: tuple[str, ...],
    sources_path: str | None,
    strict: bool,
    output_format: str,
    select: tuple[str, ...],
    types: tuple[str, ...],
    maturities: tuple[str, ...],
    owners: tuple[str, ...],
    fail_on: str,
    output: str | None,
    slack_webhook: str | None,
    slack_mode: str,
    state_file: str | None,
    repeat_after: str,
    slack_timeout: float,
) -> int:
    """Tell which dashboards (exposures) a dbt run made stale or at risk, why, and whom to tell.

    Reads manifest.json, run_results.json and sources.json from the dbt target directory (or the
    files given) and prints every exposure's health with its root causes.
    """
    from dbtmeta import alert_state
    from dbtmeta.console import make_console
    from dbtmeta.renderers import get_renderer, render_to_string

    output_format = output_format.lower()
    # Validate every flag before reading anything.
    slack_options = None
    delay = alert_state.parse_duration(repeat_after)
    if slack_webhook is not None:
        from dbtmeta import slack

        slack.validate_webhook_url(slack_webhook)
        state = None
        if state_file is not None:
            alert_state.check_state_path(state_file)
            state = alert_state.load_state(state_file)
        slack_options = SlackOptions(slack_webhook, slack_mode, state_file, delay, slack_timeout, state)
    elif state_file is not None:
        # CI recipes pass --state-file and the webhook from a secret that may not be set up.
        _warn(
            "no Slack webhook (--slack-webhook / DBTMETA_SLACK_WEBHOOK): nothing posted, --state-file unused"
        )
    if output is not None:
        _check_output_path(output, "--output")

    report = load_report(
        project_dir=project_dir,
        target_path=target_path,
        manifest_path=manifest_path,
        run_results_paths=run_results_paths,
        sources_path=sources_path,
        strict=strict,
    )
    report = filter_report(report, Filters(select, types, maturities, owners))
    if not report.exposures:
        _warn(
            "no exposure matches the filters"
            if (select or types or maturities or owners)
            else "no exposures in the manifest"
        )

    console = make_console()
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        console.width = 120  # pipes and CI logs: rich would assume 80 columns
    get_renderer(output_format).render(report, console)
    if output is not None:
        from dbtmeta.atomic import write_atomic

        try:
            write_atomic(output, render_to_string(output_format, report))
        except OSError as exc:
            raise UsageError(f"cannot write --output {output!r}: {exc.strerror or exc}") from None

    if slack_options is not None:
        _info(send_alerts(report, slack_options))
    return exit_code_for(report, fail_on)
