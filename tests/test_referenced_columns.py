"""sync-exposures --referenced-columns: meta.referenced_columns as Elementary's
``exposure_schema_validity`` test reads them, over the example's real LookML, real dbt artifacts
(manifest + catalog of `dbt docs generate`), real `dbt parse`, and the real DuckDB warehouse.

The contract (elementary-data/dbt-data-reliability, macros/edr/tests/test_exposure_schema_validity.sql
and the macros it calls, read on its main branch, July 2026):

- the exposure's meta is ``config.meta`` updated with ``meta`` (``get_node_meta``);
- ``meta['referenced_columns']`` is iterated; each item's ``column_name`` is compared upper-cased
  with the upper-cased names of ``adapter.get_columns_in_relation(model)``;
- ``data_type``, when not empty, must equal ``normalize_data_type(dtype)``: the warehouse type cut at
  ``(``, lower-cased, looked up in the adapter's ``data_type_list`` -> string / numeric / timestamp
  / boolean, else other;
- ``node`` goes through ``get_rendered_ref``: lower-cased; ``ref('x')`` (``re.match`` of
  ``(ref\\('(?P<ref_identifier>.+)'\\))``) becomes ``ref(x)``'s relation, anything else stays the
  lower-cased string; then compared with the tested relation rendered and lower-cased.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLE_PROJECT, ColumnBuild, ExampleBuild, run_dbt

from dbtmeta.cli import main
from dbtmeta.exposures.referenced import elementary_type
from dbtmeta.exposures.resolve import DashboardResolution
from dbtmeta.exposures.yaml_file import ExposureSettings, build_entry
from dbtmeta.looker.content import Dashboard

LOOKML = EXAMPLE_PROJECT / "looker"
GENERATED = Path("models") / "exposures" / "looker_exposures.yml"

# get_rendered_ref's pattern, as the macro writes it
_RENDERED_REF = re.compile(r"(ref\('(?P<ref_identifier>.+)'\))", re.IGNORECASE)
# duckdb__data_type_list, as the macro writes it (kept here apart from dbtmeta's copy on purpose)
_DUCKDB_TYPES = {
    "string": "character varying,varchar,character,char,text,nchar,bpchar,string",
    "numeric": "integer,bigint,smallint,tinyint,decimal,numeric,real,double,double precision,float,int2,"
    "int4,int,int8,float4,float8,hugeint,ubigint,uinteger,usmallint,utinyint,uhugeint",
    "timestamp": "date,timestamp,timestamptz,timestamp without time zone,timestamp with time zone",
    "boolean": "boolean",
}


def normalize_data_type(data_type: str) -> str:
    """Elementary's normalize_data_type on DuckDB."""
    base = data_type.split("(")[0] if "(" in data_type else data_type
    for kind, names in _DUCKDB_TYPES.items():
        if base.lower() in names.split(","):
            return kind
    return "other"


@pytest.fixture()
def prod_project(example_build: ExampleBuild, column_build: ColumnBuild, tmp_path: Path) -> Path:
    """The example project with production's manifest.json and catalog.json in target/."""
    dest = tmp_path / "project"

    def ignore(directory: str, names: list[str]) -> set[str]:
        return {n for n in names if n in {"target", "logs", "dbt_packages"} or ".duckdb" in n}

    shutil.copytree(example_build.project_dir, dest, ignore=ignore)
    (dest / "target").mkdir()
    for name in ("manifest.json", "catalog.json"):
        shutil.copy(column_build.prod / name, dest / "target" / name)
    return dest


def sync(project: Path, *args: str, lookml: Path = LOOKML) -> int:
    try:
        main(["sync-exposures", "--lookml-dir", str(lookml), "--project-dir", str(project), *args])
    except SystemExit as exc:
        return int(exc.code or 0)
    raise AssertionError("main() did not exit")


def generated_meta(project: Path) -> dict[str, dict]:
    data = yaml.safe_load((project / GENERATED).read_text(encoding="utf-8"))
    return {e["name"]: e["config"]["meta"] for e in data["exposures"]}


def node_meta(exposure: dict) -> dict:
    """get_node_meta: config.meta, updated with meta."""
    meta = dict((exposure.get("config") or {}).get("meta") or {})
    meta.update(exposure.get("meta") or {})
    return meta


