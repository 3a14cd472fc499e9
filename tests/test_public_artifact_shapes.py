"""Shapes met in public dbt projects' committed artifacts that our example project never produces.

Each test reproduces one shape with a small hand-written artifact (no public file is copied):
versioned models, semantic models and saved queries, a generic test whose macro list holds null
(dbt 1.5 on Snowflake), a dbt Fusion manifest, a relationships test skipped because its *other*
model failed. Found by running every command on the artifacts of a dozen public repositories
(Snowflake, BigQuery, Databricks, Postgres, Redshift, DuckDB, Athena; dbt 0.20 to 2.0).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from dbtmeta.cli import main
from dbtmeta.dbt.artifacts import manifest_from_dict
from dbtmeta.dbt.graph import build_graph
from dbtmeta.errors import InputError

MANIFEST_V12 = "https://schemas.getdbt.com/dbt/manifest/v12.json"


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    """Run the CLI in-process; (exit code, stdout, stderr). Never a traceback."""
    with pytest.raises(SystemExit) as info:
        main([str(arg) for arg in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    code = info.value.code
    return (code if isinstance(code, int) else 0), out, err


def _model(name: str, parents: list[str], **extra: Any) -> tuple[str, dict[str, Any]]:
    uid = extra.pop("unique_id", f"model.shop.{name}")
    return uid, {
        "unique_id": uid,
        "resource_type": "model",
        "package_name": "shop",
        "name": name,
        "depends_on": {"nodes": parents, "macros": []},
        "config": {"enabled": True},
        **extra,
    }


def _versioned_manifest() -> dict[str, Any]:
    """dim_customers in versions 1 and 2 (latest 2), a semantic model, a metric and a saved query."""
    nodes = dict(
        [
            _model("stg_customers", []),
            _model(
                "dim_customers",
                ["model.shop.stg_customers"],
                unique_id="model.shop.dim_customers.v1",
                version=1,
                latest_version=2,
            ),
            _model(
                "dim_customers",
                ["model.shop.stg_customers"],
                unique_id="model.shop.dim_customers.v2",
                version=2,
                latest_version=2,
            ),
        ]
    )
    semantic_models = {
        "semantic_model.shop.customers": {
            "unique_id": "semantic_model.shop.customers",
            "resource_type": "semantic_model",
            "package_name": "shop",
            "name": "customers",
            "depends_on": {"nodes": ["model.shop.dim_customers.v2"], "macros": []},
        }
    }
    metrics = {
        "metric.shop.total_customers": {
            "unique_id": "metric.shop.total_customers",
            "resource_type": "metric",
            "package_name": "shop",
            "name": "total_customers",
            "depends_on": {"nodes": ["semantic_model.shop.customers"], "macros": []},
        }
    }
    saved_queries = {
        "saved_query.shop.customers_by_week": {
            "unique_id": "saved_query.shop.customers_by_week",
            "resource_type": "saved_query",
            "package_name": "shop",
            "name": "customers_by_week",
            "depends_on": {"nodes": ["metric.shop.total_customers"], "macros": []},
        }
    }
    return {
        "metadata": {"dbt_schema_version": MANIFEST_V12, "project_name": "shop", "adapter_type": "snowflake"},
        "nodes": nodes,
        "sources": {},
        "exposures": {},
        "metrics": metrics,
        "semantic_models": semantic_models,
        "saved_queries": saved_queries,
        "parent_map": {},
        "child_map": {},
        "disabled": {},
    }


# ------------------------------------------------------------------------------ names of nodes


@pytest.mark.parametrize(
    ("name", "unique_id"),
    [
        ("dim_customers", "model.shop.dim_customers.v2"),  # the latest version, as ref() does
        ("dim_customers.v2", "model.shop.dim_customers.v2"),  # dbt's own selector for a version
        ("model:dim_customers.v2", "model.shop.dim_customers.v2"),
        ("dim_customers.v1", "model.shop.dim_customers.v1"),
        ("shop.dim_customers.v2", "model.shop.dim_customers.v2"),
    ],
)
def test_versioned_model_resolves_by_every_version_name(name: str, unique_id: str) -> None:
    graph = build_graph(manifest_from_dict(_versioned_manifest()))
    assert graph.resolve(name) == unique_id


@pytest.mark.parametrize(
    ("unique_id", "display"),
    [
        ("semantic_model.shop.customers", "semantic_model:customers"),
        ("saved_query.shop.customers_by_week", "saved_query:customers_by_week"),
        ("metric.shop.total_customers", "metric:total_customers"),
        ("model.shop.dim_customers.v1", "model:dim_customers.v1"),
        ("model.shop.dim_customers.v2", "model:dim_customers"),
    ],
)
def test_every_name_lineage_prints_is_accepted_back(unique_id: str, display: str) -> None:
    # `lineage` prints `semantic_model:customers`; typing it back must find the same node.
    graph = build_graph(manifest_from_dict(_versioned_manifest()))
    assert graph.info(unique_id).display == display
    assert graph.resolve(display) == unique_id


def test_unknown_semantic_model_name_suggests_a_name_that_resolves() -> None:
    graph = build_graph(manifest_from_dict(_versioned_manifest()))
    with pytest.raises(InputError) as info:
        graph.resolve("semantic_model:customer")
    message = str(info.value)
    assert "'semantic_model:customer'" in message and "\n" not in message
    first = message.split("did you mean ", 1)[1].split(",", 1)[0]
    assert first == "customers" and graph.resolve(first) == "semantic_model.shop.customers"


def test_versioned_model_lineage_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(_versioned_manifest()))
    code, out, err = run(capsys, "lineage", "dim_customers.v2", "--manifest", path, "--format", "json")
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert document["node"]["unique_id"] == "model.shop.dim_customers.v2"
    assert sorted(node["unique_id"] for node in document["downstream"]) == [
        "metric.shop.total_customers",
        "saved_query.shop.customers_by_week",
        "semantic_model.shop.customers",
    ]


# ------------------------------------------------------------------------------ --strict messages

VERSIONS = Path(__file__).parent / "fixtures" / "artifacts" / "versions"


def _real_manifest(version: str) -> dict[str, Any]:
    """The real manifest dbt ``version`` wrote for the small versions/ project."""
    with gzip.open(VERSIONS / f"dbt-{version}" / "manifest.json.gz", "rt", encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def _strict_message(tmp_path: Path, data: dict[str, Any]) -> str:
    pytest.importorskip("dbt_artifacts_parser")
    from dbtmeta.dbt.strict import validate_strict

    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError) as info:
        validate_strict(path, "manifest")
    message = str(info.value)
    assert "\n" not in message
    return message


def test_strict_names_the_field_of_the_node_type_not_another_union_member(tmp_path: Path) -> None:
    # dbt 1.5 on Snowflake wrote `depends_on.macros: [null, ...]` for a custom generic test. pydantic
    # tries every node type of the union; the first error it lists is "AnalysisNode.resource_type:
    # Input should be 'analysis'", which sends the reader the wrong way.
    data = _real_manifest("1.5")
    test_id = next(uid for uid, node in data["nodes"].items() if node["resource_type"] == "test")
    data["nodes"][test_id]["depends_on"]["macros"] = [None, "macro.dbt.get_where_subquery"]
    message = _strict_message(tmp_path, data)
    assert f"nodes.{test_id}.GenericTestNode.depends_on.macros.0: Input should be a valid string;" in message
    assert "AnalysisNode" not in message and "'analysis'" not in message


def test_strict_on_a_fusion_style_model_names_the_unknown_key(tmp_path: Path) -> None:
    # dbt Fusion (2.0 previews) writes manifest v12 with `depends_on.nodes_with_ref_location`.
    data = _real_manifest("1.11")
    model_id = next(uid for uid, node in data["nodes"].items() if node["resource_type"] == "model")
    data["nodes"][model_id]["depends_on"]["nodes_with_ref_location"] = []
    message = _strict_message(tmp_path, data)
    assert ".depends_on.nodes_with_ref_location: Extra inputs are not permitted;" in message
    assert "resource_type" not in message


# ------------------------------------------------------------------------------ health


def _build_results(statuses: dict[str, str]) -> dict[str, Any]:
    """run_results v6 of `dbt build` as dbt writes them: a skipped node has no message."""
    return {
        "metadata": {
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json",
            "generated_at": "2026-04-12T19:18:44Z",
            "invocation_id": "inv-1",
        },
        "args": {"which": "build"},
        "results": [
            {
                "unique_id": uid,
                "status": status,
                "timing": [],
                "message": None if status == "skipped" else f"Database Error in {uid}",
                "failures": None,
            }
            for uid, status in statuses.items()
        ],
    }


def _relationships_manifest() -> dict[str, Any]:
    """stg_dim (errors) -> dim (skipped); mart (builds) with a relationships test to dim.

    The test is attached to mart and reads dim too, so dbt skips it: the shape of a public BigQuery
    project whose raw tables were missing.
    """
    rel = "test.shop.relationships_mart_dim_id__id__ref_dim_.1a2b3c"
    nodes = dict(
        [
            _model("stg_dim", []),
            _model("dim", ["model.shop.stg_dim"]),
            _model("mart", []),
        ]
    )
    nodes[rel] = {
        "unique_id": rel,
        "resource_type": "test",
        "package_name": "shop",
        "name": "relationships_mart_dim_id__id__ref_dim_",
        "attached_node": "model.shop.mart",
        "depends_on": {"nodes": ["model.shop.dim", "model.shop.mart"], "macros": []},
        "config": {"enabled": True},
    }
    exposures = {
        f"exposure.shop.{name}": {
            "unique_id": f"exposure.shop.{name}",
            "resource_type": "exposure",
            "name": name,
            "type": "dashboard",
            "owner": {"name": "Ops", "email": "ops@example.com"},
            "depends_on": {"nodes": deps},
        }
        for name, deps in {"signals": ["model.shop.mart"]}.items()
    }
    return {
        "metadata": {"dbt_schema_version": MANIFEST_V12, "project_name": "shop", "adapter_type": "bigquery"},
        "nodes": nodes,
        "sources": {},
        "exposures": exposures,
        "parent_map": {},
        "child_map": {},
        "disabled": {},
    }


def test_a_test_skipped_because_its_other_model_failed_says_why() -> None:
    from dbtmeta.dbt.artifacts import run_results_from_dicts
    from dbtmeta.health.compute import compute_health
    from dbtmeta.health.model import Status

    manifest = manifest_from_dict(_relationships_manifest())
    statuses = {
        "model.shop.stg_dim": "error",
        "model.shop.dim": "skipped",
        "model.shop.mart": "success",
        "test.shop.relationships_mart_dim_id__id__ref_dim_.1a2b3c": "skipped",
    }
    results = run_results_from_dicts([(_build_results(statuses), "run_results.json")], manifest)
    (signals,) = compute_health(manifest, results, None).exposures
    # The dashboard's own data built; the check on it could not run: at risk, not stale.
    assert signals.status is Status.AT_RISK
    (cause,) = signals.causes
    assert cause.unique_id == "test.shop.relationships_mart_dim_id__id__ref_dim_.1a2b3c"
    assert cause.status == "skipped"
    assert (
        cause.message == "skipped: it also reads model dim, which was skipped because model stg_dim errored"
    )


# ------------------------------------------------------------------------------ impact --state


def _semantic_state(tmp_path: Path, name: str, change: Any) -> Path:
    """A copy of the versioned manifest, with a dashboard on the metric, changed by ``change``."""
    data = _versioned_manifest()
    data["exposures"]["exposure.shop.kpis"] = {
        "unique_id": "exposure.shop.kpis",
        "resource_type": "exposure",
        "package_name": "shop",
        "name": "kpis",
        "type": "dashboard",
        "maturity": "high",
        "owner": {"name": "Finance", "email": "finance@example.com"},
        "depends_on": {"nodes": ["metric.shop.total_customers"], "macros": []},
    }
    data["metrics"]["metric.shop.total_customers"].update(
        description="Customers", label="Customers", type="simple", unrendered_config={}, fqn=["shop", "m"]
    )
    data["semantic_models"]["semantic_model.shop.customers"].update(
        config={"enabled": True, "meta": {}}, entities=[{"name": "customer", "type": "primary"}]
    )
    change(data)
    directory = tmp_path / name
    directory.mkdir()
    (directory / "manifest.json").write_text(json.dumps(data))
    return directory


def _impact(capsys: pytest.CaptureFixture[str], tmp_path: Path, change: Any) -> dict[str, Any]:
    before = _semantic_state(tmp_path, "prod", lambda data: None)
    after = _semantic_state(tmp_path, "pr", change)
    code, out, err = run(
        capsys, "impact", "--state", before, "--manifest", after / "manifest.json", "--format", "json"
    )
    assert (code, err) == (0, "")
    document: dict[str, Any] = json.loads(out)
    return document


def _metric(data: dict[str, Any]) -> dict[str, Any]:
    metric: dict[str, Any] = data["metrics"]["metric.shop.total_customers"]
    return metric


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # dbt's Metric.same_contents: type, description, label, unrendered config
        (lambda data: _metric(data).update(type="derived"), ("metric.shop.total_customers", "modified")),
        (
            lambda data: _metric(data).update(unrendered_config={"meta": {"x": 1}}),
            ("metric.shop.total_customers", "modified.configs"),
        ),
        # SemanticModel.same_contents: entities, dimensions, measures, config...
        (
            lambda data: data["semantic_models"]["semantic_model.shop.customers"].update(entities=[]),
            ("semantic_model.shop.customers", "modified"),
        ),
    ],
)
def test_a_changed_metric_or_semantic_model_affects_the_dashboards_on_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, change: Any, expected: tuple[str, str]
) -> None:
    document = _impact(capsys, tmp_path, change)
    assert [(c["unique_id"], c["reason"]) for c in document["changes"]] == [expected]
    assert [e["unique_id"] for e in document["affected_exposures"]] == ["exposure.shop.kpis"]


def test_metric_metadata_dbt_ignores_is_no_change(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # dbt: "metadata/tags changes are not changes"; nor is a moved file (fqn) for a metric.
    document = _impact(
        capsys, tmp_path, lambda data: _metric(data).update(fqn=["shop", "moved", "m"], tags=["x"])
    )
    assert document["changes"] == [] and document["affected_exposures"] == []


def test_new_and_deleted_semantic_nodes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        del data["saved_queries"]["saved_query.shop.customers_by_week"]
        data["metrics"]["metric.shop.new_customers"] = {
            "unique_id": "metric.shop.new_customers",
            "resource_type": "metric",
            "package_name": "shop",
            "name": "new_customers",
            "depends_on": {"nodes": ["semantic_model.shop.customers"], "macros": []},
        }

    document = _impact(capsys, tmp_path, change)
    assert [(c["unique_id"], c["reason"]) for c in document["changes"]] == [
        ("metric.shop.new_customers", "new"),
        ("saved_query.shop.customers_by_week", "deleted"),
    ]


def test_a_changed_metrics_file_maps_to_its_metric(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # `git diff --name-only | xargs dbtmeta impact`: editing metrics.yml is a change of its metrics.
    directory = _semantic_state(
        tmp_path,
        "project",
        lambda data: _metric(data).update(original_file_path="models/marts/metrics.yml"),
    )
    (directory / "dbt_project.yml").write_text("name: shop\n")
    code, out, err = run(
        capsys,
        "impact",
        "--manifest",
        directory / "manifest.json",
        "--project-dir",
        directory,
        "--format",
        "json",
        "models/marts/metrics.yml",
    )
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert [(c["unique_id"], c["reason"]) for c in document["changes"]] == [
        ("metric.shop.total_customers", "file")
    ]
    assert document["unmatched_paths"] == []
    assert [e["unique_id"] for e in document["affected_exposures"]] == ["exposure.shop.kpis"]


# ------------------------------------------------------------------------------ versions


@pytest.mark.parametrize(
    ("schema", "dbt_version", "expected"),
    [
        # dbt Fusion (2.0 betas) writes manifest v20; dbt 0.21 wrote v3.
        (
            "https://schemas.getdbt.com/dbt/manifest/v20.json",
            "2.0.0-beta.46",
            "is manifest.json v20; supported are v4..v12 (dbt 1.0+); this one was written by "
            "dbt 2.0.0-beta.46: re-generate it with a supported dbt",
        ),
        (
            "https://schemas.getdbt.com/dbt/manifest/v3.json",
            "0.21.1",
            "is manifest.json v3; supported are v4..v12 (dbt 1.0+); this one was written by "
            "dbt 0.21.1: re-generate it with a supported dbt",
        ),
    ],
)
def test_unsupported_manifest_says_which_dbt_wrote_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, schema: str, dbt_version: str, expected: str
) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(
        json.dumps({"metadata": {"dbt_schema_version": schema, "dbt_version": dbt_version}, "nodes": {}})
    )
    code, out, err = run(capsys, "lineage", "x", "--manifest", path)
    assert (code, out) == (2, "")
    assert err == f"dbtmeta: error: {str(path)!r} {expected}\n"
