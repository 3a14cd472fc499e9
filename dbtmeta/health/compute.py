"""Health of every exposure from dbt artifacts, with root causes (dbt Cloud's data health semantics).

Status of an exposure (worst wins, see :class:`Status`):

- ``stale``: upstream a model/seed/snapshot errored, a test failed or errored, or a source's freshness
  errored (``error`` or ``runtime error``);
- ``at_risk``: upstream a node or test was skipped, a test warned, a source's freshness warned, or a
  model ended in ``partial success``;
- ``unknown``: nothing upstream has a result in the artifacts given;
- ``fresh``: something upstream ran and nothing upstream failed.

"Upstream" is the full closure of the exposure's ``depends_on`` through models, seeds, snapshots,
sources (and metrics/semantic models), plus every test attached to any of them (``attached_node``,
falling back to ``depends_on.nodes`` for source and singular tests).

Root causes are the failing results that no failure further upstream explains:

- a *skipped* node or test is explained when an error-level failure (node ``error``, test ``fail`` or
  ``error``) sits on one of its ancestors or on a test of one of them: dbt skipped it because of that;
- a *test* (any bad status) on a node that errored, or that was skipped because of an upstream error,
  is explained by that node: it ran against a missing or old table (typical of a ``dbt run`` followed
  by a separate ``dbt test``);
- everything else is a root cause: model/seed/snapshot errors, test failures/warnings on nodes that
  built, freshness problems (a failing test on a stale source is a second, independent cause).

By construction every explained failure has a stale-level root cause upstream of it, so the status
of an exposure equals the worst status of its root causes.

The computation runs once over the graph: one DFS from the exposures gives a topological order,
one pass computes "an error-level failure is upstream", and one pass propagates the root causes as
bit sets (Python ints) from parents to children. Paths are recovered by walking back from each
exposure along parents that carry the cause's bit (memoised).

Must not: read files, print or render: it takes loaded artifacts and returns the report;
filtering and judging are :mod:`dbtmeta.health.report`'s, showing it :mod:`dbtmeta.render`'s.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from dbtmeta.dbt.artifacts import (
    FreshnessResult,
    Manifest,
    NodeResult,
    RunResults,
    SourceFreshness,
    gc_paused,
)
from dbtmeta.health.model import Cause, ExposureHealth, HealthReport, Status
from dbtmeta.vocabulary import TEST_PREFIXES, depends_on_nodes, dict_at

# dbt result statuses (lower case) -> the health they give; anything else (success, pass, no-op,
# reused...) is healthy.
_STALE_STATUSES = frozenset({"error", "fail", "runtime error"})
_AT_RISK_STATUSES = frozenset({"warn", "skipped", "partial success"})


def _level(status: str) -> Status | None:
    if status in _STALE_STATUSES:
        return Status.STALE
    if status in _AT_RISK_STATUSES:
        return Status.AT_RISK
    return None


@dataclass(slots=True)
class _Failure:
    unique_id: str
    status: str
    severity: Status
    site: tuple[str, ...]  # graph nodes the failure sits on (the node itself, or the tested nodes)
    is_test: bool
    message: str | None = None
    failures: int | None = None
    completed_at: str | None = None
    execution_time: float | None = None


def _parents_of(manifest: Manifest, unique_id: str) -> list[str]:
    parents = manifest.parent_map.get(unique_id)
    if isinstance(parents, list):
        return parents
    node = (
        manifest.nodes.get(unique_id) or manifest.sources.get(unique_id) or manifest.exposures.get(unique_id)
    )
    if node is None:
        for key in ("metrics", "semantic_models", "saved_queries"):
            group = manifest.extra.get(key)
            if isinstance(group, dict) and isinstance(group.get(unique_id), dict):
                node = group[unique_id]
                break
    return depends_on_nodes(node) if node is not None else []


def _topological_closure(manifest: Manifest, roots: Iterable[str]) -> tuple[list[str], dict[str, list[str]]]:
    """Every non-test node upstream of ``roots``, parents before children; and their parents."""
    parents: dict[str, list[str]] = {}
    order: list[str] = []
    done: set[str] = set()
    on_stack: set[str] = set()
    for root in roots:
        if root in done:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        on_stack.add(root)
        while stack:
            node, index = stack[-1]
            node_parents = parents.get(node)
            if node_parents is None:
                node_parents = [
                    p
                    for p in _parents_of(manifest, node)
                    if isinstance(p, str) and not p.startswith(TEST_PREFIXES)
                ]
                parents[node] = node_parents
            if index < len(node_parents):
                stack[-1] = (node, index + 1)
                parent = node_parents[index]
                if parent not in done and parent not in on_stack:  # on_stack: a cycle, ignore the edge
                    on_stack.add(parent)
                    stack.append((parent, 0))
                continue
            stack.pop()
            on_stack.discard(node)
            done.add(node)
            order.append(node)
    return order, parents


_REF_RE = re.compile(r"""\bref\(\s*['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]+)['"])?""")
_SOURCE_RE = re.compile(r"""\bsource\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]""")


def _tested_nodes(node: dict[str, Any]) -> list[str]:
    """The nodes a test checks: ``attached_node``, else ``depends_on.nodes``.

    Manifests before v10 have no ``attached_node``: there a generic test with several parents (a
    relationships test) is attached to the model named in ``test_metadata.kwargs.model``.
    """
    attached = node.get("attached_node")
    if isinstance(attached, str) and attached:
        return [attached]
    depends = depends_on_nodes(node)
    if len(depends) > 1 and "attached_node" not in node:
        guess = _model_of_generic_test(node, depends)
        if guess is not None:
            return [guess]
    return depends


def _model_of_generic_test(node: dict[str, Any], depends: list[str]) -> str | None:
    metadata = node.get("test_metadata")
    kwargs = metadata.get("kwargs") if isinstance(metadata, dict) else None
    model = kwargs.get("model") if isinstance(kwargs, dict) else None
    if not isinstance(model, str):
        return None
    match = _REF_RE.search(model)
    if match:
        name = match.group(2) or match.group(1)
        found = [d for d in depends if not d.startswith("source.") and d.split(".")[2:3] == [name]]
    else:
        match = _SOURCE_RE.search(model)
        if not match:
            return None
        found = [d for d in depends if d.startswith("source.") and d.split(".")[2:4] == list(match.groups())]
    return found[0] if len(found) == 1 else None


def _freshness_message(result: FreshnessResult) -> str | None:
    if result.message:
        return result.message
    parts = []
    if result.age_seconds is not None:
        parts.append(f"last loaded {_duration(result.age_seconds)} ago")
    if result.max_loaded_at:
        parts.append(f"max_loaded_at {result.max_loaded_at}")
    criteria = result.criteria or {}
    limit = criteria.get("error_after") if result.status != "warn" else criteria.get("warn_after")
    if isinstance(limit, dict) and limit.get("count") and limit.get("period"):
        parts.append(
            f"{'error' if result.status != 'warn' else 'warn'} after {limit['count']} {limit['period']}"
        )
    return "source freshness " + result.status + (": " + ", ".join(parts) if parts else "")


def _duration(seconds: float) -> str:
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.1f} days"
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:.1f} hours"
    if seconds >= 120:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds:.0f} seconds"