def rendered_node(node: str, manifest: dict) -> str:
    """render(get_rendered_ref(node)): ref('x') -> x's relation as dbt renders it; else lower-cased."""
    lowered = node.lower()
    match = _RENDERED_REF.match(lowered)
    if not match:
        return lowered
    name = match.group("ref_identifier")
    found = [
        n
        for n in manifest["nodes"].values()
        if n["resource_type"] in ("model", "seed", "snapshot") and n["name"] == name
    ]
    assert len(found) == 1, f"ref({name!r}) is ambiguous or unknown: {found}"
    return found[0]["relation_name"]


def warehouse_columns(con, node: dict) -> dict[str, str]:
    """adapter.get_columns_in_relation on DuckDB: upper-cased name -> dtype."""
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = ? and table_name = ?",
        [node["database"], node["schema"], node.get("alias") or node.get("identifier") or node["name"]],
    ).fetchall()
    return {name.upper(): dtype for name, dtype in rows}


def contract_findings(manifest: dict, columns_of) -> list[str]:
    """Every referenced column the macro would flag (missing, other type) or could not place, read
    from the manifest dbt parsed, item by item, as the macro reads it. ``columns_of(node)``: the
    relation's columns (upper-cased name -> warehouse type)."""
    relations = {**manifest["nodes"], **manifest["sources"]}
    findings = []
    for exposure in manifest["exposures"].values():
        items = node_meta(exposure).get("referenced_columns")
        if items is None:
            continue
        assert isinstance(items, list)
        depends = exposure["depends_on"]["nodes"]
        for item in items:
            assert set(item) <= {"column_name", "data_type", "node"}, item
            assert isinstance(item["column_name"], str) and item["column_name"]
            assert "node" in item, item  # needed once two exposures read a model
            target = rendered_node(item["node"], manifest)
            tested = [uid for uid in depends if relations[uid]["relation_name"].lower() == target]
            if _RENDERED_REF.match(item["node"].lower()) and len(set(depends)) > 1:
                # the macro calls that ref() in the test of every model the exposure reads: dbt
                # stops the tests of the others ("unable to infer all dependencies")
                findings.append(f"{exposure['name']}: {item}: ref() of one of several nodes")
            if len(tested) != 1:
                findings.append(f"{exposure['name']}: {item}: node matches {tested} of {depends}")
                continue
            columns = columns_of(relations[tested[0]])
            name = item["column_name"].upper()
            if name not in columns:
                findings.append(f"{exposure['name']}: {item['column_name']} column missing in the model")
            elif (item.get("data_type") or "") != "" and item["data_type"] != normalize_data_type(
                columns[name]
            ):
                findings.append(
                    f"{exposure['name']}: different data type for the column {item['column_name']} "
                    f"{item['data_type']} vs {normalize_data_type(columns[name])}"
                )
    return findings


DIM_USERS = '"greenery"."core"."dim_users"'
FACT_ORDERS = '"greenery"."core"."fact_orders"'
PROMOS = '"greenery"."raw"."promos"'
CUSTOMERS = [
    {"column_name": "created_at", "data_type": "timestamp", "node": DIM_USERS},
    {"column_name": "state", "data_type": "string", "node": DIM_USERS},
]
ORDERS_OVERVIEW = [
    {"column_name": name, "data_type": kind, "node": node}
    for node, columns in [
        (DIM_USERS, "created_at timestamp,email string,first_name string,last_name string,user_id string"),
        (
            FACT_ORDERS,
            "created_at timestamp,order_total numeric,promo_id string,status string,user_id string",
        ),
        (PROMOS, "discount string,promo_id string,status string"),
    ]
    for name, kind in (pair.split() for pair in columns.split(","))
]


