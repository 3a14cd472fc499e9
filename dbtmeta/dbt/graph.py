"""The lineage graph of a dbt project: models, seeds, snapshots, sources and exposures.

Edges point from a parent to its child (``source -> staging model -> mart -> exposure``), built from
each node's ``depends_on.nodes`` like dbt's own ``parent_map``. Tests are left out by default: in
dbt's selection graph they are leaves and say nothing about what a dashboard reads.

Also here: resolving the names dbt users type (``fact_orders``, ``model.greenery.fact_orders``,
``source:greenery.events``, ``greenery.events``, ``exposure:product_funnel``, ``seed:raw_users``)
to unique ids, with close matches when a name is unknown.

networkx is imported inside :func:`build_graph` so that importing this module stays cheap.

Must not: know about Looker or health, or import networkx at module level.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dbtmeta.errors import InputError
from dbtmeta.vocabulary import depends_on_nodes, dict_at

if TYPE_CHECKING:
    import networkx as nx

    from dbtmeta.dbt.artifacts import Manifest

# Resource types that are part of the lineage (everything that is data or reads data).
LINEAGE_TYPES = frozenset(
    {"model", "seed", "snapshot", "source", "exposure", "analysis", "metric", "semantic_model", "saved_query"}
)
# Prefixes users may put before a name, as in dbt's selectors (`source:`, `exposure:`) and ours;
# every resource type of LINEAGE_TYPES, so each `type:name` the renderers print is accepted back.
TYPE_PREFIXES = (
    "model",
    "seed",
    "snapshot",
    "source",
    "exposure",
    "analysis",
    "metric",
    "semantic_model",
    "saved_query",
)


@dataclass(frozen=True)
class NodeInfo:
    """What renderers need to show about one node."""

    unique_id: str
    resource_type: str
    name: str  # the name users type: model name, `source_name.table` for sources
    package: str
    label: str | None = None  # exposures: the human title
    maturity: str | None = None
    exposure_type: str | None = None
    owner_name: str | None = None
    owner_email: str | None = None
    url: str | None = None
    relation: str | None = None
    path: str | None = None  # original_file_path

    @property
    def display(self) -> str:
        """`type:name`, the form accepted back by :meth:`LineageGraph.resolve`."""
        return f"{self.resource_type}:{self.name}"

    def to_dict(self) -> dict[str, Any]:
        """The node for JSON: an exposure's label, type, maturity, owner and url, else the relation."""
        data: dict[str, Any] = {
            "unique_id": self.unique_id,
            "resource_type": self.resource_type,
            "name": self.name,
            "package": self.package,
        }
        if self.resource_type == "exposure":
            data.update(
                label=self.label,
                type=self.exposure_type,
                maturity=self.maturity,
                owner={"name": self.owner_name, "email": self.owner_email},
                url=self.url,
            )
        else:
            data["relation"] = self.relation
        data["path"] = self.path
        return data


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def node_info(unique_id: str, raw: dict[str, Any]) -> NodeInfo:
    """Build a :class:`NodeInfo` from a raw manifest node, source or exposure dict."""
    resource_type = _str(raw.get("resource_type")) or unique_id.split(".", 1)[0]
    name = _str(raw.get("name")) or unique_id.rsplit(".", 1)[-1]
    if resource_type == "source" and _str(raw.get("source_name")):
        name = f"{raw['source_name']}.{name}"
    version = raw.get("version")
    if resource_type == "model" and version is not None and raw.get("latest_version") != version:
        name = f"{name}.v{version}"
    owner = dict_at(raw, "owner")
    return NodeInfo(
        unique_id=unique_id,
        resource_type=resource_type,
        name=name,
        package=_str(raw.get("package_name")) or (unique_id.split(".")[1] if unique_id.count(".") else ""),
        label=_str(raw.get("label")),
        maturity=_str(raw.get("maturity")),
        exposure_type=_str(raw.get("type")) if resource_type == "exposure" else None,
        owner_name=_str(owner.get("name")),
        owner_email=_str(owner.get("email")),
        url=_str(raw.get("url")),
        relation=_str(raw.get("relation_name")),
        path=_str(raw.get("original_file_path")),
    )


