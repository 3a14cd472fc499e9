"""Artifact loading: versions, tolerance, merging, locating, and one-line errors for bad inputs."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from dbtmeta.dbt.artifacts import (
    MANIFEST_VERSIONS,
    RUN_RESULTS_VERSIONS,
    find_artifacts,
    load_manifest,
    load_run_results,
    load_sources,
)
from dbtmeta.errors import InputError

FIXTURES = Path(__file__).parent / "fixtures" / "artifacts"
CASES = json.loads((FIXTURES / "cases.json").read_text(encoding="utf-8"))
SCHEMA = "https://schemas.getdbt.com/dbt/{kind}/v{version}.json"


def _fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _load(kind: str, path: Path, manifest_name: str | None):
    manifest = load_manifest(FIXTURES / manifest_name) if manifest_name else None
    if kind == "manifest":
        return load_manifest(path)
    if kind == "run_results":
        return load_run_results([path], manifest)
    return load_sources(path, manifest)


def test_bad_inputs_reach_at_least_20_different_loader_checks():
    # Each case must be refused by the loader, and the refusals must say different things (numbers and
    # the path aside): 20+ distinct checks, not 20 copies of one.
    messages: dict[str, list[str]] = {}
    for case in CASES:
        with pytest.raises(InputError) as excinfo:
            _load(case["as"], FIXTURES / case["file"], case["manifest"])
        text = re.sub(r"\d+", "N", str(excinfo.value).replace(str(FIXTURES / case["file"]), "FILE"))
        messages.setdefault(text, []).append(case["file"])
    assert len(messages) >= 20
    assert {case["as"] for case in CASES} == {"manifest", "run_results", "sources"}
    # the only repeats: two files without a usable schema version, and two unsupported versions
    assert sorted(files for files in messages.values() if len(files) > 1) == [
        ["manifest_v3.json", "manifest_v13.json"],
        ["no_metadata.json", "manifest_metadata_string.json"],
    ]


@pytest.mark.parametrize("case", CASES, ids=[f"{c['file']}-as-{c['as']}" for c in CASES])
def test_bad_input(case):
    path = FIXTURES / case["file"]
    before = path.read_bytes() if path.is_file() else None
    with pytest.raises(InputError) as excinfo:
        _load(case["as"], path, case["manifest"])
    message = str(excinfo.value)
    assert case["expect"] in message
    assert "\n" not in message
    assert "Traceback" not in message
    assert len(message) < 400
    if before is not None:
        assert path.read_bytes() == before


def test_good_fixtures_load():
    manifest = load_manifest(FIXTURES / "manifest_ok.json")
    assert manifest.schema_version == 12
    assert manifest.project_name == "shop"
    assert manifest.adapter_type == "duckdb"
    assert set(manifest.nodes) == {
        "model.shop.stg_orders",
        "model.shop.orders",
        "test.shop.not_null_orders_id.abc",
    }
    assert set(manifest.sources) == {"source.shop.raw.orders"}
    assert manifest.exposures["exposure.shop.orders_dashboard"]["label"] == "Orders"
    assert manifest.extra == {"macros": {}}
    results = load_run_results(FIXTURES / "run_results_ok.json", manifest)
    assert {uid: r.status for uid, r in results.results.items()} == {
        "model.shop.stg_orders": "success",
        "model.shop.orders": "success",
        "test.shop.not_null_orders_id.abc": "pass",
    }
    assert results.invocation_ids == ("00000000-0000-0000-0000-000000000006",)
    sources = load_sources(FIXTURES / "sources_ok.json", manifest)
    assert sources.results["source.shop.raw.orders"].status == "pass"
    assert sources.results["source.shop.raw.orders"].max_loaded_at == "2026-01-15T01:00:00+00:00"


VERSIONS = FIXTURES / "versions"
# dbt-core minor version -> (manifest, run_results, sources) schema versions it writes.
WRITES = {
    "1.0": (4, 4, 3), "1.1": (5, 4, 3), "1.2": (6, 4, 3), "1.3": (7, 4, 3), "1.4": (8, 4, 3),
    "1.5": (9, 4, 3), "1.6": (10, 4, 3), "1.7": (11, 5, 3), "1.8": (12, 6, 3), "1.11": (12, 6, 3),
}  # fmt: skip
DBT_VERSIONS = sorted(
    (p.name.removeprefix("dbt-") for p in VERSIONS.glob("dbt-*")),
    key=lambda v: [int(n) for n in v.split(".")],
)


def _real(dbt_version: str, tmp_path: Path) -> dict[str, Path]:
    """The artifacts ./versions/make.sh had dbt-core ``dbt_version`` write (gzip), unpacked."""
    import gzip

    out = {}
    for kind in ("manifest", "run_results", "sources"):
        out[kind] = tmp_path / f"{kind}.json"
        out[kind].write_bytes(
            gzip.decompress((VERSIONS / f"dbt-{dbt_version}" / f"{kind}.json.gz").read_bytes())
        )
    return out


def test_every_supported_schema_version_has_real_artifacts():
    assert set(DBT_VERSIONS) == set(WRITES)
    assert {WRITES[v][0] for v in DBT_VERSIONS} == set(MANIFEST_VERSIONS)
    assert {WRITES[v][1] for v in DBT_VERSIONS} == set(RUN_RESULTS_VERSIONS)


@pytest.mark.parametrize("dbt_version", DBT_VERSIONS)
def test_real_artifacts_of_every_dbt_version(tmp_path, dbt_version):
    from dbtmeta.dbt.strict import validate_strict
    from dbtmeta.health.compute import compute_health

    files = _real(dbt_version, tmp_path)
    for kind, path in files.items():
        validate_strict(path, kind)  # dbt-artifacts-parser: valid against dbt's published schema
    manifest = load_manifest(files["manifest"])
    assert (manifest.metadata["dbt_version"].rsplit(".", 1)[0], manifest.schema_version) == (
        dbt_version,
        WRITES[dbt_version][0],
    )
    assert manifest.project_name == "versions_shop" and manifest.adapter_type == "duckdb"
    ids = {uid for uid, node in manifest.nodes.items() if node.get("package_name") == "versions_shop"}
    test_id = "test.versions_shop.not_null_orders_id.84ef11d8fe"
    assert ids == {
        "seed.versions_shop.raw_orders",
        "model.versions_shop.stg_orders",
        "model.versions_shop.orders",
        test_id,
    }
    assert set(manifest.sources) == {"source.versions_shop.shop.raw_orders"}
    assert manifest.exposures["exposure.versions_shop.orders_dashboard"]["maturity"] == "high"
    results = load_run_results(files["run_results"], manifest)
    statuses = {uid: r.status for uid, r in results.results.items()}
    statuses.pop("exposure.versions_shop.orders_dashboard", None)  # dbt 1.10+ lists exposures (no-op)
    assert statuses == {
        "seed.versions_shop.raw_orders": "success",
        "model.versions_shop.stg_orders": "success",
        "model.versions_shop.orders": "success",
        test_id: "pass",
    }
    assert results.skipped == () and results.paths == (str(files["run_results"]),)
    freshness = load_sources(files["sources"], manifest)
    assert {uid: r.status for uid, r in freshness.results.items()} == {
        "source.versions_shop.shop.raw_orders": "warn"
    }
    assert freshness.results["source.versions_shop.shop.raw_orders"].max_loaded_at.startswith("2020-01-02")
    health = compute_health(manifest, results, freshness)
    assert [(e.name, e.status.value) for e in health.exposures] == [("orders_dashboard", "at_risk")]


@pytest.mark.parametrize("version", [1, 2])
def test_sources_of_dbt_before_1_0(tmp_path, version):
    """sources.json v1 (dbt 0.19) / v2 (0.20): dbt 1.0's real v3 file cut down to the fields of the older
    schema, and checked valid against that schema by dbt-artifacts-parser (which forbids extra fields)."""
    import importlib

    from dbtmeta.dbt.strict import validate_strict

    module = importlib.import_module(f"dbt_artifacts_parser.parsers.sources.sources_v{version}")
    fields = set(module.SourceFreshnessOutput.model_fields)
    data = json.loads(_real("1.0", tmp_path)["sources"].read_text())
    data["metadata"]["dbt_schema_version"] = SCHEMA.format(kind="sources", version=version)
    assert fields <= set(data["results"][0])
    data["results"] = [{k: v for k, v in result.items() if k in fields} for result in data["results"]]
    for result in data["results"]:  # before 1.0 an unset threshold is left out, not written as nulls
        criteria = result["criteria"]
        result["criteria"] = {
            k: v for k, v in criteria.items() if not (isinstance(v, dict) and not any(v.values()))
        }
    path = _write(tmp_path / f"sources_v{version}.json", data)
    validate_strict(path, "sources")
    loaded = load_sources(path)
    source = loaded.results["source.versions_shop.shop.raw_orders"]
    assert (source.status, source.max_loaded_at) == ("warn", "2020-01-02T00:00:00+00:00")


def test_unknown_keys_are_ignored_and_kept(tmp_path):
    data = _fixture("manifest_ok.json")
    data["functions"] = {"function.shop.f": {"name": "f"}}
    data["future_thing"] = [1, 2]
    data["nodes"]["model.shop.orders"]["brand_new_field"] = {"x": 1}
    data["metadata"]["new_metadata"] = True
    manifest = load_manifest(_write(tmp_path / "manifest.json", data))
    assert manifest.extra["functions"] == {"function.shop.f": {"name": "f"}}
    assert manifest.extra["future_thing"] == [1, 2]
    assert manifest.nodes["model.shop.orders"]["brand_new_field"] == {"x": 1}
    rr = _fixture("run_results_ok.json")
    rr["results"][0]["surprise"] = 1
    rr["new_top_level"] = {}
    assert len(load_run_results(_write(tmp_path / "rr.json", rr), manifest).results) == 3


def test_utf8_bom_is_tolerated(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_bytes(b"\xef\xbb\xbf" + (FIXTURES / "manifest_ok.json").read_bytes())
    assert load_manifest(path).project_name == "shop"


def test_old_manifest_without_project_name_guesses_it(tmp_path):
    data = _fixture("manifest_ok.json")
    data["metadata"] = {"dbt_schema_version": SCHEMA.format(kind="manifest", version=4)}
    assert load_manifest(_write(tmp_path / "m.json", data)).project_name == "shop"


def _result(uid: str, status: str, completed_at: str | None) -> dict:
    timing = [] if completed_at is None else [{"name": "execute", "completed_at": completed_at}]
    return {"unique_id": uid, "status": status, "timing": timing, "message": status}


def _run_results(generated_at: str, results: list[dict], invocation: str) -> dict:
    return {
        "metadata": {
            "dbt_schema_version": SCHEMA.format(kind="run-results", version=6),
            "generated_at": generated_at,
            "invocation_id": invocation,
        },
        "results": results,
        "args": {"which": "build"},
    }


def test_several_run_results_newest_result_per_node_wins(tmp_path):
    manifest = load_manifest(FIXTURES / "manifest_ok.json")
    run = _run_results(
        "2026-01-15T02:10:00Z",
        [
            _result("model.shop.stg_orders", "error", "2026-01-15T02:05:00.000000Z"),
            _result("model.shop.orders", "skipped", None),
        ],
        "run",
    )
    retry = _run_results(
        "2026-01-15T03:10:00Z",
        [
            _result("model.shop.stg_orders", "success", "2026-01-15T03:05:00.000000Z"),
            _result("model.shop.orders", "success", "2026-01-15T03:06:00.000000Z"),
        ],
        "retry",
    )
    test = _run_results(
        "2026-01-15T02:20:00Z",
        [_result("test.shop.not_null_orders_id.abc", "fail", "2026-01-15T02:15:00.000000Z")],
        "test",
    )
    paths = [
        _write(tmp_path / "retry.json", retry),  # given first on purpose: order must not matter
        _write(tmp_path / "run.json", run),
        _write(tmp_path / "test.json", test),
    ]
    merged = load_run_results(paths, manifest)
    statuses = {uid: r.status for uid, r in merged.results.items()}
    assert statuses == {
        "model.shop.stg_orders": "success",
        "model.shop.orders": "success",
        "test.shop.not_null_orders_id.abc": "fail",
    }
    assert merged.results["model.shop.orders"].invocation_id == "retry"
    assert merged.invocation_ids == ("retry", "run", "test")
    assert merged.generated_at == "2026-01-15T03:10:00Z"


def test_skipped_result_without_timing_is_dated_by_its_file(tmp_path):
    old = _run_results("2026-01-15T01:00:00Z", [_result("model.shop.orders", "success", None)], "a")
    new = _run_results("2026-01-15T02:00:00Z", [_result("model.shop.orders", "skipped", None)], "b")
    merged = load_run_results([_write(tmp_path / "new.json", new), _write(tmp_path / "old.json", old)])
    assert merged.results["model.shop.orders"].status == "skipped"


def test_a_few_results_of_deleted_nodes_are_tolerated(tmp_path):
    manifest = load_manifest(FIXTURES / "manifest_ok.json")
    data = _fixture("run_results_ok.json")
    data["results"].append(_result("model.shop.deleted_since", "success", None))
    merged = load_run_results(_write(tmp_path / "rr.json", data), manifest)
    assert "model.shop.deleted_since" in merged.results


def test_statuses_are_lower_cased_and_numbers_typed(tmp_path):
    data = _fixture("run_results_ok.json")
    data["results"][2].update(status="FAIL", failures=3, execution_time=1)
    result = load_run_results(_write(tmp_path / "rr.json", data)).results["test.shop.not_null_orders_id.abc"]
    assert (result.status, result.failures, result.execution_time) == ("fail", 3, 1.0)


def test_freshness_runtime_error_keeps_the_error_text(tmp_path):
    data = _fixture("sources_ok.json")
    data["results"] = [
        {"unique_id": "source.shop.raw.orders", "status": "runtime error", "error": "relation missing"}
    ]
    result = load_sources(_write(tmp_path / "s.json", data)).results["source.shop.raw.orders"]
    assert (result.status, result.message) == ("runtime error", "relation missing")


# --------------------------------------------------------------------------- find_artifacts


def _project(root: Path, target: str = "target", target_path_in_yml: str | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    text = "name: shop\nprofile: shop\n"
    if target_path_in_yml:
        text += f"target-path: {target_path_in_yml}\n"
    (root / "dbt_project.yml").write_text(text, encoding="utf-8")
    (root / target).mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / "manifest_ok.json", root / target / "manifest.json")
    return root


def test_find_artifacts_explicit_dirs(tmp_path, monkeypatch):
    monkeypatch.delenv("DBT_PROJECT_DIR", raising=False)
    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    project = _project(tmp_path / "proj")
    shutil.copy(FIXTURES / "run_results_ok.json", project / "target" / "run_results.json")
    found = find_artifacts(project)
    assert found.manifest == project / "target" / "manifest.json"
    assert found.run_results == project / "target" / "run_results.json"
    assert found.sources is None


def test_find_artifacts_honours_env_like_dbt(tmp_path, monkeypatch):
    project = _project(tmp_path / "proj", target="custom")
    monkeypatch.setenv("DBT_PROJECT_DIR", str(project))
    monkeypatch.setenv("DBT_TARGET_PATH", "custom")  # relative to the project dir, like dbt
    monkeypatch.chdir(tmp_path)
    assert find_artifacts().manifest == project / "custom" / "manifest.json"
    # explicit arguments beat the environment
    other = _project(tmp_path / "other")
    assert find_artifacts(other, "target").manifest == other / "target" / "manifest.json"
    absolute = tmp_path / "abs_target"
    absolute.mkdir()
    shutil.copy(FIXTURES / "manifest_ok.json", absolute / "manifest.json")
    monkeypatch.setenv("DBT_TARGET_PATH", str(absolute))
    assert find_artifacts().manifest == absolute / "manifest.json"


def test_find_artifacts_reads_target_path_from_dbt_project_and_walks_up(tmp_path, monkeypatch):
    monkeypatch.delenv("DBT_PROJECT_DIR", raising=False)
    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    project = _project(tmp_path / "proj", target="build_out", target_path_in_yml="build_out")
    (project / "models" / "staging").mkdir(parents=True)
    monkeypatch.chdir(project / "models" / "staging")
    assert find_artifacts().manifest == project / "build_out" / "manifest.json"


def test_find_artifacts_errors(tmp_path, monkeypatch):
    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    monkeypatch.setenv("DBT_PROJECT_DIR", str(tmp_path / "nope"))
    with pytest.raises(InputError, match="is not a directory"):
        find_artifacts()
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match=r"no manifest.json in .*run `dbt parse`"):
        find_artifacts(empty)


# --------------------------------------------------------------------------- strict


def test_strict_turns_schema_errors_into_one_line():
    pytest.importorskip("dbt_artifacts_parser")
    from dbtmeta.dbt.strict import validate_strict

    # manifest_ok.json is deliberately minimal: it lacks fields the v12 schema requires.
    with pytest.raises(InputError) as excinfo:
        validate_strict(FIXTURES / "manifest_ok.json", "manifest")
    message = str(excinfo.value)
    assert "does not match the dbt schema" in message
    assert "\n" not in message
    with pytest.raises(InputError, match=r"is sources\.json, not manifest\.json"):
        validate_strict(FIXTURES / "sources_ok.json", "manifest")
    with pytest.raises(InputError, match="is truncated"):
        validate_strict(FIXTURES / "truncated_run_results.json", "run_results")


def test_hook_results_and_new_resource_groups_count_as_known(tmp_path):
    data = _fixture("manifest_ok.json")
    data["unit_tests"] = {"unit_test.shop.orders.t1": {"name": "t1"}}
    data["functions"] = {"function.shop.f": {"name": "f"}}
    manifest = load_manifest(_write(tmp_path / "m.json", data))
    rr = _run_results(
        "2026-01-15T02:00:00Z",
        [
            _result("model.shop.orders", "success", None),
            _result("operation.shop.shop-on-run-start-0", "success", None),
            _result("operation.shop.shop-on-run-end-0", "success", None),
            _result("unit_test.shop.orders.t1", "pass", None),
            _result("function.shop.f", "success", None),
        ],
        "run",
    )
    assert len(load_run_results(_write(tmp_path / "rr.json", rr), manifest).results) == 5


def test_json_cut_inside_a_string_is_reported_as_truncated(tmp_path):
    text = (FIXTURES / "manifest_ok.json").read_text(encoding="utf-8")
    cut = text.index('"model.shop.orders"') + 5  # inside a string
    path = tmp_path / "manifest.json"
    path.write_text(text[:cut], encoding="utf-8")
    with pytest.raises(InputError, match="is truncated"):
        load_manifest(path)
    path.write_text(text + "\n{}", encoding="utf-8")  # extra data is not truncation
    with pytest.raises(InputError, match="is not valid JSON"):
        load_manifest(path)


def test_unusable_files_are_skipped_with_their_reason_and_fail_only_when_alone():
    manifest = load_manifest(FIXTURES / "manifest_ok.json")
    docs, good = FIXTURES / "run_results_docs_generate.json", FIXTURES / "run_results_ok.json"
    other = FIXTURES / "run_results_other_project.json"
    merged = load_run_results([docs, good, other], manifest)
    assert merged.paths == (str(good),)
    assert [item.path for item in merged.skipped] == [str(docs), str(other)]
    assert merged.skipped[0].reason.startswith("was written by `dbt docs generate`")
    assert merged.skipped[1].reason.startswith("3 of 3 nodes are not in the manifest")
    assert set(merged.results) == {
        "model.shop.stg_orders",
        "model.shop.orders",
        "test.shop.not_null_orders_id.abc",
    }
    alone = load_run_results([docs, other], manifest, require_usable=False)
    assert (alone.paths, alone.results, len(alone.skipped)) == ((), {}, 2)
    with pytest.raises(InputError, match=r"dbt docs generate.*\(and the others too\)$"):
        load_run_results([docs, other], manifest)
    sources = load_sources(FIXTURES / "sources_other_project.json", manifest, require_usable=False)
    assert sources.results == {} and sources.skipped is not None
    assert sources.skipped.reason.startswith("1 of 1 nodes are not in the manifest")
