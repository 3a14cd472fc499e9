"""lineage NODE.COLUMN --lookml-dir, check-fields and impact --columns over the real example project:
real dbt artifacts (catalog from `dbt docs generate`) and the real LookML in example_project/looker."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dbtmeta.cli import main

NO_CONTENT = (
    "no Looker content to trace the fields of: give --lookml-dir DIR, --snapshot FILE (from "
    "`dbtmeta looker pull`), or the Looker API settings (--looker-ini / --base-url / "
    "LOOKERSDK_BASE_URL with LOOKERSDK_CLIENT_ID/SECRET)"
)

REPO = Path(__file__).resolve().parents[1]
LOOKML = "example_project/looker"
VIEW = f"{LOOKML}/views/fact_orders.view.lkml"


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Relative --lookml-dir: the file:line in the output is what a user in the repository sees."""
    for name in ("DBTMETA_CONFIG", "DBT_PROJECT_DIR", "DBT_TARGET_PATH", "LOOKERSDK_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(REPO)


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def prod_args(column_build) -> list[str]:
    return [
        "--project-dir",
        str(column_build.pr_project_dir),
        "--manifest",
        str(column_build.prod / "manifest.json"),
    ]


ORDER_TOTAL_USES = [
    {
        "id": "greenery::orders_overview",
        "title": "Orders Overview",
        "tiles": [
            {
                "id": "revenue_by_day",
                "title": "Revenue by day",
                "fields": [
                    {
                        "field": "orders.average_order_value",
                        "explore": "greenery::orders",
                        "where": f"{VIEW}:53",
                    },
                    {"field": "orders.total_revenue", "explore": "greenery::orders", "where": f"{VIEW}:47"},
                ],
            },
            {
                "id": "top_customers",
                "title": "Top customers",
                "fields": [
                    {"field": "orders.total_revenue", "explore": "greenery::orders", "where": f"{VIEW}:47"}
                ],
            },
        ],
    }
]


def test_lineage_of_a_column_json(column_build, in_repo, capsys) -> None:
    code, out, err = run(
        [
            "lineage",
            "fact_orders.order_total",
            "--lookml-dir",
            LOOKML,
            "--format",
            "json",
            *prod_args(column_build),
        ],
        capsys,
    )
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "node": "model.greenery.fact_orders",
        "column": "order_total",
        "column_exists": True,
        "columns_source": "catalog",
        "dashboards": ORDER_TOTAL_USES,
    }


def test_lineage_of_a_column_tree_and_mermaid(column_build, in_repo, capsys) -> None:
    args = ["lineage", "fact_orders.order_total", "--lookml-dir", LOOKML, *prod_args(column_build)]
    code, out, _ = run(args, capsys)
    assert code == 0
    assert out.splitlines() == [
        "model.greenery.fact_orders.order_total  (in the catalog)",
        "└── Orders Overview (greenery::orders_overview)",
        "    ├── Revenue by day [revenue_by_day]",
        f"    │   ├── orders.average_order_value  {VIEW}:53",
        f"    │   └── orders.total_revenue  {VIEW}:47",
        "    └── Top customers [top_customers]",
        f"        └── orders.total_revenue  {VIEW}:47",
        "2 field(s) in 2 tile(s) of 1 dashboard(s) read model.greenery.fact_orders.order_total",
    ]
    code, out, _ = run([*args, "--format", "mermaid"], capsys)
    assert code == 0
    assert out.splitlines() == [
        "flowchart LR",
        '  c0[("model.greenery.fact_orders.order_total")]:::focus',
        '  n0(["Orders Overview"])',
        '  n1["Revenue by day"]',
        '  n2["orders.average_order_value"]',
        '  n3["orders.total_revenue"]',
        '  n4["Top customers"]',
        "  c0 --> n2",
        "  n2 --> n1",
        "  n1 --> n0",
        "  c0 --> n3",
        "  n3 --> n1",
        "  n3 --> n4",
        "  n4 --> n0",
        "  classDef focus fill:#fde2e1,stroke:#c0392b",
    ]