def _display_name(manifest: Manifest, unique_id: str) -> tuple[str, str]:
    node = manifest.nodes.get(unique_id)
    if node is not None:
        return str(node.get("resource_type") or unique_id.split(".", 1)[0]), str(
            node.get("name") or unique_id
        )
    source = manifest.sources.get(unique_id)
    if source is not None:
        # source.<package>.<source_name>.<table>: the id holds both parts when the node lacks them.
        id_parts = unique_id.split(".")
        source_name = source.get("source_name") or (id_parts[2] if len(id_parts) >= 4 else "")
        table = source.get("name") or id_parts[-1]
        return "source", f"{source_name}.{table}".strip(".")
    return unique_id.split(".", 1)[0], unique_id.rsplit(".", 1)[-1]


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _tags_and_meta(exposure: dict[str, Any]) -> tuple[tuple[str, ...], dict[str, Any]]:
    config = dict_at(exposure, "config")
    tags: list[str] = []
    for source in (exposure.get("tags"), config.get("tags")):
        if isinstance(source, list):
            tags.extend(tag for tag in source if isinstance(tag, str) and tag not in tags)
    meta: dict[str, Any] = {}
    for source in (exposure.get("meta"), config.get("meta")):
        if isinstance(source, dict):
            meta.update(source)
    return tuple(tags), meta


def compute_health(
    manifest: Manifest,
    results: RunResults | None,
    freshness: SourceFreshness | None,
) -> HealthReport:
    """Health and root causes of every enabled exposure in ``manifest`` (see the module docstring).

    ``results``: merged run results (:func:`dbtmeta.dbt.artifacts.load_run_results`), or None.
    ``freshness``: ``dbt source freshness`` results (:func:`dbtmeta.dbt.artifacts.load_sources`), or None.

    The phases below share one :class:`_Walk`; each fills in its part of it.
    """
    with gc_paused():
        walk = _index_graph(manifest, results, freshness)
        _find_errors_above(walk)
        _collect_root_causes(walk)
        _propagate(walk)
        return _build_report(walk, results, freshness)


