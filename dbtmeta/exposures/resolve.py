"""Resolve the warehouse tables Looker reads to the dbt nodes that build or declare them.

Keys are (database, schema, identifier) normalised the way the warehouse resolves names
(``dbtmeta.sqlnames``): a Looker name ``CORE.DIM_USERS`` and the manifest's
``"greenery"."core"."dim_users"`` meet on DuckDB, not on Postgres where quoting keeps case.

Rules (documented in docs/sync-exposures.md):
- models (by ``alias``, else ``name``; versioned models keep their version), seeds and snapshots are
  indexed by their relation; sources by ``identifier`` (else ``name``). Ephemeral and disabled
  nodes have no relation and are skipped.
- a one- or two-part Looker name takes the missing parts from its Looker connection's defaults;
  when the database is still unknown (LookML has no connection details) the name matches on
  (schema, identifier) across databases, and is ambiguous if that gives more than one relation.
  A one-part name without a default schema is not matched at all.
- the schema map rewrites Looker's schema (e.g. production) to the manifest's (e.g. dev).
- a relation both built by a seed and declared as a source resolves to the source (the declared
  interface of raw data); any other tie is reported as ambiguous. Nothing is ever guessed.

Must not: talk to Looker (it receives ``LookerContent``), or pick one of several candidates.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dbtmeta.errors import OptionError
from dbtmeta.looker.content import Connection, Dashboard, LookerContent

Key = tuple[str | None, str | None, str]

_NODE_TYPES = ("model", "seed", "snapshot")


@dataclass(frozen=True, order=True)
class NodeRef:
    """A dbt node an exposure can depend on."""

    unique_id: str
    resource_type: str  # model | seed | snapshot | source
    package: str
    name: str  # node name, or the source's table name
    source_name: str | None = None
    version: str | int | None = None

    def depends_on(self, project_name: str) -> str:
        """The ``depends_on`` entry: ``ref('x')``, ``ref('pkg', 'x', v=2)``, ``source('s', 't')``."""
        if self.resource_type == "source":
            return f"source({_quote(self.source_name or '')}, {_quote(self.name)})"
        args = [_quote(self.name)]
        if self.package and self.package != project_name:
            args.insert(0, _quote(self.package))
        if self.version is not None:
            version = self.version
            shown = (
                str(version) if isinstance(version, int) or str(version).isdigit() else _quote(str(version))
            )
            args.append(f"v={shown}")
        return f"ref({', '.join(args)})"


@functools.total_ordering
@dataclass(frozen=True)
class Finding:
    """A table (or tile) that could not be resolved to exactly one dbt node, and where it is used.

    Ordered by dashboard, title, tiles, then problems without a table before tables, then message:
    a total order (``table`` may be None, which plain tuple comparison cannot order against text).
    """

    dashboard_id: str
    dashboard_title: str
    tiles: tuple[str, ...]
    table: str | None
    message: str

    def sort_key(self) -> tuple[str, str, tuple[str, ...], bool, str, str]:
        """The key of the total order described on the class."""
        return (
            self.dashboard_id,
            self.dashboard_title,
            self.tiles,
            self.table is not None,
            self.table or "",
            self.message,
        )

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Finding):
            return NotImplemented
        return self.sort_key() < other.sort_key()

    def line(self) -> str:
        """The finding as one line for people: title, id, tiles, table and message."""
        tiles = ", ".join(self.tiles) if self.tiles else "-"
        what = f"table {self.table}: " if self.table else ""
        return f"{self.dashboard_title!r} ({self.dashboard_id}) tile(s) {tiles}: {what}{self.message}"


@dataclass
class DashboardResolution:
    """A dashboard's resolved dbt nodes (sorted, unique) and the findings about what did not resolve."""

    dashboard: Dashboard
    nodes: list[NodeRef] = field(default_factory=list)  # sorted, unique
    findings: list[Finding] = field(default_factory=list)


