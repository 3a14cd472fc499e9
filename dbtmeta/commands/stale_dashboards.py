"""``dbtmeta stale-dashboards``: which dashboards a dbt run made stale or at risk, why, whom to tell.

Must not: compute anything a test would want to call: flags in, library calls, flag names in errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from dbtmeta.commands._columns import LookerSource, looker_source_options
from dbtmeta.commands._options import LenientChoice, check_output_path, emit, output_option, project_options
from dbtmeta.errors import UsageError
from dbtmeta.render import FORMATS
from dbtmeta.vocabulary import EXPOSURE_TYPES, MATURITIES

if TYPE_CHECKING:
    from dbtmeta.alerts.send import SlackOptions
    from dbtmeta.dbt.artifacts import Manifest
    from dbtmeta.health.model import HealthReport
    from dbtmeta.health.report import Filters

FAIL_ON = ("at_risk", "stale", "never")  # = dbtmeta.health.report.FAIL_ON (not imported: --help stays light)


@click.command(
    name="stale-dashboards",
    epilog="""\b
Examples:
  dbtmeta stale-dashboards --project-dir example_project
  dbtmeta stale-dashboards --format json --fail-on at_risk > health.json
  dbtmeta stale-dashboards --format markdown >> "$GITHUB_STEP_SUMMARY"
  dbtmeta stale-dashboards --format html --output status.html --history .dbtmeta/history.jsonl
  dbtmeta stale-dashboards --run-results run.json --run-results test.json --sources sources.json
  dbtmeta stale-dashboards --lookml-dir looker/    # tile level: a column test affects its tiles only
  dbtmeta stale-dashboards --snapshot looker.json  # tile level from a `dbtmeta looker pull` snapshot
  DBTMETA_SLACK_WEBHOOK=https://hooks.slack.com/... dbtmeta stale-dashboards \\
      --slack-mode per-owner --state-file .dbtmeta/alerts.json --repeat-after 24h

