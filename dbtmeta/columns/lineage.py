"""``MODEL.COLUMN`` -> the Looker fields, tiles and dashboards that read it.

Must not: print anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dbtmeta.columns.usage import ColumnUsage, FieldUse, Resolve
from dbtmeta.looker.content import LookerContent


@dataclass
class ColumnLineage:
    """The Looker uses of one dbt column, and whether the node has it (``lineage NODE.COLUMN``)."""

    unique_id: str
    column: str
    uses: list[FieldUse]
    exists: bool | None = None  # the column is in the node's columns (None: columns unknown)
    columns_source: str | None = None  # catalog | compiled | manifest | None

    def dashboards(self) -> list[tuple[str, str]]:
        """(id, title) of the dashboards reading the column."""
        return sorted({(u.dashboard_id, u.dashboard_title) for u in self.uses})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: node, column, existence, and dashboards -> tiles -> fields."""
        dashboards: list[dict[str, Any]] = []
        for dashboard_id, title in self.dashboards():
            tiles: dict[str, dict[str, Any]] = {}
            for use in self.uses:
                if use.dashboard_id != dashboard_id:
                    continue
                tile = tiles.setdefault(
                    use.tile_id, {"id": use.tile_id, "title": use.tile_title, "fields": []}
                )
                entry = {"field": use.field, "explore": f"{use.model}::{use.explore}", "where": use.where}
                if entry not in tile["fields"]:
                    tile["fields"].append(entry)
            dashboards.append({"id": dashboard_id, "title": title, "tiles": list(tiles.values())})
        return {
            "node": self.unique_id,
            "column": self.column,
            "column_exists": self.exists,
            "columns_source": self.columns_source,
            "dashboards": dashboards,
        }


def column_lineage(usage: ColumnUsage, unique_id: str, column: str) -> ColumnLineage:
    """The uses of ``unique_id``'s ``column``."""
    return ColumnLineage(unique_id, column, usage.readers(unique_id, column))


@dataclass
class FieldReads:
    """What one LookML field reads, per explore it appears in (``--looker-field``)."""

    view: str
    field: str
    where: str
    # (model::explore, alias.field, [(unique id or table, column)], problems)
    explores: list[tuple[str, str, list[tuple[str, str]], list[str]]]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the field, its ``file:line`` and per explore the columns and problems."""
        return {
            "view": self.view,
            "field": self.field,
            "where": self.where,
            "explores": [
                {
                    "explore": explore,
                    "field": name,
                    "columns": [{"node": node, "column": column} for node, column in columns],
                    "problems": problems,
                }
                for explore, name, columns, problems in self.explores
            ],
        }


def field_reads(content: LookerContent, resolve: Resolve, view: str, field: str) -> FieldReads:
    """The dbt columns field ``field`` of LookML view ``view`` reads, in every explore joining the view.

    A table no dbt node builds is listed as the table itself, with the reason among the problems.
    Raises ``InputError`` when no explore of the LookML uses the view, or the view has no such field.
    """
    from dbtmeta.errors import InputError
    from dbtmeta.looker.fields import FieldTracer

    tracer = FieldTracer(content)
    found: list[tuple[str, str, list[tuple[str, str]], list[str]]] = []
    where = "?"
    for (model, explore), joins in sorted(content.lookml_joins.items()):
        for join in joins:
            if join.view != view:
                continue
            definition = content.lookml_views.get((model, view))
            if definition is None or definition.field(field) is None:
                raise InputError(
                    f"LookML view {view} has no field {field!r}; give VIEW.FIELD as in the view file"
                )
            lineage = tracer.trace(model, explore, f"{join.alias}.{field}")
            where = lineage.where
            columns: list[tuple[str, str]] = []
            problems = list(lineage.problems)
            for ref in lineage.columns:
                unique_id, why = resolve(ref.table, ref.connection)
                columns.append((unique_id or ref.table, ref.column))
                if unique_id is None:
                    problems.append(f"table {ref.table}: {why}")
            found.append((f"{model}::{explore}", lineage.field, columns, problems))
    if not found:
        raise InputError(f"no explore of the LookML uses view {view!r}; give VIEW.FIELD with a view's name")
    return FieldReads(view, field, where, found)
