"""Exposure health: real dbt runs of the example project, hand-made graphs for the edge cases, and a
property test against a naive per-exposure reference implementation of the same rules."""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dbtmeta.dbt.artifacts import (
    load_manifest,
    load_run_results,
    load_sources,
    manifest_from_dict,
    run_results_from_dicts,
    sources_from_dict,
)
from dbtmeta.health.compute import compute_health
from dbtmeta.health.model import HealthReport, Status

SCHEMA = "https://schemas.getdbt.com/dbt/{kind}/v{version}.json"
REPO = Path(__file__).resolve().parent.parent

WARN_TEST = (
    "test.greenery.accepted_values_stg_events_event_type__page_view__add_to_cart__checkout__package_shipped"
    ".be201af839"
)
PRODUCTS_TEST = "test.greenery.positive_values_dim_products_True__inventory.464a352a31"
PRODUCTS_SOURCE = "source.greenery.greenery.products"
STG_PROMOS = "model.greenery.stg_promos"


# ------------------------------------------------------------------ helpers for hand-made graphs


def _node(uid: str, deps: list[str] | None = None, attached: str | None = None) -> dict:
    resource_type = uid.split(".", 1)[0]
    node = {
        "unique_id": uid,
        "resource_type": resource_type,
        "name": uid.split(".")[2] if uid.count(".") >= 2 else uid,
        "package_name": "p",
        "depends_on": {"macros": [], "nodes": deps or []},
        "config": {"enabled": True},
    }
    if resource_type == "test":
        node["attached_node"] = attached
    return node


def build(
    graph: dict[str, list[str]],
    exposures: dict[str, list[str]],
    results: dict[str, str] | None = None,
    freshness: dict[str, str] | None = None,
    attached: dict[str, str | None] | None = None,
    use_parent_map: bool = True,
) -> HealthReport:
    """graph: unique id -> parents (tests too); exposures: name -> dependencies."""
    attached = attached or {}
    nodes, sources = {}, {}
    for uid, deps in graph.items():
        if uid.startswith("source."):
            sources[uid] = {"unique_id": uid, "resource_type": "source", "name": uid.split(".")[-1]}
        else:
            default = deps[0] if uid.startswith("test.") and len(deps) == 1 else None
            nodes[uid] = _node(uid, deps, attached.get(uid, default))
    exposure_nodes = {
        f"exposure.p.{name}": {
            "unique_id": f"exposure.p.{name}",
            "name": name,
            "type": "dashboard",
            "owner": {"name": "Ann", "email": "ann@example.com"},
            "depends_on": {"nodes": deps},
            "config": {"enabled": True, "tags": ["t"], "meta": {"m": 1}},
        }
        for name, deps in exposures.items()
    }
    parent_map = {**graph, **{uid: e["depends_on"]["nodes"] for uid, e in exposure_nodes.items()}}
    manifest = manifest_from_dict(
        {
            "metadata": {
                "dbt_schema_version": SCHEMA.format(kind="manifest", version=12),
                "project_name": "p",
            },
            "nodes": nodes,
            "sources": sources,
            "exposures": exposure_nodes,
            "parent_map": parent_map if use_parent_map else None,
            "child_map": {},
            "disabled": {},
        }
    )
    run = None
    if results is not None:
        run = run_results_from_dicts(
            [
                (
                    {
                        "metadata": {
                            "dbt_schema_version": SCHEMA.format(kind="run-results", version=6),
                            "generated_at": "2026-01-01T00:00:00Z",
                            "invocation_id": "inv",
                        },
                        "results": [
                            {"unique_id": uid, "status": status, "timing": [], "message": f"{uid} {status}"}
                            for uid, status in results.items()
                        ],
                        "args": {"which": "build"},
                    },
                    "rr.json",
                )
            ]
        )
    fresh = None
    if freshness is not None:
        fresh = sources_from_dict(
            {
                "metadata": {"dbt_schema_version": SCHEMA.format(kind="sources", version=3)},
                "results": [{"unique_id": uid, "status": status} for uid, status in freshness.items()],
            }
        )
    return compute_health(manifest, run, fresh)


def by_name(report: HealthReport) -> dict:
    return {item.name: item for item in report.exposures}


