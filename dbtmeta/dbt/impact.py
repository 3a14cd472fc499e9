"""Which exposures (dashboards) and owners a change affects.

A change is given in any mix of three ways:

- ``state``: a previous manifest; nodes are compared the way dbt's ``state:modified`` does, naming
  the subselectors that select each (``modified.body``, ``.configs`` on ``unrendered_config``,
  ``.persisted_descriptions``, ``.relation``, ``.macros``, ``.contract``), plus nodes deleted since;
- ``names``: nodes named like on ``dbt ls --select``;
- ``paths``: changed files (``git diff --name-only``, pre-commit), mapped to nodes through
  ``original_file_path`` / ``patch_path`` and macro files to the nodes that call the macros.

Must not: know about Looker or health, or render anything (:mod:`dbtmeta.render.lineage` does).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dbtmeta.dbt.graph import LineageGraph, NodeInfo, build_graph
from dbtmeta.errors import UsageError
from dbtmeta.vocabulary import MATURITIES, maturity_rank

if TYPE_CHECKING:
    from dbtmeta.dbt.artifacts import Manifest

# Node config keys dbt does not compare in ``state:modified.configs`` (CompareBehavior.Exclude of
# dbt-core's NodeAndTestConfig; database/schema/alias belong to ``modified.relation``).
_NODE_CONFIG_IGNORED = frozenset({"tags", "group", "alias", "schema", "database"})
# dbt's subselectors of ``state:modified``, in the order a change's ``reason`` is chosen from.
SUBSELECTORS = (
    "modified.body",
    "modified.configs",
    "modified.persisted_descriptions",
    "modified.relation",
    "modified.macros",
    "modified.contract",
)
_COMPARED_TYPES = frozenset(
    {"model", "seed", "snapshot", "source", "exposure", "analysis", "metric", "semantic_model", "saved_query"}
)
# The semantic layer's groups of manifest.json (Manifest.extra), compared like dbt does too.
_SEMANTIC_GROUPS = ("metrics", "semantic_models", "saved_queries")
# What dbt-core's same_contents compares of each (Metric: filter, metadata and type_params are
# "TODO: always the same" there; SavedQuery: query_params' metrics, group_by and where).
_SEMANTIC_CONTENTS: dict[str, tuple[str, ...]] = {
    "metric": ("type", "description", "label"),
    "semantic_model": (
        "model",
        "description",
        "defaults",
        "entities",
        "dimensions",
        "measures",
        "primary_entity",
        "group",
    ),
    "saved_query": ("query_params", "description", "label", "group", "exports", "tags"),
}


@dataclass(frozen=True)
class Change:
    """A node counted as changed and why: new, deleted, a ``state:modified`` subselector, selected, file."""

    unique_id: str
    reason: str  # new, deleted, the first of ``subselectors``, modified (only what no subselector
    #              covers changed: fqn, exposure or source properties, access...), selected, file
    info: NodeInfo
    detail: str | None = None  # the changed file for reason "file"
    # Every ``state:modified.*`` subselector that selects the node (empty unless reason is modified*).
    subselectors: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The change for JSON output: id, name, resource type, reason, subselectors, detail."""
        return {
            "unique_id": self.unique_id,
            "name": self.info.name,
            "resource_type": self.info.resource_type,
            "reason": self.reason,
            "subselectors": list(self.subselectors),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class AffectedExposure:
    """An exposure downstream of a change: the changed nodes it depends on, the nearest's distance."""

    info: NodeInfo
    via: tuple[str, ...]  # unique ids of the changed nodes it depends on
    distance: int  # steps from the nearest changed node (0: the exposure itself changed)

    def to_dict(self) -> dict[str, Any]:
        """The exposure's :meth:`NodeInfo.to_dict` plus ``via`` and ``distance``."""
        return {**self.info.to_dict(), "via": list(self.via), "distance": self.distance}


@dataclass
class Impact:
    """What a change affects: the changes, the exposures and nodes downstream, and the edges between them."""

    changes: list[Change]
    affected: list[AffectedExposure]
    affected_nodes: list[str]  # every node downstream of a change (exposures included)
    edges: list[tuple[str, str]]  # between changed nodes and affected exposures, for diagrams
    infos: dict[str, NodeInfo]
    unmatched_paths: list[str] = field(default_factory=list)

    def gate(self, fail_on_maturity: str | None) -> list[AffectedExposure]:
        """The affected exposures at or above ``fail_on_maturity`` (empty: no gate, or nothing hit)."""
        if not fail_on_maturity:
            return []
        floor = MATURITIES.index(fail_on_maturity)
        return [
            item
            for item in self.affected
            if item.info.maturity in MATURITIES and MATURITIES.index(item.info.maturity) >= floor
        ]

    def to_dict(self) -> dict[str, Any]:
        """The impact for JSON output: changes, affected exposures and nodes, unmatched paths."""
        return {
            "changes": [change.to_dict() for change in self.changes],
            "affected_exposures": [item.to_dict() for item in self.affected],
            "affected_nodes": self.affected_nodes,
            "unmatched_paths": self.unmatched_paths,
        }


# ----------------------------------------------------------------------------------- state compare


def _dict(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key)
    return value if isinstance(value, dict) else {}


def _same_config(raw: dict[str, Any], old: dict[str, Any], ignored: frozenset[str]) -> bool:
    """dbt's ``same_config``: the *unrendered* configs (as written in the project), key by key.

    Rendered ``config`` also holds every default of the dbt version that wrote the manifest, so new
    defaults after a dbt upgrade would make every node look modified.
    """
    mine, theirs = _dict(raw, "unrendered_config"), _dict(old, "unrendered_config")
    keys = (set(mine) | set(theirs)) - ignored
    return all(key in mine and key in theirs and mine[key] == theirs[key] for key in keys)


def _node_relation(raw: dict[str, Any]) -> tuple[Any, ...]:
    # dbt compares the configured values, not the rendered ones (generate_schema_name and
    # target-derived defaults do not count).
    unrendered = _dict(raw, "unrendered_config")
    return tuple(unrendered.get(key) for key in ("database", "schema", "alias"))


def _source_relation(raw: dict[str, Any]) -> tuple[Any, ...]:
    return (raw.get("database"), raw.get("schema"), raw.get("identifier"))


def _body(raw: dict[str, Any]) -> Any:
    # Seeds: the file checksum; other nodes: the SQL (``raw_sql`` before dbt 1.3).
    if raw.get("resource_type") != "seed":
        for key in ("raw_code", "raw_sql"):
            if isinstance(raw.get(key), str):
                return raw[key]
    checksum = raw.get("checksum")
    return checksum.get("checksum") if isinstance(checksum, dict) else checksum


def _same_persisted_descriptions(raw: dict[str, Any], old: dict[str, Any]) -> bool:
    persist = _dict(_dict(raw, "config"), "persist_docs")
    if persist.get("relation") and raw.get("description") != old.get("description"):
        return False
    if persist.get("columns"):

        def descriptions(node: dict[str, Any]) -> dict[str, Any]:
            return {
                name: col.get("description")
                for name, col in _dict(node, "columns").items()
                if isinstance(col, dict)
            }

        return descriptions(raw) == descriptions(old)
    return True


def _same_contract(raw: dict[str, Any], old: dict[str, Any]) -> bool:
    mine, theirs = _dict(raw, "contract"), _dict(old, "contract")
    if not mine.get("enforced") and not theirs.get("enforced"):
        return True
    return bool(mine.get("enforced")) == bool(theirs.get("enforced")) and mine.get("checksum") == theirs.get(
        "checksum"
    )


def _exposure_contents(raw: dict[str, Any]) -> tuple[Any, ...]:
    depends = _dict(raw, "depends_on")
    nodes = depends.get("nodes")
    return (
        raw.get("type"),
        raw.get("owner"),
        raw.get("maturity"),
        raw.get("url"),
        raw.get("description"),
        raw.get("label"),
        sorted(str(n) for n in nodes) if isinstance(nodes, list) else None,
    )


def _source_contents(raw: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(raw.get(key) for key in ("freshness", "loaded_at_field", "quoting", "external"))


def _model_ref_contents(raw: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(raw.get(key) for key in ("latest_version", "access", "deprecation_date"))


def modified_subselectors(
    raw: dict[str, Any], old: dict[str, Any], changed_macros: set[str]
) -> tuple[tuple[str, ...], bool]:
    """(the ``state:modified.*`` subselectors that select ``raw``, modified at all) against ``old``.

    As dbt-core's ``same_contents`` family: nodes compare body, unrendered configs, persisted
    descriptions, fqn, relation (unrendered database/schema/alias) and contract; sources their
    relation, config, quoting, freshness and external; exposures their properties and config;
    metrics, semantic models and saved queries their definition and config (not their fqn).
    """
    kind = raw.get("resource_type")
    found: list[str] = []
    other = raw.get("fqn") != old.get("fqn")
    if isinstance(kind, str) and kind in _SEMANTIC_CONTENTS:
        # Metrics compare their unrendered config, semantic models and saved queries the rendered one.
        same = (
            _same_config(raw, old, frozenset())
            if kind == "metric"
            else raw.get("config") == old.get("config")
        )
        if not same:
            found.append("modified.configs")
        other = any(raw.get(key) != old.get(key) for key in _SEMANTIC_CONTENTS[kind])
    elif kind == "exposure":
        if not _same_config(raw, old, frozenset()):
            found.append("modified.configs")
        other = other or _exposure_contents(raw) != _exposure_contents(old)
    elif kind == "source":
        if not _same_config(raw, old, frozenset()):
            found.append("modified.configs")
        if _source_relation(raw) != _source_relation(old):
            found.append("modified.relation")
        other = other or _source_contents(raw) != _source_contents(old)
    else:
        if _body(raw) != _body(old):
            found.append("modified.body")
        if not _same_config(raw, old, _NODE_CONFIG_IGNORED):
            found.append("modified.configs")
        if not _same_persisted_descriptions(raw, old):
            found.append("modified.persisted_descriptions")
        if _node_relation(raw) != _node_relation(old):
            found.append("modified.relation")
        if kind == "model":
            other = other or _model_ref_contents(raw) != _model_ref_contents(old)
    if changed_macros.intersection(_macros_of(raw)):
        found.append("modified.macros")
    if kind == "model" and not _same_contract(raw, old):
        found.append("modified.contract")
    return tuple(found), bool(found) or other


def _changed_macros(current: Manifest, previous: Manifest) -> set[str]:
    """Macros whose SQL changed, were added, or call a changed macro (transitively)."""
    now = current.extra.get("macros") or {}
    before = previous.extra.get("macros") or {}
    changed = {
        uid
        for uid, macro in now.items()
        if isinstance(macro, dict)
        and (uid not in before or macro.get("macro_sql") != (before.get(uid) or {}).get("macro_sql"))
    }
    callers: dict[str, set[str]] = {}
    for uid, macro in now.items():
        depends = macro.get("depends_on") if isinstance(macro, dict) else None
        for called in (depends or {}).get("macros") or []:
            callers.setdefault(called, set()).add(uid)
    frontier = list(changed)
    while frontier:
        macro = frontier.pop()
        for caller in callers.get(macro, ()):
            if caller not in changed:
                changed.add(caller)
                frontier.append(caller)
    return changed


def _macros_of(raw: dict[str, Any]) -> list[str]:
    depends = raw.get("depends_on")
    macros = depends.get("macros") if isinstance(depends, dict) else None
    return [m for m in macros if isinstance(m, str)] if isinstance(macros, list) else []


def _semantic_nodes(manifest: Manifest) -> dict[str, Any]:
    """Metrics, semantic models and saved queries by unique id (newer manifests only)."""
    found: dict[str, Any] = {}
    for key in _SEMANTIC_GROUPS:
        group = manifest.extra.get(key)
        if isinstance(group, dict):
            found.update((uid, raw) for uid, raw in group.items() if isinstance(raw, dict))
    return found


def compare_state(current: Manifest, previous: Manifest, graph: LineageGraph) -> list[Change]:
    """Nodes new, modified or deleted since ``previous``, like dbt's ``state:modified`` (+ deleted)."""
    changes: list[Change] = []
    changed_macros = _changed_macros(current, previous)
    before_all = {**previous.nodes, **previous.sources, **previous.exposures, **_semantic_nodes(previous)}
    now_all = {**current.nodes, **current.sources, **current.exposures, **_semantic_nodes(current)}
    for uid in sorted(now_all):
        if uid not in graph:
            continue
        raw = now_all[uid]
        old = before_all.get(uid)
        info = graph.info(uid)
        if info.resource_type not in _COMPARED_TYPES:
            continue
        if old is None:
            changes.append(Change(uid, "new", info))
            continue
        subselectors, modified = modified_subselectors(raw, old, changed_macros)
        if modified:
            changes.append(
                Change(uid, subselectors[0] if subselectors else "modified", info, None, subselectors)
            )
    return changes


def deleted_nodes(current: Manifest, previous: Manifest, previous_graph: LineageGraph) -> list[Change]:
    """Nodes of ``previous`` (of the types ``state:modified`` compares) that ``current`` no longer has."""
    now_ids = (
        set(current.nodes) | set(current.sources) | set(current.exposures) | set(_semantic_nodes(current))
    )
    return [
        Change(uid, "deleted", previous_graph.info(uid))
        for uid in sorted(previous_graph.infos)
        if uid not in now_ids and previous_graph.info(uid).resource_type in _COMPARED_TYPES
    ]


# ---------------------------------------------------------------------------------- changed paths


def _norm(path: str) -> str:
    return Path(path.replace("\\", "/")).as_posix().removeprefix("./")


def _git_root(start: Path) -> Path | None:
    for candidate in (start, *start.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _project_relative(path: str, project_dir: Path) -> list[str]:
    """The ways ``path`` may be read relative to the dbt project dir, most likely first."""
    project = project_dir.resolve()
    candidates = [_norm(path)]
    bases = [Path.cwd()]
    root = _git_root(project)
    if root is not None:
        bases.append(root)
    for base in bases:
        absolute = (base / path).resolve() if not os.path.isabs(path) else Path(path).resolve()
        try:
            candidates.append(absolute.relative_to(project).as_posix())
        except ValueError:
            continue
    return list(dict.fromkeys(candidates))


def file_index(manifest: Manifest, graph: LineageGraph) -> dict[str, set[str]]:
    """Project-relative file path -> unique ids of the nodes defined or described in it."""
    index: dict[str, set[str]] = {}
    groups = (manifest.nodes, manifest.sources, manifest.exposures, _semantic_nodes(manifest))
    for group in groups:
        for uid, raw in group.items():
            if uid not in graph or raw.get("package_name") not in (manifest.project_name, None):
                continue
            for key in ("original_file_path", "patch_path"):
                value = raw.get(key)
                if isinstance(value, str) and value:
                    index.setdefault(_norm(value.split("://", 1)[-1]), set()).add(uid)
    # Macro files -> the nodes that call their macros (directly or through other macros).
    macros = manifest.extra.get("macros") or {}
    by_file: dict[str, set[str]] = {}
    for uid, macro in macros.items():
        if isinstance(macro, dict) and macro.get("package_name") == manifest.project_name:
            path = macro.get("original_file_path")
            if isinstance(path, str):
                by_file.setdefault(_norm(path), set()).add(uid)
    if by_file:
        for path, macro_ids in by_file.items():
            closure = _macro_closure(macros, macro_ids)
            users = {
                uid
                for group in groups
                for uid, raw in group.items()
                if uid in graph and closure.intersection(_macros_of(raw))
            }
            if users:
                index.setdefault(path, set()).update(users)
    return index


def _macro_closure(macros: dict[str, Any], seeds: set[str]) -> set[str]:
    out = set(seeds)
    grew = True
    while grew:
        grew = False
        for uid, macro in macros.items():
            if uid not in out and isinstance(macro, dict) and out.intersection(_macros_of(macro)):
                out.add(uid)
                grew = True
    return out


def nodes_for_paths(
    manifest: Manifest, graph: LineageGraph, paths: Sequence[str], project_dir: Path
) -> tuple[list[Change], list[str]]:
    """Changes for changed file paths (relative to the repo root, the project dir, or absolute)."""
    index = file_index(manifest, graph)
    changes: list[Change] = []
    unmatched: list[str] = []
    for path in paths:
        hits: set[str] = set()
        for candidate in _project_relative(path, project_dir):
            if candidate in index:
                hits = index[candidate]
                break
        if not hits:
            unmatched.append(path)
        for uid in sorted(hits):
            changes.append(Change(uid, "file", graph.info(uid), detail=path))
    return changes, unmatched


# -------------------------------------------------------------------------------------------- impact


def _downstream(
    changes: list[Change], graph: LineageGraph, previous_graph: LineageGraph | None
) -> tuple[dict[str, int], dict[str, set[str]], dict[str, NodeInfo]]:
    """Everything downstream of the changes: its distance, the changes it is reached from, its info.

    A deleted node's descendants are found in the previous graph; those that no longer exist either
    are left out (they are reported as deleted themselves).
    """
    distances: dict[str, int] = {}
    via: dict[str, set[str]] = {}
    infos: dict[str, NodeInfo] = {}
    for change in changes:
        source_graph = previous_graph if change.reason == "deleted" and previous_graph else graph
        infos[change.unique_id] = change.info
        reached = {change.unique_id: 0, **source_graph.descendants(change.unique_id)}
        for uid, distance in reached.items():
            if uid not in graph and source_graph is not graph and uid != change.unique_id:
                continue
            infos.setdefault(uid, graph.info(uid) if uid in graph else source_graph.info(uid))
            distances[uid] = min(distance, distances.get(uid, distance))
            via.setdefault(uid, set()).add(change.unique_id)
    return distances, via, infos


def impact(
    manifest: Manifest,
    *,
    previous: Manifest | None = None,
    names: Iterable[str] = (),
    paths: Sequence[str] = (),
    project_dir: Path | None = None,
    graph: LineageGraph | None = None,
) -> Impact:
    """Collect the changes and the exposures downstream of them."""
    names = list(names)
    if previous is None and not names and not paths:
        raise UsageError("nothing to compare: give --state DIR, --select NODE, or changed file paths")
    graph = graph or build_graph(manifest)
    changes: list[Change] = []
    unmatched: list[str] = []
    previous_graph: LineageGraph | None = None
    if previous is not None:
        previous_graph = build_graph(previous)
        changes += compare_state(manifest, previous, graph)
        changes += deleted_nodes(manifest, previous, previous_graph)
    for name in names:
        uid = graph.resolve(name)
        changes.append(Change(uid, "selected", graph.info(uid)))
    if paths:
        path_changes, unmatched = nodes_for_paths(manifest, graph, paths, project_dir or Path.cwd())
        changes += path_changes
        if unmatched and previous is not None and previous_graph is not None:
            # A deleted file (git diff lists it) is only in the previous manifest.
            gone, unmatched = nodes_for_paths(previous, previous_graph, unmatched, project_dir or Path.cwd())
            changes += [
                Change(c.unique_id, "deleted", c.info, c.detail) for c in gone if c.unique_id not in graph
            ]
    changes = _dedupe(changes)
    distances, via, infos = _downstream(changes, graph, previous_graph)
    affected = [
        AffectedExposure(infos[uid], tuple(sorted(via[uid])), distances[uid])
        for uid in sorted(distances)
        if infos[uid].resource_type == "exposure"
    ]
    affected.sort(key=lambda item: (-maturity_rank(item.info.maturity), item.info.name))
    edges = _diagram_edges(graph, previous_graph, changes, affected)
    for a, b in edges:
        for uid in (a, b):
            if uid not in infos:
                infos[uid] = graph.info(uid) if uid in graph else previous_graph.info(uid)  # type: ignore[union-attr]
    return Impact(
        changes=changes,
        affected=affected,
        affected_nodes=sorted(uid for uid in distances if distances[uid] > 0),
        edges=edges,
        infos=infos,
        unmatched_paths=unmatched,
    )


def _dedupe(changes: list[Change]) -> list[Change]:
    # One change per node; a state comparison reason beats "selected"/"file".
    order = {"selected": 2, "file": 1}
    best: dict[str, Change] = {}
    for change in changes:
        kept = best.get(change.unique_id)
        if kept is None or order.get(change.reason, 0) < order.get(kept.reason, 0):
            best[change.unique_id] = change
    return [best[uid] for uid in sorted(best)]


MAX_DIAGRAM_NODES = 60


def _diagram_edges(
    graph: LineageGraph,
    previous_graph: LineageGraph | None,
    changes: list[Change],
    affected: list[AffectedExposure],
) -> list[tuple[str, str]]:
    """Edges on the paths from changed nodes to affected exposures; shortcuts if that is too big."""
    edges: set[tuple[str, str]] = set()
    targets = {item.info.unique_id for item in affected}
    for change in changes:
        g = previous_graph if change.reason == "deleted" and previous_graph else graph
        if change.unique_id not in g:
            continue
        down = set(g.descendants(change.unique_id)) | {change.unique_id}
        for target in targets & down:
            if target == change.unique_id:
                continue
            on_path = down & (set(g.ancestors(target)) | {target})
            edges.update(g.graph.subgraph(on_path).edges())
    nodes = {n for edge in edges for n in edge}
    if len(nodes) > MAX_DIAGRAM_NODES:
        edges = {
            (uid, item.info.unique_id) for item in affected for uid in item.via if uid != item.info.unique_id
        }
    return sorted(edges)