def test_inventory_is_read_by_the_inventory_tiles_only(column_build, in_repo, capsys) -> None:
    args = ["lineage", "dim_products.inventory", "--lookml-dir", LOOKML, "--format", "json"]
    code, out, _ = run([*args, *prod_args(column_build)], capsys)
    assert code == 0
    found = json.loads(out)["dashboards"]
    assert [(d["id"], [t["id"] for t in d["tiles"]]) for d in found] == [
        # not out_of_stock (is_out_of_stock) nor inventory_by_week (the snapshot's inventory)
        ("greenery::inventory_health", ["current_inventory", "views_vs_stock"]),
    ]


def test_a_column_nothing_reads(column_build, in_repo, capsys) -> None:
    args = ["lineage", "fact_orders.tracking_id", "--lookml-dir", LOOKML, *prod_args(column_build)]
    code, out, _ = run(args, capsys)
    assert code == 0
    assert out.splitlines() == [
        "model.greenery.fact_orders.tracking_id  (in the catalog)",
        "0 field(s) in 0 tile(s) of 0 dashboard(s) read model.greenery.fact_orders.tracking_id",
    ]


def test_a_column_the_node_does_not_have(column_build, in_repo, capsys) -> None:
    args = ["lineage", "source:greenery.promos.dicsount", "--lookml-dir", LOOKML, *prod_args(column_build)]
    code, out, _ = run(args, capsys)
    assert code == 0
    assert out.splitlines() == [
        "source.greenery.greenery.promos.dicsount  (NOT in the catalog)",
        "0 field(s) in 0 tile(s) of 0 dashboard(s) read source.greenery.greenery.promos.dicsount",
    ]
    args[1] = "source:greenery.promos.discount"  # the raw table Looker reads directly
    code, out, _ = run([*args, "--format", "json"], capsys)
    found = json.loads(out)
    assert (found["node"], found["column_exists"]) == ("source.greenery.greenery.promos", True)
    tiles = [(t["id"], [f["field"] for f in t["fields"]]) for d in found["dashboards"] for t in d["tiles"]]
    assert tiles == [("promo_usage", ["promos.discount"])]


def test_lineage_without_catalog_says_the_compiled_sql_answered(
    column_build, in_repo, capsys, tmp_path: Path
) -> None:
    (tmp_path / "manifest.json").write_bytes((column_build.pr / "manifest.json").read_bytes())
    args = ["lineage", "--lookml-dir", LOOKML, "--project-dir", str(column_build.pr_project_dir)]
    args += ["--manifest", str(tmp_path / "manifest.json")]
    for column, line in [
        ("order_amount", "model.greenery.fact_orders.order_amount  (in the compiled SQL)"),
        ("order_total", "model.greenery.fact_orders.order_total  (NOT in the compiled SQL)"),
    ]:
        code, out, _ = run([*args[:1], f"fact_orders.{column}", *args[1:]], capsys)
        assert (code, out.splitlines()[0]) == (0, line)


def test_lineage_column_needs_node_dot_column(column_build, in_repo, capsys) -> None:
    code, out, err = run(["lineage", "fact_orders", "--lookml-dir", LOOKML, *prod_args(column_build)], capsys)
    assert (code, out) == (2, "")
    assert err == (
        "dbtmeta: error: for column lineage, NODE is NODE.COLUMN (e.g. fact_orders.order_total), "
        "not 'fact_orders'\n"
    )


def test_check_fields_passes_on_production(column_build, in_repo, capsys) -> None:
    code, out, err = run(["check-fields", "--lookml-dir", LOOKML, *prod_args(column_build)], capsys)
    assert (code, err) == (0, "")
    assert out.splitlines() == ["75 field(s) checked: 0 read a missing column, 0 could not be checked"]


