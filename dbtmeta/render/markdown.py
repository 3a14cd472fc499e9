"""``--format markdown``: for CI job summaries ($GITHUB_STEP_SUMMARY) and PR comments.

A summary table, then per unhealthy dashboard its root causes and a Mermaid ``flowchart`` from each
cause to the dashboard. All text from dbt/Looker is escaped twice over: for Markdown (no links,
HTML, table breaks or @mentions smuggled in a title) and for Mermaid labels (entity codes).

Must not: read files or compute health, or let text from dbt/Looker out unescaped.
"""

from __future__ import annotations

import itertools
import urllib.parse
from typing import TYPE_CHECKING, Any

from dbtmeta.health.model import UNHEALTHY, status_name
from dbtmeta.render._common import (
    STATUS_LABEL,
    display_name,
    failing_rows,
    is_web_url,
    one_line,
    owner_text,
    short_id,
    sorted_exposures,
    summary_line,
    write_text,
)
from dbtmeta.text import GITHUB_COMMENT_LIMIT, MAX_MESSAGE, cap_document, clean, no_autolinks

if TYPE_CHECKING:
    from rich.console import Console

    from dbtmeta.health.model import ExposureHealth, HealthReport

# GitHub caps a job summary at 1 MiB and a PR comment at 65,536 characters: diagrams for the worst
# dashboards only; the table still lists every one.
MAX_DETAILS = 30
ICON = {"stale": "🔴", "at_risk": "🟠", "unknown": "⚪", "fresh": "🟢"}
_MD_SPECIAL = set("\\`*_{}[]()#+!|~")
_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "@": "&#64;"}
_MERMAID_SPECIAL = set('"#&<>[]{}()|`;\\@')


def md(text: Any, limit: int = MAX_MESSAGE) -> str:
    """Escape untrusted text for inline Markdown (safe inside a table cell too).

    Sanitised and capped (:func:`dbtmeta.text.clean`), bare URLs, ``www.``, emails and @mentions
    broken so GitHub's autolinker leaves them as text, then Markdown specials escaped.
    """
    out = []
    for ch in no_autolinks(clean(text or "", limit)):
        if ch in _MD_ENTITIES:
            out.append(_MD_ENTITIES[ch])
        elif ch in _MD_SPECIAL:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def mermaid_label(text: Any, limit: int = MAX_MESSAGE) -> str:
    """Escape text for a quoted Mermaid label: sanitised, special characters as ``#<code>;``."""
    return "".join(f"#{ord(ch)};" if ch in _MERMAID_SPECIAL else ch for ch in clean(text or "", limit))


def md_link(label: str, url: Any) -> str:
    """A Markdown link to ``url``, ``label`` escaped; just the escaped label if ``url`` is not a web url."""
    if not is_web_url(url):
        return md(label)
    safe_url = urllib.parse.quote(url, safe=":/?#@!$&*+,;=%~-._")
    return f"[{md(label)}]({safe_url})"


def _cause_summary(cause: Any) -> str:
    text = f"{md(cause.resource_type)} **{md(short_id(cause.unique_id))}** {md(cause.status)}"
    if cause.failures:
        text += f" ({failing_rows(cause.failures)})"
    return text


