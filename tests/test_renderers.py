"""Renderers: every format from one HealthReport, untrusted text escaped for each medium."""

from __future__ import annotations

import io
import json
import re

import pytest
from rich.console import Console

from dbtmeta.console import make_console
from dbtmeta.health.model import Cause, ExposureHealth, HealthReport, Status
from dbtmeta.render import FORMATS, RENDERERS, get_renderer, render_to_string
from dbtmeta.render.markdown import md, mermaid_label
from dbtmeta.render.slack import build_message, escape

EVIL = '[bold red]x[/] :smile: <!channel> @here <@U123> <http://evil.example|click> `tick` | "q" ##'


def make_cause(uid: str, status: str, *, path: tuple[str, ...], failures: int | None = None, message=None):
    resource_type = uid.split(".")[0]
    return Cause(
        unique_id=uid,
        resource_type=resource_type,
        name=uid.rsplit(".", 1)[-1],
        status=status,
        message=message,
        failures=failures,
        completed_at="2026-11-22T06:00:01Z",
        execution_time=0.25,
        path=path,
        severity=Status.AT_RISK if status in ("warn", "skipped") else Status.STALE,
    )


def make_exposure(
    name: str, status: Status, causes=(), *, label=None, url=None, owner=("Ann", "ann@x.io"), meta=None
):
    return ExposureHealth(
        unique_id=f"exposure.shop.{name}",
        name=name,
        label=label,
        type="dashboard",
        maturity="high",
        url=url,
        owner_name=owner[0],
        owner_email=owner[1],
        tags=("looker",),
        meta=meta or {},
        status=status,
        causes=tuple(causes),
        original_file_path="models/exposures/x.yml",
    )


def make_report() -> HealthReport:
    stg = "model.shop.stg_promos"
    evil = make_exposure(
        "evil_dash",
        Status.STALE,
        [
            make_cause(
                stg,
                "error",
                path=(stg, "model.shop.fact_orders", "exposure.shop.evil_dash"),
                message="Conversion Error: <!here> could not cast | `x`\nLINE 1",
            ),
            make_cause(
                "test.shop.not_null_x",
                "fail",
                failures=3,
                path=("test.shop.not_null_x", "model.shop.dim_products", "exposure.shop.evil_dash"),
            ),
        ],
        label=EVIL,
        url="https://bi.example.com/dashboards/7?a=1&b=<2>|x",
        owner=("Eve <!here>", "eve@x.io"),
    )
    funnel = make_exposure(
        "product_funnel",
        Status.AT_RISK,
        [
            make_cause(
                "test.shop.accepted_values_events",
                "warn",
                failures=2,
                path=(
                    "test.shop.accepted_values_events",
                    "model.shop.stg_events",
                    "exposure.shop.product_funnel",
                ),
            )
        ],
        label="Product Funnel",
        url="https://bi.example.com/dashboards/1",
    )
    return HealthReport(
        exposures=[
            make_exposure("customers", Status.FRESH, label="Customers"),
            funnel,
            evil,
            make_exposure(
                "orders_overview",
                Status.STALE,
                [make_cause(stg, "error", path=(stg, "exposure.shop.orders_overview"))],
            ),
            make_exposure("notebook", Status.FRESH),
            make_exposure("never_ran", Status.UNKNOWN),
        ],
        project_name="shop",
        generated_at="2026-11-22T06:00:05Z",
        invocation_ids=("inv-1",),
    )


def test_registry_is_the_single_list_of_formats():
    assert FORMATS == tuple(RENDERERS) == ("table", "json", "markdown", "slack", "html")
    for name in FORMATS:
        assert callable(get_renderer(name).render)
    from dbtmeta.commands.stale_dashboards import command

    [param] = [p for p in command.params if p.name == "output_format"]
    assert tuple(param.type.choices) == FORMATS


def test_table_prints_untrusted_text_literally_with_summary():
    out = render_to_string("table", make_report(), width=250)
    assert "[bold red]x[/]" in out
    assert ":smile:" in out and "😄" not in out
    assert "2 stale, 1 at risk, 1 unknown, 2 fresh" in out
    assert "stg_promos" in out and "(3 failing rows)" in out
    # Worst first.
    assert out.index("stale") < out.index("at risk") < out.index("unknown")


def test_table_keeps_urls_and_owners_whole_at_80_columns():
    out = render_to_string("table", make_report(), width=80)
    assert any(line.strip() == "https://bi.example.com/dashboards/1" for line in out.splitlines())
    assert "<ann@x.io>" in out


def test_table_on_a_colour_terminal_still_shows_markup_as_text():
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=True,
        color_system="truecolor",
        width=200,
        markup=False,
        emoji=False,
        highlight=False,
    )
    get_renderer("table").render(make_report(), console)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", buffer.getvalue())
    assert "[bold red]x[/]" in plain and ":smile:" in plain


def test_json_schema_is_stable():
    data = json.loads(render_to_string("json", make_report()))
    assert set(data) == {
        "schema_version",
        "project_name",
        "generated_at",
        "invocation_ids",
        "summary",
        "exposures",
    }
    assert data["schema_version"] == 1
    assert data["summary"] == {"total": 6, "stale": 2, "at_risk": 1, "unknown": 1, "fresh": 2}
    assert [e["name"] for e in data["exposures"]] == [
        "evil_dash",
        "orders_overview",
        "product_funnel",
        "never_ran",
        "customers",
        "notebook",
    ]
    evil = data["exposures"][0]
    assert set(evil) >= {"name", "label", "status", "url", "owner", "causes", "unique_id", "type", "maturity"}
    assert evil["label"] == EVIL  # JSON keeps the text as is: escaping is the consumer's job
    assert evil["owner"] == {"name": "Eve <!here>", "email": "eve@x.io"}
    cause = evil["causes"][0]
    assert set(cause) >= {
        "unique_id",
        "resource_type",
        "name",
        "status",
        "message",
        "failures",
        "completed_at",
        "execution_time",
        "path",
    }
    assert cause["path"] == ["model.shop.stg_promos", "model.shop.fact_orders", "exposure.shop.evil_dash"]
    assert evil["causes"][1]["failures"] == 3