def test_check_fields_finds_the_renamed_column_with_file_line(column_build, in_repo, capsys) -> None:
    project = ["--project-dir", str(column_build.pr_project_dir)]
    code, out, err = run(["check-fields", "--lookml-dir", LOOKML, *project], capsys)
    assert (code, err) == (1, "")
    missing = (
        'reads "core"."fact_orders".order_total: model.greenery.fact_orders has no column \'order_total\''
    )
    assert out.splitlines() == [
        f"{VIEW}:36: fact_orders.order_total: {missing}",
        f"{VIEW}:47: fact_orders.total_revenue: {missing}",
        f"{VIEW}:53: fact_orders.average_order_value: {missing}",
        "75 field(s) checked: 3 read a missing column, 0 could not be checked",
    ]


def test_check_fields_json(column_build, in_repo, capsys) -> None:
    project = ["--project-dir", str(column_build.pr_project_dir)]
    code, out, _ = run(["check-fields", "--lookml-dir", LOOKML, *project, "--format", "json"], capsys)
    assert code == 1
    found = json.loads(out)
    assert (found["fields_checked"], found["unchecked"]) == (75, [])
    assert [(e["where"], e["field"]) for e in found["errors"]] == [
        (f"{VIEW}:36", "fact_orders.order_total"),
        (f"{VIEW}:47", "fact_orders.total_revenue"),
        (f"{VIEW}:53", "fact_orders.average_order_value"),
    ]


def test_check_fields_without_catalog_reads_the_compiled_sql(
    column_build, in_repo, capsys, tmp_path: Path
) -> None:
    # the PR's manifest (dbt docs generate compiled every model) with no catalog next to it
    (tmp_path / "manifest.json").write_bytes((column_build.pr / "manifest.json").read_bytes())
    args = ["check-fields", "--lookml-dir", LOOKML, "--project-dir", str(column_build.pr_project_dir)]
    code, out, err = run([*args, "--manifest", str(tmp_path / "manifest.json")], capsys)
    assert (code, err) == (1, "")
    missing = (
        'reads "core"."fact_orders".order_total: model.greenery.fact_orders has no column \'order_total\' '
        "(its columns from its compiled SQL: no catalog given)"
    )
    promos = (
        "not checked: the columns of source.greenery.greenery.promos are not all known "
        "(a source has no SQL): run `dbt docs generate`"
    )
    assert out.splitlines() == [
        f"{VIEW}:36: fact_orders.order_total: {missing}",
        f"{VIEW}:47: fact_orders.total_revenue: {missing}",
        f"{VIEW}:53: fact_orders.average_order_value: {missing}",
        f"{LOOKML}/greenery.model.lkml:27: join:promos: {promos}",
        f"{LOOKML}/views/promos.view.lkml:11: promos.discount: {promos}",
        f"{LOOKML}/views/promos.view.lkml:16: promos.status: {promos}",
        f"{LOOKML}/views/promos.view.lkml:5: promos.promo_id: {promos}",
        "75 field(s) checked: 3 read a missing column, 4 could not be checked",
    ]


def test_check_fields_without_catalog_or_compiled_sql_is_one_line(in_repo, capsys, tmp_path: Path) -> None:
    from conftest import copy_project, run_dbt

    project = copy_project(tmp_path / "project")
    result = run_dbt(["parse", "--quiet"], project)  # a real manifest without compiled SQL
    assert result.returncode == 0, result.stdout + result.stderr
    code, out, err = run(["check-fields", "--lookml-dir", LOOKML, "--project-dir", str(project)], capsys)
    assert (code, out) == (2, "")
    assert err == (
        f"dbtmeta: error: no catalog.json in '{project / 'target'}' and the manifest has no compiled SQL "
        "(written by `dbt parse`); run `dbt docs generate` (or `dbt compile`) first, or pass --catalog FILE\n"
    )


