"""``impact --columns``: the columns a change removes, renames or retypes, and who reads them.

Must not: print anything or read files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dbtmeta.columns.usage import ColumnUsage, FieldUse
from dbtmeta.dbt.artifacts import Manifest
from dbtmeta.dbt.columns import ColumnChange
from dbtmeta.vocabulary import dict_at, maturity_rank


@dataclass
class ColumnImpactItem:
    """One changed column and the Looker uses of its old name."""

    change: ColumnChange
    uses: list[FieldUse]


@dataclass
class ColumnImpact:
    """``impact --columns``: every column change with its readers, and what could not be traced."""

    items: list[ColumnImpactItem] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # fields that could not be traced

    def breaking(self) -> list[ColumnImpactItem]:
        """Changes that something in Looker reads."""
        return [item for item in self.items if item.uses]

    def gate(self, fail_on_maturity: str | None, maturities: dict[str, str]) -> list[ColumnImpactItem]:
        """The breaking changes that fail the check: all, or with ``fail_on_maturity`` those read by
        a dashboard whose exposure (``maturities``: :func:`dashboard_maturities`) is that mature or more.
        """
        if not fail_on_maturity:
            return self.breaking()
        floor = maturity_rank(fail_on_maturity)
        return [
            item
            for item in self.breaking()
            if any(maturity_rank(maturities.get(use.dashboard_id)) >= floor for use in item.uses)
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``changes`` (each with ``used_by``) and ``untraced``."""
        return {
            "changes": [
                {
                    "node": item.change.unique_id,
                    "column": item.change.column,
                    "change": item.change.kind,
                    "new_name": item.change.new_name,
                    "old_type": item.change.old_type,
                    "new_type": item.change.new_type,
                    "used_by": [
                        {
                            "dashboard": u.dashboard_id,
                            "dashboard_title": u.dashboard_title,
                            "tile": u.tile_id,
                            "tile_title": u.tile_title,
                            "field": u.field,
                            "explore": f"{u.model}::{u.explore}",
                            "where": u.where,
                        }
                        for u in item.uses
                    ],
                }
                for item in self.items
            ],
            "untraced": self.problems,
        }


def column_impact(changes: list[ColumnChange], usage: ColumnUsage) -> ColumnImpact:
    """Each change with the fields, tiles and dashboards reading the column it changes."""
    items = [ColumnImpactItem(c, usage.readers(c.unique_id, c.column)) for c in sorted(changes)]
    return ColumnImpact(items, list(usage.problems))


def dashboard_maturities(manifest: Manifest) -> dict[str, str]:
    """Looker dashboard id (an exposure's ``meta.looker_id``) -> that exposure's maturity."""
    found: dict[str, str] = {}
    for exposure in manifest.exposures.values():
        meta = {**dict_at(exposure, "meta"), **dict_at(dict_at(exposure, "config"), "meta")}
        maturity = exposure.get("maturity")
        if meta.get("looker_id") is not None and isinstance(maturity, str):
            found[str(meta["looker_id"])] = maturity
    return found
