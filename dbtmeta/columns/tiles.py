"""Tile-level health: which tiles of a dashboard each root cause affects, and the dashboard's status
as its worst tile's.

Rules (docs/column-lineage.md): a failing or warning test with a ``column_name`` on the very node
the dashboard reads (``not_null``, ``accepted_values``, any generic column test but ``unique`` and
``relationships``) affects only the tiles whose fields read that column. Everything else (model
errors and skips, source freshness, row-level tests: ``unique``, ``relationships``, singular tests,
tests without a column, and column tests on a node further upstream, whose column lineage inside
dbt is not traced) affects every tile reading the node. A cause that affects no tile is dropped; a
dashboard whose causes are all dropped is fresh. Exposures that are no Looker dashboard of the
content (no ``meta.looker_id`` match) keep their table-level health.

Must not: print anything or read files.
"""

from __future__ import annotations

from dataclasses import replace

from dbtmeta.columns.usage import Resolve, tile_lineages
from dbtmeta.dbt.artifacts import Manifest
from dbtmeta.health.model import Cause, ExposureHealth, HealthReport, Status
from dbtmeta.looker.content import Dashboard, LookerContent
from dbtmeta.looker.fields import FieldTracer, tile_fields

ROW_LEVEL_TESTS = frozenset({"unique", "relationships"})


def tile_health(
    report: HealthReport, manifest: Manifest, content: LookerContent, resolve: Resolve
) -> HealthReport:
    """``report`` with each Looker dashboard's causes narrowed to the tiles they affect.

    Only what a dashboard's causes ask is computed: the nodes of its tiles when it has causes, the
    columns its fields read when a cause is a column test (a field is traced only then).
    """
    dashboards = {d.id: d for d in content.dashboards}
    same_id: dict[str, list[Dashboard]] = {}  # what a column's readers were looked up among
    for item in content.dashboards:
        same_id.setdefault(item.id, []).append(item)
    tracer = FieldTracer(content)
    exposures = []
    for exposure in report.exposures:
        looker_id = (exposure.meta or {}).get("looker_id")
        dashboard = dashboards.get(str(looker_id)) if looker_id is not None else None
        if dashboard is None:
            exposures.append(exposure)
            continue
        reading = _Reading(content, same_id[dashboard.id], tracer, resolve)
        exposures.append(_narrow(exposure, dashboard, manifest, content, reading, resolve))
    return HealthReport(exposures, report.project_name, report.generated_at, report.invocation_ids)


class _Reading:
    """Which tiles of the dashboards of one id read a column of a node (``ColumnUsage.readers``
    restricted to them), their fields traced on the first question."""

    def __init__(
        self, content: LookerContent, dashboards: list[Dashboard], tracer: FieldTracer, resolve: Resolve
    ) -> None:
        self.content, self.dashboards, self.tracer, self.resolve = content, dashboards, tracer, resolve
        self._tiles: dict[tuple[str, str], set[str]] | None = None

    def tiles(self, unique_id: str, column: str) -> set[str]:
        """Ids of the tiles whose fields (or joins) read ``unique_id``'s ``column`` (any case)."""
        if self._tiles is None:
            self._tiles = {}
            for dashboard in self.dashboards:
                self._add(dashboard)
        return self._tiles.get((unique_id, column.lower()), set())

    def _add(self, dashboard: Dashboard) -> None:
        assert self._tiles is not None
        for tile in tile_fields(self.content, dashboard):
            for lineage in tile_lineages(self.tracer, tile):
                for ref in lineage.columns:
                    unique_id = self.resolve(ref.table, ref.connection)[0]
                    if unique_id is not None:
                        self._tiles.setdefault((unique_id, ref.column.lower()), set()).add(tile.tile_id)


def _tile_nodes(content: LookerContent, dashboard: Dashboard, resolve: Resolve) -> dict[str, set[str]]:
    """Tile id -> the dbt nodes it reads (table level)."""
    from dbtmeta.looker.usage import tables_used

    found: dict[str, set[str]] = {}
    for used, tiles in tables_used(content, dashboard).tables.items():
        unique_id, _why = resolve(used.table, used.connection)
        if unique_id is None:
            continue
        for tile in tiles:
            found.setdefault(tile, set()).add(unique_id)
    return found


def _narrow(
    exposure: ExposureHealth,
    dashboard: Dashboard,
    manifest: Manifest,
    content: LookerContent,
    reading: _Reading,
    resolve: Resolve,
) -> ExposureHealth:
    tiles = tuple((t.id, t.title or t.id) for t in dashboard.tiles if t.queries)
    tile_ids = [tile_id for tile_id, _ in tiles]
    nodes = _tile_nodes(content, dashboard, resolve) if exposure.causes else {}
    causes: list[Cause] = []
    for cause in exposure.causes:
        affected = _affected(cause, tile_ids, nodes, manifest, reading)
        if affected:
            causes.append(replace(cause, tiles=tuple(affected)))
    status = exposure.status
    if status in (Status.STALE, Status.AT_RISK):
        status = max((c.severity for c in causes), default=Status.FRESH)
    return replace(exposure, causes=tuple(causes), status=status, tiles=tiles)


def _affected(
    cause: Cause, tile_ids: list[str], nodes: dict[str, set[str]], manifest: Manifest, reading: _Reading
) -> list[str]:
    read = cause.path[-2] if len(cause.path) >= 2 else cause.unique_id
    if cause.resource_type == "test" and len(cause.path) >= 2:
        test = manifest.nodes.get(cause.unique_id) or {}
        column = test.get("column_name")
        kind = (test.get("test_metadata") or {}).get("name")
        if (
            isinstance(column, str)
            and column
            and kind
            and kind not in ROW_LEVEL_TESTS
            and cause.path[1] == read
        ):
            found = reading.tiles(read, column)
            return [t for t in tile_ids if t in found]
    return [t for t in tile_ids if read in nodes.get(t, set())]
