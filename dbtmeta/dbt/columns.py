"""The columns each dbt node has, and how they changed between two states of a project.

Where the columns come from, best first (``NodeColumns.source`` says which answered):
``catalog`` (catalog.json of ``dbt docs generate``: what the warehouse really has, with types),
then, only when no catalog is given, ``compiled`` (the names the node's compiled SQL selects,
``dbt.compiled``: no types; used when complete), then ``manifest`` (the columns documented in the
node's YAML: maybe incomplete, types only when ``data_type`` is set). With a catalog, a node it
lacks keeps its documented columns, as before compiled SQL was read. Column names match
case-insensitively.

Changes (``column_changes``; without both catalogs, only in nodes whose compiled SQL changed,
or an upstream node's did): a column in the previous state but not in the current one is
``removed``, unless the current node has one new column whose expression in the compiled SQL's
final SELECT (read by sqlglot, alias left out) is the same: then it is ``renamed``. A column whose
catalog type differs is ``type_changed``.

Must not: know about Looker.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dbtmeta.dbt.artifacts import Manifest
from dbtmeta.errors import InputError

if TYPE_CHECKING:
    from dbtmeta.dbt.compiled import RelationIndex

_RESOURCES = ("model", "seed", "snapshot")


@dataclass(frozen=True, order=True)
class Column:
    """A column of a dbt node: its name as the source gives it, its type when known."""

    name: str
    type: str | None = None


@dataclass(frozen=True)
class NodeColumns:
    """The columns of one node and where they were read (``catalog``, ``compiled``, ``manifest``, or
    None: unknown); ``note`` says why compiled SQL did not give them all."""

    unique_id: str
    columns: tuple[Column, ...] = ()
    source: str | None = None
    note: str | None = None

    @property
    def complete(self) -> bool:
        """Whether these are all its columns: the catalog's, or compiled SQL read without a gap."""
        return self.source == "catalog" or (self.source == "compiled" and self.note is None)

    def get(self, name: str) -> Column | None:
        """The column named ``name`` (case-insensitive), or None."""
        wanted = name.lower()
        return next((c for c in self.columns if c.name.lower() == wanted), None)


@dataclass
class Catalog:
    """catalog.json: unique id (nodes and sources) -> columns in the warehouse's order."""

    nodes: dict[str, tuple[Column, ...]] = field(default_factory=dict)
    path: str | None = None


def load_catalog(path: str | os.PathLike[str]) -> Catalog:
    """Read catalog.json. Raises ``InputError`` (one line) when it is not a readable dbt catalog."""
    from dbtmeta.dbt.artifacts import read_json

    data = read_json(path, "catalog")
    return catalog_from_dict(data, path)


def catalog_from_dict(data: dict[str, Any], path: str | os.PathLike[str] = "<catalog>") -> Catalog:
    """Build a ``Catalog`` from catalog.json's parsed content."""
    metadata = data.get("metadata")
    version = metadata.get("dbt_schema_version") if isinstance(metadata, dict) else None
    if not isinstance(version, str) or "/catalog/" not in version:
        raise InputError(
            f"{str(path)!r} is not a dbt catalog.json (metadata.dbt_schema_version is not a catalog's); "
            "give the catalog.json written by `dbt docs generate`"
        )
    catalog = Catalog(path=str(path))
    for key in ("nodes", "sources"):
        entries = data.get(key) or {}
        if not isinstance(entries, dict):
            raise InputError(f"catalog {str(path)!r}: {key!r} is not an object; give the file dbt wrote")
        for unique_id, entry in entries.items():
            columns = entry.get("columns") if isinstance(entry, dict) else None
            if not isinstance(columns, dict):
                continue
            found = [c for c in columns.values() if isinstance(c, dict) and isinstance(c.get("name"), str)]
            found.sort(key=lambda c: c["index"] if isinstance(c.get("index"), int) else 0)
            catalog.nodes[unique_id] = tuple(Column(c["name"], _str(c.get("type"))) for c in found)
    return catalog


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _raw(manifest: Manifest, unique_id: str) -> dict[str, Any] | None:
    return manifest.nodes.get(unique_id) or manifest.sources.get(unique_id)


def node_columns(manifest: Manifest, catalog: Catalog | None, unique_id: str) -> NodeColumns:
    """The columns of ``unique_id``: from the catalog, else (no catalog) its compiled SQL when complete,
    else documented in the manifest, else unknown. For many nodes, keep one ``DbtColumns``."""
    return DbtColumns(manifest, catalog).of(unique_id)


