"""Hostile text from dbt and Looker in every output format: no terminal control sequence, no bidi
override, no link or mention in markdown, strict JSON, caps per string and per document, and no
crash on encoding (docs/security.md)."""

from __future__ import annotations

import html
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dbtmeta.console import make_console
from dbtmeta.dbt.graph import NodeInfo
from dbtmeta.dbt.impact import AffectedExposure, Change, Impact
from dbtmeta.dbt.lineage import Lineage
from dbtmeta.health.model import Cause, ExposureHealth, HealthReport, Status
from dbtmeta.looker.content import Dashboard, LookerContent, Owner
from dbtmeta.looker.snapshot import dumps_snapshot, load_snapshot, save_snapshot
from dbtmeta.render import FORMATS, render_to_string
from dbtmeta.render.lineage import IMPACT_FORMATS, LINEAGE_FORMATS, impact_markdown_text
from dbtmeta.text import GITHUB_COMMENT_LIMIT, clean, dumps_json, visible

# What must never reach a terminal or a document: C0 but newline, DEL, C1, bidi controls, line and
# paragraph separators, surrogates (written independently of dbtmeta.text on purpose).
UNSAFE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]"
)
# What GitHub autolinks in Markdown text: URLs with a scheme, www., emails, @mentions.
AUTOLINK = re.compile(r"(?i)(?:https?|ftp)://|\bwww\.|[a-z0-9._+-]@[a-z0-9-]|(?<![a-z0-9`])@[a-z0-9]")

HOSTILE = [
    "\x1b[2J\x1b[H",  # clear screen
    "\x1b]52;c;ZXZpbA==\x07",  # OSC 52: write the clipboard
    "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",  # OSC 8 hidden link
    "\x1b[8mhidden\x1b[0m",  # conceal
    "\x9b31m\x9d0;title\x9c",  # C1 CSI / OSC / ST
    "\x07\x08\x00\x7f",
    "\u202egnp.exe\u202c \u2066x\u2069 \u200f",
    "\ud800 lone \udfff",
    "https://evil.example/a?b=c",
    "http://evil.example",
    "www.evil.example",
    "eve@evil.example",
    "@team-leads @octocat",
    "ftp://files.example",
    "line\u2028break\u2029para\x85nel",
    '<script>alert(1)</script>"><img src=x onerror=alert(2)>',  # markup, for the html page
]
hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.lists(st.sampled_from(HOSTILE) | st.text(max_size=20), min_size=1, max_size=6).map("".join),
    st.text(max_size=40),
)


def _report(title: str, owner: str, email: str, message: str, number: float = 0.5) -> HealthReport:
    model = "model.shop.stg_orders"
    cause = Cause(
        unique_id=model,
        resource_type="model",
        name=title,
        status="error",
        message=message,
        failures=None,
        completed_at="2026-11-22T06:00:01Z",
        execution_time=number,
        path=(model, "exposure.shop.dash"),
        severity=Status.STALE,
    )
    exposure = ExposureHealth(
        unique_id="exposure.shop.dash",
        name="dash",
        label=title,
        type="dashboard",
        maturity="high",
        url="https://bi.example.com/dashboards/7",
        owner_name=owner,
        owner_email=email,
        tags=("looker",),
        meta={"score": number},
        status=Status.STALE,
        causes=(cause,),
        original_file_path="models/exposures.yml",
    )
    return HealthReport(
        exposures=[exposure],
        project_name=owner,
        generated_at="2026-11-22T06:00:00Z",
        invocation_ids=("abc",),
    )


def _infos(title: str, owner: str, email: str) -> dict[str, NodeInfo]:
    model = NodeInfo("model.shop.stg_orders", "model", title, "shop", path="models/stg_orders.sql")
    dash = NodeInfo(
        "exposure.shop.dash",
        "exposure",
        "dash",
        "shop",
        label=title,
        maturity="high",
        exposure_type="dashboard",
        owner_name=owner,
        owner_email=email,
        url="https://bi.example.com/dashboards/7",
    )
    return {model.unique_id: model, dash.unique_id: dash}