def test_column_commands_take_the_sync_settings(column_build, in_repo, capsys) -> None:
    """--schema-map (like --dialect, --connection, --user-attribute) resolves tables as sync-exposures
    does: mapping Looker's core schema elsewhere leaves exactly the core tables without a node."""
    args = ["check-fields", "--lookml-dir", LOOKML, *prod_args(column_build), "--format", "json"]
    code, out, err = run([*args, "--schema-map", "core=elsewhere"], capsys)
    assert (code, err) == (0, "")
    found = json.loads(out)
    core = {"elsewhere.dim_products", "elsewhere.dim_users", "elsewhere.fact_orders"}
    assert {u["message"].rpartition(" builds ")[2] for u in found["unchecked"]} == core
    assert found["fields_checked"] == 75 and found["errors"] == []


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (
            ["--connection", "nope"],
            "--connection 'nope' is not NAME:database=DB,schema=SCHEMA,dialect=DIALECT",
        ),
        (["--schema-map", "core"], "--schema-map 'core' is not LOOKER_SCHEMA=DBT_SCHEMA"),
        (["--user-attribute", "x"], "--user-attribute 'x' is not NAME=VALUE"),
    ],
)
def test_column_command_settings_malformed_is_one_line(
    column_build, in_repo, capsys, option: list[str], message: str
) -> None:
    code, out, err = run(["check-fields", "--lookml-dir", LOOKML, *prod_args(column_build), *option], capsys)
    assert (code, out) == (2, "")
    assert err.startswith(f"dbtmeta: error: {message}") and err.count("\n") == 1


def test_impact_columns_names_exactly_the_renamed_columns_readers(column_build, in_repo, capsys) -> None:
    args = ["impact", "--columns", "--state", str(column_build.prod), "--lookml-dir", LOOKML]
    args += ["--project-dir", str(column_build.pr_project_dir)]
    code, out, err = run([*args, "--format", "json"], capsys)
    assert code == 1
    assert err == "dbtmeta: 1 changed column(s) are read by 2 Looker tile(s)\n"

    def use(tile: str, title: str, field: str, line: int) -> dict[str, str]:
        return {
            "dashboard": "greenery::orders_overview",
            "dashboard_title": "Orders Overview",
            "tile": tile,
            "tile_title": title,
            "field": field,
            "explore": "greenery::orders",
            "where": f"{VIEW}:{line}",
        }

    assert json.loads(out) == {
        "changes": [
            {
                "node": "model.greenery.fact_orders",
                "column": "order_total",
                "change": "renamed",
                "new_name": "order_amount",
                "old_type": None,
                "new_type": None,
                "used_by": [
                    use("revenue_by_day", "Revenue by day", "orders.average_order_value", 53),
                    use("revenue_by_day", "Revenue by day", "orders.total_revenue", 47),
                    use("top_customers", "Top customers", "orders.total_revenue", 47),
                ],
            },
            {
                "node": "model.greenery.fact_orders",
                "column": "tracking_id",
                "change": "removed",
                "new_name": None,
                "old_type": None,
                "new_type": None,
                "used_by": [],
            },
        ],
        "untraced": [],
    }
    code, out, _ = run([*args, "--format", "markdown"], capsys)
    assert code == 1
    view = r"example\_project/looker/views/fact\_orders.view.lkml"
    assert out.splitlines() == [
        "## dbtmeta impact: columns",
        "",
        r"- **model.greenery.fact\_orders.order\_total: renamed to order\_amount**",
        r"  - Orders Overview / Revenue by day: orders.average\_order\_value "
        f"({view}:53), " + r"orders.total\_revenue " + f"({view}:47)",
        r"  - Orders Overview / Top customers: orders.total\_revenue " + f"({view}:47)",
        r"- **model.greenery.fact\_orders.tracking\_id: removed** (nothing in Looker reads it)",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("threshold", "code", "message"),
    [
        ("medium", 1, "dbtmeta: 1 changed column(s) are read by 2 Looker tile(s)\n"),
        (
            "high",
            0,
            "dbtmeta: 1 changed column(s) are read, none by a dashboard whose exposure has maturity "
            "high or higher\n",
        ),
    ],
)
def test_impact_columns_maturity_gate(
    column_build, in_repo, capsys, threshold: str, code: int, message: str
) -> None:
    """The Orders Overview exposure is of maturity medium: a high gate lets the rename through."""
    args = ["impact", "--columns", "--state", str(column_build.prod), "--lookml-dir", LOOKML]
    args += ["--project-dir", str(column_build.pr_project_dir), "--format", "json"]
    got, out, err = run([*args, "--fail-on-maturity", threshold], capsys)
    assert (got, err) == (code, message)
    assert [c["column"] for c in json.loads(out)["changes"] if c["used_by"]] == ["order_total"]


