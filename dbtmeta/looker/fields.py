"""Which warehouse columns a Looker field reads, from LookML: column lineage on the Looker side.

The definitions come from the LookML files or, the same shape, from the API's explore fields
(``looker.api``) and snapshots; a field whose SQL the API withheld carries its ``problem``.

A field's SQL (``sql:``, ``sql_start``/``sql_end``/..., its ``filters:``) is read with sqlglot after
Looker's substitutions are swapped for placeholders: ``${TABLE}.col`` is a column of the view's
table, ``${field}`` / ``${view.field}`` (the view itself or one it extends) are followed to that
field, ``${alias.field}`` to the field of that explore alias. A dimension without ``sql`` reads
``${TABLE}.<name>``; ``type: count`` without ``sql`` reads none; a dimension group's timeframes
(``created_date``) read its base column. A view on a SQL derived table is traced through its SQL
with ``sqlglot.lineage`` down to the columns of the tables it selects from
(``${other.SQL_TABLE_NAME}`` followed into ``other``). A column of a native derived table
(``explore_source``) reads what its explore field reads in the source explore (a ``derived_column``:
what the columns its SQL names read), plus what the table's filters and joins read. Liquid, SQL
sqlglot cannot parse, a column read without ``${TABLE}``, a reference cycle: each is a problem of the
field, never a guess.

Must not: know about dbt nodes (``ColumnRef.table`` is the table as Looker names it).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dbtmeta.looker import lookml_templates as tpl
from dbtmeta.looker.content import Dashboard, LookerContent, LookmlView, NativeTable, Query

if TYPE_CHECKING:
    from sqlglot.lineage import Node

_REF = re.compile(r"\$\{\s*([^}]*?)\s*\}")  # Looker's substitution markers (LookML, not SQL)
_TABLE = tpl.PLACEHOLDER_PREFIX + "table"
# Columns a warehouse adds to every table (wildcard-table suffix, ingestion-time partitions).
_PSEUDO_COLUMNS = {"bigquery": frozenset({"_TABLE_SUFFIX", "_PARTITIONTIME", "_PARTITIONDATE"})}
_FIELD = tpl.PLACEHOLDER_PREFIX + "field_"


# (table as Looker names it, connection) -> its column names, or None when not known: lets sqlglot
# place the unqualified columns of a derived table reading several tables (e.g. from dbt's catalog)
ColumnsOf = Callable[[str, str | None], Sequence[str] | None]


@dataclass(frozen=True, order=True)
class ColumnRef:
    """A warehouse column: the table as Looker names it (1-3 parts, maybe quoted) and the column."""

    table: str
    column: str
    connection: str | None = None


@dataclass(frozen=True)
class FieldLineage:
    """The columns one field of an explore reads (``field`` is ``alias.name``), or why not known."""

    model: str
    explore: str
    field: str
    view: str | None = None
    file: str | None = None
    line: int | None = None
    columns: tuple[ColumnRef, ...] = ()
    problems: tuple[str, ...] = ()
    via: tuple[str, ...] = ()  # the other fields it reads, "alias.name"

    @property
    def where(self) -> str:
        """``file:line`` of its definition (``?`` when unknown)."""
        return where_of(self.file, self.line)


def where_of(file: str | None, line: int | None) -> str:
    """``file:line`` (``file`` without a line, ``?`` without a file): where a field is defined."""
    if file is None:
        return "?"
    return f"{file}:{line}" if line else file


@dataclass
class _Acc:
    columns: set[ColumnRef] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    via: list[str] = field(default_factory=list)

    def add(self, other: FieldLineage) -> None:
        self.columns.update(other.columns)
        self.problems.extend(p for p in other.problems if p not in self.problems)
        self.via.extend(v for v in (other.field, *other.via) if v not in self.via)


class FieldTracer:
    """Traces fields of the explores of a ``LookerContent`` read from LookML (results are cached)."""

    def __init__(self, content: LookerContent, columns_of: ColumnsOf | None = None) -> None:
        self.content = content
        self._columns_of = columns_of
        self._cache: dict[tuple[str, str, str], FieldLineage] = {}
        self._derived: dict[tuple[str, str, str], tuple[tuple[ColumnRef, ...], str | None]] = {}
        self._native: dict[tuple[str, str, str], tuple[tuple[ColumnRef, ...], str | None]] = {}
        self._native_stack: list[tuple[str, str, str]] = []
        self._rows: dict[tuple[str, str], tuple[tuple[ColumnRef, ...], tuple[str, ...]]] = {}

    def trace(self, model: str, explore: str, name: str) -> FieldLineage:
        """Columns the field ``name`` (``alias.field``) of ``model::explore`` reads."""
        return self._trace(model, explore, name, ())

    def _trace(self, model: str, explore: str, name: str, stack: tuple[str, ...]) -> FieldLineage:
        key = (model, explore, name)
        if key in self._cache:
            return self._cache[key]
        if name in stack:
            chain = " -> ".join((*stack[stack.index(name) :], name))
            return FieldLineage(model, explore, name, problems=(f"{name}: reference cycle {chain}",))
        result = self._compute(model, explore, name, (*stack, name))
        if not any("reference cycle" in p for p in result.problems):
            self._cache[key] = result  # a field inside a cycle is traced again from its own start
        return result

    def _alias_view(self, model: str, explore: str, alias: str) -> str | None:
        for join in self.content.lookml_joins.get((model, explore), ()):
            if join.alias == alias:
                return join.view
        return None

    def _compute(self, model: str, explore: str, name: str, stack: tuple[str, ...]) -> FieldLineage:
        alias, dot, field_name = name.partition(".")
        if not self.content.lookml_joins:
            why = f"{name}: no LookML field definitions (content from {self.content.source}): give the LookML"
            return FieldLineage(model, explore, name, problems=(why,))
        view_name = self._alias_view(model, explore, alias) if dot else None
        if view_name is None:
            why = f"{name}: {alias!r} is not a view of explore {model}::{explore}"
            return FieldLineage(model, explore, name, problems=(why,))
        view = self.content.lookml_views.get((model, view_name))
        if view is None:
            why = f"{name}: view {view_name} is not defined in the LookML of model {model}"
            return FieldLineage(model, explore, name, view_name, problems=(why,))
        item = view.field(field_name)
        if item is None:
            why = f"{name}: view {view_name} has no field {field_name}"
            return FieldLineage(model, explore, name, view_name, problems=(why,))
        if item.problem:  # from the API: its SQL is not known (never guessed)
            return FieldLineage(
                model, explore, name, view_name, item.file, item.line, problems=(f"{name}: {item.problem}",)
            )
        acc = _Acc()
        texts: list[str] = []
        if item.sql is not None:
            texts.append(item.sql)
        elif item.kind in ("dimension", "dimension_group") and not item.extra_sql:
            texts.append(f"${{TABLE}}.{item.name}")  # Looker's default sql (not for durations)
        texts.extend(item.extra_sql)
        for text in texts:
            self._read_sql(model, explore, alias, view, name, text, stack, acc)
        for ref in item.filters:  # filtered measures read the fields they filter on
            target = ref if "." in ref else f"{alias}.{ref}"
            if ref.partition(".")[0] in view.own_names:
                target = f"{alias}.{ref.partition('.')[2]}"
            acc.add(self._trace(model, explore, target, stack))
        return FieldLineage(
            model,
            explore,
            name,
            view_name,
            item.file,
            item.line,
            tuple(sorted(acc.columns)),
            tuple(acc.problems),
            tuple(acc.via),
        )

    def _read_sql(
        self,
        model: str,
        explore: str,
        alias: str,
        view: LookmlView,
        name: str,
        text: str,
        stack: tuple[str, ...],
        acc: _Acc,
    ) -> None:
        if tpl.has_liquid(text):
            acc.problems.append(
                f"{name}: its SQL has Liquid ({{{{ }}}} or {{% %}}): its columns are not traced"
            )
            return
        refs: dict[str, str] = {}

        def swap(match: re.Match[str]) -> str:
            inner = match.group(1)
            if inner == "TABLE":
                return _TABLE
            placeholder = f"{_FIELD}{len(refs)}"
            refs[placeholder] = inner
            return placeholder

        sql = _REF.sub(swap, text)
        columns, problem = _columns_of_expression(sql, self._dialect(model))
        if problem:
            acc.problems.append(f"{name}: cannot parse its SQL ({problem}): its columns are not traced")
            return
        for table, column in columns:
            if table == _TABLE:
                found, why = self._table_column(model, explore, alias, view, column)
                acc.columns.update(found)
                if why:
                    acc.problems.append(f"{name}: {why}")
            elif not table and column in refs:
                ref = refs[column]
                prefix, dot, rest = ref.partition(".")
                if rest == "SQL_TABLE_NAME":
                    acc.problems.append(f"{name}: reads ${{{ref}}} in a field: its columns are not traced")
                    continue
                own = not dot or prefix in view.own_names
                target = f"{alias}.{rest if dot else prefix}" if own else ref
                acc.add(self._trace(model, explore, target, stack))
            elif not table and column.upper() in _PSEUDO_COLUMNS.get(self._dialect(model) or "", ()):
                continue  # the warehouse's, not a column of any table
            else:
                shown = f"{table}.{column}" if table else column
                acc.problems.append(
                    f"{name}: reads {shown} without ${{TABLE}}: which table it belongs to is not known"
                )

    def _dialect(self, model: str) -> str | None:
        connection = self.content.connections.get(self.content.model_connections.get(model, ""))
        return connection.dialect if connection else None

    def _connection(self, model: str, explore: str) -> str | None:
        found = self.content.explore(model, explore)
        return (found.connection if found else None) or self.content.model_connections.get(model)

    def _table_column(
        self, model: str, explore: str, alias: str, view: LookmlView, column: str
    ) -> tuple[tuple[ColumnRef, ...], str | None]:
        """Where column ``column`` of the view's table comes from: a table, or a derived table traced."""
        connection = self._connection(model, explore)
        if view.native is not None:
            return self._native_column(model, view, column)
        if view.derived_problem:
            return (), view.derived_problem
        if view.derived_sql is not None:
            return self._derived_column(model, view, column, connection)
        found = self.content.explore(model, explore)
        item = found.view(alias) if found else None
        if item is None:
            return (), f"alias {alias} is not part of explore {model}::{explore}"
        if item.source.problem:
            return (), item.source.problem
        return tuple(ColumnRef(t, column, connection) for t in item.source.tables), None

    def _derived_column(
        self, model: str, view: LookmlView, column: str, connection: str | None
    ) -> tuple[tuple[ColumnRef, ...], str | None]:
        key = (model, view.name, column)
        if key in self._derived:
            return self._derived[key]
        self._derived[key] = ((), f"view {view.name} reaches itself through its derived table SQL")
        result = self._derived_lineage(model, view, column, connection)
        self._derived[key] = result
        return result

    def _derived_lineage(
        self, model: str, view: LookmlView, column: str, connection: str | None
    ) -> tuple[tuple[ColumnRef, ...], str | None]:
        from sqlglot import exp

        from dbtmeta.sqlnames import sqlglot_dialect

        dialect = sqlglot_dialect(self._dialect(model)) or None
        root, problem = self._derived_root(column, view, dialect, connection)
        if root is None:
            return (), f"column {column} of derived table {view.name}: {problem}"
        placeholders = dict(view.placeholders)
        found: list[ColumnRef] = []
        for node in root.walk():
            if node.downstream or not isinstance(node.expression, exp.Table):
                continue  # COUNT(*), literals: no column
            table = node.expression
            source_column = node.name.rpartition(".")[2]
            parts = [p.sql(dialect=dialect) for p in table.parts]
            target_view = placeholders.get(table.name.lower()) if len(parts) == 1 else None
            if target_view is None:
                found.append(ColumnRef(".".join(parts), source_column, connection))
                continue
            target = self.content.lookml_views.get((model, target_view))
            if target is None:
                return (), f"${{{target_view}.SQL_TABLE_NAME}}: view {target_view} is not defined"
            if target.native is not None:
                inner, why = self._native_column(model, target, source_column)
                if why:
                    return (), f"through ${{{target_view}.SQL_TABLE_NAME}}: {why}"
                found.extend(inner)
                continue
            if target.derived_sql is not None or target.derived_problem:
                if target.derived_problem:
                    return (), target.derived_problem
                inner, why = self._derived_column(model, target, source_column, connection)
                if why:
                    return (), f"through ${{{target_view}.SQL_TABLE_NAME}}: {why}"
                found.extend(inner)
                continue
            tables = self._view_tables(model, target_view)
            if isinstance(tables, str):
                return (), f"through ${{{target_view}.SQL_TABLE_NAME}}: {tables}"
            found.extend(ColumnRef(t, source_column, connection) for t in tables)
        return tuple(sorted(set(found))), None

    def _derived_root(
        self, column: str, view: LookmlView, dialect: str | None, connection: str | None
    ) -> tuple[Node | None, str | None]:
        """``sqlglot.lineage`` of a derived table's column, or why there is none."""
        from sqlglot.errors import SqlglotError
        from sqlglot.lineage import lineage

        root: Node | None
        try:
            root = lineage(column, view.derived_sql or "", {}, dialect=dialect)
        except (SqlglotError, KeyError, ValueError) as exc:
            star = "find column" in str(exc)  # not in the projections: maybe passed on by a SELECT *
            root = _star_lineage(column, view.derived_sql or "", dialect) if star else None
            if root is None:
                return None, str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        unplaced = _unqualified(root)
        if unplaced is None:
            return root, None
        placed = self._with_schema(column, view, dialect, connection)
        if placed is None:
            return None, (
                f"reads {unplaced} without a table name from several tables: which one is not known "
                "(the catalog's columns of each table would tell)"
            )
        return placed, None

    def _with_schema(
        self, column: str, view: LookmlView, dialect: str | None, connection: str | None
    ) -> Node | None:
        """The lineage of ``column`` with every table of the SQL given its columns (``columns_of``),
        so sqlglot can place unqualified columns; None when one is not known or one stays unplaced."""
        import sqlglot
        from sqlglot import exp
        from sqlglot.errors import SqlglotError
        from sqlglot.lineage import lineage

        if self._columns_of is None:
            return None
        sql = view.derived_sql or ""
        try:
            tree = sqlglot.parse_one(sql, read=dialect)
        except SqlglotError:
            return None
        ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
        schema: dict[str, Any] = {}
        for table in tree.find_all(exp.Table):
            if table.name.lower() in ctes or not table.name:
                continue
            parts = [p.sql(dialect=dialect) for p in table.parts]
            names = self._columns_of(".".join(parts), connection)
            if names is None:
                return None
            level = schema
            for part in [p.name for p in table.parts][:-1]:
                level = level.setdefault(part, {})
            level[table.name] = {name: "unknown" for name in names}
        try:
            root = lineage(column, sql, schema, dialect=dialect)
        except (SqlglotError, KeyError, ValueError):
            return None
        return None if _unqualified(root) else root

    def _native_column(
        self, model: str, view: LookmlView, column: str
    ) -> tuple[tuple[ColumnRef, ...], str | None]:
        """Column ``column`` of a native derived table: what the explore field behind it reads (or the
        columns its ``derived_column`` SQL reads), plus what the table's filters and joins read."""
        key = (model, view.name, column.lower())
        if key in self._native:
            return self._native[key]
        if key in self._native_stack:
            chain = [f"{v}.{c}" for _, v, c in self._native_stack[self._native_stack.index(key) :]]
            return (), f"reference cycle through explore_source: {' -> '.join((*chain, chain[0]))}"
        self._native_stack.append(key)
        try:
            result = self._native_lineage(model, view, column)
        finally:
            self._native_stack.pop()
        self._native[key] = result
        return result

    def _native_lineage(
        self, model: str, view: LookmlView, column: str
    ) -> tuple[tuple[ColumnRef, ...], str | None]:
        assert view.native is not None
        native = view.native
        found: set[ColumnRef] = set()
        problems: list[str] = []
        fields = {name.lower(): target for name, target in native.columns}
        derived = {name.lower(): sql for name, sql in native.derived_columns}
        if column.lower() in fields:
            lineage = self._trace(model, native.explore, fields[column.lower()], ())
            found.update(lineage.columns)
            problems.extend(f"through explore_source {native.explore}: {p}" for p in lineage.problems)
        elif column.lower() in derived:
            self._native_derived(model, view, native, column, derived[column.lower()], found, problems)
        else:
            why = f"{column} is not a column of native derived table {view.name}"
            return (), f"{why} (explore_source {native.explore})"
        rows, row_problems = self._native_rows(model, view)
        found.update(rows)
        problems.extend(p for p in row_problems if p not in problems)
        return tuple(sorted(found)), "; ".join(problems) or None

    def _native_derived(
        self,
        model: str,
        view: LookmlView,
        native: NativeTable,
        column: str,
        sql: str,
        found: set[ColumnRef],
        problems: list[str],
    ) -> None:
        """A ``derived_column``: its SQL reads other columns of the same native derived table by name
        (Looker selects it over the table's query as a subquery)."""
        what = f"derived_column {column} of {view.name}"
        if tpl.has_liquid(sql) or "${" in sql:
            problems.append(f"{what} has Liquid or a ${{...}} substitution: its columns are not traced")
            return
        columns, problem = _columns_of_expression(sql, self._dialect(model))
        if problem:
            problems.append(f"{what}: cannot parse its SQL ({problem}): its columns are not traced")
            return
        known = {n.lower() for n, _ in (*native.columns, *native.derived_columns)}
        for table, name in columns:
            if table or name.lower() not in known:
                shown = f"{table}.{name}" if table else name
                problems.append(f"{what} reads {shown}, which is not a column of {view.name}")
                continue
            inner, why = self._native_column(model, view, name)
            found.update(inner)
            if why:
                problems.append(why)

    def _native_rows(self, model: str, view: LookmlView) -> tuple[tuple[ColumnRef, ...], tuple[str, ...]]:
        """What every column of a native derived table reads because its rows depend on it: the
        fields its filters name and the ``sql_on`` of the joins its query brings in."""
        from dbtmeta.looker.usage import used_aliases

        assert view.native is not None
        native = view.native
        key = (model, view.name)
        if key in self._rows:
            return self._rows[key]
        self._rows[key] = ((), (f"reference cycle: the filters of {view.name} read {view.name} itself",))
        found: set[ColumnRef] = set()
        problems: list[str] = []
        lineages = [self._trace(model, native.explore, ref, ()) for ref in native.filters]
        explore = self.content.explore(model, native.explore)
        if explore is not None:
            query = Query(model, native.explore, tuple(f for _, f in native.columns), native.filters)
            aliases, _unknown = used_aliases(explore, query)
            joined = [a for a in aliases if a != explore.base_alias]
            lineages.extend(join_lineage(self, model, native.explore, alias) for alias in joined)
        for lineage in lineages:
            found.update(lineage.columns)
            for problem in lineage.problems:
                text = f"through explore_source {native.explore}: {problem}"
                if text not in problems:
                    problems.append(text)
        self._rows[key] = (tuple(sorted(found)), tuple(problems))
        return self._rows[key]

    def _view_tables(self, model: str, view: str) -> tuple[str, ...] | str:
        """The tables of a plain view (from any explore of the model using it), or a problem."""
        for (model_name, _), explore in self.content.explores.items():
            if model_name != model:
                continue
            for item in explore.views:
                if item.source.view == view:
                    return item.source.problem or item.source.tables
        return f"view {view} is in no explore of model {model}: its table is not known"