def _lineage(title: str, owner: str, email: str) -> Lineage:
    infos = _infos(title, owner, email)
    return Lineage(
        root=infos["model.shop.stg_orders"],
        upstream={},
        downstream={"exposure.shop.dash": 1},
        edges=[("model.shop.stg_orders", "exposure.shop.dash")],
        infos=infos,
        direction="both",
        depth=None,
    )


def _impact(title: str, owner: str, email: str) -> Impact:
    infos = _infos(title, owner, email)
    model, dash = infos["model.shop.stg_orders"], infos["exposure.shop.dash"]
    return Impact(
        changes=[Change(model.unique_id, "modified.body", model)],
        affected=[AffectedExposure(dash, (model.unique_id,), 1)],
        affected_nodes=[dash.unique_id],
        edges=[(model.unique_id, dash.unique_id)],
        infos=infos,
        unmatched_paths=[title],
    )


def _console_text(render: Any, value: Any) -> str:
    buffer = io.StringIO()
    console = make_console(buffer)
    console.width = 120
    render(value, console)
    return buffer.getvalue()


def _strict_json(text: str) -> Any:
    def reject(constant: str) -> None:
        raise AssertionError(f"non-standard JSON constant {constant}")

    return json.loads(text, parse_constant=reject)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def _markdown_text(document: str) -> str:
    """What GitHub's autolinker sees: text outside code fences, our own link targets left out,
    entities and backslash escapes decoded (as if every text node were merged)."""
    document = re.sub(r"```.*?```", "", document, flags=re.DOTALL)
    document = re.sub(r"\]\(https://bi\.example\.com/dashboards/7\)", "]", document)
    document = re.sub(r"\\(.)", r"\1", document)
    return html.unescape(document)


def _assert_terminal_safe(out: str, where: str) -> None:
    found = UNSAFE.search(out)
    assert found is None, (
        f"{where}: {found.group()!r} in {out[max(found.start() - 40, 0) : found.start() + 40]!r}"
    )


def _assert_no_autolink(out: str, where: str) -> None:
    found = AUTOLINK.search(_markdown_text(out))
    assert found is None, f"{where}: GitHub would link {found.group()!r}"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=hostile_text, owner=hostile_text, email=hostile_text, message=hostile_text)
@example(title="".join(HOSTILE), owner="".join(HOSTILE), email="eve@evil.example", message="".join(HOSTILE))
def test_every_format_is_safe_for_any_text(title: str, owner: str, email: str, message: str) -> None:
    report = _report(title, owner, email, message)
    for name in FORMATS:
        out = render_to_string(name, report)
        _assert_terminal_safe(out, f"stale-dashboards --format {name}")
        if name == "markdown":
            _assert_no_autolink(out, name)
        if name == "html":  # the page's own one script; hostile markup stays text
            assert out.lower().count("<script") == 1 and "<img" not in out.lower()
        if name in ("json", "slack"):
            data = _strict_json(out)
        if name == "slack":
            for text in _strings(data):
                _assert_terminal_safe(text, "slack text")
            for block in data["blocks"]:
                for obj in [block.get("text"), *block.get("elements", [])]:
                    if obj and obj["type"] == "mrkdwn":
                        assert obj["verbatim"] is True  # Slack links no bare URL, channel or user
    for name, render in LINEAGE_FORMATS.items():
        out = _console_text(render, _lineage(title, owner, email))
        _assert_terminal_safe(out, f"lineage --format {name}")
        if name == "json":
            assert _strict_json(out)["node"]["name"] == title  # JSON keeps the data exactly
    for name, render in IMPACT_FORMATS.items():
        out = _console_text(render, _impact(title, owner, email))
        _assert_terminal_safe(out, f"impact --format {name}")
        if name == "markdown":
            _assert_no_autolink(out, "impact markdown")
        if name == "json":
            assert _strict_json(out)["affected_exposures"][0]["label"] == title


