"""Artifact loading: versions, tolerance, merging, locating, and one-line errors for bad inputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dbtmeta.dbt.artifacts import (
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


def test_there_are_at_least_20_bad_inputs():
    assert len(CASES) >= 20
    assert {case["as"] for case in CASES} == {"manifest", "run_results", "sources"}


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


@pytest.mark.parametrize("version", range(4, 13))
def test_manifest_versions_accepted(tmp_path, version):
    data = _fixture("manifest_ok.json")
    data["metadata"]["dbt_schema_version"] = SCHEMA.format(kind="manifest", version=version)
    manifest = load_manifest(_write(tmp_path / "manifest.json", data))
    assert manifest.schema_version == version


@pytest.mark.parametrize("version", [4, 5, 6])
def test_run_results_versions_accepted(tmp_path, version):
    data = _fixture("run_results_ok.json")
    data["metadata"]["dbt_schema_version"] = SCHEMA.format(kind="run-results", version=version)
    assert len(load_run_results(_write(tmp_path / "rr.json", data)).results) == 3


@pytest.mark.parametrize("version", [1, 2, 3])
def test_sources_versions_accepted(tmp_path, version):
    data = _fixture("sources_ok.json")
    data["metadata"]["dbt_schema_version"] = SCHEMA.format(kind="sources", version=version)
    assert len(load_sources(_write(tmp_path / "sources.json", data)).results) == 1


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