@dataclass
class _Walk:
    """The state the phases of :func:`compute_health` share, in the order they fill it."""

    manifest: Manifest
    run: dict[str, NodeResult]
    fresh: dict[str, FreshnessResult]
    # _index_graph: the closure upstream of the exposures, parents before children, and its tests.
    order: list[str] = field(default_factory=list)
    parents: dict[str, list[str]] = field(default_factory=dict)
    in_closure: set[str] = field(default_factory=set)
    test_nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tests_on: dict[str, list[str]] = field(default_factory=dict)
    # _find_errors_above: an error-level failure on the node / on a proper ancestor (or their tests).
    error_here: dict[str, bool] = field(default_factory=dict)
    error_above: dict[str, bool] = field(default_factory=dict)
    # _collect_root_causes: each root cause is one bit; own_bits[n] = bits of the causes sitting on n.
    failures: list[_Failure] = field(default_factory=list)
    own_bits: dict[str, int] = field(default_factory=dict)
    # _propagate: bits reaching each node, whether anything upstream ran, longest distance from a root.
    bits: dict[str, int] = field(default_factory=dict)
    ran: dict[str, bool] = field(default_factory=dict)
    depth: dict[str, int] = field(default_factory=dict)
    path_memo: dict[tuple[str, int], tuple[str, ...]] = field(default_factory=dict)

    def add(self, failure: _Failure) -> None:
        """Record a root cause: give it the next bit and set that bit on every node it sits on."""
        bit = 1 << len(self.failures)
        self.failures.append(failure)
        for site in failure.site:
            self.own_bits[site] = self.own_bits.get(site, 0) | bit

    def unit_test_failed(self, node: str) -> bool:
        """A unit test of ``node`` failed: dbt build then skips the model."""
        return any(
            test.startswith("unit_test.") and test in self.run and self.run[test].status in _STALE_STATUSES
            for test in self.tests_on.get(node, ())
        )

    def skip_is_explained(self, node: str) -> bool:
        """dbt skipped ``node`` because of an error-level failure above it or of its unit test."""
        return self.error_above.get(node, False) or self.unit_test_failed(node)

    def explains(self, node: str) -> bool:
        """A bad result of ``node`` explains bad results of its tests."""
        status = self.run[node].status if node in self.run else None
        return status in _STALE_STATUSES or (status == "skipped" and self.skip_is_explained(node))


def _index_graph(manifest: Manifest, results: RunResults | None, freshness: SourceFreshness | None) -> _Walk:
    """Phase 1: everything upstream of an exposure in topological order, and the tests on it.

    Unit tests (manifest v12 ``unit_tests``) are on the model they test; they run before it, and
    dbt build skips the model when one fails.
    """
    walk = _Walk(
        manifest,
        results.results if results is not None else {},
        freshness.results if freshness is not None else {},
    )
    roots = [dep for exposure in manifest.exposures.values() for dep in depends_on_nodes(exposure)]
    walk.order, walk.parents = _topological_closure(manifest, roots)
    walk.in_closure = set(walk.order)
    unit_tests = manifest.extra.get("unit_tests")
    groups = [manifest.nodes, unit_tests] if isinstance(unit_tests, dict) else [manifest.nodes]
    for group in groups:
        for unique_id, node in group.items():
            if not unique_id.startswith(TEST_PREFIXES) or not isinstance(node, dict):
                continue
            walk.test_nodes[unique_id] = node
            for tested in _tested_nodes(node):
                if tested in walk.in_closure:
                    walk.tests_on.setdefault(tested, []).append(unique_id)
    return walk


def _find_errors_above(walk: _Walk) -> None:
    """Phase 2: ``error_above[n]``: an error-level failure sits on a proper ancestor of n or on its test."""
    # Locals, not attributes, in the loops over every node of the closure (tens of thousands).
    run, parents, tests_on = walk.run, walk.parents, walk.tests_on
    error_here, error_above = walk.error_here, walk.error_above
    for node in walk.order:
        error_above[node] = any(error_here.get(p) or error_above.get(p) for p in parents[node])
        here = (run[node].status in _STALE_STATUSES) if node in run else False
        if not here:
            here = any(test in run and run[test].status in _STALE_STATUSES for test in tests_on.get(node, ()))
        error_here[node] = here