@dataclass
class RelationIndex:
    """The manifest's relations by normalised (database, schema, identifier) and (schema, identifier)."""

    dialect: str | None
    full: dict[Key, list[NodeRef]] = field(default_factory=dict)
    by_schema: dict[tuple[str, str], list[NodeRef]] = field(default_factory=dict)
    relations: dict[NodeRef, Key] = field(default_factory=dict)

    def add(self, key: Key, ref: NodeRef) -> None:
        """Index ``ref`` under ``key`` (and under its schema and identifier when the schema is known)."""
        self.full.setdefault(key, []).append(ref)
        self.relations[ref] = key
        if key[1] is not None:
            self.by_schema.setdefault((key[1], key[2]), []).append(ref)

    def lookup(self, database: str | None, schema: str, name: str) -> list[NodeRef]:
        """The nodes a normalised name refers to, sorted.

        Without a database, every relation with that schema and identifier; with one, the exact key, else a
        relation the manifest wrote without a database.
        """
        if database is not None:
            found = self.full.get((database, schema, name), [])
            if found:
                return sorted(found)
            # manifests written without a database (some adapters) match on schema + name
            return sorted(self.full.get((None, schema, name), []))
        return sorted(self.by_schema.get((schema, name), []))


def build_index(manifest: Any, dialect: str | None = None) -> RelationIndex:
    """Index a ``dbtmeta.dbt.artifacts.Manifest``'s relations. ``dialect`` defaults to its adapter type."""
    dialect = dialect or getattr(manifest, "adapter_type", None)
    index = RelationIndex(dialect)
    for unique_id, node in sorted(manifest.nodes.items()):
        kind = node.get("resource_type")
        if kind not in _NODE_TYPES:
            continue
        config = node.get("config") or {}
        if config.get("enabled") is False or config.get("materialized") == "ephemeral":
            continue
        name = node.get("name")
        if not isinstance(name, str):
            continue
        ref = NodeRef(
            unique_id=unique_id,
            resource_type=kind,
            package=str(node.get("package_name") or ""),
            name=name,
            version=node.get("version") if kind == "model" else None,
        )
        key = _relation_key(node, node.get("alias") or name, dialect)
        if key is not None:
            index.add(key, ref)
    for unique_id, source in sorted(manifest.sources.items()):
        if (source.get("config") or {}).get("enabled") is False:
            continue
        name, source_name = source.get("name"), source.get("source_name")
        if not isinstance(name, str) or not isinstance(source_name, str):
            continue
        ref = NodeRef(
            unique_id=unique_id,
            resource_type="source",
            package=str(source.get("package_name") or ""),
            name=name,
            source_name=source_name,
        )
        key = _relation_key(source, source.get("identifier") or name, dialect)
        if key is not None:
            index.add(key, ref)
    return index


def _relation_key(node: dict[str, Any], identifier: str, dialect: str | None) -> Key | None:
    from dbtmeta.sqlnames import SqlParseError, normalize_relation, split_table_name

    relation_name = node.get("relation_name")
    if isinstance(relation_name, str) and relation_name:
        # relation_name is rendered by the adapter with its quoting: the truest key we have
        try:
            return split_table_name(relation_name, dialect)
        except SqlParseError:
            pass
    database, schema = node.get("database"), node.get("schema")
    try:
        return normalize_relation(
            database if isinstance(database, str) else None,
            schema if isinstance(schema, str) else None,
            identifier,
            dialect,
        )
    except Exception:  # an unusable manifest entry is skipped, not fatal
        return None


def parse_schema_map(items: Iterable[str]) -> dict[str, str]:
    """``["prod=dev", ...]`` -> {"prod": "dev"}. Raises UsageError on a malformed item."""
    mapping: dict[str, str] = {}
    for item in items:
        looker_schema, eq, dbt_schema = item.partition("=")
        if not eq or not looker_schema.strip() or not dbt_schema.strip():
            raise OptionError(
                "schema_map", f"{item!r} is not LOOKER_SCHEMA=DBT_SCHEMA (e.g. analytics=dbt_dev)"
            )
        mapping[looker_schema.strip()] = dbt_schema.strip()
    return mapping