Exit codes: 0 nothing at or above --fail-on, 1 something is, 2 usage or input error,
3 Slack failed (the report is printed first). Docs: docs/stale-dashboards.md""",
)
@project_options
@looker_source_options
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
@click.option(
    "--exposure",
    "exposures",
    multiple=True,
    metavar="NAME|GLOB",
    help="Only these exposures, by name, unique id or glob (repeatable).",
)
@click.option("--select", "exposures_old", multiple=True, hidden=True)  # the old name of --exposure
@click.option(
    "--type", "types", multiple=True, type=LenientChoice(EXPOSURE_TYPES), help="Only exposures of this type."
)
@click.option(
    "--maturity", "maturities", multiple=True, type=LenientChoice(MATURITIES), help="Only this maturity."
)
@click.option("--owner", "owners", multiple=True, metavar="NAME|EMAIL|GLOB", help="Only this owner.")
@click.option(
    "--fail-on",
    type=LenientChoice(FAIL_ON),
    default="stale",
    show_default=True,
    help="Exit 1 when an exposure is at least this unhealthy.",
)
@output_option("the report")
@click.option(
    "--slack-webhook",
    envvar="DBTMETA_SLACK_WEBHOOK",
    metavar="URL",
    help="Post alerts to this Slack incoming webhook [env DBTMETA_SLACK_WEBHOOK].",
)
@click.option(
    "--slack-mode",
    type=LenientChoice(("digest", "per-owner")),
    default="digest",
    show_default=True,
    help="One message, or one per owner/channel (routing from exposure meta).",
)
@click.option("--state-file", metavar="FILE", help="Alert state: suppress repeats, announce recoveries.")
@click.option(
    "--history",
    "history_file",
    metavar="FILE",
    help="Record every exposure's status in this JSON-lines file (one line per run); "
    "--format html shows it (30-day strip, incidents).",
)
@click.option(
    "--history-days",
    type=click.IntRange(min=1, max=3650),  # health.history.MAX_RETENTION_DAYS: ten years
    default=90,
    show_default=True,
    metavar="DAYS",
    help="Keep this many days of history before the newest run.",
)
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
    help="Seconds each Slack attempt may take in all (connect, headers, whole answer).",
)
def command(
    project_dir: str | None,
    target_path: str | None,
    manifest_path: str | None,
    source: LookerSource,
    run_results_paths: tuple[str, ...],
    sources_path: str | None,
    strict: bool,
    output_format: str,
    exposures: tuple[str, ...],
    exposures_old: tuple[str, ...],
    types: tuple[str, ...],
    maturities: tuple[str, ...],
    owners: tuple[str, ...],
    fail_on: str,
    output: str | None,
    slack_webhook: str | None,
    slack_mode: str,
    state_file: str | None,
    history_file: str | None,
    history_days: int,
    repeat_after: str,
    slack_timeout: float,
) -> int:
    """Tell which dashboards (exposures) a dbt run made stale or at risk, why, and whom to tell.

    Reads manifest.json, run_results.json and sources.json from the dbt target directory (or the
    files given) and prints every exposure's health with its root causes.
    """
    from dbtmeta.alerts.send import send_alerts
    from dbtmeta.console import info
    from dbtmeta.health.report import Filters, exit_code_for, load_health
    from dbtmeta.render import get_renderer

    output_format = output_format.lower()
    # Validate every flag before reading anything.
    slack_options = _slack_options(slack_webhook, slack_mode, state_file, repeat_after, slack_timeout)
    if output is not None:
        check_output_path(output)
    if history_file is not None:
        _check_history_path(history_file)

    report, manifest = load_health(
        project_dir, target_path, manifest_path, run_results_paths, sources_path, strict=strict
    )
    report = _tile_level(report, manifest, source)
    report = _filtered(report, Filters(exposures + exposures_old, types, maturities, owners))

    extra = _record_history(report, history_file, history_days, output_format) if history_file else {}
    renderer = get_renderer(output_format)
    emit(lambda console: renderer.render(report, console, **extra), output)
    if slack_options is not None:
        info(send_alerts(report, slack_options))
    return exit_code_for(report, fail_on)


def _filtered(report: HealthReport, filters: Filters) -> HealthReport:
    """The report of the exposures the filters keep; a warning when none is left."""
    from dbtmeta.console import warn
    from dbtmeta.health.report import filter_report

    try:
        report = filter_report(report, filters)
    except UsageError as exc:
        raise UsageError(f"--exposure: {exc}") from None
    if not report.exposures:
        warn("no exposure matches the filters" if filters else "no exposures in the manifest")
    return report


def _tile_level(report: HealthReport, manifest: Manifest, source: LookerSource) -> HealthReport:
    """Looker content given (``--lookml-dir``, ``--snapshot``, ``--looker-ini``/``--base-url``): each
    dashboard's causes narrowed to the tiles they affect (column-lineage.md)."""
    if not source.given:
        return report
    from dbtmeta.columns.tiles import tile_health
    from dbtmeta.commands._columns import load_content_resolver

    content, resolve = load_content_resolver(source, manifest)
    return tile_health(report, manifest, content, resolve)


def _slack_options(
    webhook: str | None, mode: str, state_file: str | None, repeat_after: str, timeout: float
) -> SlackOptions | None:
    """The Slack settings, checked (and the state file read) before any work; None without a webhook."""
    from dbtmeta.alerts import state as alert_state
    from dbtmeta.alerts.send import SlackOptions
    from dbtmeta.console import warn

    delay = alert_state.parse_duration(repeat_after)
    if webhook is None:
        if state_file is not None:
            # CI recipes pass --state-file and the webhook from a secret that may not be set up.
            warn(
                "no Slack webhook (--slack-webhook / DBTMETA_SLACK_WEBHOOK): nothing posted, "
                "--state-file unused"
            )
        return None
    from dbtmeta.alerts import slack

    slack.validate_webhook_url(webhook)
    state = None
    if state_file is not None:
        alert_state.check_state_path(state_file)
        state = alert_state.load_state(state_file)
    return SlackOptions(webhook, mode, state_file, delay, timeout, state)


def _check_history_path(path: str) -> None:
    from dbtmeta.health.history import check_history_path

    try:
        check_history_path(path)
    except UsageError as exc:
        raise UsageError(f"--history: {exc}") from None


def _record_history(report: HealthReport, path: str, days: int, output_format: str) -> dict[str, Any]:
    """Append this run to the history file; for the html page, the renderer's ``history`` argument."""
    from dbtmeta.health.history import record_of, record_run, summarize

    record = record_of(report)
    records = record_run(path, record, retention_days=days)
    if output_format != "html":
        return {}
    return {"history": summarize(records, end=record.at)}  # the 30 days up to this run, not after
