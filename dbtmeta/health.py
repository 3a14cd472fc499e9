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
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from dbtmeta.artifacts import Manifest, RunResults, SourceFreshness, gc_paused


class Status(str, enum.Enum):
    """Health of an exposure. Ordered by severity: fresh < unknown < at_risk < stale."""

    FRESH = "fresh"
    UNKNOWN = "unknown"
    AT_RISK = "at_risk"
    STALE = "stale"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Status):
            return NotImplemented
        return _RANK[self] < _RANK[other]

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Status):
            return NotImplemented
        return _RANK[self] <= _RANK[other]

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Status):
            return NotImplemented
        return _RANK[self] > _RANK[other]

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Status):
            return NotImplemented
        return _RANK[self] >= _RANK[other]

    def __str__(self) -> str:
        return self.value


_RANK = {status: rank for rank, status in enumerate(Status)}  # the order of definition
UNHEALTHY = frozenset({Status.AT_RISK.value, Status.STALE.value})


def status_name(status: Any) -> str:
    """``Status.STALE`` or ``"stale"`` -> ``"stale"``."""
    return str(getattr(status, "value", status))


@dataclass(frozen=True)
class Cause:
    """One root cause of an unhealthy exposure.

    ``status`` is dbt's own status of the result, lower case: ``error``, ``fail``, ``warn``,
    ``skipped``, ``partial success`` (run results) or ``error``, ``warn``, ``runtime error``
    (source freshness; then ``resource_type`` is ``source``). ``failures`` is the failing row
    count of a test. ``path`` lists unique ids from the cause to the exposure: for a test
    ``(test, node it tests, ..., exposure)``, for a node ``(node, ..., exposure)``.
    ``severity`` is the health this cause alone gives (``stale`` or ``at_risk``).
    """

    unique_id: str
    resource_type: str
    name: str
    status: str
    message: str | None
    failures: int | None
    completed_at: str | None
    execution_time: float | None
    path: tuple[str, ...]
    severity: Status = Status.STALE


@dataclass(frozen=True)
class ExposureHealth:
    """Health of one exposure. ``causes`` is empty unless status is stale/at_risk; worst first."""

    unique_id: str
    name: str
    label: str | None
    type: str
    maturity: str | None
    url: str | None
    owner_name: str | None
    owner_email: str | None
    tags: tuple[str, ...]
    meta: dict[str, Any]
    status: Status
    causes: tuple[Cause, ...]
    original_file_path: str | None


@dataclass
class HealthReport:
    """All enabled exposures of the manifest, worst status first, then by name."""

    exposures: list[ExposureHealth]
    project_name: str
    generated_at: str | None  # newest generated_at of the run results / sources given
    invocation_ids: tuple[str, ...]

    @property
    def counts(self) -> dict[str, int]:
        """Status value -> number of exposures, every status present."""
        counts = {status.value: 0 for status in Status}
        for item in self.exposures:
            counts[item.status.value] += 1
        return counts

    def worst(self) -> Status:
        """The worst status of any exposure (FRESH when there are none)."""
        return max((item.status for item in self.exposures), default=Status.FRESH)


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


def _depends_on(node: dict[str, Any]) -> list[str]:
    depends = node.get("depends_on")
    if isinstance(depends, dict):
        ids = depends.get("nodes")
        if isinstance(ids, list):
            return [item for item in ids if isinstance(item, str)]
    return []


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
    return _depends_on(node) if node is not None else []


# dbt's unique ids start with the resource type: a prefix check tells tests apart without a lookup.
_TEST_PREFIXES = ("test.", "unit_test.")


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
                    if isinstance(p, str) and not p.startswith(_TEST_PREFIXES)
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
    depends = _depends_on(node)
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


