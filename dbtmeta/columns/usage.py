"""Which Looker fields, tiles and dashboards read each column of each dbt node.

Joins the Looker side (``looker.fields``: field -> warehouse columns) with the dbt side through a
``resolve`` function the caller gives (table as Looker names it, connection) -> (unique id, problem),
usually ``exposures.resolve.Resolver.resolve_table``: this package sits below ``exposures``.
A tile reads the columns of every field its query uses (fields, filters, pivots, dynamic fields),
of the ``sql_on`` of every join those fields bring in, and the primary keys its measures are
computed on by symmetric aggregates (``looker.fields.key_lineages``).

Must not: print anything or read files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from dbtmeta.dbt.columns import DbtColumns
from dbtmeta.looker.content import Dashboard, LookerContent
from dbtmeta.looker.fields import (
    ColumnsOf,
    FieldLineage,
    FieldTracer,
    TileFields,
    join_lineage,
    key_lineages,
    tile_fields,
)

# (table as Looker names it, Looker connection) -> (dbt unique id or None, why not)
Resolve = Callable[[str, str | None], tuple[str | None, str | None]]


@dataclass(frozen=True, order=True)
class FieldUse:
    """One field (or join ``sql_on``, ``join:<alias>``) of one tile reading a column."""

    dashboard_id: str
    dashboard_title: str
    tile_id: str
    tile_title: str
    field: str  # "alias.field" or "join:<alias>"
    model: str
    explore: str
    where: str  # file:line of the field's LookML definition


@dataclass
class ColumnUsage:
    """(unique id, column in lower case) -> the uses reading it; and what could not be traced."""

    uses: dict[tuple[str, str], set[FieldUse]] = field(default_factory=dict)
    # one line per field/table that could not be traced or resolved: "where: field: why"
    problems: list[str] = field(default_factory=list)
    tiles: dict[tuple[str, str], str] = field(default_factory=dict)  # (dashboard, tile) -> title

    def readers(self, unique_id: str, column: str) -> list[FieldUse]:
        """Every use of ``unique_id``'s ``column`` (case-insensitive), sorted."""
        return sorted(self.uses.get((unique_id, column.lower()), ()))


def column_usage(
    content: LookerContent,
    resolve: Resolve,
    dashboards: Iterable[Dashboard] | None = None,
    columns: DbtColumns | None = None,
) -> ColumnUsage:
    """The columns every tile of ``dashboards`` (default: all of ``content``) reads, by dbt node
    (``columns``: the nodes' known columns, to place derived tables' unqualified columns)."""
    tracer = FieldTracer(content, columns_of(resolve, columns) if columns is not None else None)
    usage = ColumnUsage()
    problems: set[str] = set()
    for dashboard in dashboards if dashboards is not None else content.dashboards:
        for tile in tile_fields(content, dashboard):
            query = tile.query
            title = tile.tile_title or tile.tile_id
            usage.tiles[(dashboard.id, tile.tile_id)] = title
            for lineage in tile_lineages(tracer, tile):
                use = FieldUse(
                    dashboard.id,
                    dashboard.title,
                    tile.tile_id,
                    title,
                    lineage.field,
                    query.model,
                    query.explore,
                    lineage.where,
                )
                problems.update(f"{lineage.where}: {p}" for p in lineage.problems)
                _add(usage, lineage, use, resolve, problems)
    usage.problems = sorted(problems)
    return usage


def tile_lineages(tracer: FieldTracer, tile: TileFields) -> list[FieldLineage]:
    """Everything one tile reads: its fields, the ``sql_on`` of the joins they bring in, and the
    primary keys of the measures Looker computes with symmetric aggregates."""
    model, explore = tile.query.model, tile.query.explore
    lineages = [tracer.trace(model, explore, name) for name in tile.fields]
    lineages += [join_lineage(tracer, model, explore, alias) for alias in tile.joins]
    lineages += key_lineages(tracer, model, explore, tile.fields, tile.joins)
    return lineages


def _add(
    usage: ColumnUsage, lineage: FieldLineage, use: FieldUse, resolve: Resolve, problems: set[str]
) -> None:
    for ref in lineage.columns:
        unique_id, why = resolve(ref.table, ref.connection)
        if unique_id is None:
            problems.add(f"{lineage.where}: {lineage.field}: table {ref.table}: {why}")
            continue
        usage.uses.setdefault((unique_id, ref.column.lower()), set()).add(use)


def columns_of(resolve: Resolve, columns: DbtColumns) -> ColumnsOf:
    """The column names of a table as Looker names it, from its dbt node's catalog entry (or
    complete compiled SQL): what lets sqlglot place a derived table's unqualified columns."""

    def of(table: str, connection: str | None) -> list[str] | None:
        unique_id, _why = resolve(table, connection)
        if unique_id is None:
            return None
        known = columns.of(unique_id)
        return [column.name for column in known.columns] if known.complete else None

    return of