class DbtColumns:
    """The columns of the nodes of one manifest (and catalog), best source first, cached per node:
    a star over an upstream model reads that model's columns once however many read it.
    ``compiled=False``: never the compiled SQL (catalog, else documented)."""

    def __init__(self, manifest: Manifest, catalog: Catalog | None, *, compiled: bool = True) -> None:
        self.manifest = manifest
        self.catalog = catalog
        self.use_compiled = compiled and catalog is None
        self._found: dict[str, NodeColumns] = {}
        self._compiled: dict[str, NodeColumns | None] = {}
        self._active: set[str] = set()  # being read: a model selecting from itself ({{ this }})
        self._index: RelationIndex | None = None

    def of(self, unique_id: str) -> NodeColumns:
        """The columns of ``unique_id`` (see the module's docstring for the order)."""
        if unique_id not in self._found:
            self._found[unique_id] = self._read(unique_id)
        return self._found[unique_id]

    def _read(self, unique_id: str) -> NodeColumns:
        if self.catalog is not None and unique_id in self.catalog.nodes:
            return NodeColumns(unique_id, self.catalog.nodes[unique_id], "catalog")
        compiled = self.compiled(unique_id) if self.use_compiled else None
        if compiled is not None and compiled.complete:
            return compiled
        note = compiled.note if compiled is not None else None
        documented = _documented(self.manifest, unique_id)
        if documented:
            return NodeColumns(unique_id, documented, "manifest", note)
        return compiled if compiled is not None and compiled.columns else NodeColumns(unique_id, note=note)

    def compiled(self, unique_id: str) -> NodeColumns | None:
        """The columns the node's compiled SQL selects (stars expanded with ``of`` of the relations
        they read), or None when it has no compiled SQL."""
        from dbtmeta.dbt.compiled import compiled_columns

        if unique_id in self._compiled:
            return self._compiled[unique_id]
        if unique_id in self._active:
            return None
        self._active.add(unique_id)
        try:
            found = compiled_columns(self.manifest, unique_id, self._upstream, self._relations)
        finally:
            self._active.discard(unique_id)
        result = None
        if found is not None:
            result = NodeColumns(unique_id, tuple(Column(n) for n in found.names), "compiled", found.note)
        self._compiled[unique_id] = result
        return result

    def _upstream(self, unique_id: str) -> tuple[tuple[str, ...], bool] | None:
        if unique_id in self._active:
            return None  # the model reads itself (an incremental model's {{ this }})
        columns = self.of(unique_id)
        if columns.source is None:
            return None
        return tuple(c.name for c in columns.columns), columns.complete

    def _relations(self) -> RelationIndex:
        from dbtmeta.dbt.compiled import RelationIndex

        if self._index is None:
            self._index = RelationIndex(self.manifest)
        return self._index


def _documented(manifest: Manifest, unique_id: str) -> tuple[Column, ...]:
    raw = _raw(manifest, unique_id) or {}
    documented = raw.get("columns")
    if not isinstance(documented, dict):
        return ()
    return tuple(
        Column(str(c.get("name") or name), _str(c.get("data_type")))
        for name, c in documented.items()
        if isinstance(c, dict)
    )


@dataclass(frozen=True, order=True)
class ColumnChange:
    """One column of a node that a downstream reader of the old column would notice."""

    unique_id: str
    column: str  # the name in the previous state
    kind: str  # removed | renamed | type_changed
    new_name: str | None = None  # renamed: the new name
    old_type: str | None = None
    new_type: str | None = None

    def describe(self) -> str:
        """For people: ``removed``, ``renamed to x``, ``type a -> b``."""
        if self.kind == "renamed":
            return f"renamed to {self.new_name}"
        if self.kind == "type_changed":
            return f"type {self.old_type} -> {self.new_type}"
        return "removed"


