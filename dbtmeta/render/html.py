"""``--format html``: a status page for the people who read the dashboards, in one self-contained file.

Inline CSS, one inline script (filter and search; without it every dashboard is still shown), no
fonts, scripts or images from the network, a Content-Security-Policy that allows nothing else, so
the file works from ``file://``, GitHub Pages, an S3 bucket or an intranet share. Per dashboard:
status in colour and in words, owner, link (http(s) only), root causes in plain words with the
technical ids one click away, the path from each cause to the dashboard as inline SVG, and, given a
history (:mod:`dbtmeta.health.history`), since when it is in this state, a 30-day strip, the share of
fresh days, the last incident and recoveries.

Every text from dbt or Looker goes through :func:`_text` (control and bidi characters removed, then
``html.escape``); only http(s) URLs become links. Must not read files or compute health.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import itertools
from typing import TYPE_CHECKING

from dbtmeta.health.history import parse_time as _parse_time
from dbtmeta.health.model import Status, status_name
from dbtmeta.render import _common
from dbtmeta.render._common import STATUS_LABEL, display_name, short_id
from dbtmeta.text import clean

if TYPE_CHECKING:
    from rich.console import Console

    from dbtmeta.health.history import ExposureHistory, HistorySummary
    from dbtmeta.health.model import Cause, ExposureHealth, HealthReport

# Causes drawn in one dashboard's diagram (all are listed in words above it).
MAX_DIAGRAM_CAUSES = 8
# Above this many dashboards the page gets compact: the browser lays out only what is on screen
# (content-visibility), each distinct root cause is described once in a shared list that the
# dashboards link to, and diagrams are drawn for the MAX_DIAGRAMS worst dashboards only.
MANY = 200
MAX_DIAGRAMS = 20
ICON = {"stale": "■", "at_risk": "▲", "unknown": "?", "fresh": "✓"}
CELL_CLASS = {"stale": "s", "at_risk": "r", "unknown": "u", "fresh": "f", None: "n"}

# C0 controls and DEL, C1 controls, the bidi marks, embeddings, overrides and isolates, line and
# paragraph separators. (The shared sanitiser dbtmeta.text is not on this branch yet.)


def _clean(value: object, limit: int = 300) -> str:
    """One line of untrusted text through the shared sanitiser (:func:`dbtmeta.text.clean`)."""
    return clean(value, limit)


def _text(value: object, limit: int = 300) -> str:
    """Untrusted text, cleaned and escaped for HTML text and quoted attribute values."""
    return html.escape(_clean(value, limit), quote=True)


# The one script: static (its hash is in the CSP), reads nothing but the page itself.
SCRIPT = """
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var list = document.getElementById("dashboards");
  if (!form || !list) { return; }
  var items = Array.prototype.slice.call(list.children);
  var q = form.elements.q, st = form.elements.status, ow = form.elements.owner, fo = form.elements.folder;
  var shown = document.getElementById("shown"), none = document.getElementById("nomatch");
  var texts = null;
  function apply() {
    var words = q.value.toLowerCase().split(/\\s+/).filter(Boolean);
    if (words.length && texts === null) {
      texts = items.map(function (li) { return li.textContent.toLowerCase(); });
    }
    var n = 0;
    items.forEach(function (li, i) {
      var ok = (!st.value || li.getAttribute("data-status") === st.value) &&
        (!ow.value || li.getAttribute("data-owner") === ow.value) &&
        (!fo.value || li.getAttribute("data-folder") === fo.value) &&
        words.every(function (w) { return texts[i].indexOf(w) >= 0; });
      li.hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = n + " of " + items.length + " dashboards shown";
    none.hidden = n > 0;
  }
  form.hidden = false;
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details"), function (d) { d.open = true; });
  });
  apply();
})();
"""
SCRIPT_HASH = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; "
    f"script-src 'sha256-{SCRIPT_HASH}'; img-src data:; base-uri 'none'; form-action 'none'"
)

STYLE = """
:root{--stale:#b3261e;--stale-bg:#fde7e4;--risk:#8a5300;--risk-bg:#fff1d6;--unknown:#555;
--unknown-bg:#ececec;--fresh:#1e6b34;--fresh-bg:#e2f4e6;--line:#d0d4da;--muted:#5b6270;--link:#0b57d0}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:#1b1f24;background:#f6f7f9}
header,main,footer{max-width:62rem;margin:0 auto;padding:0 1rem}
header{padding-top:1rem}
h1{font-size:1.5rem;margin:.5rem 0}
h2{font-size:1.15rem;margin:0;display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
h3{font-size:.95rem;margin:.75rem 0 .25rem}
a{color:var(--link)}
.summary{margin:.25rem 0 1rem;color:var(--muted)}
.counts{display:flex;flex-wrap:wrap;gap:.5rem;list-style:none;padding:0;margin:.5rem 0}
[hidden]{display:none!important}
form{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end;background:#fff;border:1px solid var(--line);
border-radius:.5rem;padding:.75rem;margin-bottom:1rem}
form label{display:flex;flex-direction:column;font-size:.85rem;color:var(--muted);gap:.2rem;
flex:1 1 10rem;min-width:0}
form input,form select{font:inherit;padding:.35rem .5rem;border:1px solid var(--line);border-radius:.35rem;
background:#fff;width:100%}
form button{font:inherit;padding:.35rem .8rem}
#shown{font-size:.85rem;color:var(--muted);flex-basis:100%}
#dashboards{list-style:none;padding:0;margin:0}
#causes{background:#fff;border:1px solid var(--line);border-radius:.5rem;padding:.75rem 1rem}
#causes li:target{background:#fff8c5}
#dashboards>li{background:#fff;border:1px solid var(--line);border-left:.4rem solid var(--unknown);
border-radius:.5rem;padding:.75rem 1rem;margin:0 0 .75rem}
.many #dashboards>li{content-visibility:auto;contain-intrinsic-size:auto 9rem}
[data-status=stale]{--c:var(--stale);--bg:var(--stale-bg)}[data-status=at_risk]{--c:var(--risk);--bg:var(--risk-bg)}
[data-status=unknown]{--c:var(--unknown);--bg:var(--unknown-bg)}[data-status=fresh]{--c:var(--fresh);--bg:var(--fresh-bg)}
#dashboards>li[data-status]{border-left-color:var(--c)}
.badge{display:inline-block;font-size:.85rem;font-weight:600;padding:.1rem .55rem;border-radius:1rem;
white-space:nowrap;border:1px solid currentColor;color:var(--c);background:var(--bg)}
.name{overflow-wrap:anywhere}
.meta{margin:.35rem 0 0;color:var(--muted);font-size:.9rem;display:flex;flex-wrap:wrap;gap:.15rem 1.25rem}
.meta span{overflow-wrap:anywhere}
.causes{margin:.25rem 0;padding-left:1.25rem}
.causes li{margin:.35rem 0}
details{font-size:.85rem;color:var(--muted);margin:.2rem 0}
summary{cursor:pointer}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .75rem;margin:.35rem 0}
dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
code{font:.85em ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.diagram{overflow-x:auto;margin:.5rem 0}
.diagram svg{max-width:100%;height:auto;display:block}
.diagram svg>path{fill:none;stroke:#6b7280;stroke-width:1.5px}.diagram rect{stroke-width:1.5px}
.diagram text{font-size:11px}.diagram text+text{font-size:13px;fill:#1b1f24}
svg .bad rect{fill:#fde7e4;stroke:#b3261e}svg .warn rect{fill:#fff1d6;stroke:#8a5300}
svg .node rect{fill:#f3f4f6;stroke:#6b7280}svg .dashboard rect{fill:#e8f0ff;stroke:#2f5fb3}
svg .bad text:first-of-type{fill:#b3261e}svg .warn text:first-of-type{fill:#8a5300}
svg .node text:first-of-type{fill:#6b7280}svg .dashboard text:first-of-type{fill:#2f5fb3}
.hist{margin-top:.5rem;font-size:.9rem}
.strip{display:flex;max-width:24rem;margin:.25rem 0;position:relative;height:1.1rem;background:#3c9a5a}
.strip::after{content:"";position:absolute;inset:0;pointer-events:none;background:repeating-linear-gradient(
90deg,transparent 0 calc(100% / var(--days) - 2px),
#fff calc(100% / var(--days) - 2px) calc(100% / var(--days)))}
.strip i{flex:none;background:#eceef1}.strip [class^=u]{background:#9aa0a8}
.strip [class^=r]{background:#e5a100}.strip [class^=s]{background:#c0392b}
.strip-ends{display:flex;justify-content:space-between;max-width:24rem;font-size:.75rem;color:var(--muted)}
.hist p{margin:.2rem 0}
footer{color:var(--muted);font-size:.8rem;padding-bottom:2rem}
@media (max-width:40rem){body{font-size:15px}h1{font-size:1.25rem}#dashboards>li{padding:.6rem .7rem}
.diagram svg{max-width:none}}
@media print{
body{background:#fff;font-size:11pt}form,#shown,#nomatch{display:none!important}
#dashboards>li{break-inside:avoid;content-visibility:visible;border-width:1px 1px 1px 4pt}
a{color:inherit}a[href]::after{content:" (" attr(href) ")";font-size:.8em;color:#555}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
"""


# ------------------------------------------------------------------------------------------ times


def _when(moment: dt.datetime, reference: dt.datetime | None) -> str:
    """``05:12 UTC`` on the reference day, ``05:12 UTC on 21 Nov 2026`` otherwise."""
    clock = moment.strftime("%H:%M UTC")
    if reference is not None and moment.date() == reference.date():
        return clock
    return f"{clock} on {moment.day} {moment.strftime('%b %Y')}"


def _time_tag(moment: dt.datetime, reference: dt.datetime | None) -> str:
    iso = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f'<time datetime="{iso}">{html.escape(_when(moment, reference))}</time>'


def duration_text(delta: dt.timedelta) -> str:
    """``2 d 3 h``, ``3 h 5 min``, ``12 min``, ``under a minute``."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "under a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


# ----------------------------------------------------------------------------------------- causes

_KIND = {"model": "model", "seed": "seed", "snapshot": "snapshot", "source": "source", "test": "data test"}


def cause_sentence(cause: Cause, reference: dt.datetime | None) -> str:
    """The root cause in plain words, as escaped HTML.

    ``The model <b>stg_promos</b> failed to build at <time ...>05:12 UTC</time>.``
    """
    kind = cause.resource_type
    status = (cause.status or "").lower()
    moment = _parse_time(cause.completed_at)
    words = {
        "name": f"<b>{_text(short_id(cause.unique_id))}</b>",
        "at": f" at {_time_tag(moment, reference)}" if moment is not None else "",
        "status": _text(status),
        "what": f"The {html.escape(_KIND.get(kind, kind))} <b>{_text(short_id(cause.unique_id))}</b>",
        "target": "",
        "rows": f": {_common.failing_rows(cause.failures)}" if cause.failures else "",
    }
    if kind == "test":
        tested = [uid for uid in cause.path[1:-1] if isinstance(uid, str)]
        words["target"] = f" on <b>{_text(short_id(tested[0]))}</b>" if tested else ""
    group = kind if kind in ("test", "source") else "node"
    sentences = _SENTENCES[group]
    return sentences.get(status, sentences[""]).format(**words)


# dbt's status of a cause -> its sentence ("" for any other status), by kind of cause.
_SENTENCES: dict[str, dict[str, str]] = {
    "test": {
        "fail": "A data test{target} failed{at}{rows}.",
        "warn": "A data test{target} warned{at}{rows}.",
        "skipped": "A data test{target} was skipped{at}.",
        "": "A data test{target} could not run{at} ({status}).",
    },
    "source": {
        "warn": "The source {name} is late (freshness warning{at}).",
        "error": "The source {name} is overdue (freshness error{at}).",
        "": "The freshness of the source {name} could not be checked{at}.",
    },
    "node": {
        "error": "{what} failed to build{at}.",
        "skipped": "{what} was skipped{at} (not rebuilt).",
        "partial success": "{what} was only partly built{at}.",
        "warn": "{what} built with a warning{at}.",
        "": "{what} ended with status {status}{at}.",
    },
}


def _cause_group(cause: Cause) -> tuple[str, str]:
    """(group label, name) of a cause for the compact links of a big page: ("failing tests on", "stg_x")."""
    status = (cause.status or "").lower()
    kind = cause.resource_type
    if kind == "test":
        tested = [uid for uid in cause.path[1:-1] if isinstance(uid, str)]
        name = short_id(tested[0]) if tested else short_id(cause.unique_id)
        label = {"fail": "failing tests on", "warn": "warning tests on"}.get(status, f"tests ({status}) on")
        return label, name
    if kind == "source":
        label = {"error": "overdue sources", "warn": "late sources"}.get(status, f"sources ({status})")
        return label, short_id(cause.unique_id)
    verb = {"error": "failed", "skipped": "skipped", "partial success": "partly built"}.get(status, status)
    return f"{verb} {_KIND.get(kind, kind)}s", short_id(cause.unique_id)


def _cause_details(cause: Cause, *, with_path: bool = True) -> str:
    rows = [
        ("id", f"<code>{_text(cause.unique_id)}</code>"),
        ("dbt status", _text(cause.status)),
    ]
    if cause.failures:
        rows.append(("failing rows", str(int(cause.failures))))
    if cause.completed_at:
        rows.append(("completed at", _text(cause.completed_at)))
    if cause.message:
        rows.append(("message", _text(cause.message, 2000)))
    path = [uid for uid in cause.path if isinstance(uid, str)] if with_path else []
    if path:
        rows.append(("path", " → ".join(f"<code>{_text(uid)}</code>" for uid in path)))
    body = "".join(f"<dt>{key}</dt><dd>{value}</dd>" for key, value in rows)
    return f"<details><summary>Technical details</summary><dl>{body}</dl></details>"


# ---------------------------------------------------------------------------------------- diagram

_BOX_W, _BOX_H, _GAP_X, _GAP_Y, _PAD = 168, 44, 36, 12, 4


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def path_diagram(exposure: ExposureHealth, index: int) -> str:
    """Inline SVG: every root cause (up to :data:`MAX_DIAGRAM_CAUSES`) along its path to the dashboard."""
    causes = exposure.causes[:MAX_DIAGRAM_CAUSES]
    if not causes:
        return ""
    order, edges = _diagram_graph(exposure, causes)
    position, depth = _diagram_layout(order, edges)
    rows = max(row for _, row in position.values()) + 1
    width = (depth + 1) * (_BOX_W + _GAP_X) - _GAP_X + 2 * _PAD
    height = rows * (_BOX_H + _GAP_Y) - _GAP_Y + 2 * _PAD

    def xy(uid: str) -> tuple[int, int]:
        col, row = position[uid]
        if uid == exposure.unique_id:  # the dashboard sits in the middle of its column
            return _PAD + col * (_BOX_W + _GAP_X), _PAD + (height - 2 * _PAD - _BOX_H) // 2
        return _PAD + col * (_BOX_W + _GAP_X), _PAD + row * (_BOX_H + _GAP_Y)

    marker = f"arrow{index}"
    parts = [_svg_head(exposure, causes, marker, width, height)]
    for upstream, downstream in edges:
        x1, y1 = xy(upstream)
        x2, y2 = xy(downstream)
        x1, y1, x2, y2 = x1 + _BOX_W, y1 + _BOX_H // 2, x2 - 2, y2 + _BOX_H // 2
        mid = (x1 + x2) // 2
        parts.append(f'<path d="M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}" marker-end="url(#{marker})"/>')
    by_id = {cause.unique_id: cause for cause in causes}
    parts += [_svg_box(exposure, uid, by_id.get(uid), *xy(uid)) for uid in order]
    parts.append("</svg>")
    note = ""
    if len(exposure.causes) > MAX_DIAGRAM_CAUSES:
        note = f"<p>The diagram shows {MAX_DIAGRAM_CAUSES} of {len(exposure.causes)} root causes.</p>"
    return f'<div class="diagram">{"".join(parts)}</div>{note}'


def _diagram_graph(
    exposure: ExposureHealth, causes: tuple[Cause, ...]
) -> tuple[list[str], list[tuple[str, str]]]:
    """The nodes (in first-seen order) and edges of the causes' paths to the dashboard."""
    order: list[str] = []
    edges: list[tuple[str, str]] = []
    for cause in causes:
        path = [uid for uid in cause.path if isinstance(uid, str)]
        if not path or path[0] != cause.unique_id:
            path.insert(0, cause.unique_id)
        if path[-1] != exposure.unique_id:
            path.append(exposure.unique_id)
        for uid in path:
            if uid not in order:
                order.append(uid)
        for edge in itertools.pairwise(path):
            if edge not in edges and edge[0] != edge[1]:
                edges.append(edge)
    return order, edges


def _diagram_layout(order: list[str], edges: list[tuple[str, str]]) -> tuple[dict[str, tuple[int, int]], int]:
    """(column, row) of every node, and the last column (the dashboard's).

    Column: as close to the dashboard as the longest path from the node to it allows, so that every
    edge of a path spans one column (paths are acyclic; bounded passes guard bad input). Rows, right
    to left: a column's nodes in the order of the rows of the nodes they lead to.
    """
    to_sink = dict.fromkeys(order, 0)
    for _ in range(len(order)):
        changed = False
        for upstream, downstream in edges:
            if to_sink[upstream] < to_sink[downstream] + 1 <= len(order):
                to_sink[upstream] = to_sink[downstream] + 1
                changed = True
        if not changed:
            break
    depth = max(to_sink.values())
    successors: dict[str, list[str]] = {}
    for upstream, downstream in edges:
        successors.setdefault(upstream, []).append(downstream)
    position: dict[str, tuple[int, int]] = {}

    def weight(uid: str) -> float:
        rows_after = [position[s][1] for s in successors.get(uid, []) if s in position]
        return sum(rows_after) / len(rows_after) if rows_after else 0.0

    for col in range(depth, -1, -1):
        members = sorted((uid for uid in order if depth - to_sink[uid] == col), key=weight)
        for row, uid in enumerate(members):
            position[uid] = (col, row)
    return position, depth


def _svg_head(
    exposure: ExposureHealth, causes: tuple[Cause, ...], marker: str, width: int, height: int
) -> str:
    """The <svg> element's start: size, an accessible title spelling out the paths, the arrow marker."""
    paths = "; ".join(
        " → ".join(
            _text(display_name(exposure) if uid == exposure.unique_id else short_id(uid))
            for uid in [u for u in cause.path if isinstance(u, str)] or [cause.unique_id]
        )
        for cause in causes
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-labelledby="{marker}t">'
        f'<title id="{marker}t">Path from the root cause to {_text(display_name(exposure))}: {paths}</title>'
        f'<defs><marker id="{marker}" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L8,4 L0,8 z" fill="#6b7280"/></marker></defs>'
    )


def _svg_box(exposure: ExposureHealth, uid: str, cause: Cause | None, x: int, y: int) -> str:
    """One node of the diagram: the dashboard, a root cause (coloured by severity) or a node between."""
    if uid == exposure.unique_id:
        style, top, label = "dashboard", "dashboard", display_name(exposure)
    elif cause is not None:
        style = "warn" if cause.severity == Status.AT_RISK else "bad"
        top, label = f"{cause.resource_type} · {cause.status}", short_id(uid)
    else:
        style, top, label = "node", uid.split(".")[0], short_id(uid)
    # colours and sizes from the page's style (.diagram rules), not repeated on every box
    return (
        f'<g class="{style}"><title>{_text(uid if uid != exposure.unique_id else display_name(exposure))}'
        f'</title><rect x="{x}" y="{y}" width="{_BOX_W}" height="{_BOX_H}" rx="6"/>'
        f'<text x="{x + 8}" y="{y + 16}">{_text(_clip(top, 26))}</text>'
        f'<text x="{x + 8}" y="{y + 34}">{_text(_clip(_clean(label), 22))}</text></g>'
    )


# ---------------------------------------------------------------------------------------- history


def _history_html(
    item: ExposureHistory | None, summary: HistorySummary, reference: dt.datetime | None, *, ends: bool = True
) -> str:
    if item is None:
        return '<div class="hist"><p>No history for this dashboard yet.</p></div>'
    # One element per run of days with the same status that is not fresh, the fresh days are the
    # strip's background (a page of thousands stays small); the day boundaries are drawn over it by
    # CSS. Classes: status letter and width in days, then the fresh days before it: "s2 o3".
    cells = []
    gap = 0
    for status, group in itertools.groupby(item.days, key=lambda day: day[1]):
        days = [day for day, _ in group]
        if status == Status.FRESH.value:  # the label says how many days were fresh
            gap += len(days)
            continue
        css = f"{CELL_CLASS.get(status, 'n')}{len(days)}" + (f" o{gap}" if gap else "")
        word = STATUS_LABEL.get(status, "no run") if status else "no run"
        cells.append(f'<i class="{css}" title="{_day_span(days[0], days[-1])}: {html.escape(word)}"></i>')
        gap = 0
    label = html.escape(item.strip_description())
    first, last = item.days[0][0], item.days[-1][0]
    out = [
        '<div class="hist">',
        f'<div class="strip" role="img" aria-label="{label}">{"".join(cells)}</div>',
    ]
    if ends:
        out.append(
            f'<div class="strip-ends" aria-hidden="true"><span>{first.day} {first.strftime("%b")}</span>'
            f"<span>{last.day} {last.strftime('%b')}</span></div>"
        )
    if item.days_with_runs == summary.window_days:
        share = round(100 * item.fresh_days / item.days_with_runs)
        out.append(f"<p>Fresh on {item.fresh_days} of the last {summary.window_days} days ({share}%).</p>")
    elif item.days_with_runs:
        share = round(100 * item.fresh_days / item.days_with_runs)
        out.append(
            f"<p>Fresh on {item.fresh_days} of the {item.days_with_runs} "
            f"day{'s' if item.days_with_runs != 1 else ''} with runs in the last "
            f"{summary.window_days} days ({share}%).</p>"
        )
    out.append(_incident_html(item, summary, reference))
    if item.recoveries:
        count = len(item.recoveries)
        out.append(
            f"<p>Recovered {count} time{'s' if count != 1 else ''} in {summary.window_days} days, "
            f"last at {_time_tag(item.recoveries[-1], reference)}.</p>"
        )
    out.append("</div>")
    return "".join(out)


def _day_span(first: dt.date, last: dt.date) -> str:
    """``4 Nov``, ``4–5 Nov``, ``30 Nov – 2 Dec``: the days of a run in a strip (the window has the year)."""
    if first == last:
        return f"{first.day} {first.strftime('%b')}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {last.strftime('%b')}"
    return f"{first.day} {first.strftime('%b')} – {last.day} {last.strftime('%b')}"


def _incident_html(item: ExposureHistory, summary: HistorySummary, reference: dt.datetime | None) -> str:
    """The last (or current) incident of a dashboard in one sentence."""
    incident = item.last_incident
    if incident is None:
        return f"<p>No incident in the last {summary.window_days} days.</p>"
    worst = STATUS_LABEL.get(incident.worst, incident.worst)
    if incident.end is None:
        # "since" is in the dashboard's first line when the incident began with its current status
        since = "" if incident.start == item.since else f" since {_time_tag(incident.start, reference)}"
        return (
            f"<p>Current incident: {html.escape(worst)}{since}, "
            f"{html.escape(duration_text(incident.duration))} so far.</p>"
        )
    return (
        f"<p>Last incident: {html.escape(worst)} from {_time_tag(incident.start, reference)} "
        f"to {_time_tag(incident.end, reference)} ({html.escape(duration_text(incident.duration))}), "
        "recovered.</p>"
    )


# ------------------------------------------------------------------------------------------- page


def _folder(exposure: ExposureHealth) -> str:
    folder = exposure.meta.get("folder") if isinstance(exposure.meta, dict) else None
    return _clean(folder) if isinstance(folder, str) else ""


def _owner_key(exposure: ExposureHealth) -> str:
    return _clean(exposure.owner_name or exposure.owner_email or "")


def _dashboard(
    exposure: ExposureHealth,
    index: int,
    reference: dt.datetime | None,
    history: HistorySummary | None,
    shared: dict[str, int] | None = None,
    draw: bool = True,
) -> str:
    """One dashboard's ``<li>``. With ``shared`` (a big page), causes link to the shared list."""
    status = status_name(exposure.status)
    word = STATUS_LABEL.get(status, status)
    title = _text(display_name(exposure))
    link = (
        f'<a class="name" href="{html.escape(exposure.url or "", quote=True)}"><bdi>{title}</bdi></a>'
        if _common.is_web_url(exposure.url)
        else f'<span class="name"><bdi>{title}</bdi></span>'
    )
    meta = []
    owner = _common.owner_text(exposure)
    meta.append(f"<span>Owner: <bdi>{_text(owner)}</bdi></span>" if owner else "<span>Owner: none set</span>")
    folder = _folder(exposure)
    if folder:
        meta.append(f"<span>Folder: <bdi>{html.escape(folder)}</bdi></span>")
    item = history.exposures.get(exposure.unique_id) if history is not None else None
    if item is not None and item.since is not None:
        prefix = "since" if item.since_exact else "since at least"
        meta.append(
            f"<span>{html.escape(word.capitalize())} {prefix} {_time_tag(item.since, reference)}</span>"
        )
    elif history is None:
        meta.append("<span>Since: not known (no history kept)</span>")
    out = [
        f'<li data-status="{html.escape(status)}" '
        f'data-owner="{html.escape(_owner_key(exposure), quote=True)}"'
        + (f' data-folder="{html.escape(folder, quote=True)}">' if folder else ">"),
        f'<h2><span class="badge">{ICON.get(status, "")} {html.escape(word.capitalize())}</span> {link}</h2>',
        f'<p class="meta">{"".join(meta)}</p>',
    ]
    if exposure.causes:
        out.append(_causes_html(exposure, word, reference, shared))
        if draw:
            out.append(path_diagram(exposure, index))
    elif status == "unknown":
        out.append("<p>Nothing this dashboard depends on ran in these results.</p>")
    if history is not None:
        out.append(_history_html(item, history, reference, ends=shared is None))
    if shared is None:
        out.append(
            f"<details><summary>Technical details</summary><dl><dt>exposure</dt><dd><code>"
            f"{_text(exposure.unique_id)}</code></dd></dl></details>"
        )
    out.append("</li>")
    return "".join(out)


def _causes_html(
    exposure: ExposureHealth, word: str, reference: dt.datetime | None, shared: dict[str, int] | None
) -> str:
    """Why a dashboard is unhealthy: each cause in words, or (a big page) links to the shared list."""
    if shared is None:
        items = "".join(
            f"<li>{cause_sentence(cause, reference)}{_cause_details(cause)}</li>" for cause in exposure.causes
        )
        return f'<h3>Why it is {html.escape(word)}</h3><ul class="causes">{items}</ul>'
    groups: dict[str, list[str]] = {}
    for cause in exposure.causes:
        number = shared.setdefault(cause.unique_id, len(shared))
        label, name = _cause_group(cause)
        groups.setdefault(label, []).append(f'<a href="#c{number}">{_text(name)}</a>')
    parts = [f"{_text(label)} {', '.join(links)}" for label, links in groups.items()]
    return f"<p>Why: {'; '.join(parts)}.</p>"


def _shared_causes(
    exposures: list[ExposureHealth], shared: dict[str, int], reference: dt.datetime | None
) -> str:
    """Every distinct root cause once (a big page): its sentence, how many dashboards, its details."""
    causes: dict[str, Cause] = {}
    affected: dict[str, int] = {}
    for exposure in exposures:
        for cause in exposure.causes:
            causes.setdefault(cause.unique_id, cause)
            affected[cause.unique_id] = affected.get(cause.unique_id, 0) + 1
    items = []
    for uid, number in sorted(shared.items(), key=lambda kv: kv[1]):
        cause = causes[uid]
        count = affected[uid]
        items.append(
            f'<li id="c{number}">{cause_sentence(cause, reference)} '
            f"It affects {count} dashboard{'s' if count != 1 else ''}."
            f"{_cause_details(cause, with_path=False)}</li>"
        )
    return (
        f'<section id="causes"><h2>Root causes ({len(items)})</h2>'
        f'<p>Each cause once; the dashboards above link here.</p><ol class="causes">{"".join(items)}</ol>'
        "</section>"
    )


def _options(name: str, label: str, values: list[tuple[str, str]]) -> str:
    options = "".join(
        f'<option value="{html.escape(value, quote=True)}">{html.escape(text)}</option>'
        for value, text in values
    )
    return f'<label>{label}<select name="{name}"><option value="">All</option>{options}</select></label>'


def to_text(report: HealthReport, history: HistorySummary | None = None) -> str:
    """The whole page as one string."""
    exposures = _common.sorted_exposures(report.exposures)
    reference = _parse_time(report.generated_at)
    title = "Dashboard health" + (f": {_clean(report.project_name)}" if report.project_name else "")
    when = f"Results of {_time_tag(reference, None)}" if reference is not None else "No run results given"
    filters = _filters_html(report, exposures)
    many = len(exposures) > MANY
    shared: dict[str, int] | None = {} if many else None
    body = "".join(
        _dashboard(e, i, reference, history, shared, draw=not many or i < MAX_DIAGRAMS)
        for i, e in enumerate(exposures)
    )
    causes_section = _shared_causes(exposures, shared, reference) if shared else ""
    style = STYLE
    history_note = ""
    if history is not None:
        days = history.window_days
        # the width of each run of days in a strip, the fresh days before it, the day boundaries
        style += f":root{{--days:{days}}}" + "".join(
            ".strip :is(" + ",".join(f".{c}{n}" for c in CELL_CLASS.values() if c != "f") + ")"
            f"{{width:calc(100% * {n} / {days})}}.strip .o{n}{{margin-left:calc(100% * {n} / {days})}}"
            for n in range(1, days + 1)
        )
        first = history.end - dt.timedelta(days=days - 1)
        history_note = (
            f" History: the last {days} days, {first.day} {first.strftime('%b')} to "
            f"{history.end.day} {history.end.strftime('%b %Y')} "
            "(UTC days; a cell shows a day's worst status)."
        )
    head = (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer"><link rel="icon" href="data:,">'
        f"<title>{html.escape(title)}</title><style>{style}</style></head>\n"
    )
    page = [
        head,
        "<body" + (' class="many"' if many else "") + ">",
        f"<header><h1>{html.escape(title)}</h1>",
        f'<p class="summary"><strong>{html.escape(_common.summary_line(exposures))}</strong>. '
        f"{when}.{history_note}</p></header>\n",
        f'<main><form id="filters" role="search" hidden>{filters}</form>',
        '<p id="nomatch" hidden>No dashboard matches these filters.</p>',
        f'<ol id="dashboards">{body}</ol>{causes_section}</main>\n',
        "<footer><p>Written by dbtmeta stale-dashboards from dbt's run results. Worst first. "
        "Stale: something it depends on failed; at risk: a warning or a skipped step; unknown: nothing "
        "it depends on ran.</p></footer>\n",
        f"<script>{SCRIPT}</script></body></html>\n",
    ]
    return "".join(page)


def _filters_html(report: HealthReport, exposures: list[ExposureHealth]) -> str:
    """Search and the status / owner / folder filters (shown only when the script runs)."""
    counts = report.counts
    statuses = [s.value for s in sorted(Status, reverse=True) if counts.get(s.value)]
    owners = sorted({_owner_key(e) for e in exposures} - {""}, key=str.lower)
    folders = sorted({_folder(e) for e in exposures} - {""}, key=str.lower)
    filters = [
        '<label>Search<input type="search" name="q" placeholder="dashboard, owner, model…" '
        'autocomplete="off"></label>',
        _options("status", "Status", [(s, STATUS_LABEL[s]) for s in statuses]),
        _options("owner", "Owner", [(o, o) for o in owners]),
    ]
    if folders:
        filters.append(_options("folder", "Folder", [(f, f) for f in folders]))
    else:
        filters.append('<input type="hidden" name="folder" value="">')
    filters.append('<button type="reset">Clear</button><p id="shown" aria-live="polite"></p>')
    return "".join(filters)


def render(report: HealthReport, console: Console, history: HistorySummary | None = None) -> None:
    """Write the page to the console's stream as is."""
    _common.write_text(console, to_text(report, history))