def test_referenced_columns_are_what_the_tiles_read_through_dbt_parse(prod_project: Path, capsys) -> None:
    assert sync(prod_project, "--referenced-columns") == 0
    out = capsys.readouterr()
    assert out.err == ""  # every field of the example is traced
    written = generated_meta(prod_project)
    assert written["customers"]["referenced_columns"] == CUSTOMERS
    assert written["orders_overview"]["referenced_columns"] == ORDERS_OVERVIEW
    result = run_dbt(["parse", "--quiet"], prod_project)
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((prod_project / "target" / "manifest.json").read_text(encoding="utf-8"))
    parsed = {e["name"]: node_meta(e) for e in manifest["exposures"].values()}
    for name, meta in written.items():  # dbt reads back exactly what was written
        assert parsed[name]["referenced_columns"] == meta["referenced_columns"]
        assert manifest["exposures"][f"exposure.greenery.{name}"]["config"]["meta"] == meta


def test_every_item_holds_against_the_macro_and_the_warehouse(
    prod_project: Path, example_build: ExampleBuild, column_build: ColumnBuild, duckdb_readonly, capsys
) -> None:
    assert sync(prod_project, "--referenced-columns") == 0
    assert run_dbt(["parse", "--quiet"], prod_project).returncode == 0
    manifest = json.loads((prod_project / "target" / "manifest.json").read_text(encoding="utf-8"))
    items = [i for e in manifest["exposures"].values() for i in node_meta(e).get("referenced_columns", [])]
    assert len(items) == 2 + 9 + 13 + 11  # customers, inventory_health, orders_overview, product_funnel
    assert all("data_type" in item for item in items)
    con = duckdb_readonly(example_build.duckdb_path)  # production's warehouse
    assert contract_findings(manifest, lambda node: warehouse_columns(con, node)) == []
    # Against the PR's warehouse (its catalog: order_total is now order_amount) the same items fail
    # exactly where Looker would: the renamed column, once, on the one exposure reading it.
    pr = json.loads((column_build.pr / "catalog.json").read_text(encoding="utf-8"))
    entries = {**pr["nodes"], **pr["sources"]}

    def pr_columns(node: dict) -> dict[str, str]:
        columns = entries[node["unique_id"]]["columns"].values()
        return {c["name"].upper(): c["type"] for c in columns}

    assert contract_findings(manifest, pr_columns) == [
        "orders_overview: order_total column missing in the model"
    ]


def test_a_changed_type_is_what_the_macro_would_flag(prod_project: Path, column_build: ColumnBuild) -> None:
    assert sync(prod_project, "--referenced-columns") == 0
    assert run_dbt(["parse", "--quiet"], prod_project).returncode == 0
    manifest = json.loads((prod_project / "target" / "manifest.json").read_text(encoding="utf-8"))
    prod = json.loads((column_build.prod / "catalog.json").read_text(encoding="utf-8"))

    def retyped(node: dict) -> dict[str, str]:
        columns = {
            c["name"].upper(): c["type"]
            for c in prod["nodes"].get(node["unique_id"], {}).get("columns", {}).values()
        }
        if node["unique_id"] == "model.greenery.dim_users":
            columns["STATE"] = "INTEGER"
        return columns or {
            c["name"].upper(): c["type"] for c in prod["sources"][node["unique_id"]]["columns"].values()
        }

    assert sorted(contract_findings(manifest, retyped)) == [
        "customers: different data type for the column state string vs numeric",
    ]


def test_same_input_same_bytes_and_check_is_stable(prod_project: Path, capsys) -> None:
    assert sync(prod_project, "--referenced-columns") == 0
    first = (prod_project / GENERATED).read_bytes()
    assert sync(prod_project, "--referenced-columns", "--check") == 0
    assert (prod_project / GENERATED).read_bytes() == first
    meta = generated_meta(prod_project)
    for items in (m["referenced_columns"] for m in meta.values()):
        keys = [(i["node"], i["column_name"].lower()) for i in items]
        assert keys == sorted(keys) and len(set(keys)) == len(keys)
    # without the flag the file goes back to what it was: no referenced_columns anywhere
    capsys.readouterr()
    assert sync(prod_project) == 0
    assert "referenced_columns" not in (prod_project / GENERATED).read_text(encoding="utf-8")


