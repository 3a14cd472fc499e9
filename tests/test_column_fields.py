"""Looker field -> warehouse columns, from LookML (dbtmeta.looker.fields)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbtmeta.looker.content import LookerContent
from dbtmeta.looker.fields import ColumnRef, FieldTracer, join_lineage, key_lineages, tile_fields
from dbtmeta.looker.lookml import read_lookml

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests/fixtures/lookml/columns"
EXAMPLE = REPO / "example_project/looker"


@pytest.fixture(scope="module")
def shop() -> FieldTracer:
    return FieldTracer(read_lookml(FIXTURE, fields=True))


@pytest.fixture(scope="module")
def greenery() -> FieldTracer:
    return FieldTracer(read_lookml(EXAMPLE, fields=True))


def cols(tracer: FieldTracer, model: str, explore: str, name: str) -> list[tuple[str, str]]:
    result = tracer.trace(model, explore, name)
    assert result.problems == ()
    return [(c.table, c.column) for c in result.columns]


ORDERS = f"{FIXTURE}/views/orders.view.lkml"


@pytest.mark.parametrize(
    ("name", "expected", "line"),
    [
        ("orders.id", [("shop.orders", "id")], 4),  # no sql: ${TABLE}.<name>
        ("orders.net", [("shop.orders", "Discount"), ("shop.orders", "amount_cents")], 16),
        ("orders.customer_region", [("shop.customers", "region")], 24),  # ${alias.field}
        ("orders.placed_month", [("shop.orders", "placed_at")], 28),  # timeframe -> group
        ("orders.count", [], 54),  # type: count reads no column
        (  # filters: [placed_month: ...] read too
            "orders.total_net",
            [("shop.orders", "Discount"), ("shop.orders", "amount_cents"), ("shop.orders", "placed_at")],
            58,
        ),
    ],
)
def test_field_columns_and_line(
    shop: FieldTracer, name: str, expected: list[tuple[str, str]], line: int
) -> None:
    assert cols(shop, "shop", "orders", name) == expected
    assert shop.trace("shop", "orders", name).where == f"{ORDERS}:{line}"


def test_duration_group_reads_start_and_end(shop: FieldTracer) -> None:
    assert cols(shop, "shop", "orders", "orders.days_shipping") == [
        ("shop.orders", "placed_at"),
        ("shop.orders", "shipped_at"),
    ]
    assert shop.trace("shop", "orders", "orders.hours_shipping").where == f"{ORDERS}:64"


def test_references_are_recorded(shop: FieldTracer) -> None:
    assert shop.trace("shop", "orders", "orders.total_net").via == (
        "orders.net",
        "orders.amount",
        "orders.discount",
        "orders.placed_month",
    )


def test_derived_tables_traced_through_sql_and_sql_table_name(shop: FieldTracer) -> None:
    # top_customers <- ${customer_totals.SQL_TABLE_NAME} (derived) <- ${orders.SQL_TABLE_NAME}
    assert cols(shop, "shop", "orders", "top_customers.lifetime") == [("shop.orders", "amount_cents")]
    assert cols(shop, "shop", "orders", "top_customers.region") == [("shop.customers", "region")]
    assert cols(shop, "shop", "orders", "top_customers.order_count") == []  # COUNT(*)
    assert cols(shop, "shop", "orders", "top_customers.customer_id") == [("shop.orders", "customer_id")]


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("orders.loop_a", "orders.loop_a: reference cycle orders.loop_a -> orders.loop_b -> orders.loop_a"),
        (
            "orders.templated",
            "orders.templated: its SQL has Liquid ({{ }} or {% %}): its columns are not traced",
        ),
        ("orders.bare", "orders.bare: reads status without ${TABLE}: which table it belongs to is not known"),
        ("orders.placed_year", "orders.placed_year: view orders has no field placed_year"),
        (
            "top_customers.missing",
            "top_customers.missing: column missing of derived table top_customers: "
            "Cannot find column 'missing' in query.",
        ),
        ("nobody.x", "nobody.x: 'nobody' is not a view of explore shop::orders"),
    ],
)
def test_problems_are_reported_never_guessed(shop: FieldTracer, name: str, problem: str) -> None:
    result = shop.trace("shop", "orders", name)
    assert result.columns == ()
    assert result.problems == (problem,)


def test_unparseable_sql_is_a_problem(shop: FieldTracer) -> None:
    result = shop.trace("shop", "orders", "orders.broken")
    assert result.columns == ()
    assert len(result.problems) == 1
    assert result.problems[0].startswith("orders.broken: cannot parse its SQL (")
    assert result.problems[0].endswith("): its columns are not traced")


def test_join_sql_on(shop: FieldTracer) -> None:
    result = join_lineage(shop, "shop", "orders", "top_customers")
    assert result.where == f"{FIXTURE}/shop.model.lkml:10"
    assert result.columns == (
        ColumnRef("shop.customers", "id", "wh"),
        ColumnRef("shop.orders", "customer_id", "wh"),
    )


def test_example_orders_fields(greenery: FieldTracer) -> None:
    # extends (users_base) and refinements (has_promo in refinements/) keep their own file:line
    full_name = greenery.trace("greenery", "orders", "customers.full_name")
    assert full_name.where == f"{EXAMPLE}/views/users_base.view.lkml:22"
    assert [(c.table, c.column) for c in full_name.columns] == [
        ("core.dim_users", "first_name"),
        ("core.dim_users", "last_name"),
    ]
    promo = greenery.trace("greenery", "orders", "orders.orders_with_promo")
    assert promo.where == f"{EXAMPLE}/refinements/fact_orders.lkml:8"
    assert promo.columns == (ColumnRef('"core"."fact_orders"', "promo_id", "greenery_duckdb"),)
    sessions = greenery.trace("greenery", "products", "product_page_views.total_sessions")
    assert sessions.columns == (ColumnRef("product.fact_page_views", "session_id", "greenery_duckdb"),)
    # a derived column built from dim_products through ${dim_products.SQL_TABLE_NAME}
    assert cols(greenery, "greenery", "products", "product_page_views.product_id") == [
        ("core.dim_products", "product_id")
    ]


def test_tile_fields_of_orders_overview(greenery: FieldTracer) -> None:
    content = greenery.content
    dashboard = next(d for d in content.dashboards if d.id == "greenery::orders_overview")
    got = [(t.tile_id, t.fields, t.joins) for t in tile_fields(content, dashboard)]
    assert got == [
        ("orders_by_status", ("orders.status", "orders.count", "orders.created_date"), ()),
        ("revenue_by_day", ("orders.created_date", "orders.total_revenue", "orders.average_order_value"), ()),
        (
            "top_customers",
            ("customers.full_name", "customers.email", "orders.count", "orders.total_revenue"),
            ("customers",),
        ),
        (
            "promo_usage",
            ("orders.count", "orders.orders_with_promo", "promos.discount", "promos.status"),
            ("promos",),
        ),
        ("orders_and_signups", ("orders.created_date", "orders.count"), ()),
        ("orders_and_signups", ("users.created_date", "users.count"), ()),
        ("filter:Order Date", ("orders.created_date",), ()),
    ]


def test_content_without_field_definitions_is_a_problem() -> None:
    content = read_lookml(FIXTURE)  # fields=False: as API or snapshot content
    result = FieldTracer(content).trace("shop", "orders", "orders.id")
    assert result.problems == (
        "orders.id: no LookML field definitions (content from lookml): give the LookML",
    )


def test_filter_and_dimension_group_of_the_same_name_are_two_fields(tmp_path: Path) -> None:
    """``filter: step1`` and ``dimension_group: step1`` coexist in Looker (the group makes
    ``step1_time``, the filter is ``step1``): neither hides the other."""
    (tmp_path / "m.model.lkml").write_text('connection: "c"\ninclude: "*.view.lkml"\nexplore: funnel {}\n')
    (tmp_path / "funnel.view.lkml").write_text(
        "view: funnel {\n"
        "  sql_table_name: app.funnel ;;\n"
        "  filter: step1 { type: string }\n"
        "  dimension_group: step1 {\n"
        "    type: time\n"
        "    timeframes: [raw, time]\n"
        "    sql: ${TABLE}.step1_at ;;\n"
        "  }\n"
        "}\n"
    )
    tracer = FieldTracer(read_lookml(tmp_path, fields=True))
    assert cols(tracer, "m", "funnel", "funnel.step1_time") == [("app.funnel", "step1_at")]
    assert tracer.trace("m", "funnel", "funnel.step1_time").where == f"{tmp_path}/funnel.view.lkml:4"
    filter_field = tracer.content.lookml_views[("m", "funnel")].field("step1")
    assert filter_field is not None and (filter_field.kind, filter_field.line) == ("filter", 3)


def test_unresolvable_substitution_in_derived_sql_is_named(tmp_path: Path) -> None:
    (tmp_path / "m.model.lkml").write_text('connection: "c"\ninclude: "*.view.lkml"\nexplore: v {}\n')
    (tmp_path / "v.view.lkml").write_text(
        "view: v {\n  derived_table: { sql: SELECT a FROM t WHERE ${EXTENDED} ;; }\n  dimension: a {}\n}\n"
    )
    found = FieldTracer(read_lookml(tmp_path, fields=True)).trace("m", "v", "v.a")
    assert (found.columns, found.problems) == (
        (),
        ("v.a: derived table SQL of view v has ${EXTENDED}, which cannot be resolved there",),
    )


SYMMETRIC_MODEL = """connection: "c"
include: "*.view.lkml"
explore: orders {
  join: customers { sql_on: ${orders.customer_id} = ${customers.id} ;; }
  join: items { relationship: one_to_many  sql_on: ${orders.id} = ${items.order_id} ;; }
  join: invoices { relationship: one_to_one  sql_on: ${orders.id} = ${invoices.order_id} ;; }
}
"""


def _symmetric_view(name: str, table: str, key: str | None) -> str:
    pk = f"  dimension: {key} {{ primary_key: yes }}\n" if key else ""
    return (
        f"view: {name} {{\n  sql_table_name: {table} ;;\n{pk}"
        "  dimension: order_id {}\n  dimension: customer_id {}\n"
        "  measure: total { type: sum  sql: ${TABLE}.amount ;; }\n"
        "  measure: n { type: count_distinct  sql: ${TABLE}.amount ;; }\n}\n"
    )


@pytest.fixture(scope="module")
def symmetric(tmp_path_factory: pytest.TempPathFactory) -> FieldTracer:
    root = tmp_path_factory.mktemp("symmetric")
    (root / "m.model.lkml").write_text(SYMMETRIC_MODEL)
    for name, key in (("orders", "id"), ("customers", "id"), ("items", "item_key"), ("invoices", None)):
        (root / f"{name}.view.lkml").write_text(_symmetric_view(name, f"shop.{name}", key))
    return FieldTracer(read_lookml(root, fields=True))


@pytest.mark.parametrize(
    ("fields", "joins", "expected"),
    [
        (("orders.total",), ("customers",), []),  # many_to_one: the base's rows are not repeated
        (("orders.total",), ("items",), [("key:orders", "shop.orders", "id")]),  # one_to_many repeats them
        (("customers.total",), ("customers",), [("key:customers", "shop.customers", "id")]),  # default m:1
        (("items.total",), ("items",), []),  # the many side of its own join
        (("items.total",), ("items", "customers"), []),  # customers repeats nothing of items
        (("orders.n",), ("items",), []),  # count_distinct needs no key
        (("orders.total",), (), []),  # no join, no fan-out
        (("invoices.total",), ("invoices", "items"), []),  # items repeats invoices, but it has no key
        (
            ("orders.total", "customers.total"),
            ("customers", "items"),
            [("key:orders", "shop.orders", "id"), ("key:customers", "shop.customers", "id")],
        ),
    ],
)
def test_symmetric_aggregates_read_the_primary_key(
    symmetric: FieldTracer,
    fields: tuple[str, ...],
    joins: tuple[str, ...],
    expected: list[tuple[str, str, str]],
) -> None:
    found = key_lineages(symmetric, "m", "orders", fields, joins)
    assert [(k.field, c.table, c.column) for k in found for c in k.columns] == expected


def test_symmetric_aggregate_keys_of_the_example_tiles(greenery: FieldTracer) -> None:
    """Of the example's tiles, two aggregate a view whose rows a join repeats."""
    found = {}
    for dashboard in greenery.content.dashboards:
        for tile in tile_fields(greenery.content, dashboard):
            for key in key_lineages(greenery, tile.query.model, tile.query.explore, tile.fields, tile.joins):
                found[(dashboard.id, tile.tile_id)] = (key.field, key.where, [c.column for c in key.columns])
    assert found == {
        ("greenery::inventory_health", "views_vs_stock"): (
            "key:product_page_views",
            f"{EXAMPLE}/views/derived/product_page_views.view.lkml:28",
            ["product_id"],
        ),
        ("greenery::product_funnel", "sessions_per_user"): (
            "key:user_sessions",
            f"{EXAMPLE}/views/fact_user_sessions.view.lkml:4",
            ["user_id"],
        ),
    }


