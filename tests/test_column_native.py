"""Native derived tables (``explore_source``) in column lineage: each column is the explore field it
names, followed with the same tracer in the source explore (dbtmeta.looker.fields)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbtmeta.looker.fields import FieldTracer
from dbtmeta.looker.lookml import read_lookml

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests/fixtures/lookml/native"
NATIVE = f"{FIXTURE}/views/native.view.lkml"


@pytest.fixture(scope="module")
def shop() -> FieldTracer:
    return FieldTracer(read_lookml(FIXTURE, fields=True))


def traced(tracer: FieldTracer, name: str) -> tuple[list[tuple[str, str]], tuple[str, ...]]:
    result = tracer.trace("shop", name.partition(".")[0], name)
    return [(c.table, c.column) for c in result.columns], result.problems


ROWS = [  # what every column of regional_facts reads: filters, bind_filters, the custom filter, the join
    ("shop.customers", "id"),
    ("shop.orders", "amount_cents"),
    ("shop.orders", "created_at"),
    ("shop.orders", "customer_id"),
    ("shop.orders", "status"),
]


@pytest.mark.parametrize(
    ("name", "expected", "line"),
    [
        ("customer_facts.customer_id", [("shop.orders", "customer_id")], 21),  # column with field
        ("customer_facts.lifetime_amount", [("shop.orders", "amount_cents")], 25),  # a measure's ${amount}
        ("customer_facts.order_count", [], 29),  # type: count reads no column
        ("customer_facts.status", [("shop.orders", "status")], 33),  # `column: status {}`: orders.status
        ("customer_facts.average_amount", [("shop.orders", "amount_cents")], 35),  # derived_column
        ("regional_facts.region", sorted([("shop.customers", "region"), *ROWS]), 69),
        ("regional_facts.order_count", ROWS, 71),  # a count, yet its rows depend on the filters
        ("top_facts.lifetime", [("shop.orders", "amount_cents")], 87),  # NDT over NDT
        ("top_facts.average", [("shop.orders", "amount_cents")], 91),  # over a derived_column
        ("big_spenders.total", [("shop.orders", "amount_cents")], 106),  # NDT over a SQL derived table
        ("facts_doubled.doubled", [("shop.orders", "amount_cents")], 117),  # SQL derived table over NDT
    ],
)
def test_native_columns_are_traced(
    shop: FieldTracer, name: str, expected: list[tuple[str, str]], line: int
) -> None:
    assert traced(shop, name) == (expected, ())
    assert shop.trace("shop", name.partition(".")[0], name).where == f"{NATIVE}:{line}"


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        (
            "customer_facts.gone",
            "customer_facts.gone: gone is not a column of native derived table customer_facts "
            "(explore_source orders)",
        ),
        (
            "customer_facts.misread",
            "customer_facts.misread: derived_column misread of customer_facts reads missing_column, "
            "which is not a column of customer_facts",
        ),
        (
            "customer_facts.unknown_field",
            "customer_facts.unknown_field: through explore_source orders: "
            "orders.nope: view orders has no field nope",
        ),
        (
            "customer_facts.templated",
            "customer_facts.templated: through explore_source orders: orders.templated: its SQL has Liquid "
            "({{ }} or {% %}): its columns are not traced",
        ),
        ("lost.x", "lost.x: explore_source nowhere of view lost is not an explore of model shop"),
        (
            "loop_one.n",
            "loop_one.n: through explore_source loop_two: loop_two.n: through explore_source loop_one: "
            "loop_one.n: reference cycle through explore_source: loop_one.n -> loop_two.n -> loop_one.n",
        ),
    ],
)
def test_what_cannot_be_traced_is_a_problem(shop: FieldTracer, name: str, problem: str) -> None:
    assert traced(shop, name) == ([], (problem,))


def test_the_explore_of_a_native_table_is_read_even_when_no_dashboard_queries_it() -> None:
    content = read_lookml(FIXTURE, fields=True, scope="dashboards")  # no dashboards in the fixture
    sources = ["customer_facts", "loop_one", "loop_two", "order_totals", "orders"]  # explore_source names
    assert sorted(content.explores) == [("shop", name) for name in sources]
    assert sorted(content.lookml_joins) == [("shop", name) for name in sources]
    assert traced(FieldTracer(content), "customer_facts.lifetime_amount") == (
        [("shop.orders", "amount_cents")],
        (),
    )


def test_expression_custom_filter_brings_its_join_at_table_and_column_level(shop: FieldTracer) -> None:
    explore = shop.content.explore("shop", "custom_filtered")
    assert explore is not None and explore.views[0].source.tables == ("shop.orders", "shop.customers")
    assert traced(shop, "custom_filtered.id") == (
        [
            ("shop.customers", "id"),
            ("shop.customers", "region"),
            ("shop.orders", "customer_id"),
            ("shop.orders", "id"),
        ],
        (),
    )
