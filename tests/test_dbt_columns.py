"""dbt columns from catalog.json / the manifest, and column changes between two states."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
from conftest import copy_project, run_dbt

from dbtmeta.dbt.artifacts import load_manifest
from dbtmeta.dbt.columns import (
    Column,
    ColumnChange,
    DbtColumns,
    NodeColumns,
    catalog_from_dict,
    column_changes,
    load_catalog,
    node_columns,
    projections,
)
from dbtmeta.errors import InputError

FACT_ORDERS = "model.greenery.fact_orders"
STAR_ORDERS = "model.greenery.star_orders"
STAR_PROMOS = "model.greenery.star_promos"


@pytest.fixture(scope="module")
def star_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(manifest of `dbt parse`, manifest of `dbt compile`) of the example project plus two models
    selecting `*`: over a model (fact_orders) and over a source whose columns nobody documents."""
    root = tmp_path_factory.mktemp("star_build")
    project = copy_project(root / "project")
    models = project / "models" / "star"
    models.mkdir()
    (models / "star_orders.sql").write_text(
        "select o.*, u.email\nfrom {{ ref('fact_orders') }} as o\n"
        "left join {{ ref('dim_users') }} as u on u.user_id = o.user_id\n"
    )
    (models / "star_promos.sql").write_text("select * from {{ source('greenery', 'promos') }}\n")
    for command in ("parse", "compile"):
        result = run_dbt([command, "--quiet"], project)
        assert result.returncode == 0, result.stdout + result.stderr
        shutil.copyfile(project / "target" / "manifest.json", root / f"{command}.json")
    return root / "parse.json", root / "compile.json"


def test_catalog_answers_first_with_types(column_build) -> None:
    manifest = load_manifest(column_build.prod / "manifest.json")
    catalog = load_catalog(column_build.prod / "catalog.json")
    found = node_columns(manifest, catalog, FACT_ORDERS)
    assert found.source == "catalog"
    assert [c.name for c in found.columns] == [
        "order_id", "user_id", "address_id", "created_at", "status", "promo_id", "promo_discount",
        "order_cost", "shipping_cost", "order_total", "distinct_products", "units", "shipping_service",
        "tracking_id", "estimated_delivery_at", "delivered_at", "hours_to_delivery",
    ]  # fmt: skip
    assert found.get("ORDER_ID") == Column("order_id", "VARCHAR")
    source = node_columns(manifest, catalog, "source.greenery.greenery.promos")
    assert (source.source, [c.name for c in source.columns]) == (
        "catalog",
        ["promo_id", "discount", "status", "_loaded_at"],
    )


def test_manifest_documented_columns_without_catalog_or_compiled_sql(star_build) -> None:
    manifest = load_manifest(star_build[0])  # dbt parse: no compiled SQL
    found = node_columns(manifest, None, FACT_ORDERS)
    assert found.source == "manifest"
    assert found.columns == (Column("order_id"), Column("user_id"), Column("units"))
    # nothing documented and no catalog: unknown, never an empty "known" list
    assert node_columns(manifest, None, "model.greenery.funnel_dropoff").source is None


def test_a_manifest_is_not_a_catalog(column_build) -> None:
    with pytest.raises(InputError, match=r"is not a dbt catalog\.json"):
        load_catalog(column_build.prod / "manifest.json")


def test_changes_of_the_pr_scenario(column_build) -> None:
    changes = column_changes(
        load_manifest(column_build.prod / "manifest.json"),
        load_catalog(column_build.prod / "catalog.json"),
        load_manifest(column_build.pr / "manifest.json"),
        load_catalog(column_build.pr / "catalog.json"),
    )
    assert changes == [
        ColumnChange(FACT_ORDERS, "order_total", "renamed", "order_amount"),
        ColumnChange(FACT_ORDERS, "tracking_id", "removed"),
    ]


def test_changes_of_the_pr_scenario_from_compiled_sql_without_catalogs(column_build) -> None:
    previous = load_manifest(column_build.prod / "manifest.json")
    current = load_manifest(column_build.pr / "manifest.json")
    assert column_changes(previous, None, current, None) == [
        ColumnChange(FACT_ORDERS, "order_total", "renamed", "order_amount"),
        ColumnChange(FACT_ORDERS, "tracking_id", "removed"),
    ]
    # production's catalog against the PR's compiled SQL: the same, without a flood of
    # "removed" columns from nodes whose SQL did not change
    prod_catalog = load_catalog(column_build.prod / "catalog.json")
    assert column_changes(previous, prod_catalog, current, None) == [
        ColumnChange(FACT_ORDERS, "order_total", "renamed", "order_amount"),
        ColumnChange(FACT_ORDERS, "tracking_id", "removed"),
    ]


def test_type_change(column_build) -> None:
    manifest = load_manifest(column_build.prod / "manifest.json")
    data = json.loads((column_build.prod / "catalog.json").read_text())
    changed = copy.deepcopy(data)
    changed["nodes"][FACT_ORDERS]["columns"]["units"]["type"] = "DOUBLE"
    before, after = catalog_from_dict(data), catalog_from_dict(changed)
    assert column_changes(manifest, before, manifest, after) == [
        ColumnChange(FACT_ORDERS, "units", "type_changed", None, "HUGEINT", "DOUBLE")
    ]