def test_markdown_has_a_mermaid_flowchart_per_unhealthy_dashboard():
    out = render_to_string("markdown", make_report())
    blocks = re.findall(r"```mermaid\n(.*?)```", out, re.S)
    assert len(blocks) == 3  # evil_dash, orders_overview, product_funnel
    evil = blocks[0]
    assert evil.startswith("flowchart LR")
    # cause -> fact_orders -> dashboard, and test -> dim_products -> dashboard
    ids = dict(re.findall(r"^\s+(n\d+)\S*\[\"?([^\"\]]*)", evil, re.M))
    assert any("stg_promos" in label for label in ids.values())
    assert len(re.findall(r"-->", evil)) == 4
    # Untrusted label: no raw quote, bracket, pipe, angle bracket or backtick inside the diagram.
    label_line = next(line for line in evil.splitlines() if ":::dashboard" in line)
    inner = label_line.split('(["', 1)[1].rsplit('"])', 1)[0]
    assert not set(inner) & set('"[]|<>`')


def test_markdown_escapes_text_tables_and_links():
    out = render_to_string("markdown", make_report())
    row = next(line for line in out.splitlines() if line.startswith("|") and "bold red" in line)
    # Exactly 4 cells: escaped pipes do not split the row.
    assert len(re.split(r"(?<!\\)\|", row.strip())[1:-1]) == 4
    assert "<!channel>" not in out and "<!here>" not in out and "@here" not in out
    assert "](https://bi.example.com/dashboards/7?a=1&b=%3C2%3E%7Cx)" in out
    assert md("a|b`c<d>[e](f) @team") == "a\\|b\\`c&lt;d&gt;\\[e\\]\\(f\\) &#64;\u2060team"
    assert mermaid_label('a"b[c]|d`e<f>') == "a#34;b#91;c#93;#124;d#96;e#60;f#62;"


def _all_texts(payload) -> list[str]:
    texts = []
    if isinstance(payload, dict):
        for key, value in payload.items():
            if key == "text" and isinstance(value, str):
                texts.append(value)
            else:
                texts.extend(_all_texts(value))
    elif isinstance(payload, list):
        for item in payload:
            texts.extend(_all_texts(item))
    return texts


def test_slack_message_never_pings_or_links_from_untrusted_text():
    payload = json.loads(render_to_string("slack", make_report()))
    texts = _all_texts(payload)
    joined = "\n".join(texts)
    for danger in ("<!channel>", "<!here>", "<@U123>", "<http://evil.example|click>"):
        assert danger not in joined
    assert not re.search(r"(?<!\u2060)@here|@channel", joined.replace("@\u2060", ""))
    assert "&lt;!channel&gt;" in joined
    # Our own link to the dashboard stays a link, with the URL's specials neutralised.
    assert "<https://bi.example.com/dashboards/7?a=1&amp;b=&lt;2&gt;%7Cx|" in joined
    assert payload["blocks"][0]["type"] == "header"
    assert payload["text"].startswith("Dashboard health: 2 stale, 1 at risk")
    assert sum(1 for b in payload["blocks"] if b["type"] == "section") == 3  # unhealthy only


def test_slack_escape():
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
    assert escape("hi @channel @Here @everyone") == "hi @\u2060channel @\u2060Here @\u2060everyone"


def test_slack_message_respects_block_limits():
    report = make_report()
    many = [
        make_exposure(
            f"d{i:03}",
            Status.STALE,
            [make_cause("model.shop.m", "error", path=("model.shop.m",), message="x" * 5000)],
        )
        for i in range(80)
    ]
    payload = build_message(many, recovered=report.exposures[:1], project_name="shop")
    assert len(payload["blocks"]) <= 50
    assert all(len(t) <= 3000 for t in _all_texts(payload))
    assert "more dashboards" in json.dumps(payload)
    assert "Recovered" in json.dumps(payload)


@pytest.mark.parametrize("name", FORMATS)
def test_every_format_writes_only_to_the_console_it_is_given(name, capsys):
    buffer = io.StringIO()
    get_renderer(name).render(make_report(), make_console(buffer))
    assert buffer.getvalue()
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_empty_report():
    report = HealthReport(exposures=[], project_name="shop", generated_at=None, invocation_ids=())
    assert "no exposures selected" in render_to_string("table", report)
    assert json.loads(render_to_string("json", report))["exposures"] == []
    assert "mermaid" not in render_to_string("markdown", report)
    assert json.loads(render_to_string("slack", report))["blocks"]


def test_markdown_details_are_capped_for_big_projects():
    from dbtmeta.render.markdown import MAX_DETAILS

    cause = make_cause("model.shop.m", "error", path=("model.shop.m",))
    report = HealthReport(
        exposures=[make_exposure(f"d{i:03}", Status.STALE, [cause]) for i in range(MAX_DETAILS + 10)],
        project_name="shop",
        generated_at=None,
        invocation_ids=(),
    )
    out = render_to_string("markdown", report)
    assert out.count("```mermaid") == MAX_DETAILS
    assert out.count("| 🔴 stale |") == MAX_DETAILS + 10
    assert "Details of 10 more unhealthy dashboards left out" in out