def _unqualified(root: Node) -> str | None:
    """The first column ``sqlglot.lineage`` could not place in a table (read without a table name
    from several tables, no schema): it ends in a ``?`` placeholder, not a table."""
    from sqlglot import exp

    for node in root.walk():
        if not node.downstream and isinstance(node.expression, exp.Placeholder):
            return node.name
    return None


def _star_lineage(column: str, sql: str, dialect: str | None) -> Node | None:
    """``sqlglot.lineage`` of a column the SQL's projections do not name but a ``SELECT *`` passes on.

    ``SELECT *, x AS y FROM t``: column ``c`` is ``t.c``, as ``${TABLE}.c`` of a plain view is (the
    catalog then says whether ``t`` has it). Only when every star reads exactly one table and no
    ``UNION``/``EXCEPT``/``INTERSECT`` matches columns by position (unknown without ``t``'s columns);
    None when the projections name the column or the shape is not that simple.
    """
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError
    from sqlglot.lineage import lineage

    try:
        tree = sqlglot.parse_one(sql, read=dialect)
    except SqlglotError:
        return None
    if not isinstance(tree, exp.Select) or tree.find(exp.SetOperation):
        return None
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    schema: dict[str, Any] = {}
    for select in tree.find_all(exp.Select):
        if not any(e.is_star for e in select.expressions):
            continue
        sources = [*(select.args.get("joins") or []), select.args.get("from_")]
        tables = [s.this for s in sources if s is not None]
        if len(tables) != 1 or not isinstance(tables[0], exp.Table):
            return None
        if tables[0].name.lower() in ctes:
            continue
        level = schema
        for part in [p.name for p in tables[0].parts][:-1]:
            level = level.setdefault(part, {})
        level.setdefault(tables[0].name, {})[column] = "unknown"
    if not schema:
        return None
    try:
        return lineage(column, sql, schema, dialect=dialect)
    except (SqlglotError, KeyError, ValueError):
        return None