JOINED_DERIVED = """view: buyers {
  derived_table: {
    sql: SELECT o.id, email, amount FROM shop.orders o JOIN shop.users u ON o.user_id = u.id ;;
  }
  dimension: id {}
  dimension: email {}
}
"""


def _joined_derived(tmp_path: Path) -> LookerContent:
    (tmp_path / "m.model.lkml").write_text('connection: "c"\ninclude: "*.view.lkml"\nexplore: buyers {}\n')
    (tmp_path / "buyers.view.lkml").write_text(JOINED_DERIVED)
    return read_lookml(tmp_path, fields=True)


def test_unqualified_column_over_a_join_is_reported_not_dropped(tmp_path: Path) -> None:
    """sqlglot cannot tell which table `email` is from without their columns: a problem, never
    'reads no column' (which would pass check-fields and hide the field from impact)."""
    found = FieldTracer(_joined_derived(tmp_path)).trace("m", "buyers", "buyers.email")
    assert (found.columns, found.problems) == (
        (),
        (
            "buyers.email: column email of derived table buyers: reads email without a table name from "
            "several tables: which one is not known (the catalog's columns of each table would tell)",
        ),
    )


def test_unqualified_column_placed_with_the_tables_columns(tmp_path: Path) -> None:
    known = {"shop.orders": ["id", "user_id", "amount"], "shop.users": ["id", "email"]}
    tracer = FieldTracer(_joined_derived(tmp_path), lambda table, connection: known.get(table))
    found = tracer.trace("m", "buyers", "buyers.email")
    assert ([(c.table, c.column) for c in found.columns], found.problems) == ([("shop.users", "email")], ())
    qualified = tracer.trace("m", "buyers", "buyers.id")
    assert [(c.table, c.column) for c in qualified.columns] == [("shop.orders", "id")]
    # one table's columns unknown: still a problem, not a guess
    partial = FieldTracer(
        _joined_derived(tmp_path), lambda t, c: known["shop.orders"] if t == "shop.orders" else None
    )
    assert partial.trace("m", "buyers", "buyers.email").problems != ()
    assert partial.trace("m", "buyers", "buyers.email").columns == ()