def test_control_sequences_become_visible_escapes() -> None:
    assert clean("a\x1b]52;c;ZXZpbA==\x07b") == "a\\x1b]52;c;ZXZpbA==\\x07b"
    assert clean("\u202eevil\u202c") == "\\u202eevil\\u202c"
    assert clean("x\ud800y") == "x\\ud800y"
    assert clean("a\n\tb   c") == "a b c"
    assert clean("x" * 300) == "x" * 199 + "…"
    assert visible("\x9b2J") == "\\x9b2J"


def test_markdown_table_keeps_titles_readable_without_links() -> None:
    report = _report("Revenue https://evil.example www.evil.example", "Ann @octocat", "ann@x.io", "boom")
    out = render_to_string("markdown", report)
    row = next(line for line in out.splitlines() if line.startswith("| 🔴"))
    assert (
        "[Revenue https:\u2060//evil.example www\u2060.evil.example](https://bi.example.com/dashboards/7)"
        in row
    )
    assert "Ann &#64;\u2060octocat &lt;ann&#64;\u2060x.io&gt;" in row


def test_json_is_strict_and_keeps_text(tmp_path: Path) -> None:
    report = _report("t\x1b\u202e\ud800", "o", "e", "m", number=float("nan"))
    out = render_to_string("json", report)
    data = _strict_json(out)
    exposure = data["exposures"][0]
    assert exposure["meta"] == {"score": None}
    assert exposure["causes"][0]["execution_time"] is None
    assert exposure["label"] == "t\x1b\u202e\ud800"  # escaped in the text, the same string once parsed
    assert '"label": "t\\u001b\\u202e\\ud800"' in out
    assert dumps_json({"x": float("inf"), "y": [float("-inf"), 1.5]}) == '{"x": null, "y": [null, 1.5]}'


def test_impact_comment_stays_under_githubs_limit_and_says_what_it_cut() -> None:
    infos = {}
    affected = []
    model = NodeInfo("model.shop.stg_orders", "model", "stg_orders", "shop")
    infos[model.unique_id] = model
    for index in range(400):
        dash = NodeInfo(
            f"exposure.shop.d{index}",
            "exposure",
            f"d{index}",
            "shop",
            label="T" * 100_000,
            exposure_type="dashboard",
            owner_name="O" * 100_000,
        )
        infos[dash.unique_id] = dash
        affected.append(AffectedExposure(dash, (model.unique_id,), 1))
    one = Impact(
        changes=[Change(model.unique_id, "modified.body", model)],
        affected=affected[:1],
        affected_nodes=[affected[0].info.unique_id],
        edges=[(model.unique_id, affected[0].info.unique_id)],
        infos=infos,
    )
    out = impact_markdown_text(one)
    assert len(out) < 20_000  # one 100,000-character title: per-string caps
    assert "T" * 500 not in out and "T" * 499 + "…" in out
    many = Impact(
        changes=one.changes,
        affected=affected,
        affected_nodes=[item.info.unique_id for item in affected],
        edges=[(model.unique_id, item.info.unique_id) for item in affected],
        infos=infos,
    )
    out = impact_markdown_text(many)
    assert len(out) < GITHUB_COMMENT_LIMIT
    assert re.search(
        r"_Output cut to stay under 65,536 characters: [\d,]+ characters \([\d,]+ lines\) left out", out
    )
    assert sum(1 for line in out.splitlines() if line.startswith("```")) % 2 == 0


def test_stale_dashboards_markdown_is_capped_too() -> None:
    report = _report("T" * 100_000, "O" * 100_000, "e@x.io", "M" * 100_000)
    exposures = [
        ExposureHealth(**{**vars(report.exposures[0]), "unique_id": f"exposure.shop.d{i}", "name": f"d{i}"})
        for i in range(300)
    ]
    out = render_to_string("markdown", HealthReport(exposures, "p", None, ()))
    assert len(out) < GITHUB_COMMENT_LIMIT
    assert "left out. Use `--format json` for everything._" in out


