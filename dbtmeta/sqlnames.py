"""Table names in SQL, parsed with sqlglot: split, normalise per dialect, find the tables a query reads.

Dialects may be given as dbt adapter types (``duckdb``, ``snowflake``, ``sqlserver``...), Looker
dialect names (``bigquery_standard_sql``, ``postgres``...) or sqlglot names; ``None`` means
sqlglot's generic dialect (unquoted identifiers lower-cased).

Case rules are the warehouse's own (docs/lookml.md has the table): unquoted identifiers are
lower-cased on Postgres/DuckDB/Redshift and upper-cased on Snowflake; quoted identifiers are kept
on Postgres and Snowflake, and lower-cased where the warehouse ignores case even when quoted
(DuckDB, Redshift, Databricks). BigQuery dataset and table names are case-sensitive, quoted or
not (project ids are lower-cased). Normalised names of the same relation compare equal.

sqlglot is imported inside the functions: this module is imported by ``dbtmeta --help`` paths.

Must not: import a package above the leaves (``errors`` only), or take SQL apart with regular
expressions: sqlglot parses it.
"""

from __future__ import annotations

import functools
from typing import Any

from dbtmeta.errors import InputError

# Looker dialect names and dbt adapter types that differ from sqlglot's dialect names.
_DIALECT_ALIASES = {
    "bigquery_standard_sql": "bigquery",
    "bigquery_legacy_sql": "bigquery",
    "postgresql": "postgres",
    "sqlserver": "tsql",
    "mssql": "tsql",
    "azure_sql_dw": "tsql",
    "fabric": "tsql",
    "synapse": "tsql",
    "presto": "presto",
    "trino": "trino",
    "starburst": "trino",
    "athena": "athena",
    "spark": "spark",
    "databricks": "databricks",
    "motherduck": "duckdb",
    "mysql": "mysql",
    "mariadb": "mysql",
    "clickhouse": "clickhouse",
    "oracle": "oracle",
    "exasol": "exasol",
    "teradata": "teradata",
    "vertica": "postgres",
    "greenplum": "postgres",
}


class SqlParseError(InputError):
    """SQL or a table name that sqlglot cannot parse."""


@functools.lru_cache(maxsize=256)  # called per field and per table name: sqlglot's look-up is not free
def sqlglot_dialect(dialect: str | None) -> str:
    """The sqlglot dialect for a dbt adapter type or Looker dialect name ("" = generic)."""
    if not dialect:
        return ""
    name = dialect.strip().lower()
    name = _DIALECT_ALIASES.get(name, name)
    try:
        _dialect(name)
    except ValueError:
        return ""  # unknown warehouse: generic SQL rules rather than a failure
    return name


@functools.lru_cache(maxsize=64)
def _dialect(read: str) -> Any:
    """sqlglot's ``Dialect`` instance for a dialect name (a new one per call otherwise)."""
    from sqlglot.dialects.dialect import Dialect

    return Dialect.get_or_raise(read)


def normalize(identifier: str, dialect: str | None, *, quoted: bool = False, part: str = "table") -> str:
    """One identifier (``part``: ``database``, ``schema`` or ``table``) as the warehouse resolves it.

    Use it on manifest values (``database``, ``schema``, ``alias``/``identifier``), which are
    stored unquoted: ``quoted`` says whether dbt quotes that part (its ``quoting`` config).
    """
    from sqlglot import exp

    return _normalize_part(exp.to_identifier(identifier, quoted=quoted), sqlglot_dialect(dialect), part)


_PARTS = ("database", "schema", "table")


def _normalize_part(identifier: Any, read: str, part: str) -> str:
    """sqlglot's case rule for the dialect, except BigQuery: dataset and table names are
    case-sensitive there (``Organization`` and ``organization`` are two tables); projects are not."""
    if read == "bigquery" and part in ("schema", "table"):
        return str(identifier.name)
    return str(_dialect(read).normalize_identifier(identifier).name)


def normalize_relation(
    database: str | None, schema: str | None, identifier: str, dialect: str | None, *, quoted: bool = False
) -> tuple[str | None, str | None, str]:
    """``normalize`` applied to each part of a relation given as separate (unquoted) parts."""
    return (
        normalize(database, dialect, quoted=quoted, part="database") if database else None,
        normalize(schema, dialect, quoted=quoted, part="schema") if schema else None,
        normalize(identifier, dialect, quoted=quoted, part="table"),
    )