def _freshness_message(result: Any) -> str | None:
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
        return "source", f"{source.get('source_name') or ''}.{source.get('name') or ''}".strip(".")
    return unique_id.split(".", 1)[0], unique_id.rsplit(".", 1)[-1]


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _tags_and_meta(exposure: dict[str, Any]) -> tuple[tuple[str, ...], dict[str, Any]]:
    config = exposure.get("config") if isinstance(exposure.get("config"), dict) else {}
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

    ``results``: merged run results (:func:`dbtmeta.artifacts.load_run_results`), or None.
    ``freshness``: ``dbt source freshness`` results (:func:`dbtmeta.artifacts.load_sources`), or None.
    """
    with gc_paused():
        return _compute_health(manifest, results, freshness)


def _compute_health(
    manifest: Manifest,
    results: RunResults | None,
    freshness: SourceFreshness | None,
) -> HealthReport:
    run = results.results if results is not None else {}
    fresh = freshness.results if freshness is not None else {}
    exposures = manifest.exposures

    # 1. The part of the graph that matters: everything upstream of an exposure, in topological order.
    roots = [dep for exposure in exposures.values() for dep in _depends_on(exposure)]
    order, parents = _topological_closure(manifest, roots)
    in_closure = set(order)

    # Tests on nodes of the closure, by tested node.
    # Unit tests (manifest v12 `unit_tests`) are on the model they test; they run before it, and
    # dbt build skips the model when one fails.
    test_nodes: dict[str, dict[str, Any]] = {}
    tests_on: dict[str, list[str]] = {}
    unit_tests = manifest.extra.get("unit_tests")
    groups = [manifest.nodes, unit_tests] if isinstance(unit_tests, dict) else [manifest.nodes]
    for group in groups:
        for unique_id, node in group.items():
            if not unique_id.startswith(_TEST_PREFIXES) or not isinstance(node, dict):
                continue
            test_nodes[unique_id] = node
            for tested in _tested_nodes(node):
                if tested in in_closure:
                    tests_on.setdefault(tested, []).append(unique_id)

    def unit_test_failed(node: str) -> bool:
        return any(
            test.startswith("unit_test.") and test in run and run[test].status in _STALE_STATUSES
            for test in tests_on.get(node, ())
        )

    # 2. error_above[n]: an error-level failure sits on a proper ancestor of n or on a test of one.
    error_here: dict[str, bool] = {}
    error_above: dict[str, bool] = {}
    for node in order:
        above = False
        for parent in parents[node]:
            if error_here.get(parent) or error_above.get(parent):
                above = True
                break
        error_above[node] = above
        here = (run[node].status in _STALE_STATUSES) if node in run else False
        if not here:
            for test in tests_on.get(node, ()):
                test_result = run.get(test)
                if test_result is not None and test_result.status in _STALE_STATUSES:
                    here = True
                    break
        error_here[node] = here

    def explains(node: str) -> bool:
        """A bad result of ``node`` explains bad results of its tests."""
        status = run[node].status if node in run else None
        return status in _STALE_STATUSES or (status == "skipped" and skip_is_explained(node))

    def skip_is_explained(node: str) -> bool:
        """dbt skipped ``node`` because of an error-level failure above it or of its unit test."""
        return error_above.get(node, False) or unit_test_failed(node)

    # 3. Root causes, each one bit; own_bits[n] = bits of the root causes sitting on n.
    failures: list[_Failure] = []
    own_bits: dict[str, int] = {}

    def add(failure: _Failure) -> None:
        bit = 1 << len(failures)
        failures.append(failure)
        for site in failure.site:
            own_bits[site] = own_bits.get(site, 0) | bit

    for node in order:
        result = run.get(node)
        if result is not None:
            level = _level(result.status)
            if level is not None and not (result.status == "skipped" and skip_is_explained(node)):
                add(
                    _Failure(
                        node,
                        result.status,
                        level,
                        (node,),
                        False,
                        result.message,
                        result.failures,
                        result.completed_at,
                        result.execution_time,
                    )
                )
        fresh_result = fresh.get(node)
        if fresh_result is not None:
            level = _level(fresh_result.status)
            if level is not None:
                add(
                    _Failure(
                        node,
                        fresh_result.status,
                        level,
                        (node,),
                        False,
                        _freshness_message(fresh_result),
                        None,
                        fresh_result.snapshotted_at,
                        fresh_result.execution_time,
                    )
                )
    seen_tests: set[str] = set()
    for node in order:
        for test in tests_on.get(node, ()):
            if test in seen_tests:
                continue
            seen_tests.add(test)
            result = run.get(test)
            if result is None:
                continue
            level = _level(result.status)
            if level is None:
                continue
            sites = tuple(t for t in _tested_nodes(test_nodes[test]) if t in in_closure)
            if test.startswith("unit_test."):
                # A unit test runs on fixtures before its model: only an error above skips it.
                explained = result.status == "skipped" and any(error_above.get(site, False) for site in sites)
            else:
                explained = any(explains(site) for site in sites)
                if result.status == "skipped" and not explained:
                    explained = any(skip_is_explained(site) for site in sites)
            if explained:
                continue
            add(
                _Failure(
                    test,
                    result.status,
                    level,
                    sites,
                    True,
                    result.message,
                    result.failures,
                    result.completed_at,
                    result.execution_time,
                )
            )

    # 4. Propagate root-cause bits and "something ran" from parents to children.
    # level[n]: length of the longest path from a root to n (guides the path walk below).
    bits: dict[str, int] = {}
    ran: dict[str, bool] = {}
    level: dict[str, int] = {}
    for node in order:
        mask = own_bits.get(node, 0)
        node_ran = node in run or node in fresh or any(test in run for test in tests_on.get(node, ()))
        node_level = 0
        for parent in parents[node]:
            parent_mask = bits.get(parent)
            if parent_mask:
                mask |= parent_mask
            if not node_ran and ran.get(parent):
                node_ran = True
            parent_level = level.get(parent, 0) + 1
            if parent_level > node_level:
                node_level = parent_level
        bits[node] = mask
        ran[node] = node_ran
        level[node] = node_level

    # 5. Per exposure: OR of its dependencies, decode bits, recover paths.
    path_memo: dict[tuple[str, int], tuple[str, ...]] = {}

    def path_from(node: str, index: int) -> tuple[str, ...]:
        """Path from the site of failure ``index`` down to ``node`` (both included)."""
        bit = 1 << index
        chain: list[str] = []
        current = node
        while True:
            cached = path_memo.get((current, index))
            if cached is not None:
                prefix = cached
                break
            chain.append(current)
            if own_bits.get(current, 0) & bit:
                prefix = ()
                break
            # Step to a parent carrying the bit: the site itself if it is a parent, else the one
            # closest to the roots (fewest steps left, usually). Some parent always carries it.
            best: str | None = None
            for parent in parents.get(current, ()):
                if bits.get(parent, 0) & bit:
                    if own_bits.get(parent, 0) & bit:
                        best = parent
                        break
                    if best is None or level[parent] < level[best]:
                        best = parent
            if best is None:  # cannot happen: a bit always comes from the node itself or a parent
                prefix = ()
                break
            current = best
        # chain runs from `node` up to the site; fill the memo from the site down.
        path = prefix
        for item in reversed(chain):
            path = (*path, item)
            path_memo[(item, index)] = path
        return path

    report_items: list[ExposureHealth] = []
    for unique_id, exposure in exposures.items():
        deps = [dep for dep in _depends_on(exposure) if dep in bits]
        mask = 0
        exposure_ran = False
        for dep in deps:
            mask |= bits[dep]
            exposure_ran = exposure_ran or ran[dep]
        causes: list[Cause] = []
        while mask:
            low = mask & -mask
            index = low.bit_length() - 1
            mask ^= low
            failure = failures[index]
            dep = next(dep for dep in deps if bits[dep] & low)
            path = (*path_from(dep, index), unique_id)
            if failure.is_test:
                path = (failure.unique_id, *path)
            resource_type, name = _display_name(manifest, failure.unique_id)
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
        if causes:
            status = causes[0].severity
        elif exposure_ran:
            status = Status.FRESH
        else:
            status = Status.UNKNOWN
        owner = exposure.get("owner") if isinstance(exposure.get("owner"), dict) else {}
        tags, meta = _tags_and_meta(exposure)
        report_items.append(
            ExposureHealth(
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
        )
    report_items.sort(key=lambda item: (-item.status.rank, item.name, item.unique_id))
    generated = [
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
        exposures=report_items,
        project_name=manifest.project_name,
        generated_at=max(generated) if generated else None,
        invocation_ids=invocation_ids,
    )