@functools.lru_cache(maxsize=8192)
def _columns_of_expression(sql: str, dialect: str | None) -> tuple[tuple[tuple[str, str], ...], str | None]:
    """(table qualifier, column name) of every column the SQL expression reads, or a parse problem.

    Cached: with the references swapped for placeholders, many fields share one SQL text.
    """
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    from dbtmeta.sqlnames import sqlglot_dialect

    try:
        tree = sqlglot.parse_one(f"SELECT {sql} FROM {_TABLE}", read=sqlglot_dialect(dialect))
    except SqlglotError as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return (), detail
    # FROM UNNEST(${TABLE}.hits) AS hits: hits.x reads what the UNNEST's argument reads, found there
    unnested = {
        name.lower()
        for u in tree.find_all(exp.Unnest)
        for name in (u.alias, *u.alias_column_names)  # BigQuery names the element as a column
        if name
    }
    found: list[tuple[str, str]] = []
    for column in tree.find_all(exp.Column):
        if isinstance(column.this, exp.Star):
            return (), "SELECT * in a field"
        first, *rest = [part.name for part in column.parts]
        if first.lower() in unnested:
            continue
        if rest and first == _TABLE:  # ${TABLE}.record.field: a field of the struct column `record`
            found.append((_TABLE, rest[0]))
        elif rest and first.startswith(_FIELD):  # ${field}.key: a struct field of that field
            found.append(("", first))
        else:
            found.append((column.table, column.name))
    return tuple(found), None