def test_impact_columns_nothing_changed_is_exit_0(column_build, in_repo, capsys) -> None:
    args = [
        "impact",
        "--columns",
        "--state",
        str(column_build.prod),
        "--lookml-dir",
        LOOKML,
        *prod_args(column_build),
    ]
    code, out, err = run(args, capsys)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "No column was removed, renamed or changed in type.",
        "0 changed column(s) read by 0 tile(s)",
    ]


def test_impact_columns_needs_state_and_looker_content(column_build, in_repo, capsys) -> None:
    code, out, err = run(["impact", "--columns", "--project-dir", str(column_build.pr_project_dir)], capsys)
    assert (code, out) == (2, "")
    assert err == (
        "dbtmeta: error: --columns compares with production: give --state PROD_DIR (its manifest.json and "
        "catalog.json)\n"
    )
    state = ["--state", str(column_build.prod)]
    code, out, err = run(
        ["impact", "--columns", *state, "--project-dir", str(column_build.pr_project_dir)], capsys
    )
    assert (code, out) == (2, "")
    assert err == f"dbtmeta: error: {NO_CONTENT}\n"


def test_looker_field_the_other_way(column_build, in_repo, capsys) -> None:
    args = ["lineage", "fact_orders.total_revenue", "--looker-field", "--lookml-dir", LOOKML]
    code, out, err = run([*args, *prod_args(column_build)], capsys)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"fact_orders.total_revenue  {VIEW}:47",
        "├── orders.total_revenue in greenery::orders",
        "│   └── model.greenery.fact_orders.order_total",
        "└── user_orders.total_revenue in greenery::users",
        "    └── model.greenery.fact_orders.order_total",
    ]
    # a derived table: through its SQL down to fact_page_views
    args = ["lineage", "product_page_views.total_sessions", "--looker-field", "--lookml-dir", LOOKML]
    code, out, _ = run([*args, "--format", "json", *prod_args(column_build)], capsys)
    assert code == 0
    assert json.loads(out) == {
        "view": "product_page_views",
        "field": "total_sessions",
        "where": f"{LOOKML}/views/derived/product_page_views.view.lkml:44",
        "explores": [
            {
                "explore": "greenery::products",
                "field": "product_page_views.total_sessions",
                "columns": [{"node": "model.greenery.fact_page_views", "column": "session_id"}],
                "problems": [],
            }
        ],
    }


def test_looker_field_errors_are_one_line(column_build, in_repo, capsys) -> None:
    args = ["lineage", "dim_users.nope", "--looker-field", "--lookml-dir", LOOKML, *prod_args(column_build)]
    code, out, err = run(args, capsys)
    assert (code, out) == (2, "")
    assert (
        err
        == "dbtmeta: error: LookML view dim_users has no field 'nope'; give VIEW.FIELD as in the view file\n"
    )
    code, out, err = run(["lineage", "dim_users.email", "--looker-field", *prod_args(column_build)], capsys)
    assert (code, out) == (2, "")
    assert err == f"dbtmeta: error: {NO_CONTENT}\n"