def causes(item) -> dict[str, str]:
    return {cause.unique_id: cause.status for cause in item.causes}


# ------------------------------------------------------------------ unit tests on hand-made graphs

CHAIN = {
    "seed.p.raw": [],
    "model.p.a": ["seed.p.raw"],
    "model.p.b": ["model.p.a"],
    "model.p.c": ["model.p.b"],
    "test.p.t_a": ["model.p.a"],
    "test.p.t_c": ["model.p.c"],
}


def test_skipped_children_point_at_the_erroring_parent():
    report = build(
        CHAIN,
        {"e": ["model.p.c"]},
        {"seed.p.raw": "success", "model.p.a": "error", "model.p.b": "skipped", "model.p.c": "skipped",
         "test.p.t_a": "skipped", "test.p.t_c": "skipped"},
    )  # fmt: skip
    item = by_name(report)["e"]
    assert item.status is Status.STALE
    assert causes(item) == {"model.p.a": "error"}
    (cause,) = item.causes
    assert cause.path == ("model.p.a", "model.p.b", "model.p.c", "exposure.p.e")
    assert cause.message == "model.p.a error"
    assert cause.resource_type == "model" and cause.name == "a"
    assert cause.severity is Status.STALE


def test_failing_test_skips_children_and_is_the_root_cause():
    report = build(
        CHAIN,
        {"e": ["model.p.c"]},
        {"seed.p.raw": "success", "model.p.a": "success", "test.p.t_a": "fail", "model.p.b": "skipped",
         "model.p.c": "skipped", "test.p.t_c": "skipped"},
    )  # fmt: skip
    item = by_name(report)["e"]
    assert (item.status, causes(item)) == (Status.STALE, {"test.p.t_a": "fail"})
    assert item.causes[0].path == ("test.p.t_a", "model.p.a", "model.p.b", "model.p.c", "exposure.p.e")


def test_skip_without_an_upstream_error_is_its_own_cause():
    report = build(CHAIN, {"e": ["model.p.c"]}, {"model.p.a": "success", "model.p.b": "skipped"})
    item = by_name(report)["e"]
    assert (item.status, causes(item)) == (Status.AT_RISK, {"model.p.b": "skipped"})


def test_tests_on_a_model_that_did_not_build_are_explained_by_it():
    # `dbt run` then `dbt test`: tests of an errored model (and of its skipped child) error too.
    report = build(
        CHAIN,
        {"e": ["model.p.c"]},
        {"model.p.a": "error", "model.p.b": "skipped", "model.p.c": "skipped", "test.p.t_a": "error",
         "test.p.t_c": "fail"},
    )  # fmt: skip
    assert causes(by_name(report)["e"]) == {"model.p.a": "error"}


def test_warn_and_partial_success_are_at_risk():
    report = build(
        CHAIN,
        {"e": ["model.p.c"], "f": ["model.p.a"]},
        {"model.p.a": "success", "test.p.t_a": "warn", "model.p.c": "partial success"},
    )
    items = by_name(report)
    assert (items["e"].status, causes(items["e"])) == (
        Status.AT_RISK,
        {"test.p.t_a": "warn", "model.p.c": "partial success"},
    )
    assert (items["f"].status, causes(items["f"])) == (Status.AT_RISK, {"test.p.t_a": "warn"})


def test_worst_cause_first_and_status_is_worst():
    report = build(CHAIN, {"e": ["model.p.c"]}, {"test.p.t_a": "warn", "test.p.t_c": "fail"})
    item = by_name(report)["e"]
    assert item.status is Status.STALE
    assert [c.unique_id for c in item.causes] == ["test.p.t_c", "test.p.t_a"]
    assert [c.severity for c in item.causes] == [Status.STALE, Status.AT_RISK]


SOURCES_GRAPH = {
    "source.p.raw.orders": [],
    "source.p.raw.users": [],
    "model.p.orders": ["source.p.raw.orders"],
    "model.p.users": ["source.p.raw.users"],
    "model.p.joined": ["model.p.orders", "model.p.users"],
    "test.p.src_not_null": ["source.p.raw.orders"],  # source test: attached_node null
    "test.p.singular": ["model.p.orders", "model.p.users"],  # singular test: attached_node null
    "test.p.relationships": ["model.p.users", "model.p.orders"],  # attached to orders
}
SOURCES_ATTACHED = {
    "test.p.src_not_null": None,
    "test.p.singular": None,
    "test.p.relationships": "model.p.orders",
}