def column_changes(
    previous: Manifest,
    previous_catalog: Catalog | None,
    current: Manifest,
    current_catalog: Catalog | None,
) -> list[ColumnChange]:
    """Columns removed, renamed or changed in type in every node present in both states.

    With both catalogs, every node is compared. When a state has no catalog its columns come from
    its compiled SQL (else documented), and only the nodes whose SQL changed, or an upstream
    node's did, are compared: the others cannot have changed columns, and reading every node's SQL
    of two big manifests would cost a minute.
    """
    changes: list[ColumnChange] = []
    before_nodes = DbtColumns(previous, previous_catalog)
    after_nodes = DbtColumns(current, current_catalog)
    both = previous_catalog is not None and current_catalog is not None
    moved = None if both else _SqlChanges(previous, current)
    ids = [uid for uid in (*previous.nodes, *previous.sources) if _is_relation(previous, uid)]
    for unique_id in sorted(ids):
        if _raw(current, unique_id) is None:
            continue  # a deleted node: table-level impact says so
        if moved is not None and not moved.changed(unique_id):
            continue
        before = before_nodes.of(unique_id)
        after = after_nodes.of(unique_id)
        if before.source is None or after.source is None or _gap(before) or _gap(after):
            continue
        gone = [c for c in before.columns if after.get(c.name) is None]
        new = [c for c in after.columns if before.get(c.name) is None]
        renames = _renames(previous, current, unique_id, gone, new) if gone and new else {}
        for column in gone:
            if column.name in renames:
                changes.append(ColumnChange(unique_id, column.name, "renamed", renames[column.name]))
            else:
                changes.append(ColumnChange(unique_id, column.name, "removed"))
        for column in before.columns:
            now = after.get(column.name)
            if now and column.type and now.type and column.type.lower() != now.type.lower():
                changes.append(
                    ColumnChange(unique_id, column.name, "type_changed", None, column.type, now.type)
                )
    return changes


def _gap(columns: NodeColumns) -> bool:
    """Compiled SQL that could not name every column: an absent name proves nothing."""
    return columns.source == "compiled" and not columns.complete


class _SqlChanges:
    """Whether a node's compiled SQL (or file checksum) differs between two manifests, or an upstream
    node's does (memoised; a node both manifests lack compiled SQL and checksum for is unchanged)."""

    def __init__(self, previous: Manifest, current: Manifest) -> None:
        self.previous = previous
        self.current = current
        self._known: dict[str, bool] = {}

    def changed(self, unique_id: str) -> bool:
        """Whether the columns of ``unique_id`` may differ between the two states."""
        if unique_id in self._known:
            return self._known[unique_id]
        self._known[unique_id] = False  # a cycle (never in a dbt DAG) stops here
        before = _raw(self.previous, unique_id) or {}
        after = _raw(self.current, unique_id) or {}
        found = any(
            before.get(key) != after.get(key) for key in ("compiled_code", "compiled_sql", "checksum")
        )
        if not found:
            parents = (after.get("depends_on") or {}).get("nodes") or []
            found = any(self.changed(str(p)) for p in parents if isinstance(p, str))
        self._known[unique_id] = found
        return found


def _is_relation(manifest: Manifest, unique_id: str) -> bool:
    return unique_id.startswith("source.") or unique_id.split(".", 1)[0] in _RESOURCES


def _renames(
    previous: Manifest, current: Manifest, unique_id: str, gone: list[Column], new: list[Column]
) -> dict[str, str]:
    """Old name -> new name for the columns selected by the same expression under a new name."""
    dialect = current.adapter_type
    before = projections(str((_raw(previous, unique_id) or {}).get("compiled_code") or ""), dialect)
    after = projections(str((_raw(current, unique_id) or {}).get("compiled_code") or ""), dialect)
    if not before or not after:
        return {}
    found: dict[str, str] = {}
    for column in gone:
        expression = before.get(column.name.lower())
        if expression is None:
            continue
        matches = [c.name for c in new if after.get(c.name.lower()) == expression]
        if len(matches) == 1:
            found[column.name] = matches[0]
    return found


def projections(sql: str, dialect: str | None) -> dict[str, str]:
    """Output column (lower case) -> its expression's SQL in the final SELECT; {} if unreadable."""
    if not sql.strip():
        return {}
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    from dbtmeta.sqlnames import sqlglot_dialect

    read = sqlglot_dialect(dialect)
    try:
        tree = sqlglot.parse_one(sql, read=read)
    except SqlglotError:
        return {}
    select = tree if isinstance(tree, exp.Select) else tree.find(exp.Select)
    if not isinstance(tree, exp.Query) or select is None:
        return {}
    found: dict[str, str] = {}
    for item in tree.selects:
        name = item.alias_or_name
        if not name or isinstance(item, exp.Star):
            continue
        body = item.this if isinstance(item, exp.Alias) else item
        found[name.lower()] = body.sql(dialect=read or None, normalize=True)
    return found