def test_a_field_that_cannot_be_traced_adds_nothing_and_is_reported(
    prod_project: Path, tmp_path: Path, capsys
) -> None:
    lookml = tmp_path / "looker"
    shutil.copytree(LOOKML, lookml)
    view = lookml / "views" / "dim_users.view.lkml"
    text = view.read_text(encoding="utf-8")
    assert "    sql: ${TABLE}.state ;;" in text
    view.write_text(
        text.replace("    sql: ${TABLE}.state ;;", "    sql: {% if true %}${TABLE}.state{% endif %} ;;"),
        encoding="utf-8",
    )
    assert sync(prod_project, "--referenced-columns", lookml=lookml) == 0
    err = capsys.readouterr().err
    customers = generated_meta(prod_project)["customers"]["referenced_columns"]
    assert customers == [CUSTOMERS[0]]  # state is not guessed
    lines = [line for line in err.splitlines() if "Customers (greenery::customers)" in line]
    assert lines and all(line.startswith("dbtmeta: warning: referenced_columns: Customers") for line in lines)
    assert any("views/dim_users.view.lkml:4" in line and "Liquid" in line for line in lines), err


def test_without_a_catalog_no_data_type_and_a_warning(prod_project: Path, capsys) -> None:
    (prod_project / "target" / "catalog.json").unlink()
    assert sync(prod_project, "--referenced-columns") == 0
    err = capsys.readouterr().err
    assert "no catalog.json in" in err and "without data_type" in err
    customers = generated_meta(prod_project)["customers"]["referenced_columns"]
    assert customers == [{k: v for k, v in item.items() if k != "data_type"} for item in CUSTOMERS]


def test_catalog_without_referenced_columns_is_a_usage_error(prod_project: Path, capsys) -> None:
    assert sync(prod_project, "--catalog", str(prod_project / "target" / "catalog.json")) == 2
    assert "--catalog goes with --referenced-columns" in capsys.readouterr().err


def _dashboard() -> DashboardResolution:
    return DashboardResolution(Dashboard(id="7", kind="dashboard", title="Sales"), [], [])


def test_items_are_written_jinja_safe_and_where_the_projects_dbt_reads_meta() -> None:
    items = [{"column_name": "{{ var('x') }}", "data_type": "string", "node": "ref('a')"}]
    under_config = build_entry(_dashboard(), "sales", ExposureSettings("shop"), referenced=items)
    written = under_config["config"]["meta"]["referenced_columns"]
    assert written == [
        {"column_name": "{{ '{{ var(\\'x\\') }}' }}", "data_type": "string", "node": "ref('a')"}
    ]
    top = build_entry(
        _dashboard(), "sales", ExposureSettings("shop", tags_meta_in_config=False), referenced=items
    )
    assert top["meta"]["referenced_columns"] == written and "config" not in top
    assert (
        "referenced_columns"
        not in build_entry(_dashboard(), "s", ExposureSettings("shop"), referenced=[])["config"]["meta"]
    )


@pytest.mark.parametrize(
    ("adapter", "warehouse_type", "expected"),
    [
        ("duckdb", "DECIMAL(10,2)", "numeric"),
        ("duckdb", "HUGEINT", "numeric"),
        ("duckdb", "TIMESTAMP WITH TIME ZONE", "timestamp"),
        ("duckdb", "VARCHAR", "string"),
        ("duckdb", "STRUCT(a INTEGER)", "other"),
        ("snowflake", "TIMESTAMP_NTZ", "timestamp"),
        ("snowflake", "NUMBER(38,0)", "numeric"),
        ("bigquery", "INT64", "numeric"),
        ("bigquery", "ARRAY<STRING>", "other"),
        ("postgres", "double precision", "numeric"),
        ("postgres", "tinyint", "other"),  # only DuckDB's and others' own lists have it
        ("databricks", "bigint", "numeric"),
        ("clickhouse", "LowCardinality(String)", "other"),  # cut at "(" first, as Elementary does
        ("sqlserver", "bit", "boolean"),
        ("materialize", "text", None),  # an adapter whose dispatch is not known here: no data_type
        (None, "text", None),
    ],
)
def test_elementary_type(adapter: str | None, warehouse_type: str, expected: str | None) -> None:
    assert elementary_type(adapter, warehouse_type) == expected


def test_the_normaliser_agrees_with_the_macros_duckdb_list() -> None:
    for kind, names in _DUCKDB_TYPES.items():
        for name in names.split(","):
            assert elementary_type("duckdb", name.upper()) == kind
