"""``MODEL.COLUMN`` -> the Looker fields, tiles and dashboards that read it.

Must not: print anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dbtmeta.columns.usage import ColumnUsage, FieldUse


@dataclass
class ColumnLineage:
    unique_id: str
    column: str
    uses: list[FieldUse]
    exists: bool | None = None  # the column is in the node's columns (None: columns unknown)
    columns_source: str | None = None  # catalog | manifest | None

    def dashboards(self) -> list[tuple[str, str]]:
        """(id, title) of the dashboards reading the column."""
        return sorted({(u.dashboard_id, u.dashboard_title) for u in self.uses})

    def to_dict(self) -> dict[str, Any]:
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
