"""Property: any Looker text survives sync -> YAML -> dbt parse -> manifest.json literally.

Two layers, one test each:
- many examples against dbt's own renderer (``dbt.clients.jinja.get_rendered``, native mode as
  dbt uses for exposure fields) after a YAML round trip: cheap, so hypothesis explores widely;
- one batch of generated strings written by a real sync into a scratch dbt project, read back
  from manifest.json after ONE ``dbt parse`` (a parse per example would take minutes).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dbtmeta.dbt.artifacts import load_manifest
from dbtmeta.exposures.sync import apply, plan_sync
from dbtmeta.exposures.yaml_file import ExposureSettings, literal, unliteral
from dbtmeta.looker.content import (
    Connection,
    Dashboard,
    Explore,
    ExploreView,
    LookerContent,
    Owner,
    Query,
    Tile,
    ViewSource,
)

FRAGMENTS = [
    "{{", "}}", "{%", "%}", "{#", "#}", "{% raw %}", "{% endraw %}", "{%- endraw -%}",
    "{{ env_var('HOME') }}", "{{ exceptions.raise_compiler_error('x') }}", "{{ doc('x') }}",
    "{% if true %}", "'", '"', "\\", "\\'", "\\n", "\n", "\r\n", "\r", "\t", ": ", "- ", "# ",
    "&a", "*a", "!tag", "%", "@here", "<!channel>", "[bold]", "[/]", ":smile:", "null", "yes", "~",
    "True", "1e3", "0x1F", "---", "...", " ", "é", "漢字", "🎉", "\u200b", "\u2028", "\x85",
    "\ufeff", "\x00", "\x7f", "${view.SQL_TABLE_NAME}", "@{CONST}", "-- if prod --",
]  # fmt: skip

looker_text = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(st.characters(blacklist_categories=("Cs",)), max_size=6)),
    max_size=8,
).map("".join)


def _dbt_render(value: str) -> object:
    from dbt.clients.jinja import get_rendered

    return get_rendered(value, {}, native=True)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(looker_text)
@example("a\x85b")  # NEL: PyYAML turns it into a space unless escaped
@example("{% raw %}{% endraw %}{% endraw %}")
def test_literal_renders_back_exactly_with_dbts_renderer(text: str) -> None:
    value = literal(text)
    assert unliteral(value) == text
    loaded = yaml.safe_load(yaml.safe_dump({"v": value}, allow_unicode=True, width=1_000_000))["v"]
    assert loaded == value
    assert _dbt_render(loaded) == text


def test_plain_jinja_is_what_breaks_without_neutralising() -> None:
    # the failure the neutralisation exists for (so the test above can fail)
    assert _dbt_render("{{ 1 + 1 }}") != "{{ 1 + 1 }}"
    assert _dbt_render("title\n") != "title\n"
    assert literal("Product Funnel") == "Product Funnel"  # ordinary titles stay readable


def _dbt(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    dbt = Path(sys.executable).with_name("dbt")
    return subprocess.run(
        [str(dbt), *args, "--project-dir", str(project), "--profiles-dir", str(project)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def scratch_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("scratch_dbt")
    (project / "models").mkdir()
    (project / "dbt_project.yml").write_text('name: scratch\nversion: "1.0"\nprofile: scratch\n')
    (project / "profiles.yml").write_text(
        "scratch:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: scratch.duckdb\n"
    )
    (project / "models" / "orders.sql").write_text("select 1 as id\n")
    result = _dbt(project, "parse")
    assert result.returncode == 0, result.stdout + result.stderr
    return project


def _content(texts: list[tuple[str, str, str]]) -> LookerContent:
    explore = Explore(
        "shop",
        "orders",
        "orders",
        (ExploreView("orders", ViewSource("orders", ("main.orders",))),),
        connection="wh",
    )
    dashboards = [
        Dashboard(
            id=str(i + 1),
            kind="dashboard",
            title=title,
            description=description,
            folder=folder,
            owner=Owner(id=str(i), name=title or None, email="a@example.com"),
            tiles=(Tile("1", "query", queries=(Query("shop", "orders", ("orders.id",)),)),),
        )
        for i, (title, description, folder) in enumerate(texts)
    ]
    return LookerContent(
        source="api",
        base_url="https://looker.example.com",
        dashboards=dashboards,
        explores={("shop", "orders"): explore},
        connections={"wh": Connection("wh", "duckdb", "scratch", "main")},
    )


@pytest.mark.slow
def test_generated_titles_and_descriptions_reach_manifest_literally(scratch_project: Path) -> None:
    batch: list[tuple[str, str, str]] = []

    @settings(max_examples=30, deadline=None, database=None)
    @given(looker_text, looker_text, looker_text)
    def collect(title: str, description: str, folder: str) -> None:
        batch.append((title, description, folder))

    collect()
    # the nastiest fixed cases too, so the batch never depends on luck
    batch += [(f, f + " " + f, f) for f in FRAGMENTS] + [
        ("{% raw %}{% endraw %}{% endraw %}", "a\n", "b\r\n")
    ]
    manifest = load_manifest(scratch_project / "target" / "manifest.json")
    plan = plan_sync(
        _content(batch),
        manifest,
        project_dir=scratch_project,
        settings=ExposureSettings(project_name="scratch"),
    )
    assert not plan.findings
    apply(plan)

    result = _dbt(scratch_project, "parse")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    parsed = json.loads((scratch_project / "target" / "manifest.json").read_text(encoding="utf-8"))
    by_id = {e["config"]["meta"]["looker_id"]: e for e in parsed["exposures"].values()}
    assert len(by_id) == len(batch)
    for i, (title, description, folder) in enumerate(batch):
        exposure = by_id[str(i + 1)]
        assert exposure["label"] == title
        assert exposure["description"] == (description if description.strip() else "")
        assert exposure["config"]["meta"].get("folder") == (folder or None)
        assert exposure["owner"]["name"] == (title or None)
        assert exposure["depends_on"]["nodes"] == ["model.scratch.orders"]
