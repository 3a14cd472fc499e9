"""``--format table``: a rich table for people. Every string from dbt/Looker goes into ``Text``
objects, so titles like ``[bold red]x[/]`` or ``:smile:`` are shown literally."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.table import Table
from rich.text import Text

from dbtmeta.health import status_name
from dbtmeta.renderers._common import (
    STATUS_LABEL,
    display_name,
    failing_rows,
    one_line,
    short_id,
    sorted_exposures,
    summary_line,
)

if TYPE_CHECKING:
    from rich.console import Console

    from dbtmeta.health import ExposureHealth, HealthReport

STATUS_STYLE = {"stale": "bold red", "at_risk": "bold yellow", "unknown": "dim", "fresh": "green"}


def cause_style(status: str | None) -> str:
    return "yellow" if status in ("warn", "skipped") else "red"


def _dashboard_cell(exposure: ExposureHealth) -> Text:
    cell = Text(display_name(exposure), style="bold")
    if exposure.label and exposure.label != exposure.name:
        cell.append(f"\n{exposure.name}", style="dim")
    if exposure.url:
        cell.append(f"\n{exposure.url}", style="cyan")
    return cell


def _owner_cell(exposure: ExposureHealth) -> Text:
    cell = Text(exposure.owner_name or "")
    if exposure.owner_email:
        cell.append(("\n" if exposure.owner_name else "") + exposure.owner_email, style="dim")
    return cell


def _causes_cell(exposure: ExposureHealth) -> Text:
    cell = Text()
    for index, cause in enumerate(exposure.causes):
        if index:
            cell.append("\n")
        cell.append(f"{cause.resource_type} {cause.name or short_id(cause.unique_id)}", style="bold")
        cell.append(f"  {cause.status}", style=cause_style(cause.status))
        if cause.failures:
            cell.append(f"  ({failing_rows(cause.failures)})")
        if cause.message:
            cell.append(f"\n  {one_line(cause.message, 200)}", style="dim")
    return cell


def render(report: HealthReport, console: Console) -> None:
    exposures = sorted_exposures(report.exposures)
    title = Text("Dashboard health")
    if report.project_name:
        title.append(f": {report.project_name}")
    table = Table(title=title, box=box.SIMPLE_HEAD, show_lines=False, expand=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Dashboard", overflow="fold", ratio=3)
    table.add_column("Owner", overflow="fold", ratio=2)
    table.add_column("Root causes", overflow="fold", ratio=5)
    for exposure in exposures:
        status = status_name(exposure.status)
        table.add_row(
            Text(STATUS_LABEL.get(status, status), style=STATUS_STYLE.get(status, "")),
            _dashboard_cell(exposure),
            _owner_cell(exposure),
            _causes_cell(exposure),
        )
    if exposures:
        console.print(table)
    footer = Text(summary_line(exposures), style="bold")
    if report.generated_at:
        footer.append(f"  (results of {report.generated_at})", style="dim")
    console.print(footer)
