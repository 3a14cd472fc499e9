"""The LookML pattern corpus for used fields and table names (issue 12, points 3 and 4).

Each ``tests/fixtures/lookml_corpus/fields_*`` / ``tables_*`` directory is a small LookML project
of one real-world pattern plus ``expected.yml``: the dbt relations of a hand-made manifest, and
per case the sync-exposures arguments, the exact ``depends_on`` of every dashboard and the exact
``unresolved:`` lines. Every case runs the real CLI on a project holding that manifest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from dbtmeta.cli import main

CORPUS = Path(__file__).parent / "fixtures" / "lookml_corpus"
PATTERNS = sorted(
    p.name
    for p in CORPUS.glob("*")
    if p.name.startswith(("fields_", "tables_")) and (p / "expected.yml").is_file()
)


def _node(unique_id: str, relation: str) -> dict[str, Any]:
    kind, package, *rest = unique_id.split(".")
    node: dict[str, Any] = {
        "unique_id": unique_id,
        "resource_type": kind,
        "package_name": package,
        "relation_name": relation,
        "config": {"materialized": "table", "enabled": True},
    }
    if kind == "source":
        node["source_name"], node["name"] = rest
    else:
        node["name"] = rest[0]
    return node


def _project(tmp_path: Path, spec: dict[str, Any]) -> Path:
    """A dbt project directory whose target/manifest.json holds ``spec``'s relations."""
    project = tmp_path / "project"
    (project / "target").mkdir(parents=True)
    (project / "dbt_project.yml").write_text("name: shop\nversion: '1.0'\nprofile: shop\n", encoding="utf-8")
    nodes = [_node(uid, rel) for uid, rel in spec["relations"].items()]
    manifest = {
        "metadata": {
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
            "project_name": "shop",
            "adapter_type": spec["adapter"],
        },
        "nodes": {n["unique_id"]: n for n in nodes if n["resource_type"] != "source"},
        "sources": {n["unique_id"]: n for n in nodes if n["resource_type"] == "source"},
        "exposures": {},
        "parent_map": {},
        "child_map": {},
        "disabled": {},
    }
    (project / "target" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return project


def _sync(lookml: Path, project: Path, out: Path, args: list[str]) -> int:
    try:
        main(
            [
                "sync-exposures",
                "--lookml-dir",
                str(lookml),
                "--project-dir",
                str(project),
                "--output",
                str(out),
                *args,
            ]
        )
    except SystemExit as exc:
        return int(exc.code or 0)
    raise AssertionError("main() did not exit")


def _cases() -> list[Any]:
    found = []
    for pattern in PATTERNS:
        spec = yaml.safe_load((CORPUS / pattern / "expected.yml").read_text(encoding="utf-8"))
        for index, case in enumerate(spec["cases"]):
            found.append(pytest.param(pattern, index, id=f"{pattern}-{case.get('name', index)}"))
    return found


def test_the_corpus_has_its_patterns() -> None:
    assert PATTERNS == [
        "fields_dashboard_filters",
        "fields_dynamic_fields",
        "fields_explore_filters",
        "fields_filter_expressions",
        "fields_legacy_tiles",
        "fields_merged_results",
        "fields_name_prefix",
        "tables_bigquery_case",
        "tables_connection_defaults",
        "tables_ga4_unnest",
        "tables_liquid",
        "tables_snowflake_case",
    ]


@pytest.mark.parametrize(("pattern", "index"), _cases())
def test_corpus_pattern_gives_exactly_the_expected_depends_on(
    pattern: str, index: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = CORPUS / pattern
    spec = yaml.safe_load((directory / "expected.yml").read_text(encoding="utf-8"))
    case = spec["cases"][index]
    project = _project(tmp_path, spec)
    out = tmp_path / "exposures.yml"
    assert _sync(directory, project, out, [str(a) for a in case.get("args", [])]) == 0
    err = capsys.readouterr().err
    generated = yaml.safe_load(out.read_text(encoding="utf-8"))["exposures"]
    depends_on = {e["config"]["meta"]["looker_id"]: e.get("depends_on", []) for e in generated}
    assert depends_on == case["depends_on"]
    assert err.splitlines() == case.get("stderr", [])


# ------------------------------------------------------------------------- the rules, one by one


def test_field_refs_reads_only_view_field_markers() -> None:
    from dbtmeta.looker.lookml_templates import field_refs

    text = '${users.state} = "CA" AND ${ orders.id } > ${TABLE}.x OR ${calc} + ${v.SQL_TABLE_NAME}'
    text += " ${users.state}"
    assert field_refs(text) == ["users.state", "orders.id"]
    assert field_refs("${unterminated.x") == []


def test_dynamic_fields_count_only_when_the_query_uses_them() -> None:
    from dbtmeta.looker.usage import dynamic_field_refs

    items = [
        {"table_calculation": "ratio", "expression": "${a_measure} / ${orders.count}"},
        {"measure": "a_measure", "based_on": "grouped", "type": "count_distinct"},
        {"dimension": "grouped", "calculation_type": "bin", "args": ["products.price", "10", "0", "100"]},
        {"measure": "filtered", "based_on": "orders.id", "filters": {"customers.state": "CA"}},
        {"measure": "not_used", "based_on": "promos.id", "filter_expression": "${stores.region} = 'x'"},
        {"expression": "${suppliers.id}"},  # no name: it cannot be told apart, so it counts
        "not a mapping",
    ]
    assert dynamic_field_refs(items, ["ratio", "filtered"]) == [
        "suppliers.id",
        "orders.count",
        "orders.id",
        "customers.state",
        "products.price",
    ]
    assert dynamic_field_refs(items, []) == ["suppliers.id"]


def test_a_filter_that_listens_to_another_reads_its_field() -> None:
    from dbtmeta.looker.lookml import read_lookml

    content = read_lookml(CORPUS / "fields_dashboard_filters")
    filtered = next(d for d in content.dashboards if d.id == "shop::filtered")
    assert [(q.id, q.fields, q.filters) for q in filtered.filters] == [
        ("Region", ("stores.region",), ()),
        ("Promo code", ("promos.code",), ("stores.region",)),
    ]


def test_sorts_are_kept_but_do_not_choose_joins() -> None:
    from dbtmeta.looker.content import Query

    query = Query("m", "e", fields=("orders.count",), sorts=("promos.code",), pivots=("stores.region",))
    assert query.referenced_fields() == ("orders.count", "stores.region")


def _cli(args: list[str]) -> int:
    try:
        main(args)
    except SystemExit as exc:
        return int(exc.code or 0)
    raise AssertionError("main() did not exit")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--connection", "warehouse"],
            "dbtmeta: error: --connection 'warehouse' is not NAME:database=DB,schema=SCHEMA,dialect=DIALECT "
            "(e.g. warehouse:database=analytics,schema=marts)",
        ),
        (
            ["--connection", "wh:db=x"],
            "dbtmeta: error: --connection 'wh:db=x': 'db=x' is not one of database=VALUE, schema=VALUE, "
            "dialect=VALUE",
        ),
        (
            ["--connection", "wh:schema=a,schema=b"],
            "dbtmeta: error: --connection 'wh:schema=a,schema=b' gives schema twice",
        ),
        (
            ["--connection", "wh:dialect=excel"],
            "dbtmeta: error: --connection 'wh:dialect=excel': unknown dialect 'excel' (use a dbt adapter "
            "type such as bigquery, snowflake, postgres, redshift, duckdb)",
        ),
        (
            ["--connection", "wh:schema=a", "--connection", "wh:schema=b"],
            "dbtmeta: error: --connection 'wh' is given twice; give each connection once",
        ),
        (
            ["--user-attribute", "dataset"],
            "dbtmeta: error: --user-attribute 'dataset' is not NAME=VALUE (e.g. dataset=analytics)",
        ),
        (
            ["--user-attribute", "a=1", "--user-attribute", "a=2"],
            "dbtmeta: error: --user-attribute 'a' is given twice with different values",
        ),
    ],
)
def test_bad_connection_and_user_attribute_options_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    spec = yaml.safe_load((CORPUS / "tables_liquid" / "expected.yml").read_text(encoding="utf-8"))
    project = _project(tmp_path, spec)
    out = tmp_path / "exposures.yml"
    code = _sync(CORPUS / "tables_liquid", project, out, args)
    assert code == 2
    assert capsys.readouterr().err.splitlines() == [message]
    assert not out.exists()