@functools.lru_cache(maxsize=4096)  # a LookML table is resolved once per explore using it
def split_table_name(name: str, dialect: str | None) -> tuple[str | None, str | None, str]:
    """``'"core"."Fact"'``, ``core.dim_users``, `` `p.d.t` `` -> (database, schema, name), normalised.

    Raises ``SqlParseError`` when ``name`` is not a table name (templating left in it, SQL...).
    """
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    text = name.strip()
    read = sqlglot_dialect(dialect)
    if not text:
        raise SqlParseError("an empty string is not a table name")
    plain = _plain_parts(text, read)
    if plain is not None:
        return _normalized(plain[0], read, quoted=plain[1])
    # Parse as a FROM clause, then require that nothing but the bare name came through: this
    # rejects aliases, comments, a second statement and templating that sqlglot would quote.
    try:
        parsed = sqlglot.parse(f"SELECT * FROM {text}", read=read)
    except SqlglotError as exc:
        raise SqlParseError(f"{name!r} is not a table name") from exc
    statement = parsed[0] if len(parsed) == 1 else None
    table = statement.find(exp.Table) if isinstance(statement, exp.Select) else None
    if table is None or not isinstance(table.this, exp.Identifier) or not 1 <= len(table.parts) <= 3:
        raise SqlParseError(f"{name!r} is not a table name of one to three parts")
    bare = _bare(table)
    assert statement is not None  # a Select was found in it
    has_comments = any(node.comments for node in statement.walk())
    if has_comments or statement != exp.select("*").from_(bare):
        raise SqlParseError(f"{name!r} is not a plain table name (extra text around the name)")
    parts = list(bare.parts)
    positions = _PARTS[3 - len(parts) :]
    names: list[str | None] = [None] * (3 - len(parts))
    names += [_normalize_part(p.copy(), read, pos) for p, pos in zip(parts, positions, strict=True)]
    return names[0], names[1], str(names[2])


def _plain_parts(text: str, read: str) -> tuple[list[str], bool] | None:
    """The parts of a name sqlglot would read the obvious way, and whether they are quoted, else None
    (then sqlglot parses the name): one to three parts, each a plain ASCII identifier, either all
    unquoted and none a keyword of the dialect (``core.fact_orders``), or all double-quoted in a
    dialect whose identifier quote is ``"`` (``"db"."schema"."name"``, how dbt renders most
    ``relation_name``s).

    Parsing 20,000 relation names costs seconds for the answer this gives; ``tests/test_sqlnames.py``
    checks that both ways agree.
    """
    pieces = text.split(".")
    if not 1 <= len(pieces) <= 3:
        return None
    tokenizer = _dialect(read).tokenizer_class
    quoted = all(len(p) > 2 and p[0] == '"' and p[-1] == '"' for p in pieces)
    if quoted and '"' not in tokenizer.IDENTIFIERS:
        return None
    inner = [p[1:-1] for p in pieces] if quoted else pieces
    if not all(p.isascii() and p.isidentifier() for p in inner):
        return None
    if not quoted and any(p.upper() in tokenizer.KEYWORDS for p in inner):
        return None
    return inner, quoted


def _normalized(parts: list[str], read: str, *, quoted: bool) -> tuple[str | None, str | None, str]:
    names: list[str | None] = [None] * (3 - len(parts))
    positions = _PARTS[3 - len(parts) :]
    names += [_normalize_plain(p, quoted, read, pos) for p, pos in zip(parts, positions, strict=True)]
    return names[0], names[1], str(names[2])


@functools.lru_cache(maxsize=4096)  # databases and schemas repeat across thousands of relations
def _normalize_plain(text: str, quoted: bool, read: str, part: str) -> str:
    from sqlglot import exp

    return _normalize_part(exp.to_identifier(text, quoted=quoted), read, part)


def tables_in_sql(sql: str, dialect: str | None) -> list[str]:
    """Physical tables a SQL statement reads, in order of appearance, as SQL names (quoting kept).

    CTE names are dropped, subqueries, joins, unions and CTE bodies are followed; table functions
    (``read_csv(...)``, ``UNNEST``) are ignored. Raises ``SqlParseError`` on SQL sqlglot rejects.
    """
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    read = sqlglot_dialect(dialect)
    try:
        statements = [s for s in sqlglot.parse(sql, read=read) if s is not None]
    except SqlglotError as exc:
        raise SqlParseError(f"SQL could not be parsed ({_first_line(exc)})") from exc
    if not statements:
        raise SqlParseError("SQL is empty")
    seen: dict[str, None] = {}
    for statement in statements:
        ctes = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
        tables = sorted(statement.find_all(exp.Table), key=lambda t: t.this.meta.get("start", 0))
        for table in tables:
            if not isinstance(table.this, exp.Identifier):
                continue  # table function or other non-name source
            if not table.args.get("db") and table.name.lower() in ctes:
                continue
            seen.setdefault(_bare(table).sql(dialect=read), None)
    return list(seen)


def _bare(table: Any) -> Any:
    """A sqlglot Table -> the same name without alias or comments."""
    from sqlglot import exp

    parts = {k: table.args.get(k) for k in ("this", "db", "catalog")}
    return exp.Table(**{k: v.copy() for k, v in parts.items() if v is not None})


def _first_line(exc: BaseException) -> str:
    errors = getattr(exc, "errors", None)
    if errors and isinstance(errors[0], dict):
        first = errors[0]
        desc = str(first.get("description") or "syntax error").split(" but got <Token")[0]
        return f"{desc} at line {first.get('line')}, column {first.get('col')}"
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