_CONNECTION_KEYS = ("database", "schema", "dialect")


def parse_connections(items: Iterable[str]) -> dict[str, Connection]:
    """``["wh:database=db,schema=analytics,dialect=snowflake", ...]`` -> {"wh": Connection(...)}.

    Defaults for a Looker connection, for one- and two-part table names and the case rules.
    Raises UsageError on a malformed item.
    """
    from dbtmeta.sqlnames import sqlglot_dialect

    found: dict[str, Connection] = {}
    example = (
        "NAME:database=DB,schema=SCHEMA,dialect=DIALECT (e.g. warehouse:database=analytics,schema=marts)"
    )
    for item in items:
        name, colon, rest = item.partition(":")
        name = name.strip()
        if not colon or not name or not rest.strip():
            raise OptionError("connection", f"{item!r} is not {example}")
        values: dict[str, str] = {}
        for pair in rest.split(","):
            key, eq, value = pair.partition("=")
            key, value = key.strip().lower(), value.strip()
            if not eq or key not in _CONNECTION_KEYS or not value:
                raise OptionError(
                    "connection",
                    f"{item!r}: {pair.strip()!r} is not one of "
                    f"{', '.join(k + '=VALUE' for k in _CONNECTION_KEYS)}",
                )
            if key in values:
                raise OptionError("connection", f"{item!r} gives {key} twice")
            values[key] = value
        dialect = values.get("dialect")
        if dialect and not sqlglot_dialect(dialect):
            raise OptionError(
                "connection",
                f"{item!r}: unknown dialect {dialect!r} "
                "(use a dbt adapter type such as bigquery, snowflake, postgres, redshift, duckdb)",
            )
        if name in found:
            raise OptionError("connection", f"{name!r} is given twice; give each connection once")
        found[name] = Connection(name, dialect, values.get("database"), values.get("schema"))
    return found


def parse_user_attributes(items: Iterable[str]) -> dict[str, str]:
    """``["dataset=analytics", ...]`` -> {"dataset": "analytics"}. Raises UsageError when malformed."""
    found: dict[str, str] = {}
    for item in items:
        name, eq, value = item.partition("=")
        name = name.strip()
        if not eq or not name:
            raise OptionError("user_attribute", f"{item!r} is not NAME=VALUE (e.g. dataset=analytics)")
        if name in found and found[name] != value:
            raise OptionError("user_attribute", f"{name!r} is given twice with different values")
        found[name] = value
    return found


def apply_connection_defaults(content: LookerContent, defaults: Mapping[str, Connection]) -> None:
    """Put the user's connection defaults over what the content knows (the values given win)."""
    for name, given in defaults.items():
        known = content.connections.get(name, Connection(name))
        content.connections[name] = Connection(
            name,
            given.dialect or known.dialect,
            given.database or known.database,
            given.schema or known.schema,
        )