def test_freshness_errors_warnings_and_runtime_errors():
    report = build(
        SOURCES_GRAPH,
        {"o": ["model.p.orders"], "u": ["model.p.users"], "j": ["model.p.joined"]},
        {"model.p.orders": "success", "model.p.users": "success"},
        {"source.p.raw.orders": "warn", "source.p.raw.users": "runtime error"},
        SOURCES_ATTACHED,
    )
    items = by_name(report)
    assert (items["o"].status, causes(items["o"])) == (Status.AT_RISK, {"source.p.raw.orders": "warn"})
    assert (items["u"].status, causes(items["u"])) == (Status.STALE, {"source.p.raw.users": "runtime error"})
    assert items["j"].status is Status.STALE
    assert items["u"].causes[0].resource_type == "source"
    assert items["u"].causes[0].name == "raw.users"


def test_source_and_singular_tests_fall_back_to_depends_on():
    report = build(
        SOURCES_GRAPH,
        {"o": ["model.p.orders"], "u": ["model.p.users"]},
        {"test.p.src_not_null": "fail", "test.p.singular": "warn"},
        None,
        SOURCES_ATTACHED,
    )
    items = by_name(report)
    assert causes(items["o"]) == {"test.p.src_not_null": "fail", "test.p.singular": "warn"}
    assert causes(items["u"]) == {"test.p.singular": "warn"}
    src_cause = next(c for c in items["o"].causes if c.unique_id == "test.p.src_not_null")
    assert src_cause.path == ("test.p.src_not_null", "source.p.raw.orders", "model.p.orders", "exposure.p.o")


def test_relationships_test_counts_for_its_own_model_only():
    report = build(
        SOURCES_GRAPH,
        {"o": ["model.p.orders"], "u": ["model.p.users"]},
        {"model.p.orders": "success", "model.p.users": "success", "test.p.relationships": "fail"},
        None,
        SOURCES_ATTACHED,
    )
    items = by_name(report)
    assert causes(items["o"]) == {"test.p.relationships": "fail"}
    assert items["u"].status is Status.FRESH


def test_unknown_when_nothing_upstream_ran():
    report = build(CHAIN, {"e": ["model.p.c"], "other": ["model.p.x"]}, {"seed.p.unrelated": "success"})
    items = by_name(report)
    assert items["e"].status is Status.UNKNOWN
    assert items["other"].status is Status.UNKNOWN  # depends on a node missing from the manifest
    report = build(CHAIN, {"e": ["model.p.c"]}, None, None)
    assert by_name(report)["e"].status is Status.UNKNOWN
    # a passing test upstream is enough to know something
    assert by_name(build(CHAIN, {"e": ["model.p.c"]}, {"test.p.t_a": "pass"}))["e"].status is Status.FRESH


def test_depends_on_is_used_when_parent_map_is_missing():
    report = build(CHAIN, {"e": ["model.p.c"]}, {"model.p.a": "error"}, use_parent_map=False)
    assert causes(by_name(report)["e"]) == {"model.p.a": "error"}


def test_a_cycle_does_not_hang():
    graph = {"model.p.a": ["model.p.b"], "model.p.b": ["model.p.a"]}
    report = build(graph, {"e": ["model.p.a"]}, {"model.p.b": "error"})
    assert by_name(report)["e"].status is Status.STALE


def test_long_chain_has_no_recursion_limit():
    depth = sys.getrecursionlimit() * 3
    graph = {"model.p.m0": []}
    for i in range(1, depth):
        graph[f"model.p.m{i}"] = [f"model.p.m{i - 1}"]
    report = build(graph, {"e": [f"model.p.m{depth - 1}"]}, {"model.p.m0": "error"})
    (cause,) = by_name(report)["e"].causes
    assert len(cause.path) == depth + 1


