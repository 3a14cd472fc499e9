"""Output formats of ``stale-dashboards``: one module per format, one registry.

Every renderer module exposes ``render(report, console)``: it writes a
:class:`~dbtmeta.health.model.HealthReport` to the rich Console it is given (never ``print()``). Text
formats also expose ``to_text(report) -> str``. ``html`` also takes ``history=`` (a
:class:`~dbtmeta.health.history.HistorySummary`) for its 30-day view.
``--format`` choices are derived from :data:`RENDERERS`; modules are imported only when used.

Must not: read files or compute health, or import a renderer module before it is used.
"""

from __future__ import annotations

import importlib
import io
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dbtmeta.health.model import HealthReport

# format name -> (module, one-line description)
RENDERERS: dict[str, tuple[str, str]] = {
    "table": ("dbtmeta.render.table", "a table for people"),
    "json": ("dbtmeta.render.json", "stable JSON (schema in docs/stale-dashboards.md)"),
    "markdown": ("dbtmeta.render.markdown", "Markdown with Mermaid diagrams (CI summaries, PRs)"),
    "slack": ("dbtmeta.render.slack", "a Slack Block Kit message (JSON)"),
    "html": ("dbtmeta.render.html", "a self-contained status page for stakeholders (HTML)"),
}

FORMATS: tuple[str, ...] = tuple(RENDERERS)


def get_renderer(name: str) -> ModuleType:
    """The renderer module for a format name (KeyError for an unknown name)."""
    return importlib.import_module(RENDERERS[name][0])


def render_to_string(name: str, report: HealthReport, *, width: int = 120) -> str:
    """Render to a string (for ``--output``); the table is rendered without colours."""
    from dbtmeta.console import make_console

    module = get_renderer(name)
    if hasattr(module, "to_text"):
        return str(module.to_text(report))
    buffer = io.StringIO()
    console = make_console(buffer)
    console.width = width
    module.render(report, console)
    return buffer.getvalue()
