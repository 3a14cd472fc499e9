"""Table names and SQL parsed with sqlglot: splitting, case/quoting per dialect, tables of a query."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dbtmeta.errors import InputError
from dbtmeta.sqlnames import (
    SqlParseError,
    normalize,
    normalize_relation,
    split_table_name,
    sqlglot_dialect,
    tables_in_sql,
)


@pytest.mark.parametrize(
    ("name", "dialect", "expected"),
    [
        ('"core"."fact_orders"', "duckdb", (None, "core", "fact_orders")),
        ("core.dim_users", "duckdb", (None, "core", "dim_users")),
        ("PRODUCT.FACT_SESSIONS_FUNNEL", "duckdb", (None, "product", "fact_sessions_funnel")),
        ('"Core"."Fact"', "duckdb", (None, "core", "fact")),  # DuckDB ignores case even when quoted
        ("greenery.core.dim_users", "duckdb", ("greenery", "core", "dim_users")),
        ("  core.dim_users\n", "duckdb", (None, "core", "dim_users")),
        ("dim_users", "duckdb", (None, None, "dim_users")),
        ("ANALYTICS.MARTS.FCT_ORDERS", "postgres", ("analytics", "marts", "fct_orders")),
        ('"ANALYTICS"."Marts"."Dim"', "postgres", ("ANALYTICS", "Marts", "Dim")),
        ("analytics.marts.fct_orders", "snowflake", ("ANALYTICS", "MARTS", "FCT_ORDERS")),
        ('"analytics"."Marts".dim', "snowflake", ("analytics", "Marts", "DIM")),
        ("Public.Orders", "redshift", (None, "public", "orders")),
        ("`my-proj.analytics.dim_users`", "bigquery_standard_sql", ("my-proj", "analytics", "dim_users")),
        ("my-proj.analytics.dim_users", "bigquery", ("my-proj", "analytics", "dim_users")),
        ("Core.Dim", None, (None, "core", "dim")),
        ("Core.Dim", "no-such-warehouse", (None, "core", "dim")),
    ],
)
def test_split_table_name(name, dialect, expected):
    assert split_table_name(name, dialect) == expected


@pytest.mark.parametrize(
    "name",
    [
        "",
        "core.dim_users AS u",
        "core.dim_users u",
        "core.dim_users -- comment",
        "core.dim_users; DROP TABLE x",
        "a.b.c.d",
        "(SELECT 1)",
        "{{ _user_attributes['schema'] }}.dim_users",
        "@{schema}.dim_users",
        "${other.SQL_TABLE_NAME}",
        "core.dim_users WHERE 1 = 1",
    ],
)
def test_split_table_name_rejects_what_is_not_a_plain_name(name):
    with pytest.raises(SqlParseError) as info:
        split_table_name(name, "duckdb")
    assert isinstance(info.value, InputError)
    assert "\n" not in str(info.value)


def test_normalize_matches_the_warehouse_rules():
    assert normalize("Dim_Users", "snowflake") == "DIM_USERS"
    assert normalize("Dim_Users", "snowflake", quoted=True) == "Dim_Users"
    assert normalize("Dim_Users", "postgres") == "dim_users"
    assert normalize("Dim_Users", "postgres", quoted=True) == "Dim_Users"
    assert normalize("Dim_Users", "duckdb", quoted=True) == "dim_users"
    assert normalize_relation("greenery", "CORE", "Dim", "duckdb") == ("greenery", "core", "dim")
    assert normalize_relation(None, None, "dim", "snowflake") == (None, None, "DIM")
    # A Looker name and the manifest's parts of the same relation meet.
    assert (
        split_table_name("CORE.DIM_USERS", "duckdb")[1:]
        == normalize_relation(None, "core", "dim_users", "duckdb")[1:]
    )


def test_dialect_aliases():
    assert sqlglot_dialect("bigquery_standard_sql") == "bigquery"
    assert sqlglot_dialect("sqlserver") == "tsql"
    assert sqlglot_dialect("DuckDB") == "duckdb"
    assert sqlglot_dialect(None) == ""
    assert sqlglot_dialect("not-a-warehouse") == ""


def test_tables_in_sql_drops_ctes_and_follows_subqueries():
    sql = """
        WITH recent AS (SELECT * FROM core.fact_orders WHERE x > 0),
             nested AS (SELECT * FROM recent JOIN "Core"."Dim_Users" u ON u.id = recent.user_id)
        SELECT *
        FROM nested
        JOIN (SELECT * FROM raw.promos) p ON p.id = nested.promo_id
        WHERE nested.user_id IN (SELECT user_id FROM marketing.user_order_facts)
        UNION ALL
        SELECT * FROM read_csv('x.csv')
        UNION ALL
        SELECT * FROM core.fact_orders
    """
    assert sorted(tables_in_sql(sql, "duckdb")) == sorted(
        ["core.fact_orders", '"Core"."Dim_Users"', "raw.promos", "marketing.user_order_facts"]
    )


def test_tables_in_sql_keeps_a_real_table_qualified_like_a_cte():
    sql = "WITH orders AS (SELECT * FROM shop.orders) SELECT * FROM orders JOIN archive.orders USING (id)"
    assert tables_in_sql(sql, "postgres") == ["shop.orders", "archive.orders"]


def test_tables_in_sql_ignores_names_in_comments_and_strings():
    sql = "SELECT 'core.secret' AS s -- FROM core.commented\nFROM core.real /* JOIN core.hidden */"
    assert tables_in_sql(sql, "duckdb") == ["core.real"]


def test_tables_in_sql_names_round_trip_through_split():
    """Names found in SQL split back into the parts Snowflake resolves: quoted keep case, bare fold up."""
    tables = tables_in_sql('SELECT * FROM "ANALYTICS"."Marts".fct JOIN b.c ON 1=1', "snowflake")
    assert [split_table_name(table, "snowflake") for table in tables] == [
        ("ANALYTICS", "Marts", "FCT"),
        (None, "B", "C"),
    ]


@pytest.mark.parametrize("sql", ["", "SELECT * FROM", "SELECT * FROM {{ ref('x') }}", "SELECT ((("])
def test_tables_in_sql_errors_are_one_line(sql):
    with pytest.raises(SqlParseError) as info:
        tables_in_sql(sql, "duckdb")
    assert "\n" not in str(info.value)
    assert "Token" not in str(info.value)


_identifiers = st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True).filter(
    lambda s: (
        s not in {"select", "from", "where", "table", "with", "as", "on", "join", "union", "order", "group"}
    )
)


@given(schema=_identifiers, table=_identifiers, upper=st.booleans())
def test_quoted_and_unquoted_forms_meet_on_duckdb(schema, table, upper):
    written = f"{schema}.{table}".upper() if upper else f"{schema}.{table}"
    assert split_table_name(written, "duckdb") == split_table_name(f'"{schema}"."{table}"', "duckdb")
    (found,) = tables_in_sql(f"SELECT * FROM {written} AS t", "duckdb")
    assert split_table_name(found, "duckdb") == split_table_name(written, "duckdb")


@pytest.mark.parametrize(
    ("sql", "dialect", "expected"),
    [
        ("SELECT * FROM _.at AS t", "duckdb", ("_", "at")),  # keyword part gets quoted by sqlglot
        ("SELECT * FROM S.AT", "postgres", ("s", "at")),  # quoted "AT" would be another relation
        ("SELECT * FROM s.at", "snowflake", ("S", "AT")),
        ('SELECT * FROM "S"."At"', "postgres", ("S", "At")),
    ],
)
def test_names_found_in_sql_resolve_to_the_relation_read(sql, dialect, expected):
    (found,) = tables_in_sql(sql, dialect)
    assert split_table_name(found, dialect)[1:] == expected


# The case table of docs/lookml.md: (dialect, name in LookML, manifest relation, same relation?)
CASE_TABLE = [
    ("bigquery", "crm.Organization", "`p`.`crm`.`Organization`", True),
    ("bigquery", "crm.organization", "`p`.`crm`.`Organization`", False),  # case-sensitive tables
    ("bigquery", "CRM.organization", "`p`.`crm`.`organization`", False),  # and datasets
    ("bigquery", "`P.crm.organization`", "`p`.`crm`.`organization`", True),  # project ids are not
    ("snowflake", "marts.fct_orders", "ANALYTICS.MARTS.FCT_ORDERS", True),  # unquoted -> upper
    ("snowflake", '"marts"."fct_orders"', "ANALYTICS.MARTS.FCT_ORDERS", False),  # quoted kept
    ("snowflake", 'MARTS."Mixed"', 'ANALYTICS.MARTS."Mixed"', True),
    ("postgres", "Marts.Fct_Orders", '"analytics"."marts"."fct_orders"', True),  # unquoted -> lower
    ("postgres", '"Marts"."fct_orders"', '"analytics"."marts"."fct_orders"', False),  # quoted kept
    ("redshift", "Marts.Fct_Orders", '"analytics"."marts"."fct_orders"', True),
    ("redshift", '"Marts"."Fct_Orders"', '"analytics"."marts"."fct_orders"', True),  # case-insensitive
    ("duckdb", '"MARTS"."Fct_Orders"', '"analytics"."marts"."fct_orders"', True),  # case-insensitive
    ("duckdb", "MARTS.FCT_ORDERS", '"analytics"."marts"."fct_orders"', True),
]


@pytest.mark.parametrize(("dialect", "name", "relation", "same"), CASE_TABLE)
def test_case_rules_per_warehouse(dialect: str, name: str, relation: str, same: bool) -> None:
    looker = split_table_name(name, dialect)
    manifest = split_table_name(relation, dialect)
    assert (looker[1:] == manifest[1:] and looker[0] in (None, manifest[0])) is same


def test_bigquery_manifest_parts_keep_the_case_of_datasets_and_tables() -> None:
    parts = normalize_relation("My-Proj", "CRM", "Organization", "bigquery")
    assert parts == ("my-proj", "CRM", "Organization")
    assert normalize("Analytics", "bigquery", part="schema") == "Analytics"
    assert normalize("My-Proj", "bigquery", part="database") == "my-proj"


QUOTED_NAMES = [
    '"db"."core"."Fact_Orders"',
    '"core"."dim_users"',
    '"T1"',
    '"a"."b"."select"',
    '"x"."_y"."z9"',
]
UNQUOTED_NAMES = [
    "db.core.Fact_Orders",
    "core.dim_users",
    "T1",
    "x.amount",
    "x.orders",
    "x.sales_2024",
    "a.b._c9",
]


@pytest.mark.parametrize("dialect", [None, "duckdb", "snowflake", "postgres", "redshift"])
@pytest.mark.parametrize("name", QUOTED_NAMES + UNQUOTED_NAMES)
def test_plain_names_fast_path_agrees_with_sqlglot(name, dialect, monkeypatch: pytest.MonkeyPatch) -> None:
    import dbtmeta.sqlnames as sqlnames

    assert sqlnames._plain_parts(name, sqlglot_dialect(dialect)) is not None
    fast = split_table_name(name, dialect)
    monkeypatch.setattr(sqlnames, "_plain_parts", lambda text, read: None)
    assert fast == split_table_name.__wrapped__(name, dialect)  # not the cached answer


@pytest.mark.parametrize("dialect", ["bigquery", "databricks", "mysql"])
@pytest.mark.parametrize("name", UNQUOTED_NAMES)
def test_unquoted_names_fast_path_agrees_with_sqlglot_in_backtick_dialects(
    name, dialect, monkeypatch
) -> None:
    import dbtmeta.sqlnames as sqlnames

    assert sqlnames._plain_parts(name, sqlglot_dialect(dialect)) is not None
    fast = split_table_name(name, dialect)
    monkeypatch.setattr(sqlnames, "_plain_parts", lambda text, read: None)
    assert fast == split_table_name.__wrapped__(name, dialect)


@pytest.mark.parametrize(
    ("name", "dialect"),
    [
        ('"core"."dim users"', "duckdb"),  # not a plain identifier inside the quotes
        ('"a"."b"."c"."d"', "duckdb"),  # four parts
        ("core.select", "duckdb"),  # a keyword: sqlglot decides
        ("x.from", "postgres"),
        ('core."dim_users"', "duckdb"),  # quoted and unquoted parts mixed
        ('"core"."dim_users"', "bigquery"),  # '"' quotes strings there
        ('"core"."dim_users"', "mysql"),
        ('"core".""', "duckdb"),
        ('"core"."x" y', "duckdb"),
    ],
)
def test_plain_names_fast_path_leaves_the_rest_to_sqlglot(name, dialect) -> None:
    from dbtmeta.sqlnames import _plain_parts

    assert _plain_parts(name, sqlglot_dialect(dialect)) is None