def test_exposure_fields_and_report_order():
    report = build(CHAIN, {"zeta": ["model.p.c"], "alpha": ["model.p.a"]}, {"model.p.b": "error"})
    assert [item.name for item in report.exposures] == ["zeta", "alpha"]  # worst first, then name
    item = report.exposures[1]
    assert (item.owner_name, item.owner_email, item.tags, item.meta) == (
        "Ann",
        "ann@example.com",
        ("t",),
        {"m": 1},
    )
    assert report.counts == {"fresh": 0, "unknown": 1, "at_risk": 0, "stale": 1}  # b is below a
    assert report.worst() is Status.STALE
    assert report.project_name == "p"
    assert report.invocation_ids == ("inv",)


def test_status_order():
    assert Status.FRESH < Status.UNKNOWN < Status.AT_RISK < Status.STALE
    assert max([Status.AT_RISK, Status.STALE, Status.FRESH]) is Status.STALE
    assert Status("at_risk") is Status.AT_RISK and str(Status.STALE) == "stale"
    assert json.dumps({"s": Status.STALE}) == '{"s": "stale"}'


# ------------------------------------------------------------------ property test vs a naive reference

_STALE = {"error", "fail", "runtime error"}
_RISK = {"warn", "skipped", "partial success"}


def _severity(status: str | None) -> int:
    return 3 if status in _STALE else 2 if status in _RISK else 0


def reference(graph, exposures, results, freshness, attached) -> dict[str, tuple[str, dict[str, str]]]:
    """The rules of dbtmeta.health, computed the slow obvious way: one ancestor search per exposure."""
    is_test = {uid: uid.startswith("test.") for uid in graph}

    def ancestors(starts):
        seen, stack = set(), [s for s in starts if s in graph]
        while stack:
            node = stack.pop()
            if node in seen or is_test[node]:
                continue
            seen.add(node)
            stack.extend(p for p in graph[node] if p in graph)
        return seen

    def tested(test):
        if attached.get(test):
            return [attached[test]]
        return graph[test]

    everything = ancestors([d for deps in exposures.values() for d in deps])
    tests_on = {}
    for uid in graph:
        if is_test[uid]:
            for site in tested(uid):
                if site in everything:
                    tests_on.setdefault(site, []).append(uid)

    def error_above(node):
        for a in ancestors(graph[node]):
            if results.get(a) in _STALE or any(results.get(t) in _STALE for t in tests_on.get(a, [])):
                return True
        return False

    out = {}
    for name, deps in exposures.items():
        closure = ancestors(deps)
        tests = {t for n in closure for t in tests_on.get(n, [])}
        roots = {}
        for n in closure:
            status = results.get(n)
            if _severity(status) and not (status == "skipped" and error_above(n)):
                roots[n] = status
            if _severity(freshness.get(n)):
                roots[n] = freshness[n]  # sources have no run results
        for t in tests:
            status = results.get(t)
            if not _severity(status):
                continue
            sites = [s for s in tested(t) if s in everything]
            explained = any(
                results.get(s) in _STALE or (results.get(s) == "skipped" and error_above(s)) for s in sites
            )
            if status == "skipped" and not explained:
                explained = any(error_above(s) for s in sites)
            if not explained:
                roots[t] = status
        if roots:
            level = max(_severity(s) for s in roots.values())
            verdict = "stale" if level == 3 else "at_risk"
        elif any(n in results or n in freshness for n in closure) or any(t in results for t in tests):
            verdict = "fresh"
        else:
            verdict = "unknown"
        out[name] = (verdict, roots)
    return out