def test_connections_and_user_attributes_from_the_config_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], isolated_env: Path
) -> None:
    spec = yaml.safe_load((CORPUS / "tables_liquid" / "expected.yml").read_text(encoding="utf-8"))
    project = _project(tmp_path, spec)
    config = tmp_path / "dbtmeta.yml"
    config.write_text(
        "sync_exposures:\n"
        "  connection: ['warehouse:schema=prod,dialect=duckdb']\n"
        "  user_attribute: [dataset=prod, region=us]\n",
        encoding="utf-8",
    )
    out = tmp_path / "exposures.yml"
    code = _cli(
        [
            "--config",
            str(config),
            "sync-exposures",
            "--lookml-dir",
            str(CORPUS / "tables_liquid"),
            "--project-dir",
            str(project),
            "--output",
            str(out),
        ]
    )
    assert code == 0
    generated = yaml.safe_load(out.read_text(encoding="utf-8"))["exposures"]
    templated = next(e for e in generated if e["config"]["meta"]["looker_id"] == "shop::templated")
    assert "ref('us_customers')" in templated["depends_on"] and "ref('orders')" in templated["depends_on"]
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "dbtmeta: warning: unresolved: 'Parameterised' (shop::parameterised) tile(s) by_parameter: "
        "shop::returns view parameterised: sql_table_name '{% parameter source_table %}' uses Liquid "
        "that depends on the query or user (unexpected tag 'parameter')"
    ]