def test_projections_leave_aliases_out() -> None:
    sql = "with a as (select 1 as x) select o.order_total as order_amount, o.status, count(*) n from a o"
    assert projections(sql, "duckdb") == {
        "order_amount": "o.order_total",
        "status": "o.status",
        "n": "COUNT(*)",
    }
    assert projections("select from where", "duckdb") == {}


FACT_ORDERS_COLUMNS = [
    "order_id", "user_id", "address_id", "created_at", "status", "promo_id", "promo_discount",
    "order_cost", "shipping_cost", "order_total", "distinct_products", "units", "shipping_service",
    "tracking_id", "estimated_delivery_at", "delivered_at", "hours_to_delivery",
]  # fmt: skip


@pytest.mark.parametrize("manifest_of", ["docs generate", "build"])
def test_compiled_sql_gives_the_catalogs_columns_for_every_model(
    column_build, example_build, manifest_of
) -> None:
    path = (
        column_build.prod / "manifest.json"
        if manifest_of == "docs generate"
        else example_build.green / "manifest.json"
    )
    manifest = load_manifest(path)
    catalog = load_catalog(column_build.prod / "catalog.json")
    nodes = DbtColumns(
        manifest, None
    )  # no catalog: compiled SQL, stars expanded through upstream compiled SQL
    relations = sorted(u for u in manifest.nodes if u.split(".")[0] in ("model", "snapshot"))
    assert len(relations) == 20
    for unique_id in relations:
        found = nodes.of(unique_id)
        assert (unique_id, found.source, found.note) == (unique_id, "compiled", None)
        assert [c.name for c in found.columns] == [c.name for c in catalog.nodes[unique_id]], unique_id
    # dbt adds its meta columns to a snapshot's SQL
    assert [c.name for c in nodes.of("snapshot.greenery.products_snapshot").columns][-5:] == [
        "shop_week", "dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to",
    ]  # fmt: skip
    seeds = [u for u in manifest.nodes if u.startswith("seed.")]
    assert len(seeds) == 7 and all(nodes.compiled(u) is None for u in seeds)  # a seed has no SQL
    # with the catalog, the catalog answers: nothing changes
    assert DbtColumns(manifest, catalog).of(FACT_ORDERS) == NodeColumns(
        FACT_ORDERS, catalog.nodes[FACT_ORDERS], "catalog"
    )


def test_a_star_over_a_model_is_expanded_with_the_models_columns(star_build) -> None:
    manifest = load_manifest(star_build[1])
    found = DbtColumns(manifest, None).of(STAR_ORDERS)  # fact_orders' columns from its own compiled SQL
    assert (found.source, found.note) == ("compiled", None)
    assert [c.name for c in found.columns] == [*FACT_ORDERS_COLUMNS, "email"]


def test_a_star_over_a_relation_with_unknown_columns_is_incomplete(column_build, star_build) -> None:
    manifest = load_manifest(star_build[1])
    note = 'its SELECT * cannot be expanded: no columns known for "greenery"."raw"."promos"'
    nodes = DbtColumns(manifest, None)
    assert nodes.compiled(STAR_PROMOS) == NodeColumns(STAR_PROMOS, (), "compiled", note)
    assert nodes.of(STAR_PROMOS) == NodeColumns(STAR_PROMOS, (), None, note)  # unknown, and why
    assert not nodes.of(STAR_PROMOS).complete
    # the catalog knows the source's columns: the same SQL is then read in full
    with_catalog = DbtColumns(manifest, load_catalog(column_build.prod / "catalog.json"))
    assert [c.name for c in with_catalog.compiled(STAR_PROMOS).columns] == [
        "promo_id",
        "discount",
        "status",
        "_loaded_at",
    ]
    assert with_catalog.of(STAR_PROMOS).source is None  # not in the catalog: as before, documented or unknown


@pytest.mark.parametrize(
    ("sql", "names", "note"),
    [
        (
            "select 1 as one, o.x, count(*) from t as o",
            ["one", "x"],
            "output column 3 (COUNT(*)) has no name: the warehouse names it",
        ),
        ("select a.id, b.id from t as a, u as b", ["id"], "two output columns are named id"),
        ("select from where", [], "its compiled SQL cannot be parsed by sqlglot"),
        ("insert into t values (1)", [], "its compiled SQL is not a SELECT"),
        ("with f as (select 1 as Mixed_Case) select * from f", ["Mixed_Case"], None),  # as written
        ("select a.*, b.* from (select 1 as x) as a, (select 2 as y) as b", ["x", "y"], None),
        ("with f as (select 1 as a, 2 as b) select * exclude (a) from f", ["b"], None),  # by qualify
        ("with f as (select 1 as a union all select 2) select * from f", ["a"], None),
        (
            "with f as (select count(*) from t) select * from f",
            [],
            "output column 1 (COUNT(*)) has no name: the warehouse names it",
        ),
    ],
)
def test_what_compiled_sql_cannot_name_is_a_note(
    column_build, sql: str, names: list[str], note: str | None
) -> None:
    import dataclasses

    manifest = load_manifest(column_build.prod / "manifest.json")
    node = {**manifest.nodes[FACT_ORDERS], "compiled_code": sql}  # the SQL of this case, in a real node
    manifest = dataclasses.replace(manifest, nodes={**manifest.nodes, FACT_ORDERS: node})
    found = DbtColumns(manifest, None).compiled(FACT_ORDERS)
    assert [c.name for c in found.columns] == names
    if note is not None and note.endswith("sqlglot"):
        assert found.note.startswith(note + " (")
    else:
        assert found.note == note