@st.composite
def scenarios(draw):
    n_nodes = draw(st.integers(1, 14))
    graph, attached = {}, {}
    ids = []
    for i in range(n_nodes):
        kind = draw(st.sampled_from(["model", "model", "seed", "source", "snapshot"]))
        uid = f"source.p.s.n{i}" if kind == "source" else f"{kind}.p.n{i}"
        parents = (
            []
            if kind in ("source", "seed") or not ids
            else draw(st.lists(st.sampled_from(ids), max_size=3, unique=True))
        )
        graph[uid] = parents
        ids.append(uid)
    for i in range(draw(st.integers(0, 8))):
        uid = f"test.p.t{i}"
        deps = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=2, unique=True))
        graph[uid] = deps
        attached[uid] = draw(st.sampled_from([None, *deps])) if not deps[0].startswith("source.") else None
    exposures = {
        f"e{i}": draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True))
        for i in range(draw(st.integers(1, 4)))
    }
    results, freshness = {}, {}
    for uid in graph:
        if uid.startswith("source."):
            status = draw(st.sampled_from([None, "pass", "warn", "error", "runtime error"]))
            if status:
                freshness[uid] = status
        elif uid.startswith("test."):
            status = draw(st.sampled_from([None, "pass", "pass", "fail", "warn", "error", "skipped"]))
            if status:
                results[uid] = status
        else:
            status = draw(
                st.sampled_from([None, "success", "success", "error", "skipped", "partial success"])
            )
            if status:
                results[uid] = status
    return graph, exposures, results, freshness, attached


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_matches_naive_reference(scenario):
    graph, exposures, results, freshness, attached = scenario
    report = build(graph, exposures, results, freshness, attached)
    expected = reference(graph, exposures, results, freshness, attached)
    for item in report.exposures:
        verdict, roots = expected[item.name]
        assert item.status.value == verdict, item.name
        assert causes(item) == roots, item.name
        for cause in item.causes:  # every path is a real path from the cause down to the exposure
            path = list(cause.path)
            assert path[0] == cause.unique_id and path[-1] == item.unique_id
            hops = list(itertools.pairwise(path))
            if cause.unique_id.startswith("test."):
                first, second = hops.pop(0)
                assert second in ([attached[first]] if attached.get(first) else graph[first])
            for parent, child in hops:
                parents = exposures[item.name] if child == item.unique_id else graph[child]
                assert parent in parents


# ------------------------------------------------------------------ real dbt runs of the example project


def _report(directory: Path, run_results: list[str], with_sources: bool = True) -> HealthReport:
    manifest = load_manifest(directory / "manifest.json")
    results = load_run_results([directory / name for name in run_results], manifest) if run_results else None
    freshness = load_sources(directory / "sources.json", manifest) if with_sources else None
    return compute_health(manifest, results, freshness)


def _assert_failure_scenario(report: HealthReport) -> None:
    items = by_name(report)
    assert {name: item.status.value for name, item in items.items()} == {
        "product_funnel": "at_risk",
        "inventory_health": "stale",
        "orders_overview": "stale",
        "weekly_marketing_report": "stale",
        "customers": "fresh",
    }
    assert causes(items["product_funnel"]) == {WARN_TEST: "warn"}
    # inventory_health also reads fact_page_views, which is downstream of the warning events test:
    # two stale causes (the failing products test, the products freshness error) and one at_risk one.
    inventory = items["inventory_health"]
    assert {c.unique_id: c.status for c in inventory.causes if c.severity is Status.STALE} == {
        PRODUCTS_TEST: "fail",
        PRODUCTS_SOURCE: "error",
    }
    assert {c.unique_id for c in inventory.causes if c.severity is Status.AT_RISK} == {WARN_TEST}
    assert causes(items["orders_overview"]) == {STG_PROMOS: "error"}  # not its skipped children
    assert causes(items["weekly_marketing_report"]) == {STG_PROMOS: "error"}
    assert items["customers"].causes == ()

    promos = items["weekly_marketing_report"].causes[0]
    assert promos.path == (
        STG_PROMOS,
        "model.greenery.fact_orders",
        "model.greenery.user_order_facts",
        "exposure.greenery.weekly_marketing_report",
    )
    assert promos.resource_type == "model" and promos.name == "stg_promos"
    assert promos.message and "stg_promos" in promos.message
    assert promos.completed_at and promos.execution_time is not None
    products_test = next(c for c in inventory.causes if c.unique_id == PRODUCTS_TEST)
    assert products_test.failures and products_test.failures > 0
    assert (
        products_test.path[0] == PRODUCTS_TEST
        and products_test.path[-1] == "exposure.greenery.inventory_health"
    )
    freshness = next(c for c in inventory.causes if c.unique_id == PRODUCTS_SOURCE)
    assert freshness.resource_type == "source" and "freshness" in (freshness.message or "")
    funnel = items["product_funnel"]
    assert (funnel.label, funnel.type) == ("Product Funnel", "dashboard")
    assert funnel.meta.get("looker_id")
    assert items["weekly_marketing_report"].type == "analysis"