def mermaid_flowchart(exposure: ExposureHealth) -> str:
    """A left-to-right flowchart from every root cause, along its path, to the dashboard."""
    ids: dict[str, str] = {}
    labels: dict[str, str] = {}
    edges: list[tuple[str, str]] = []

    def node(unique_id: str) -> str:
        if unique_id not in ids:
            ids[unique_id] = f"n{len(ids)}"
            labels[unique_id] = short_id(unique_id)
        return ids[unique_id]

    dashboard = node(exposure.unique_id)
    labels[exposure.unique_id] = display_name(exposure)
    causes: dict[str, Any] = {}
    for cause in exposure.causes:
        path = [uid for uid in (cause.path or ()) if isinstance(uid, str)]
        if not path or path[0] != cause.unique_id:
            path.insert(0, cause.unique_id)
        if path[-1] != exposure.unique_id:
            path.append(exposure.unique_id)
        causes[cause.unique_id] = cause
        for upstream, downstream in itertools.pairwise(path):
            edge = (node(upstream), node(downstream))
            if edge not in edges:
                edges.append(edge)
    lines = ["```mermaid", "flowchart LR"]
    for unique_id, node_id in ids.items():
        if node_id == dashboard:
            lines.append(f'  {node_id}(["{mermaid_label(labels[unique_id])}"]):::dashboard')
        elif unique_id in causes:
            cause = causes[unique_id]
            label = f"{mermaid_label(cause.resource_type)} {mermaid_label(labels[unique_id])}"
            status = mermaid_label(cause.status)
            style = "warn" if cause.status in ("warn", "skipped") else "bad"
            lines.append(f'  {node_id}["{label}<br/>{status}"]:::{style}')
        else:
            lines.append(f'  {node_id}["{mermaid_label(labels[unique_id])}"]')
    lines.extend(f"  {a} --> {b}" for a, b in edges)
    lines.append("  classDef bad fill:#fdd,stroke:#c00")
    lines.append("  classDef warn fill:#ffe9c6,stroke:#d80")
    lines.append("  classDef dashboard fill:#e8f0ff,stroke:#36c")
    lines.append("```")
    return "\n".join(lines)


def to_text(report: HealthReport) -> str:
    """The report as Markdown: summary, a table of every exposure, details of the unhealthy ones.

    Details stop after ``MAX_DETAILS`` dashboards; the document is capped to GitHub's comment size.
    """
    exposures = sorted_exposures(report.exposures)
    title = "Dashboard health"
    if report.project_name:
        title += f": {md(report.project_name)}"
    out = [f"## {title}", ""]
    summary = f"**{summary_line(exposures)}**"
    if report.generated_at:
        summary += f" (results of {md(report.generated_at)})"
    out += [summary, ""]
    if exposures:
        out += ["| Status | Dashboard | Owner | Root causes |", "| --- | --- | --- | --- |"]
        for exposure in exposures:
            status = status_name(exposure.status)
            causes = "<br>".join(_cause_summary(cause) for cause in exposure.causes)
            out.append(
                f"| {ICON.get(status, '')} {STATUS_LABEL.get(status, md(status))} "
                f"| {md_link(display_name(exposure), exposure.url)} "
                f"| {md(owner_text(exposure))} | {causes} |"
            )
        out.append("")
    unhealthy = [e for e in exposures if status_name(e.status) in UNHEALTHY]
    for exposure in unhealthy[:MAX_DETAILS]:
        status = status_name(exposure.status)
        out += [f"### {ICON[status]} {md(display_name(exposure))}: {STATUS_LABEL[status]}", ""]
        details = [f"exposure **{md(exposure.name)}**"]
        if owner_text(exposure):
            details.append(f"owner {md(owner_text(exposure))}")
        if is_web_url(exposure.url):
            details.append(md_link("open", exposure.url))
        out += [", ".join(details), ""]
        for cause in exposure.causes:
            line = f"- {_cause_summary(cause)}"
            if cause.message:
                line += f": {md(one_line(cause.message, 500))}"
            out.append(line)
        if exposure.causes:
            out += ["", mermaid_flowchart(exposure)]
        out.append("")
    if len(unhealthy) > MAX_DETAILS:
        out += [
            f"_Details of {len(unhealthy) - MAX_DETAILS} more unhealthy dashboards left out (see the table)._"
        ]
    return cap_document("\n".join(out).rstrip("\n") + "\n", GITHUB_COMMENT_LIMIT)


def render(report: HealthReport, console: Console) -> None:
    """Write :func:`to_text` to ``console``'s stream as is."""
    write_text(console, to_text(report))