@dataclass(frozen=True)
class TileFields:
    """The fields one tile (or dashboard filter) of a dashboard uses, and the joins they bring in."""

    dashboard: Dashboard
    tile_id: str
    tile_title: str | None
    query: Query
    fields: tuple[str, ...]  # "alias.field", as the query names them
    joins: tuple[str, ...]  # aliases joined (the base view left out)


def tile_fields(content: LookerContent, dashboard: Dashboard) -> list[TileFields]:
    """Per tile query and dashboard filter: its fields and joins (as ``usage.used_aliases`` decides)."""
    from dbtmeta.looker.usage import used_aliases

    found: list[TileFields] = []
    queries = [(t.id, t.title, q) for t in dashboard.tiles for q in t.queries]
    queries += [(f"filter:{q.id or i}", q.id, q) for i, q in enumerate(dashboard.filters)]
    for tile_id, title, query in queries:
        explore = content.explore(query.model, query.explore)
        names = [n for n in dict.fromkeys(query.referenced_fields()) if "." in n]
        joins: list[str] = []
        if explore is not None:
            aliases, _unknown = used_aliases(explore, query)
            joins = [a for a in aliases if a != explore.base_alias]
        found.append(TileFields(dashboard, tile_id, title, query, tuple(names), tuple(joins)))
    return found