def test_failure_scenario_from_one_build(example_build):
    report = _report(example_build.failure, ["run_results.json"])
    _assert_failure_scenario(report)
    assert report.project_name == "greenery"
    assert len(report.invocation_ids) == 2  # the build and the freshness run


def test_failure_scenario_from_separate_run_test_and_freshness(example_build):
    split = ["run_results_seed.json", "run_results_run.json", "run_results_test.json"]
    report = _report(example_build.failure_split, split)
    _assert_failure_scenario(report)
    # the order of the files does not matter
    _assert_failure_scenario(_report(example_build.failure_split, list(reversed(split))))


def test_green_run_is_all_fresh(example_build):
    report = _report(example_build.green, ["run_results.json"])
    assert {item.name: item.status for item in report.exposures} == dict.fromkeys(
        ["customers", "inventory_health", "orders_overview", "product_funnel", "weekly_marketing_report"],
        Status.FRESH,
    )
    assert all(item.causes == () for item in report.exposures)


def test_without_run_results_everything_is_unknown(example_build):
    report = _report(example_build.failure, [], with_sources=False)
    assert {item.status for item in report.exposures} == {Status.UNKNOWN}
    assert report.counts["unknown"] == 5


def test_freshness_alone(example_build):
    items = by_name(_report(example_build.failure, []))
    assert items["inventory_health"].status is Status.STALE
    assert causes(items["inventory_health"]) == {PRODUCTS_SOURCE: "error"}
    assert items["customers"].status is Status.FRESH  # users source freshness passed


def _value(item):
    return getattr(item, "value", item)


def test_loader_agrees_with_dbt_artifacts_parser(example_build):
    """Cross-check the fast loader against dbt-artifacts-parser on real artifacts."""
    pytest.importorskip("dbt_artifacts_parser")
    from dbtmeta.dbt.strict import validate_strict

    directory = example_build.failure
    manifest = load_manifest(directory / "manifest.json")
    parsed = validate_strict(directory / "manifest.json", "manifest")
    assert type(parsed).__name__ == f"ManifestV{manifest.schema_version}"
    assert set(parsed.nodes) == set(manifest.nodes)
    assert set(parsed.sources) == set(manifest.sources)
    assert set(parsed.exposures) == set(manifest.exposures)
    assert parsed.metadata.project_name == manifest.project_name
    for uid, node in parsed.nodes.items():
        assert _value(node.resource_type) == manifest.nodes[uid]["resource_type"]
        assert list(getattr(node.depends_on, "nodes", None) or []) == manifest.nodes[uid]["depends_on"].get(
            "nodes", []
        )
    for uid, exposure in parsed.exposures.items():
        assert list(exposure.depends_on.nodes) == manifest.exposures[uid]["depends_on"]["nodes"]

    results = load_run_results(directory / "run_results.json", manifest)
    parsed_results = validate_strict(directory / "run_results.json", "run_results")
    assert type(parsed_results).__name__ == "RunResultsV6"
    assert {r.unique_id: _value(r.status).lower() for r in parsed_results.results} == {
        uid: r.status for uid, r in results.results.items()
    }
    assert {r.unique_id: r.failures for r in parsed_results.results} == {
        uid: r.failures for uid, r in results.results.items()
    }

    sources = load_sources(directory / "sources.json", manifest)
    parsed_sources = validate_strict(directory / "sources.json", "sources")
    assert type(parsed_sources).__name__ == "SourcesV3"
    assert {r.unique_id: _value(r.status) for r in parsed_sources.results} == {
        uid: r.status for uid, r in sources.results.items()
    }
    for name in ("run_results_seed.json", "run_results_run.json", "run_results_test.json"):
        validate_strict(example_build.failure_split / name, "run_results")


