"""``--format slack`` and the alert messages: Slack Block Kit payloads.

Every piece of text from dbt/Looker goes through :func:`escape`: ``&``, ``<``, ``>`` become
entities, so ``<!channel>``, ``<!here>``, ``<@U123>`` or ``<http://x|y>`` in a dashboard title can
neither ping anyone nor make a link, and plain ``@channel``/``@here``/``@everyone`` get a word
joiner so no client turns them into mentions.

Must not: read files, compute health or post (:mod:`dbtmeta.alerts` does).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from dbtmeta.health.model import UNHEALTHY, status_name
from dbtmeta.render._common import (
    STATUS_LABEL,
    ascii_only,
    display_name,
    failing_rows,
    is_web_url,
    one_line,
    short_id,
    sorted_exposures,
    summary_line,
    write_text,
)
from dbtmeta.text import MAX_MESSAGE, clean, dumps_json

if TYPE_CHECKING:
    from rich.console import Console

    from dbtmeta.health.model import ExposureHealth, HealthReport

ICON = {"stale": ":red_circle:", "at_risk": ":large_orange_circle:", "unknown": ":white_circle:"}
MAX_BLOCKS = 50
MAX_SECTION_CHARS = 2900
_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)


def escape(text: Any, limit: int = MAX_MESSAGE) -> str:
    """Escape untrusted text for Slack mrkdwn (and the notification ``text``).

    Sanitised and capped (:func:`dbtmeta.text.clean`), then ``&``, ``<``, ``>`` as entities. Slack
    does not link bare URLs or channel names because every mrkdwn object is ``verbatim``.
    """
    return _BROADCAST.sub("@\u2060\\1", _entities(clean(text or "", limit)))


def _entities(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str) -> dict[str, Any]:
    """A mrkdwn text object with Slack's auto-linking of URLs, channels and mentions turned off."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _code(text: Any) -> str:
    return "`" + escape(str(text or "").replace("`", "'")) + "`"


def link(label: str, url: Any) -> str:
    """``<url|label>`` for an http(s) url, else the escaped label alone."""
    if not is_web_url(url):
        return escape(label)
    safe_url = _entities(clean(url, 3000)).replace("|", "%7C")
    return f"<{safe_url}|{escape(label)}>"


def _truncate(text: str, limit: int = MAX_SECTION_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def exposure_section(exposure: ExposureHealth) -> dict[str, Any]:
    """One unhealthy exposure as a Block Kit section: title link, status, owner, one line per root cause."""
    status = status_name(exposure.status)
    lines = [
        f"{ICON.get(status, '')} *{link(display_name(exposure), exposure.url)}* is "
        f"*{STATUS_LABEL.get(status, escape(status))}*"
    ]
    owner = " ".join(
        part
        for part in (
            escape(exposure.owner_name),
            f"({escape(exposure.owner_email)})" if exposure.owner_email else "",
        )
        if part
    )
    if owner:
        lines.append(f"Owner: {owner}")
    for cause in exposure.causes:
        line = f"• {escape(cause.resource_type)} {_code(short_id(cause.unique_id))} *{escape(cause.status)}*"
        if cause.failures:
            line += f" ({failing_rows(cause.failures)})"
        if cause.message:
            line += f": {escape(one_line(cause.message, 300))}"
        lines.append(line)
    return {"type": "section", "text": mrkdwn(_truncate("\n".join(lines)))}


def _headline(alerts: Sequence[Any], recovered: Sequence[Any]) -> str:
    parts = []
    if alerts:
        parts.append(summary_line(alerts))
    if recovered:
        parts.append(f"{len(recovered)} recovered")
    return ", ".join(parts) if parts else "all dashboards healthy"


def build_message(
    alerts: Sequence[ExposureHealth],
    *,
    recovered: Sequence[ExposureHealth] = (),
    project_name: str | None = None,
    generated_at: str | None = None,
    audience: str = "",
    footer: str | None = None,
) -> dict[str, Any]:
    """One Block Kit message about ``alerts`` (unhealthy) and ``recovered`` dashboards."""
    alerts = sorted_exposures(alerts)
    headline = _headline(alerts, recovered)
    header = f"Dashboard health: {headline}"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _truncate(header, 150), "emoji": True}}
    ]
    room = MAX_BLOCKS - 4  # header, recovered, overflow note, context
    shown = alerts[:room]
    blocks.extend(exposure_section(exposure) for exposure in shown)
    if recovered:
        names = ", ".join(
            f"*{link(display_name(e), e.url)}*" for e in sorted(recovered, key=lambda e: e.name)
        )
        blocks.append(
            {
                "type": "section",
                "text": mrkdwn(_truncate(f":white_check_mark: Recovered: {names}")),
            }
        )
    if len(alerts) > len(shown):
        more = len(alerts) - len(shown)
        blocks.append({"type": "context", "elements": [mrkdwn(f"… and {more} more dashboards")]})
    context = footer or "dbtmeta stale-dashboards"
    if project_name:
        context += f" · project {escape(project_name)}"
    if generated_at:
        context += f" · results of {escape(generated_at)}"
    if audience:
        context += f" · {escape(audience)}"
    blocks.append({"type": "context", "elements": [mrkdwn(_truncate(context, 2000))]})
    # The notification text: our own words plus the escaped project name.
    text = header + (f" ({escape(project_name)})" if project_name else "")
    return {"text": text, "blocks": blocks}


def report_message(report: HealthReport) -> dict[str, Any]:
    """The digest message for a whole report (what ``--format slack`` prints)."""
    unhealthy = [e for e in report.exposures if status_name(e.status) in UNHEALTHY]
    message = build_message(unhealthy, project_name=report.project_name, generated_at=report.generated_at)
    if not unhealthy:
        message["blocks"].insert(
            1,
            {
                "type": "section",
                "text": mrkdwn(
                    f"{len(report.exposures)} dashboards checked: " + summary_line(report.exposures)
                ),
            },
        )
    return message


def to_text(report: HealthReport, *, ascii_only: bool = False) -> str:
    """The report's digest message (:func:`report_message`) as indented strict JSON."""
    return dumps_json(report_message(report), indent=2, ascii_only=ascii_only) + "\n"


def render(report: HealthReport, console: Console) -> None:
    """Write :func:`to_text` to ``console``'s stream, escaping non-ASCII when the stream is not UTF-8."""
    write_text(console, to_text(report, ascii_only=ascii_only(console)))