def _collect_root_causes(walk: _Walk) -> None:
    """Phase 3: the failing results no failure further upstream explains, nodes first, then tests."""
    for node in walk.order:
        result = walk.run.get(node)
        if result is not None:
            severity = _level(result.status)
            if severity is not None and not (result.status == "skipped" and walk.skip_is_explained(node)):
                walk.add(_result_failure(node, result, severity, (node,), is_test=False))
        fresh_result = walk.fresh.get(node)
        if fresh_result is not None:
            severity = _level(fresh_result.status)
            if severity is not None:
                walk.add(
                    _Failure(
                        node,
                        fresh_result.status,
                        severity,
                        (node,),
                        False,
                        _freshness_message(fresh_result),
                        None,
                        fresh_result.snapshotted_at,
                        fresh_result.execution_time,
                    )
                )
    seen: set[str] = set()
    for node in walk.order:
        for test in walk.tests_on.get(node, ()):
            if test in seen:
                continue
            seen.add(test)
            result = walk.run.get(test)
            severity = _level(result.status) if result is not None else None
            if result is None or severity is None:
                continue
            sites = tuple(t for t in _tested_nodes(walk.test_nodes[test]) if t in walk.in_closure)
            if not _test_failure_explained(walk, test, result.status, sites):
                failure = _result_failure(test, result, severity, sites, is_test=True)
                if result.status == "skipped" and not result.message:
                    failure.message = _skip_reason(walk, test, sites)
                walk.add(failure)


def _test_failure_explained(walk: _Walk, test: str, status: str, sites: tuple[str, ...]) -> bool:
    if test.startswith("unit_test."):
        # A unit test runs on fixtures before its model: only an error above skips it.
        return status == "skipped" and any(walk.error_above.get(site, False) for site in sites)
    if any(walk.explains(site) for site in sites):
        return True
    return status == "skipped" and any(walk.skip_is_explained(site) for site in sites)


def _skip_reason(walk: _Walk, test: str, sites: tuple[str, ...]) -> str | None:
    """Why dbt skipped ``test`` when not for its own model: another model it reads failed.

    A relationships test reads two models; when the other one (maybe outside the dashboard's
    lineage) failed or was skipped, dbt skips the test and says nothing in run_results.
    """
    for parent in depends_on_nodes(walk.test_nodes[test]):
        result = walk.run.get(parent)
        if parent in sites or result is None or _level(result.status) is None:
            continue
        kind, name = _display_name(walk.manifest, parent)
        if result.status != "skipped":
            return f"skipped: it also reads {kind} {name}, which ended in {result.status}"
        reason = f"skipped: it also reads {kind} {name}, which was skipped"
        origin = _error_upstream(walk, parent)
        if origin is not None:
            origin_kind, origin_name = _display_name(walk.manifest, origin)
            verb = "errored" if walk.run[origin].status == "error" else "failed"
            reason += f" because {origin_kind} {origin_name} {verb}"
        return reason
    return None


def _error_upstream(walk: _Walk, start: str) -> str | None:
    """The nearest node above ``start`` whose result is error-level (breadth first), or None."""
    seen = {start}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for parent in _parents_of(walk.manifest, node):
                if not isinstance(parent, str) or parent in seen or parent.startswith(TEST_PREFIXES):
                    continue
                seen.add(parent)
                result = walk.run.get(parent)
                if result is not None and result.status in _STALE_STATUSES:
                    return parent
                following.append(parent)
        frontier = following
    return None


def _result_failure(
    unique_id: str, result: NodeResult, severity: Status, sites: tuple[str, ...], *, is_test: bool
) -> _Failure:
    return _Failure(
        unique_id,
        result.status,
        severity,
        sites,
        is_test,
        result.message,
        result.failures,
        result.completed_at,
        result.execution_time,
    )


def _propagate(walk: _Walk) -> None:
    """Phase 4: root-cause bits and "something ran" flow from parents to children.

    ``depth[n]`` is the length of the longest path from a root to n; it guides the path walk.
    """
    run, fresh, tests_on, own_bits = walk.run, walk.fresh, walk.tests_on, walk.own_bits
    bits, ran, depth = walk.bits, walk.ran, walk.depth
    for node in walk.order:
        mask = own_bits.get(node, 0)
        node_ran = node in run or node in fresh or any(t in run for t in tests_on.get(node, ()))
        node_depth = 0
        for parent in walk.parents[node]:
            mask |= bits.get(parent, 0)
            node_ran = node_ran or ran.get(parent, False)
            parent_depth = depth.get(parent, 0) + 1
            if parent_depth > node_depth:
                node_depth = parent_depth
        bits[node] = mask
        ran[node] = node_ran
        depth[node] = node_depth