def test_lkml_warnings_come_out_in_our_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from dbtmeta.looker.lookml import read_lookml

    (tmp_path / "m.model.lkml").write_text(
        'connection: "a"\nconnection: "b"\nexplore: t {}\nview: t { sql_table_name: s.t ;; }\n',
        encoding="utf-8",
    )
    content = read_lookml(tmp_path)
    assert content.model_connections == {"m": "b"}
    # lkml logs nothing of its own; its message is a LookML problem (sync-exposures prints it as a warning)
    assert capsys.readouterr().err == ""
    assert [str(problem) for problem in content.problems] == [
        f'{tmp_path / "m.model.lkml"} (model m): lkml: Multiple declarations of top-level key "connection" '
        "found. Using the last-declared value."
    ]


def test_explore_name_reaches_through_sql_table_name_references(tmp_path: Path) -> None:
    from dbtmeta.looker.lookml import read_lookml

    (tmp_path / "m.model.lkml").write_text(
        """
connection: "wh"
view: base { sql_table_name: stats.{{ _explore._name }}_daily ;; }
view: wrapper { derived_table: { sql: SELECT * FROM ${base.SQL_TABLE_NAME} ;; } }
view: plain { sql_table_name: s.plain ;; }
explore: first { view_name: plain join: wrapper { sql_on: 1 = 1 ;; } }
explore: second { view_name: plain join: wrapper { sql_on: 1 = 1 ;; } }
explore: third { view_name: wrapper }
""",
        encoding="utf-8",
    )
    content = read_lookml(tmp_path, dialect="duckdb")
    tables = {
        name: explore.view(alias).source.tables  # type: ignore[union-attr]
        for (_, name), explore in content.explores.items()
        for alias in ("wrapper",)
    }
    assert tables == {
        "first": ("stats.first_daily",),
        "second": ("stats.second_daily",),
        "third": ("stats.third_daily",),
    }