def test_find_artifacts_on_the_example_project(example_build, monkeypatch):
    from dbtmeta.dbt.artifacts import find_artifacts

    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    monkeypatch.setenv("DBT_PROJECT_DIR", str(example_build.project_dir))
    found = find_artifacts()
    assert found.manifest == example_build.project_dir / "target" / "manifest.json"
    assert found.run_results is not None and found.sources is not None
    report = compute_health(
        load_manifest(found.manifest),
        load_run_results(found.run_results),
        load_sources(found.sources),
    )
    assert report.worst() is Status.FRESH


def test_bench_generator_output_loads(tmp_path):
    """Smoke test of bench/gen_project.py at a tiny size: faithful enough to load and analyse."""
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import gen_project
    finally:
        sys.path.pop(0)
    info = gen_project.generate(200, 400, 40, tmp_path)
    manifest = load_manifest(tmp_path / "manifest.json")
    results = load_run_results(tmp_path / "run_results.json", manifest)
    report = compute_health(manifest, results, load_sources(tmp_path / "sources.json", manifest))
    assert len(report.exposures) == info["exposures"] == 40
    assert len(manifest.nodes) >= 600
    assert info["statuses"].get("error", 0) + info["statuses"].get("fail", 0) > 0
    for item in report.exposures:
        for cause in item.causes:  # dbt's skips downstream of errors are never root causes
            assert cause.status != "skipped"
    # faithful to dbt's published schemas
    pytest.importorskip("dbt_artifacts_parser")
    from dbtmeta.dbt.strict import validate_strict

    assert type(validate_strict(tmp_path / "manifest.json", "manifest")).__name__ == "ManifestV12"
    assert type(validate_strict(tmp_path / "run_results.json", "run_results")).__name__ == "RunResultsV6"
    assert type(validate_strict(tmp_path / "sources.json", "sources")).__name__ == "SourcesV3"


def test_old_manifest_relationships_test_attaches_to_its_model():
    """Manifests before v10 have no attached_node: the model comes from test_metadata."""
    graph = {"model.p.users": [], "model.p.orders": [], "test.p.rel": ["model.p.users", "model.p.orders"]}
    nodes = {uid: _node(uid, deps) for uid, deps in graph.items()}
    del nodes["test.p.rel"]["attached_node"]
    nodes["test.p.rel"]["test_metadata"] = {
        "name": "relationships",
        "kwargs": {"model": "{{ get_where_subquery(ref('orders')) }}", "to": "ref('users')"},
    }
    exposures = {
        f"exposure.p.{name}": {"name": name, "type": "dashboard", "depends_on": {"nodes": [dep]}}
        for name, dep in (("o", "model.p.orders"), ("u", "model.p.users"))
    }
    manifest = manifest_from_dict(
        {
            "metadata": {"dbt_schema_version": SCHEMA.format(kind="manifest", version=9)},
            "nodes": nodes,
            "sources": {},
            "exposures": exposures,
            "parent_map": {**graph, **{uid: e["depends_on"]["nodes"] for uid, e in exposures.items()}},
        }
    )
    document = {
        "metadata": {"dbt_schema_version": SCHEMA.format(kind="run-results", version=4)},
        "results": [
            {"unique_id": "model.p.users", "status": "success"},
            {"unique_id": "model.p.orders", "status": "success"},
            {"unique_id": "test.p.rel", "status": "fail", "failures": 2},
        ],
    }
    report = compute_health(manifest, run_results_from_dicts([(document, "rr.json")], manifest), None)
    items = by_name(report)
    assert causes(items["o"]) == {"test.p.rel": "fail"}
    assert items["u"].status is Status.FRESH