def _path_from(walk: _Walk, node: str, index: int) -> tuple[str, ...]:
    """Path from the site of failure ``index`` down to ``node`` (both included), memoised."""
    bit = 1 << index
    chain: list[str] = []
    current = node
    prefix: tuple[str, ...] = ()
    while True:
        cached = walk.path_memo.get((current, index))
        if cached is not None:
            prefix = cached
            break
        chain.append(current)
        if walk.own_bits.get(current, 0) & bit:
            break
        # Step to a parent carrying the bit: the site itself if it is a parent, else the one
        # closest to the roots (fewest steps left, usually). Some parent always carries it.
        best: str | None = None
        for parent in walk.parents.get(current, ()):
            if walk.bits.get(parent, 0) & bit:
                if walk.own_bits.get(parent, 0) & bit:
                    best = parent
                    break
                if best is None or walk.depth[parent] < walk.depth[best]:
                    best = parent
        if best is None:  # cannot happen: a bit always comes from the node itself or a parent
            break
        current = best
    # chain runs from `node` up to the site; fill the memo from the site down.
    path = prefix
    for item in reversed(chain):
        path = (*path, item)
        walk.path_memo[(item, index)] = path
    return path


def _build_report(walk: _Walk, results: RunResults | None, freshness: SourceFreshness | None) -> HealthReport:
    """Phase 5: per exposure, the OR of its dependencies' bits decoded into causes with paths."""
    items = [_exposure_health(walk, uid, exposure) for uid, exposure in walk.manifest.exposures.items()]
    items.sort(key=lambda item: (-item.status.rank, item.name, item.unique_id))
    stamps = [
        stamp
        for stamp in (
            results.generated_at if results else None,
            freshness.generated_at if freshness else None,
        )
        if stamp
    ]
    invocation_ids = tuple(results.invocation_ids) if results else ()
    if freshness is not None and freshness.invocation_id and freshness.invocation_id not in invocation_ids:
        invocation_ids = (*invocation_ids, freshness.invocation_id)
    return HealthReport(
        exposures=items,
        project_name=walk.manifest.project_name,
        generated_at=max(stamps) if stamps else None,
        invocation_ids=invocation_ids,
    )


def _exposure_health(walk: _Walk, unique_id: str, exposure: dict[str, Any]) -> ExposureHealth:
    deps = [dep for dep in depends_on_nodes(exposure) if dep in walk.bits]
    mask = 0
    exposure_ran = False
    for dep in deps:
        mask |= walk.bits[dep]
        exposure_ran = exposure_ran or walk.ran[dep]
    causes: list[Cause] = []
    while mask:
        low = mask & -mask
        index = low.bit_length() - 1
        mask ^= low
        failure = walk.failures[index]
        dep = next(dep for dep in deps if walk.bits[dep] & low)
        path = (*_path_from(walk, dep, index), unique_id)
        if failure.is_test:
            path = (failure.unique_id, *path)
        resource_type, name = _display_name(walk.manifest, failure.unique_id)
        causes.append(
            Cause(
                unique_id=failure.unique_id,
                resource_type=resource_type,
                name=name,
                status=failure.status,
                message=failure.message,
                failures=failure.failures,
                completed_at=failure.completed_at,
                execution_time=failure.execution_time,
                path=path,
                severity=failure.severity,
            )
        )
    causes.sort(key=lambda cause: (-cause.severity.rank, cause.unique_id))
    status = causes[0].severity if causes else (Status.FRESH if exposure_ran else Status.UNKNOWN)
    owner = dict_at(exposure, "owner")
    tags, meta = _tags_and_meta(exposure)
    return ExposureHealth(
        unique_id=unique_id,
        name=str(exposure.get("name") or unique_id.rsplit(".", 1)[-1]),
        label=_str_or_none(exposure.get("label")),
        type=str(exposure.get("type") or ""),
        maturity=_str_or_none(exposure.get("maturity")),
        url=_str_or_none(exposure.get("url")),
        owner_name=_str_or_none(owner.get("name")),
        owner_email=_str_or_none(owner.get("email")),
        tags=tags,
        meta=meta,
        status=status,
        causes=tuple(causes),
        original_file_path=_str_or_none(exposure.get("original_file_path")),
    )