def test_connection_defaults_apply_to_snapshot_content_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dbtmeta.looker.lookml import read_lookml
    from dbtmeta.looker.snapshot import save_snapshot

    directory = CORPUS / "tables_connection_defaults"
    spec = yaml.safe_load((directory / "expected.yml").read_text(encoding="utf-8"))
    project = _project(tmp_path, spec)
    snapshot = tmp_path / "looker.json"
    save_snapshot(read_lookml(directory, dialect="snowflake"), snapshot)
    out = tmp_path / "exposures.yml"
    args = ["--connection", "snowflake_prod:schema=MARTS", "--connection", "legacy_postgres:schema=marts"]
    code = _cli(
        [
            "sync-exposures",
            "--snapshot",
            str(snapshot),
            "--project-dir",
            str(project),
            "--output",
            str(out),
            *args,
        ]
    )
    assert code == 0
    assert capsys.readouterr().err == ""
    generated = yaml.safe_load(out.read_text(encoding="utf-8"))["exposures"]
    assert {e["config"]["meta"]["looker_id"]: e["depends_on"] for e in generated} == {
        "sales::sales": ["ref('customers')", "ref('orders')", "source('web', 'events')"],
        "legacy::stores": ["ref('stores')"],
    }


def _node_id(entry: str) -> str:
    """``ref('orders')`` -> ``model.shop.orders``, ``source('web', 'e')`` -> ``source.shop.web.e``."""
    names = entry.split("'")[1::2]
    return f"source.shop.{names[0]}.{names[1]}" if entry.startswith("source(") else f"model.shop.{names[0]}"


@pytest.mark.slow
def test_dbt_parse_reads_every_generated_corpus_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The first case of each pattern, synced into one real dbt project that `dbt parse` reads."""
    from conftest import run_dbt

    project = tmp_path / "shop"
    (project / "models" / "exposures").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        "name: shop\nversion: '1.0'\nconfig-version: 2\nprofile: shop\n", encoding="utf-8"
    )
    (project / "profiles.yml").write_text(
        "shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: {tmp_path / 'shop.duckdb'}\n",
        encoding="utf-8",
    )
    expected: dict[str, list[str]] = {}
    sources: dict[str, set[str]] = {}
    for pattern in PATTERNS:
        spec = yaml.safe_load((CORPUS / pattern / "expected.yml").read_text(encoding="utf-8"))
        case = spec["cases"][0]
        manifest = _project(tmp_path / pattern, spec) / "target" / "manifest.json"
        out = project / "models" / "exposures" / f"{pattern}.yml"
        args = ["--manifest", str(manifest), "--output", str(out), *[str(a) for a in case.get("args", [])]]
        assert (
            _cli(
                [
                    "sync-exposures",
                    "--lookml-dir",
                    str(CORPUS / pattern),
                    "--project-dir",
                    str(project),
                    *args,
                ]
            )
            == 0
        )
        for entry in yaml.safe_load(out.read_text(encoding="utf-8"))["exposures"]:
            nodes = [_node_id(d) for d in entry.get("depends_on", [])]
            expected[entry["name"]] = nodes
            for node in nodes:
                kind, _, *rest = node.split(".")
                if kind == "model":
                    (project / "models" / f"{rest[0]}.sql").write_text("select 1 as id\n", encoding="utf-8")
                else:
                    sources.setdefault(rest[0], set()).add(rest[1])
    capsys.readouterr()
    (project / "models" / "sources.yml").write_text(
        yaml.safe_dump(
            {
                "version": 2,
                "sources": [
                    {"name": s, "tables": [{"name": t} for t in sorted(ts)]} for s, ts in sources.items()
                ],
            }
        ),
        encoding="utf-8",
    )
    result = run_dbt(["parse", "--quiet"], project)
    assert result.returncode == 0, result.stdout + result.stderr
    parsed = json.loads((project / "target" / "manifest.json").read_text(encoding="utf-8"))
    found = {e["name"]: sorted(e["depends_on"]["nodes"]) for e in parsed["exposures"].values()}
    assert found == {name: sorted(nodes) for name, nodes in expected.items()}
    assert len(found) == 34  # every dashboard of the corpus
