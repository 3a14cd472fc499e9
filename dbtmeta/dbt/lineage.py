"""Upstream and downstream of one node, dashboards included.

Must not: know about Looker or health, or render anything (:mod:`dbtmeta.render.lineage` does).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dbtmeta.dbt.graph import LineageGraph, NodeInfo
from dbtmeta.errors import OptionError, UsageError

DIRECTIONS = ("upstream", "downstream", "both")


@dataclass
class Lineage:
    """A node's upstream and downstream nodes with their distances, and the edges between the nodes shown."""

    root: NodeInfo
    upstream: dict[str, int]  # unique id -> distance
    downstream: dict[str, int]
    edges: list[tuple[str, str]]  # parent -> child, only between the nodes shown
    infos: dict[str, NodeInfo]
    direction: str
    depth: int | None

    def exposures(self) -> list[NodeInfo]:
        """Dashboards and other exposures downstream (or the root itself if it is one)."""
        ids = [uid for uid in self.downstream if self.infos[uid].resource_type == "exposure"]
        return [self.infos[uid] for uid in sorted(ids)]

    def to_dict(self) -> dict[str, Any]:
        """The lineage for JSON output: each side ordered by distance, then unique id."""

        def listed(distances: dict[str, int]) -> list[dict[str, Any]]:
            ordered = sorted(distances, key=lambda uid: (distances[uid], uid))
            return [{**self.infos[uid].to_dict(), "distance": distances[uid]} for uid in ordered]

        return {
            "node": self.root.to_dict(),
            "direction": self.direction,
            "depth": self.depth,
            "upstream": listed(self.upstream),
            "downstream": listed(self.downstream),
            "edges": [list(edge) for edge in self.edges],
        }


def lineage(graph: LineageGraph, name: str, direction: str = "both", depth: int | None = None) -> Lineage:
    """Resolve ``name`` and collect its upstream and/or downstream nodes up to ``depth`` steps."""
    if direction not in DIRECTIONS:
        raise UsageError(f"direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
    if depth is not None and depth < 1:
        raise OptionError("depth", f"must be 1 or more, not {depth}; leave it out for the whole lineage")
    root = graph.resolve(name)
    upstream = graph.ancestors(root, depth) if direction in ("upstream", "both") else {}
    downstream = graph.descendants(root, depth) if direction in ("downstream", "both") else {}
    edges: set[tuple[str, str]] = set()
    for side in (upstream, downstream):
        if not side:
            continue
        members = set(side) | {root}
        edges.update(graph.graph.subgraph(members).edges())
    return Lineage(
        root=graph.info(root),
        upstream=upstream,
        downstream=downstream,
        edges=sorted(edges),
        infos={uid: graph.info(uid) for uid in {root, *upstream, *downstream}},
        direction=direction,
        depth=depth,
    )
