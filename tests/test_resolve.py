"""Tables -> dbt nodes: the example project's real manifest, plus small hand-made manifests."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import ExampleBuild

from dbtmeta.dbt.artifacts import load_manifest, manifest_from_dict
from dbtmeta.errors import UsageError
from dbtmeta.exposures.resolve import NodeRef, Resolver, build_index, parse_schema_map, resolve_all
from dbtmeta.looker.content import (
    Connection,
    Dashboard,
    Explore,
    ExploreView,
    LookerContent,
    Query,
    Tile,
    ViewSource,
)


@pytest.fixture(scope="module")
def green(example_build: ExampleBuild):  # type: ignore[no-untyped-def]
    return load_manifest(example_build.green / "manifest.json")


def resolver(manifest: Any, connection: Connection | None = None, **kw: Any) -> Resolver:
    content = LookerContent("lookml", connections={connection.name: connection} if connection else {})
    return Resolver(content, build_index(manifest), **kw)


@pytest.mark.parametrize(
    ("table", "unique_id"),
    [
        ("core.dim_users", "model.greenery.dim_users"),
        ("CORE.DIM_USERS", "model.greenery.dim_users"),  # DuckDB ignores case
        ('"core"."dim_users"', "model.greenery.dim_users"),
        ("greenery.core.dim_users", "model.greenery.dim_users"),
        ("snapshots.products_snapshot", "snapshot.greenery.products_snapshot"),
        ("raw.promos", "source.greenery.greenery.promos"),  # a seed builds it, the source declares it
        ("product.fact_page_views", "model.greenery.fact_page_views"),
    ],
)
def test_example_tables_resolve(green, table: str, unique_id: str) -> None:  # type: ignore[no-untyped-def]
    node, problem = resolver(green).resolve_table(table, None)
    assert problem is None
    assert node is not None and node.unique_id == unique_id


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("core.dim_users_archive", "no dbt model, seed, snapshot or source builds core.dim_users_archive"),
        ("other_db.core.dim_users", "no dbt model, seed, snapshot or source builds other_db.core.dim_users"),
        ("dim_users", "no schema: the name has one part and connection None has no default schema"),
        (
            "{{ _user_attributes['s'] }}.dim_users",
            "\"{{ _user_attributes['s'] }}.dim_users\" is not a table name",
        ),
        (
            "intermediate.int_session_events_x",
            "no dbt model, seed, snapshot or source builds intermediate.int_session_events_x",
        ),
    ],
)
def test_example_unmatched_tables_are_reported_not_guessed(  # type: ignore[no-untyped-def]
    green, table: str, message: str
) -> None:
    node, problem = resolver(green).resolve_table(table, None)
    assert node is None
    assert problem == message


def test_connection_defaults_qualify_short_names(green) -> None:  # type: ignore[no-untyped-def]
    conn = Connection("wh", "duckdb", database="greenery", schema="core")
    r = resolver(green, conn)
    assert r.resolve_table("dim_users", "wh")[0].unique_id == "model.greenery.dim_users"  # type: ignore[union-attr]
    assert r.resolve_table("product.fact_page_views", "wh")[0] is not None
    other = Connection("wh", "duckdb", database="elsewhere", schema="core")
    assert resolver(green, other).resolve_table("dim_users", "wh")[0] is None


def test_schema_map_rewrites_looker_schema(green) -> None:  # type: ignore[no-untyped-def]
    r = resolver(green, schema_map=parse_schema_map(["ANALYTICS=core"]))
    assert r.resolve_table("analytics.dim_users", None)[0].unique_id == "model.greenery.dim_users"  # type: ignore[union-attr]
    assert resolver(green).resolve_table("analytics.dim_users", None)[0] is None


def test_ephemeral_models_and_tests_are_not_indexed(green) -> None:  # type: ignore[no-untyped-def]
    index = build_index(green)
    kinds = {ref.resource_type for ref in index.relations}
    assert kinds == {"model", "seed", "snapshot", "source"}
    ephemeral = [
        n["name"] for n in green.nodes.values() if (n.get("config") or {}).get("materialized") == "ephemeral"
    ]
    assert not any(ref.name in ephemeral for ref in index.relations)


@pytest.mark.parametrize("bad", ["nonsense", "=dev", "prod=", ""])
def test_bad_schema_map(bad: str) -> None:
    with pytest.raises(UsageError, match="LOOKER_SCHEMA=DBT_SCHEMA"):
        parse_schema_map([bad])


# -------------------------------------------------------------------------------- hand-made manifests


def _manifest(adapter: str, nodes: list[dict[str, Any]], sources: list[dict[str, Any]] = ()) -> Any:  # type: ignore[assignment]
    return manifest_from_dict(
        {
            "metadata": {
                "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
                "project_name": "shop",
                "adapter_type": adapter,
            },
            "nodes": {n["unique_id"]: n for n in nodes},
            "sources": {s["unique_id"]: s for s in sources},
            "exposures": {},
            "parent_map": {},
            "child_map": {},
            "disabled": {},
        }
    )


def _model(name: str, relation: str | None, **extra: Any) -> dict[str, Any]:
    node = {
        "unique_id": extra.pop("unique_id", f"model.shop.{name}"),
        "resource_type": "model",
        "name": name,
        "package_name": "shop",
        "relation_name": relation,
        "config": {"materialized": "table"},
    }
    node.update(extra)
    return node


def test_versioned_and_package_models_and_refs() -> None:
    manifest = _manifest(
        "postgres",
        [
            _model(
                "dim_customers",
                '"db"."marts"."dim_customers_v1"',
                unique_id="model.shop.dim_customers.v1",
                version=1,
            ),
            _model(
                "dim_customers",
                '"db"."marts"."dim_customers"',
                unique_id="model.shop.dim_customers.v2",
                version=2,
            ),
            _model(
                "calendar", '"db"."utils"."calendar"', unique_id="model.dates.calendar", package_name="dates"
            ),
            _model("helper", None, config={"materialized": "ephemeral"}),
            _model("off", '"db"."marts"."off"', config={"enabled": False}),
        ],
    )
    r = resolver(manifest)
    v1 = r.resolve_table("marts.dim_customers_v1", None)[0]
    v2 = r.resolve_table("db.marts.dim_customers", None)[0]
    cal = r.resolve_table("utils.calendar", None)[0]
    assert v1 is not None and v1.depends_on("shop") == "ref('dim_customers', v=1)"
    assert v2 is not None and v2.depends_on("shop") == "ref('dim_customers', v=2)"
    assert cal is not None and cal.depends_on("shop") == "ref('dates', 'calendar')"
    assert r.resolve_table("marts.off", None)[0] is None
    assert NodeRef("source.shop.raw.t", "source", "shop", "t", source_name="raw").depends_on("shop") == (
        "source('raw', 't')"
    )


def test_quoting_and_case_follow_the_warehouse() -> None:
    pg = _manifest("postgres", [_model("users", '"db"."Core"."Users"')])
    assert resolver(pg).resolve_table('"Core"."Users"', None)[0] is not None
    assert resolver(pg).resolve_table("Core.Users", None)[0] is None  # unquoted folds to core.users
    sf = _manifest("snowflake", [_model("fct_orders", "ANALYTICS.MARTS.FCT_ORDERS")])
    assert resolver(sf).resolve_table("analytics.marts.fct_orders", None)[0] is not None
    assert resolver(sf).resolve_table('"analytics"."marts"."fct_orders"', None)[0] is None
    bq = _manifest("bigquery", [_model("dim_users", "`my-proj`.`analytics`.`dim_users`")])
    conn = Connection("bq", "bigquery_standard_sql", database="my-proj", schema="analytics")
    assert resolver(bq).resolve_table("`my-proj.analytics.dim_users`", None)[0] is not None
    assert resolver(bq, conn).resolve_table("dim_users", "bq")[0] is not None


def test_two_nodes_on_one_relation_are_ambiguous() -> None:
    manifest = _manifest(
        "duckdb",
        [_model("a", '"db"."s"."t"'), _model("b", '"db"."s"."t"', alias="t")],
        [
            {
                "unique_id": "source.shop.raw.t",
                "resource_type": "source",
                "name": "t",
                "source_name": "raw",
                "package_name": "shop",
                "relation_name": '"db"."s"."t"',
            }
        ],
    )
    node, problem = resolver(manifest).resolve_table("s.t", None)
    assert node is None
    assert problem == "ambiguous: model.shop.a, model.shop.b, source.shop.raw.t"


def test_dashboard_findings_name_the_tile() -> None:
    manifest = _manifest("duckdb", [_model("orders", '"db"."main"."orders"')])
    explore = Explore(
        "shop",
        "orders",
        "orders",
        (
            ExploreView("orders", ViewSource("orders", ("main.orders",))),
            ExploreView("archive", ViewSource("archive", ("main.orders_archive",))),
            ExploreView("tmpl", ViewSource("tmpl", (), problem="Liquid in sql_table_name")),
        ),
    )
    dashboard = Dashboard(
        "7",
        "dashboard",
        "Sales",
        tiles=(
            Tile("t1", "query", queries=(Query("shop", "orders", ("orders.n", "archive.n")),)),
            Tile("t2", "sql"),
            Tile("t3", "query", queries=(Query("shop", "gone", ("x.y",)),)),
            Tile("t4", "query", queries=(Query("shop", "orders", ("tmpl.n",)),)),
            Tile("t5", "text"),
        ),
    )
    content = LookerContent("api", dashboards=[dashboard], explores={("shop", "orders"): explore})
    [result] = resolve_all(content, manifest)
    assert [n.unique_id for n in result.nodes] == ["model.shop.orders"]  # orders_archive is not orders
    lines = [f.line() for f in result.findings]
    assert any("tile(s) t1: table main.orders_archive: no dbt model" in line for line in lines)
    assert any("tile(s) t2: SQL Runner tile" in line for line in lines)
    assert any("tile(s) t3: shop::gone" in line for line in lines)
    assert any("tile(s) t4: shop::orders view tmpl: Liquid in sql_table_name" in line for line in lines)
    assert len(lines) == 4


def test_one_tile_with_an_unknown_table_and_a_view_problem_sorts() -> None:
    # Once a TypeError ('<' between None and str): findings of one tile, one with a table, one without.
    manifest = _manifest("duckdb", [_model("orders", '"db"."main"."orders"')])
    explore = Explore(
        "shop",
        "orders",
        "orders",
        (
            ExploreView("orders", ViewSource("orders", ("main.gone",))),
            ExploreView("tmpl", ViewSource("tmpl", (), problem="Liquid in sql_table_name")),
        ),
    )
    tiles = (Tile("t1", "query", queries=(Query("shop", "orders", ("orders.n", "tmpl.n")),)),)
    dashboard = Dashboard("7", "dashboard", "Sales", tiles=tiles)
    other = Dashboard("8", "dashboard", "Sales", tiles=tiles)
    content = LookerContent("api", dashboards=[dashboard, other], explores={("shop", "orders"): explore})
    results = resolve_all(content, manifest)
    assert [f.line() for f in results[0].findings] == [
        "'Sales' (7) tile(s) t1: shop::orders view tmpl: Liquid in sql_table_name",
        "'Sales' (7) tile(s) t1: table main.gone: no dbt model, seed, snapshot or source builds main.gone",
    ]
    everything = sorted(f for r in results for f in r.findings)  # as sync-exposures sorts them
    assert [(f.dashboard_id, f.table) for f in everything] == [
        ("7", None),
        ("7", "main.gone"),
        ("8", None),
        ("8", "main.gone"),
    ]


def test_one_table_read_with_and_without_a_connection_sorts() -> None:
    # Once a TypeError: the same table name from a model with a connection and one without.
    manifest = _manifest("duckdb", [_model("orders", '"db"."main"."orders"')])
    explores = {
        (model, "orders"): Explore(
            model, "orders", "orders", (ExploreView("orders", ViewSource("orders", ("main.orders",))),), conn
        )
        for model, conn in (("a", "warehouse"), ("b", None))
    }
    tiles = tuple(
        Tile(f"t_{model}", "query", queries=(Query(model, "orders", ("orders.n",)),)) for model in ("a", "b")
    )
    content = LookerContent("api", dashboards=[Dashboard("7", "dashboard", "Sales", tiles=tiles)])
    content.explores = explores
    [result] = resolve_all(content, manifest)
    assert [n.unique_id for n in result.nodes] == ["model.shop.orders"]
    assert result.findings == []