def test_failing_unit_test_explains_the_skipped_model():
    graph = {"model.p.a": [], "model.p.b": ["model.p.a"], "test.p.t_b": ["model.p.b"]}
    nodes = {uid: _node(uid, deps) for uid, deps in graph.items()}
    unit = {
        "unique_id": "unit_test.p.b.checks_b",
        "resource_type": "unit_test",
        "name": "checks_b",
        "model": "b",
        "depends_on": {"macros": [], "nodes": ["model.p.b"]},
    }
    manifest = manifest_from_dict(
        {
            "metadata": {"dbt_schema_version": SCHEMA.format(kind="manifest", version=12)},
            "nodes": nodes,
            "sources": {},
            "unit_tests": {unit["unique_id"]: unit},
            "exposures": {
                "exposure.p.e": {"name": "e", "type": "dashboard", "depends_on": {"nodes": ["model.p.b"]}}
            },
            "parent_map": {**graph, "exposure.p.e": ["model.p.b"]},
        }
    )
    document = {
        "metadata": {"dbt_schema_version": SCHEMA.format(kind="run-results", version=6)},
        "results": [
            {"unique_id": "model.p.a", "status": "success"},
            {"unique_id": "unit_test.p.b.checks_b", "status": "fail", "failures": 1},
            {"unique_id": "model.p.b", "status": "skipped"},
            {"unique_id": "test.p.t_b", "status": "skipped"},
        ],
    }
    report = compute_health(manifest, run_results_from_dicts([(document, "rr.json")], manifest), None)
    (item,) = report.exposures
    assert (item.status, causes(item)) == (Status.STALE, {"unit_test.p.b.checks_b": "fail"})
    (cause,) = item.causes
    assert (cause.resource_type, cause.name) == ("unit_test", "checks_b")
    assert cause.path == ("unit_test.p.b.checks_b", "model.p.b", "exposure.p.e")


# ------------------------------------------------------------ fuzz: odd JSON never escapes as a traceback

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
_FUZZ_BASE = json.loads(
    (Path(__file__).parent / "fixtures" / "artifacts" / "manifest_ok.json").read_text(encoding="utf-8")
)


@st.composite
def _mangled(draw):
    """The fixture manifest, run results and sources with a few values replaced by arbitrary JSON."""
    manifest = json.loads(json.dumps(_FUZZ_BASE))
    run = {
        "metadata": {"dbt_schema_version": SCHEMA.format(kind="run-results", version=6)},
        "results": [
            {
                "unique_id": uid,
                "status": draw(st.sampled_from(["success", "error", "fail", "skipped", "warn"])),
            }
            for uid in ("model.shop.stg_orders", "model.shop.orders", "test.shop.not_null_orders_id.abc")
        ],
    }
    sources = {
        "metadata": {"dbt_schema_version": SCHEMA.format(kind="sources", version=3)},
        "results": [{"unique_id": "source.shop.raw.orders", "status": "error", "criteria": {}}],
    }
    documents = {"manifest": manifest, "run": run, "sources": sources}
    for _ in range(draw(st.integers(1, 4))):
        target = documents[draw(st.sampled_from(sorted(documents)))]
        # walk down to a random dict inside the document, then replace or add one key
        for _depth in range(draw(st.integers(0, 4))):
            children = [v for v in target.values() if isinstance(v, dict)]
            children += [x for v in target.values() if isinstance(v, list) for x in v if isinstance(x, dict)]
            if not children:
                break
            target = draw(st.sampled_from(children))
        lists = [v for v in target.values() if isinstance(v, list) and v]
        if lists and draw(st.booleans()):  # replace an element of a list (ids in depends_on, parent_map...)
            chosen = draw(st.sampled_from(lists))
            chosen[draw(st.integers(0, len(chosen) - 1))] = draw(_json_values)
            continue
        keys = [*sorted(target), "depends_on", "nodes", "attached_node", "config", "owner", "status"]
        target[draw(st.sampled_from(keys))] = draw(_json_values)
    return documents


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mangled())
def test_odd_values_give_a_report_or_one_input_error(documents):
    from dbtmeta.errors import InputError

    try:
        manifest = manifest_from_dict(documents["manifest"], "manifest.json")
        run = run_results_from_dicts([(documents["run"], "rr.json")], manifest)
        fresh = sources_from_dict(documents["sources"], "sources.json", manifest)
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    report = compute_health(manifest, run, fresh)
    for item in report.exposures:
        # Whatever the input, a report is consistent: the status is the worst cause's severity, each
        # cause's path runs from the cause to this exposure, and healthy exposures have no causes.
        if item.causes:
            assert item.status == max(cause.severity for cause in item.causes)
            for cause in item.causes:
                assert cause.path[0] == cause.unique_id and cause.path[-1] == item.unique_id
        else:
            assert item.status in (Status.FRESH, Status.UNKNOWN)
