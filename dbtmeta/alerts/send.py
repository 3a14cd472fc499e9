"""Send a health report to Slack: plan (suppress repeats, announce recoveries), route, post, save state.

The one entry point is :func:`send_alerts`. Rendering the message is :mod:`dbtmeta.render.slack`'s job,
posting it :mod:`dbtmeta.alerts.slack`'s, remembering what was said :mod:`dbtmeta.alerts.state`'s.

Must not: render a message itself (:mod:`dbtmeta.render.slack` does) or choose an exit code.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

from dbtmeta.alerts import slack
from dbtmeta.alerts import state as alert_state
from dbtmeta.console import warn
from dbtmeta.errors import RemoteError
from dbtmeta.health.model import HealthReport

DEFAULT_REPEAT_AFTER = timedelta(hours=24)


@dataclasses.dataclass
class SlackOptions:
    """Where and how to alert. ``state`` is the state read from ``state_file`` before any work."""

    webhook: str
    mode: str = "digest"
    state_file: str | None = None
    repeat_after: timedelta = DEFAULT_REPEAT_AFTER
    timeout: float = slack.DEFAULT_TIMEOUT
    state: alert_state.AlertState | None = None


def send_alerts(report: HealthReport, options: SlackOptions, *, now: datetime | None = None) -> str:
    """Post the alerts; return a one-line summary. Raises RemoteError after trying every message.

    The state file is updated only for messages that went out, so a failed post is retried next run.
    """
    from dbtmeta.render.slack import build_message

    now = now or datetime.now(timezone.utc)
    state = options.state
    if state is None and options.state_file:
        state = alert_state.load_state(options.state_file)
    plan = alert_state.plan_alerts(report.exposures, state, now=now, repeat_after=options.repeat_after)
    routes = slack.route_exposures(
        plan.alerts + plan.recovered, default_webhook=options.webhook, mode=options.mode, warn=warn
    )
    recovered_ids = {e.unique_id for e in plan.recovered}
    announced: set[str] = set()
    failures: list[RemoteError] = []
    for route in routes:
        alerts = [e for e in route.exposures if e.unique_id not in recovered_ids]
        recovered = [e for e in route.exposures if e.unique_id in recovered_ids]
        payload = build_message(
            alerts,
            recovered=recovered,
            project_name=report.project_name,
            generated_at=report.generated_at,
            audience=route.audience,
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
    return _summary(len(routes), plan)


def _summary(messages: int, plan: alert_state.AlertPlan) -> str:
    parts = [f"posted {messages} Slack message{'s' if messages != 1 else ''}"]
    if plan.alerts:
        parts.append(f"{len(plan.alerts)} unhealthy dashboard(s)")
    if plan.recovered:
        parts.append(f"{len(plan.recovered)} recovered")
    if plan.suppressed:
        parts.append(f"{len(plan.suppressed)} suppressed (already announced)")
    return ", ".join(parts)