def _hostile_manifest(example_build: Any, tmp_path: Path) -> tuple[Path, Path]:
    manifest = json.loads((example_build.failure / "manifest.json").read_text(encoding="utf-8"))
    exposure = next(iter(manifest["exposures"].values()))
    exposure["label"] = "Revenue \x1b]52;c;ZXZpbA==\x07 caf\u00e9 \ud800 https://evil.example"
    exposure["owner"]["name"] = "Eve \x1b[2J\u202e"
    results = json.loads((example_build.failure / "run_results.json").read_text(encoding="utf-8"))
    for result in results["results"]:
        if result["status"] in ("error", "fail"):
            result["message"] = "boom \ud800 \x1b[31m red"
    manifest_path, results_path = tmp_path / "manifest.json", tmp_path / "run_results.json"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    results_path.write_text(json.dumps(results), encoding="utf-8")
    return manifest_path, results_path


@pytest.mark.parametrize("fmt", ["table", "json", "markdown", "slack"])
def test_cli_output_on_an_ascii_stdout_degrades_to_escapes(
    example_build: Any, tmp_path: Path, fmt: str
) -> None:
    manifest, results = _hostile_manifest(example_build, tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "DBTMETA_"))}
    env["PYTHONIOENCODING"] = "ascii"
    flags = ["--manifest", str(manifest), "--run-results", str(results)]
    proc = subprocess.run(
        [sys.executable, "-m", "dbtmeta", "stale-dashboards", "--format", fmt, *flags],
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr.decode("ascii", "replace")
    assert proc.stderr == b""
    out = proc.stdout.decode("ascii")  # nothing but ASCII reached the pipe
    assert "\x1b" not in out and "\x07" not in out
    if fmt == "json":
        labels = [e["label"] for e in _strict_json(out)["exposures"]]
        assert "Revenue \x1b]52;c;ZXZpbA==\x07 caf\u00e9 \ud800 https://evil.example" in labels
    elif fmt == "markdown":
        assert "caf\\xe9" in out and "\\\\x1b\\]52;c;ZXZpbA==\\\\x07" in out


def test_looker_snapshot_with_a_lone_surrogate_is_saved_and_read_back(tmp_path: Path) -> None:
    title = "Sales \ud800 \x1b[2J \u202e"
    content = LookerContent(
        source="api",
        base_url="https://looker.example.com",
        dashboards=[Dashboard(id="1", kind="dashboard", title=title, owner=Owner(name="Eve \udfff"))],
    )
    path = tmp_path / "snap.json"
    save_snapshot(content, path)
    text = path.read_text(encoding="utf-8")
    assert '"title": "Sales \\ud800 \\u001b[2J \\u202e"' in text
    loaded = load_snapshot(path)
    assert loaded.dashboards[0].title == title and loaded.dashboards[0].owner == Owner(name="Eve \udfff")
    loaded.source = "api"
    assert dumps_snapshot(loaded) == text


def test_looker_pull_of_a_title_with_a_lone_surrogate(tmp_path: Path) -> None:
    from fake_looker import FakeLooker, example_dataset

    data = example_dataset()
    dashboard = next(iter(data.dashboards.values()))
    dashboard["title"] = "Sales \ud800 \x1b]52;c;ZXZpbA==\x07"
    out = tmp_path / "looker.json"
    with FakeLooker(data) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LOOKERSDK_")}
        proc = subprocess.run(
            [sys.executable, "-m", "dbtmeta", "looker", "pull", "--output", str(out)],
            env={**env, **server.env()},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 0, proc.stderr
    titles = [d.title for d in load_snapshot(out).dashboards]
    assert "Sales \ud800 \x1b]52;c;ZXZpbA==\x07" in titles
    assert "\x1b" not in out.read_text(encoding="utf-8")