class Resolver:
    """Turns the tables each dashboard reads into dbt nodes, reporting whatever it cannot match."""

    def __init__(
        self,
        content: LookerContent,
        index: RelationIndex,
        *,
        dialect: str | None = None,
        schema_map: Mapping[str, str] | None = None,
    ) -> None:
        from dbtmeta.sqlnames import normalize

        self.content = content
        self.index = index
        self.dialect = dialect or index.dialect
        self.schema_map = {
            normalize(k, self.dialect, part="schema"): normalize(v, self.dialect, part="schema")
            for k, v in (schema_map or {}).items()
        }
        self._cache: dict[tuple[str, str | None], tuple[NodeRef | None, str | None]] = {}

    def resolve(self, dashboard: Dashboard) -> DashboardResolution:
        """The dbt nodes ``dashboard`` reads.

        With a finding for each table or tile that does not resolve to exactly one node.
        """
        from dbtmeta.looker.usage import tables_used

        result = DashboardResolution(dashboard)

        def finding(tiles: Iterable[str], table: str | None, message: str) -> None:
            result.findings.append(
                Finding(dashboard.id, dashboard.title, tuple(sorted(set(tiles))), table, message)
            )

        usage = tables_used(self.content, dashboard)
        nodes: set[NodeRef] = set()
        # UsedTable.connection may be None: order by a key that never compares None with text
        by_table = sorted(
            usage.tables.items(),
            key=lambda item: (item[0].table, item[0].connection is not None, item[0].connection or ""),
        )
        for used, tiles in by_table:
            found, problem = self.resolve_table(used.table, used.connection)
            if problem:
                finding(tiles, used.table, problem)
            elif found is not None:
                nodes.add(found)
        for p in usage.problems:
            where = f"{p.model}::{p.explore}" + (f" view {p.alias}" if p.alias else "")
            finding([p.tile_id], None, f"{where}: {p.message}")
        for tile in dashboard.tiles:
            if tile.type == "sql":
                finding([tile.id], None, "SQL Runner tile: it has no explore, its tables are not resolved")
        result.nodes = sorted(nodes)
        result.findings.sort()
        return result

    def resolve_table(self, table: str, connection: str | None) -> tuple[NodeRef | None, str | None]:
        """(the node, None) or (None, why not)."""
        key = (table, connection)
        if key not in self._cache:
            self._cache[key] = self._resolve_table(table, connection)
        return self._cache[key]

    def _resolve_table(self, table: str, connection: str | None) -> tuple[NodeRef | None, str | None]:
        from dbtmeta.sqlnames import SqlParseError, normalize, split_table_name

        conn = self.content.connections.get(connection or "")
        dialect = (conn.dialect if conn and conn.dialect else None) or self.dialect
        try:
            database, schema, name = split_table_name(table, dialect)
        except SqlParseError as exc:
            return None, str(exc)
        if database is None and conn and conn.database:
            database = normalize(conn.database, dialect, part="database")
        if schema is None and conn and conn.schema:
            schema = normalize(conn.schema, dialect, part="schema")
        if schema is None:
            return None, (
                f"no schema: the name has one part and connection {connection!r} has no default schema"
            )
        schema = self.schema_map.get(schema, schema)
        candidates = self.index.lookup(database, schema, name)
        candidates = _prefer_sources_over_seeds(candidates)
        if not candidates:
            where = ".".join(p for p in (database, schema, name) if p)
            return None, f"no dbt model, seed, snapshot or source builds {where}"
        if len(candidates) > 1:
            ids = ", ".join(c.unique_id for c in candidates)
            return None, f"ambiguous: {ids}"
        return candidates[0], None


def _prefer_sources_over_seeds(candidates: list[NodeRef]) -> list[NodeRef]:
    kinds = {c.resource_type for c in candidates}
    if "source" in kinds and kinds <= {"source", "seed"}:
        return [c for c in candidates if c.resource_type == "source"]
    return candidates


def resolve_all(
    content: LookerContent,
    manifest: Any,
    *,
    dialect: str | None = None,
    schema_map: Mapping[str, str] | None = None,
    include_looks: bool = False,
) -> list[DashboardResolution]:
    """Resolve every dashboard (and Look, with ``include_looks``) of ``content`` against ``manifest``."""
    resolver = Resolver(content, build_index(manifest, dialect), dialect=dialect, schema_map=schema_map)
    chosen = [d for d in content.dashboards if d.kind == "dashboard" or (include_looks and d.kind == "look")]
    return [resolver.resolve(d) for d in sorted(chosen, key=lambda d: (d.kind, d.id))]


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
