"""Column lineage over shapes of real BigQuery LookML (nested records, date parts, SELECT * derived
tables): read in the connection's dialect, traced to the column, or reported, never guessed."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbtmeta.looker.content import Connection
from dbtmeta.looker.fields import FieldTracer
from dbtmeta.looker.lookml import read_lookml

FIXTURE = Path(__file__).resolve().parent / "fixtures/lookml/columns_bigquery"
SESSIONS = "`acme-prod.web.sessions`"
ORDERS = "`acme-prod`.`shop`.`orders`"  # as sqlglot writes a table of a derived table's SQL


@pytest.fixture(scope="module")
def web() -> FieldTracer:
    connections = {"bq_prod": Connection("bq_prod", dialect="bigquery")}
    return FieldTracer(read_lookml(FIXTURE, fields=True, connections=connections))


def columns(tracer: FieldTracer, explore: str, name: str) -> tuple[list[tuple[str, str]], tuple[str, ...]]:
    found = tracer.trace("web", explore, name)
    return [(c.table, c.column) for c in found.columns], found.problems


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("sessions.visits", [(SESSIONS, "totals")]),  # ${TABLE}.totals.visits: the record column
        ("sessions.first_page", [(SESSIONS, "hits")]),  # array element's record field
        ("sessions.browser", [(SESSIONS, "device")]),  # ${device}.browser: what ${device} reads
        ("sessions.days_since_visit", [(SESSIONS, "visit_date")]),  # DAY is a date part, no column
        ("sessions.total_visits", [(SESSIONS, "totals")]),
        ("sessions.landing_page", [(SESSIONS, "hits")]),  # hits.x of UNNEST(${TABLE}.hits) AS hits
        ("sessions.partition_date", []),  # _TABLE_SUFFIX: BigQuery's pseudo-column, no table's
    ],
)
def test_bigquery_fields(web: FieldTracer, name: str, expected: list[tuple[str, str]]) -> None:
    assert columns(web, "sessions", name) == (expected, ())


def test_date_part_is_a_column_in_a_dialect_without_it() -> None:
    """The dialect matters: read as DuckDB, DAY is a column (reported) and the name is not a table."""
    tracer = FieldTracer(read_lookml(FIXTURE, fields=True, dialect="duckdb"))
    assert columns(tracer, "sessions", "sessions.days_since_visit") == (
        [],
        (
            "sessions.days_since_visit: reads DAY without ${TABLE}: which table it belongs to is not known",
            "sessions.days_since_visit: sql_table_name: '`acme-prod.web.sessions`' is not a table name",
        ),
    )


def test_select_star_passes_the_table_columns_on(web: FieldTracer) -> None:
    assert columns(web, "enriched_orders", "enriched_orders.id") == ([(ORDERS, "id")], ())
    assert columns(web, "enriched_orders", "enriched_orders.created_next") == ([(ORDERS, "created_at")], ())


def test_union_after_a_star_is_reported(web: FieldTracer) -> None:
    """UNION matches columns by position: without the table's columns, which one is unknown."""
    assert columns(web, "stacked_orders", "stacked_orders.id") == (
        [],
        ("stacked_orders.id: column id of derived table stacked_orders: Cannot find column 'id' in query.",),
    )