def join_lineage(tracer: FieldTracer, model: str, explore: str, alias: str) -> FieldLineage:
    """The columns the ``sql_on`` of join ``alias`` reads (``field`` is ``join:<alias>``)."""
    name = f"join:{alias}"
    joins = tracer.content.lookml_joins.get((model, explore), ())
    join = next((j for j in joins if j.alias == alias), None)
    if join is not None and join.problem:
        why = (f"{name}: {join.problem}",)
        return FieldLineage(model, explore, name, join.view, join.file, join.line, problems=why)
    if join is None or not join.sql_on:
        return FieldLineage(model, explore, name, join.view if join else None, join.file if join else None)
    acc = _Acc()
    for ref in tpl.field_refs(join.sql_on):
        acc.add(tracer.trace(model, explore, ref))
    return FieldLineage(
        model,
        explore,
        name,
        join.view,
        join.file,
        join.line,
        tuple(sorted(acc.columns)),
        tuple(acc.problems),
        tuple(acc.via),
    )


# Measures Looker computes with symmetric aggregates (SUM(DISTINCT ...) / COUNT(DISTINCT ...) keyed
# on the view's primary key) when a join of the query repeats the view's rows.
_SYMMETRIC_TYPES = frozenset({"sum", "average", "count"})
_REPEATS_BASE = frozenset({"one_to_many", "many_to_many"})  # a join that repeats the base view's rows
_REPEATS_JOINED = frozenset({"many_to_one", "many_to_many"})  # ... that repeats the joined view's