def test_untrusted_titles_are_shown_as_data(column_build, in_repo, capsys, tmp_path: Path) -> None:
    looker = tmp_path / "looker"
    shutil.copytree(REPO / LOOKML, looker)
    dashboard = looker / "dashboards/orders_overview.dashboard.lookml"
    text = dashboard.read_text().replace("title: Revenue by day", 'title: "Revenue \\e[31m[bold]red[/bold]"')
    dashboard.write_text(text)
    args = ["lineage", "fact_orders.order_total", "--lookml-dir", str(looker), *prod_args(column_build)]
    code, out, _ = run(args, capsys)
    assert code == 0
    assert "\x1b" not in out
    assert "Revenue \\x1b[31m[bold]red[/bold] [revenue_by_day]" in out
    code, out, _ = run([*args, "--format", "json"], capsys)
    tiles = json.loads(out)["dashboards"][0]["tiles"]
    assert tiles[0]["title"] == "Revenue \x1b[31m[bold]red[/bold]"  # JSON keeps the data, escaped


def test_check_fields_summary_counts_fields_not_findings() -> None:
    """A field reading two unresolved tables is one field that could not be checked, not two."""
    import io

    from rich.console import Console

    from dbtmeta.columns.check import FieldCheck, FieldProblem
    from dbtmeta.render.columns import check_text

    check = FieldCheck(
        errors=[
            FieldProblem("v.lkml:3", "v.a", "reads t.x: no column"),
            FieldProblem("v.lkml:3", "v.a", "y"),
        ],
        notes=[
            FieldProblem("v.lkml:9", "v.b", "table s: no dbt node"),
            FieldProblem("v.lkml:9", "v.b", "table u: no dbt node"),
            FieldProblem("v.lkml:12", "v.c", "its SQL has Liquid"),
        ],
        fields_checked=4,
    )
    out = io.StringIO()
    check_text(check, Console(file=out, width=200))
    assert (
        out.getvalue().splitlines()[-1]
        == "4 field(s) checked: 1 read a missing column, 2 could not be checked"
    )


def test_another_projects_catalog_is_set_aside(column_build, in_repo, capsys, tmp_path: Path) -> None:
    """A catalog.json none of whose nodes the manifest has is not used (with a warning): the
    columns then come from the compiled SQL, as with no catalog."""
    data = json.loads((column_build.prod / "catalog.json").read_text())
    for group in ("nodes", "sources"):
        data[group] = {k.replace(".greenery.", ".elsewhere."): v for k, v in data[group].items()}
    foreign = tmp_path / "catalog.json"
    foreign.write_text(json.dumps(data))
    args = ["check-fields", "--lookml-dir", LOOKML, *prod_args(column_build), "--catalog", str(foreign)]
    code, out, err = run(args, capsys)
    assert code == 0
    assert err == (
        f"dbtmeta: warning: '{foreign}' describes none of the manifest's nodes (another project's or "
        "target's catalog?): not used; run `dbt docs generate` for this project\n"
    )
    # the models' columns come from their compiled SQL; the promos source has no SQL: 4 fields unchecked
    assert out.splitlines()[-1] == "75 field(s) checked: 0 read a missing column, 4 could not be checked"
    assert {line.split(": ")[1] for line in out.splitlines()[:-1]} == {
        "join:promos",
        "promos.discount",
        "promos.status",
        "promos.promo_id",
    }


def test_columns_of_a_looker_table_come_from_its_nodes_catalog_entry(column_build) -> None:
    """What lets sqlglot place a derived table's unqualified columns: a Looker table's columns,
    through the same resolution as everything else, from the real example catalog."""
    from dbtmeta.columns.usage import columns_of
    from dbtmeta.commands._columns import LookerSource, load_content_resolver
    from dbtmeta.dbt.artifacts import load_manifest
    from dbtmeta.dbt.columns import DbtColumns, load_catalog

    manifest = load_manifest(column_build.prod / "manifest.json")
    catalog = load_catalog(column_build.prod / "catalog.json")
    _, resolve = load_content_resolver(LookerSource(str(REPO / LOOKML)), manifest)
    of = columns_of(resolve, DbtColumns(manifest, catalog))
    expected = [c.name for c in catalog.nodes["model.greenery.dim_users"]]
    assert of("core.dim_users", "greenery_duckdb") == expected and "email" in expected
    assert of("nowhere.nothing", "greenery_duckdb") is None  # no dbt node: not known