class LineageGraph:
    """A DAG (networkx.DiGraph) of node unique ids, parent -> child, with :class:`NodeInfo` per node."""

    def __init__(self, graph: nx.DiGraph[str], infos: dict[str, NodeInfo], project_name: str = "") -> None:
        self.graph = graph
        self.infos = infos
        self.project_name = project_name

    def __contains__(self, unique_id: object) -> bool:
        return unique_id in self.infos

    def info(self, unique_id: str) -> NodeInfo:
        """The :class:`NodeInfo` of a unique id (``KeyError`` if it is not in the graph)."""
        return self.infos[unique_id]

    def ancestors(self, unique_id: str, depth: int | None = None) -> dict[str, int]:
        """Upstream nodes -> distance (1 = direct parent)."""
        return self._walk(unique_id, depth, upstream=True)

    def descendants(self, unique_id: str, depth: int | None = None) -> dict[str, int]:
        """Downstream nodes -> distance (1 = direct child)."""
        return self._walk(unique_id, depth, upstream=False)

    def parents(self, unique_id: str) -> list[str]:
        """The direct parents' unique ids, sorted."""
        return sorted(self.graph.predecessors(unique_id))

    def children(self, unique_id: str) -> list[str]:
        """The direct children's unique ids, sorted."""
        return sorted(self.graph.successors(unique_id))

    def _walk(self, start: str, depth: int | None, *, upstream: bool) -> dict[str, int]:
        step = self.graph.predecessors if upstream else self.graph.successors
        seen: dict[str, int] = {}
        frontier = [start]
        distance = 0
        while frontier and (depth is None or distance < depth):
            distance += 1
            nxt: list[str] = []
            for node in frontier:
                for other in step(node):
                    if other not in seen and other != start:
                        seen[other] = distance
                        nxt.append(other)
            frontier = nxt
        return seen

    def exposures(self) -> list[str]:
        """The unique ids of every exposure in the graph, sorted."""
        return sorted(uid for uid, info in self.infos.items() if info.resource_type == "exposure")

    # ---------------------------------------------------------------------------------- names

    def resolve(self, name: str) -> str:
        """The unique id for a name as dbt users type it; InputError (one line, close matches) if unknown."""
        text = name.strip()
        if not text:
            raise InputError("empty node name; give a model, source, seed, snapshot or exposure name")
        matches = self._matches(text)
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            preferred = self._prefer(matches)
            if preferred is not None:
                return preferred
            forms = ", ".join(self.infos[m].display for m in sorted(matches))
            raise InputError(f"node name {name!r} is ambiguous: it matches {forms}; use one of these forms")
        suggestions = self.suggest(text)
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        raise InputError(
            f"no model, source, seed, snapshot or exposure named {name!r} in the manifest{hint} "
            "(re-run `dbt parse` if it is new)"
        )

    def _prefer(self, matches: list[str]) -> str | None:
        # Same name in the root project and in an installed package: the root project wins, as
        # with dbt's ref(). Otherwise the caller must say which one.
        own = [m for m in matches if self.infos[m].package == self.project_name]
        if len(own) == 1:
            return own[0]
        return None

    def _matches(self, text: str) -> list[str]:
        if text in self.infos:
            return [text]
        prefix, sep, rest = text.partition(":")
        if sep and prefix in TYPE_PREFIXES:
            candidates = [i for i in self.infos.values() if i.resource_type == prefix]
            text = rest
        else:
            candidates = list(self.infos.values())
        # Exact names first (`fact_orders`, `greenery.events` of a source), then qualified forms.
        found = [i.unique_id for i in candidates if i.name == text]
        if not found:
            found = [i.unique_id for i in candidates if self._qualified_matches(i, text)]
        return found

    @staticmethod
    def _qualified_matches(info: NodeInfo, text: str) -> bool:
        # `greenery.fact_orders` (package.name, also unique id without the type),
        # `source:greenery.greenery.events` (package.source.table), and `dim_customers.v2`: dbt's
        # selector for a model version, also the latest one (whose name is shown without it).
        tail = info.unique_id.split(".", 1)[-1]
        if f"{info.package}.{info.name}" == text or tail == text:
            return True
        return info.resource_type == "model" and tail == f"{info.package}.{text}"

    def suggest(self, text: str, limit: int = 3) -> list[str]:
        """Close matches for an unknown name, in the forms :meth:`resolve` accepts."""
        bare = text.partition(":")[2] if text.partition(":")[0] in TYPE_PREFIXES else text
        by_name: dict[str, list[NodeInfo]] = {}
        for info in self.infos.values():
            by_name.setdefault(info.name, []).append(info)
            if info.resource_type == "source":
                by_name.setdefault(info.name.split(".", 1)[1], []).append(info)
        close = difflib.get_close_matches(bare, list(by_name), n=limit, cutoff=0.6)
        out: list[str] = []
        for match in close:
            for info in by_name[match]:
                form = info.name if len(by_name[info.name]) == 1 and info.resource_type != "source" else None
                out.append(form or info.display)
        return list(dict.fromkeys(out))[:limit]


def build_graph(manifest: Manifest, *, include_tests: bool = False) -> LineageGraph:
    """The lineage DAG of a loaded manifest (see :mod:`dbtmeta.dbt.artifacts`)."""
    import networkx as nx

    graph: nx.DiGraph[str] = nx.DiGraph()
    infos: dict[str, NodeInfo] = {}
    wanted = LINEAGE_TYPES | ({"test"} if include_tests else frozenset())
    groups: list[dict[str, dict[str, Any]]] = [manifest.nodes, manifest.sources, manifest.exposures]
    for key in ("metrics", "semantic_models", "saved_queries"):
        group = manifest.extra.get(key)
        if isinstance(group, dict):
            groups.append(group)
    raw_by_id: dict[str, dict[str, Any]] = {}
    for group in groups:
        for unique_id, raw in group.items():
            if not isinstance(raw, dict):
                continue
            info = node_info(unique_id, raw)
            if info.resource_type not in wanted:
                continue
            infos[unique_id] = info
            raw_by_id[unique_id] = raw
            graph.add_node(unique_id)
    for unique_id, raw in raw_by_id.items():
        for parent in depends_on_nodes(raw):
            if parent in infos and parent != unique_id:
                graph.add_edge(parent, unique_id)
    return LineageGraph(graph, infos, manifest.project_name)