def key_lineages(
    tracer: FieldTracer, model: str, explore: str, fields: tuple[str, ...], joins: tuple[str, ...]
) -> list[FieldLineage]:
    """The primary keys a query's measures read through symmetric aggregates (field ``key:<alias>``).

    A ``sum``/``average``/``count`` measure of a view whose rows a join of the query repeats
    reads its view's ``primary_key: yes`` dimension. The base view's rows are repeated by a
    ``one_to_many``/``many_to_many`` join; a joined view's by its own join being ``many_to_one``
    (Looker's default) or ``many_to_many``, or by another join repeating the base's rows. A view
    without a primary key reads none.
    """
    if not joins:
        return []
    views = tracer.content.lookml_joins.get((model, explore), ())
    by_alias = {join.alias: join for join in views}
    base = views[0].alias if views else None
    repeating = {
        a for a in joins if a in by_alias and (by_alias[a].relationship or "many_to_one") in _REPEATS_BASE
    }
    found: list[FieldLineage] = []
    for alias in dict.fromkeys(name.partition(".")[0] for name in fields):
        join = by_alias.get(alias)
        view = tracer.content.lookml_views.get((model, join.view)) if join else None
        if join is None or view is None:
            continue
        own = alias != base and (join.relationship or "many_to_one") in _REPEATS_JOINED
        if not (own or repeating - {alias}):  # a join repeats the base's rows, and this view's with them
            continue
        measures = [view.field(n.partition(".")[2]) for n in fields if n.partition(".")[0] == alias]
        if not any(m and m.kind == "measure" and m.type in _SYMMETRIC_TYPES for m in measures):
            continue
        key = next((f for f in view.fields if f.primary_key), None)
        if key is None:
            continue
        traced = tracer.trace(model, explore, f"{alias}.{key.name}")
        found.append(
            FieldLineage(
                model,
                explore,
                f"key:{alias}",
                join.view,
                key.file,
                key.line,
                traced.columns,
                traced.problems,
                (traced.field, *traced.via),
            )
        )
    return found
