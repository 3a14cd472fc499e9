"""Which warehouse tables a dashboard reads, and through which tiles.

A tile reads its explore's base view plus only the joins its fields, filters, pivots and the
dynamic fields it selects reference (not its sorts: Looker ignores a sort on a field the query
does not select), plus their ``required_joins`` (transitively). A view that reads no table (a
join written as ``LEFT JOIN UNNEST(...)``) adds nothing and is no problem. Each of those views has a
``ViewSource``: the tables it reads, or a ``problem`` saying why they are unknown. When a view's
tables are unknown and the query carries the SQL Looker generated for it (API mode), the tables of
that SQL are used instead. Works the same on API, LookML and snapshot content.

Must not: know about dbt nodes (:mod:`dbtmeta.exposures.resolve` maps the tables to them), or
read files.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from dbtmeta.looker.content import Dashboard, Explore, ExploreView, LookerContent, Query


@dataclass(frozen=True, order=True)
class UsedTable:
    """A warehouse table a tile reads, as written, with the Looker connection that qualifies it."""

    table: str  # as written in LookML / SQL: 1-3 parts, maybe quoted; see dbtmeta.sqlnames
    connection: str | None = None  # Looker connection: its defaults qualify 1-2 part names


@dataclass(frozen=True, order=True)
class UsageProblem:
    """Why some tables of a tile (or dashboard filter) are unknown: where (model, explore, alias, view)."""

    tile_id: str  # a tile id, or "filter:<name>" for a dashboard filter
    model: str
    explore: str
    message: str
    alias: str | None = None  # the explore alias (join name) concerned, if any
    view: str | None = None  # the LookML view behind that alias, if known


@dataclass
class DashboardUsage:
    """What one dashboard reads: each table with the ids of the tiles reading it, and the problems met."""

    dashboard: Dashboard
    tables: dict[UsedTable, set[str]] = field(default_factory=dict)  # table -> ids of tiles reading it
    problems: list[UsageProblem] = field(default_factory=list)

    def table_names(self) -> set[str]:
        """The names of the tables read, as written, without their connections."""
        return {t.table for t in self.tables}


def tables_used(content: LookerContent, dashboard: Dashboard) -> DashboardUsage:
    """Every table ``dashboard`` reads (with the tiles/filters that read it) and every problem."""
    usage = DashboardUsage(dashboard)
    for tile in dashboard.tiles:
        for query in tile.queries:
            _add_query(content, query, tile.id, usage)
    for index, query in enumerate(dashboard.filters):
        _add_query(content, query, f"filter:{query.id or index}", usage)
    usage.problems = sorted(set(usage.problems))
    return usage


_DYNAMIC_NAME_KEYS = ("table_calculation", "measure", "dimension")


def dynamic_field_refs(items: Iterable[Any], selected: Iterable[str]) -> list[str]:
    """The ``view.field`` names the dynamic fields of a query read, for those the query uses.

    ``items``: the query's ``dynamic_fields`` (mappings: table calculations, custom measures and
    dimensions). A dynamic field counts when its name is in ``selected`` (the query's fields,
    pivots and filters), when a counted one refers to it (``${name}``), or when it has no name.
    Read: ``expression``, ``filter_expression`` and ``sql`` (``${view.field}``), ``based_on``, the
    keys of ``filters``, and the field a ``group_by``/``bin`` dimension is built on (first of
    ``args``).
    """
    from dbtmeta.looker.lookml_templates import field_refs, substitution_refs

    by_name: dict[str, dict[str, Any]] = {}
    unnamed: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        name = next((item[k] for k in _DYNAMIC_NAME_KEYS if isinstance(item.get(k), str)), None)
        if name:
            by_name.setdefault(name, item)
        else:
            unnamed.append(item)
    todo = [*unnamed, *(by_name[n] for n in dict.fromkeys(selected) if n in by_name)]
    done: set[int] = set()
    refs: list[str] = []
    while todo:
        item = todo.pop(0)
        if id(item) in done:
            continue
        done.add(id(item))
        texts = [item.get(k) for k in ("expression", "filter_expression", "sql")]
        for text in (t for t in texts if isinstance(t, str)):
            refs.extend(field_refs(text))
            todo.extend(by_name[r] for r in substitution_refs(text) if r in by_name)
        names = [item.get("based_on")]
        filters = item.get("filters")
        if isinstance(filters, dict):
            names.extend(str(k) for k in filters)
        for ref in (n.strip() for n in names if isinstance(n, str)):
            if "." in ref:
                refs.append(ref)
            elif ref in by_name:
                todo.append(by_name[ref])
        args = item.get("args")
        if isinstance(args, list) and args and isinstance(args[0], str) and "." in args[0]:
            refs.append(args[0].strip())
    return list(dict.fromkeys(refs))


def used_aliases(explore: Explore, query: Query) -> tuple[list[str], list[str]]:
    """(aliases the query uses in join order, referenced aliases the explore does not have)."""
    wanted: set[str] = {explore.base_alias}
    unknown: list[str] = []
    for name in query.referenced_fields():
        alias, dot, _ = name.partition(".")
        if not dot or not alias:
            continue  # table calculations and custom measures without a view prefix
        item = explore.view(alias)
        if item is None:
            if alias not in unknown:
                unknown.append(alias)
            continue
        wanted.add(alias)
        # Aliases the field's own SQL refers to; unknown ones are Looker's validation errors, not ours.
        wanted.update(a for a in _field_requires(item, name.partition(".")[2]) if explore.view(a))
    todo = list(wanted)
    while todo:
        item = explore.view(todo.pop())
        for required in item.required_joins if item else ():
            if required not in wanted:
                wanted.add(required)
                if explore.view(required) is None:
                    unknown.append(required)
                else:
                    todo.append(required)
    return [v.alias for v in explore.views if v.alias in wanted], unknown


def _field_requires(item: ExploreView, field_name: str) -> tuple[str, ...]:
    """What ``field_name`` of this view reaches into (a dimension group lists each of its fields)."""
    for name, aliases in item.field_requires:
        if name == field_name:
            return aliases
    return ()


def _add_query(content: LookerContent, query: Query, tile_id: str, usage: DashboardUsage) -> None:
    def problem(message: str, alias: str | None = None, view: str | None = None) -> None:
        usage.problems.append(UsageProblem(tile_id, query.model, query.explore, message, alias, view))

    explore = content.explore(query.model, query.explore)
    if explore is None:
        problem(f"explore {query.model}::{query.explore} is not known (not in the LookML or API content)")
        return
    connection = explore.connection or content.model_connections.get(query.model)
    aliases, unknown = used_aliases(explore, query)
    for alias in unknown:
        problem(f"field view {alias!r} is not part of explore {query.model}::{query.explore}", alias)
    unresolved = []
    for alias in aliases:
        item = explore.view(alias)
        assert item is not None
        if item.source.problem:
            unresolved.append(item)
            continue
        for table in item.source.tables:
            usage.tables.setdefault(UsedTable(table, connection), set()).add(tile_id)
    if not unresolved:
        return
    tables_from_sql = _tables_from_generated_sql(content, query, connection) if query.sql else None
    if tables_from_sql is None:
        for item in unresolved:
            problem(item.source.problem or "", item.alias, item.source.view)
        return
    for table in tables_from_sql:
        usage.tables.setdefault(UsedTable(table, connection), set()).add(tile_id)


def _tables_from_generated_sql(
    content: LookerContent, query: Query, connection: str | None
) -> list[str] | None:
    from dbtmeta.sqlnames import SqlParseError, tables_in_sql

    conn = content.connections.get(connection or "")
    try:
        return tables_in_sql(query.sql or "", conn.dialect if conn else None)
    except SqlParseError:
        return None
