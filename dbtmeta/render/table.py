"""``--format table``: a rich table for people. Every string from dbt/Looker goes into ``Text``
objects, so titles like ``[bold red]x[/]`` or ``:smile:`` are shown literally.

Must not: read files or compute health, or pass text from dbt/Looker to rich as markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.console import Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from dbtmeta.health.model import status_name
from dbtmeta.render._common import (
    STATUS_LABEL,
    display_name,
    failing_rows,
    one_line,
    short_id,
    sorted_exposures,
    summary_line,
)
from dbtmeta.text import clean

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

    from dbtmeta.health.model import ExposureHealth, HealthReport

STATUS_STYLE = {"stale": "bold red", "at_risk": "bold yellow", "unknown": "dim", "fresh": "green"}


def cause_style(status: str | None) -> str:
    """The rich style of a cause's status: yellow for ``warn``/``skipped``, red otherwise."""
    return "yellow" if status in ("warn", "skipped") else "red"


def _details_cell(exposure: ExposureHealth) -> Group:
    """Title, name and owner; the url; then each cause with its message indented beneath it.

    One wide column instead of four narrow ones: urls and dbt messages are long, and a
    four-column table at 80 columns broke them every few characters.
    """
    header = Text(display_name(exposure), style="bold")
    if exposure.label and exposure.label != exposure.name:
        header.append(f" ({clean(exposure.name)})", style="dim")
    owner = " ".join(
        part
        for part in (
            clean(exposure.owner_name),
            f"<{clean(exposure.owner_email)}>" if exposure.owner_email else None,
        )
        if part
    )
    if owner:
        header.append(f"  owner: {owner}")
    parts: list[RenderableType] = [header]
    if exposure.url:
        parts.append(Text(clean(exposure.url, 2000), style="cyan", overflow="fold"))
    for cause in exposure.causes:
        line = Text("- ")
        name = cause.name or short_id(cause.unique_id)
        line.append(f"{clean(cause.resource_type)} {clean(name)}", style="bold")
        line.append(f"  {clean(cause.status)}", style=cause_style(cause.status))
        if cause.failures:
            line.append(f"  ({failing_rows(cause.failures)})")
        if cause.tiles is not None and exposure.tiles is not None:
            titles = dict(exposure.tiles)
            shown = ", ".join(titles.get(t, t) for t in cause.tiles)
            line.append(f"  {len(cause.tiles)} of {len(exposure.tiles)} tiles: {shown}")
        parts.append(line)
        if cause.message:
            parts.append(Padding(Text(one_line(cause.message, 200), style="dim"), (0, 0, 0, 4)))
    return Group(*parts)


def render(report: HealthReport, console: Console) -> None:
    """Print the report as a rich table, worst first, then the summary line."""
    exposures = sorted_exposures(report.exposures)
    title = Text("Dashboard health")
    if report.project_name:
        title.append(f": {clean(report.project_name)}")
    table = Table(title=title, box=box.SIMPLE_HEAD, show_lines=True, expand=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Dashboard, owner and root causes", overflow="fold", ratio=1)
    for exposure in exposures:
        status = status_name(exposure.status)
        table.add_row(
            Text(STATUS_LABEL.get(status, clean(status)), style=STATUS_STYLE.get(status, "")),
            _details_cell(exposure),
        )
    if exposures:
        console.print(table)
    footer = Text(summary_line(exposures), style="bold")
    if report.generated_at:
        footer.append(f"  (results of {clean(report.generated_at)})", style="dim")
    console.print(footer)
