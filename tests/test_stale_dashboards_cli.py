"""`dbtmeta stale-dashboards` end to end on real dbt runs of the example project, and bad inputs."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from dbtmeta.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "artifacts"


pytestmark = pytest.mark.usefixtures("isolated_env")


FAILURE_STATUSES = {
    "product_funnel": "at_risk",
    "inventory_health": "stale",
    "orders_overview": "stale",
    "weekly_marketing_report": "stale",
    "customers": "fresh",
}


def run(capsys, *args: str) -> tuple[int, str, str]:
    """Run the CLI in-process; return (exit code, stdout, stderr). Never a traceback."""
    with pytest.raises(SystemExit) as info:
        main(["stale-dashboards", *map(str, args)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out and "Traceback" not in err
    code = info.value.code
    return (code if isinstance(code, int) else 0), out, err


def artifacts(directory: Path) -> list[str]:
    args = ["--manifest", directory / "manifest.json", "--run-results", directory / "run_results.json"]
    if (directory / "sources.json").exists():
        args += ["--sources", directory / "sources.json"]
    return [str(a) for a in args]


def statuses(out: str) -> dict[str, str]:
    return {e["name"]: e["status"] for e in json.loads(out)["exposures"]}


# ------------------------------------------------------------------------------------------- results


def test_failure_scenario_json(example_build, capsys):
    code, out, err = run(capsys, *artifacts(example_build.failure), "--format", "json")
    assert code == 1
    assert err == ""  # machine format: only the result on stdout, nothing else
    data = json.loads(out)
    assert statuses(out) == FAILURE_STATUSES
    assert data["summary"] == {"total": 5, "stale": 3, "at_risk": 1, "unknown": 0, "fresh": 1}
    assert data["project_name"] == "greenery"
    by_name = {e["name"]: e for e in data["exposures"]}
    orders = by_name["orders_overview"]
    assert orders["label"] == "Orders Overview"
    assert orders["owner"]["email"]
    assert orders["url"].startswith("https://")
    cause_ids = {c["unique_id"] for c in orders["causes"]}
    assert "model.greenery.stg_promos" in cause_ids
    stg = next(c for c in orders["causes"] if c["unique_id"] == "model.greenery.stg_promos")
    assert stg["status"] == "error" and stg["message"]
    assert stg["path"][0] == "model.greenery.stg_promos"
    assert stg["path"][-1] == "exposure.greenery.orders_overview"
    inventory = {c["unique_id"]: c for c in by_name["inventory_health"]["causes"]}
    assert "source.greenery.greenery.products" in inventory
    assert any(
        c["resource_type"] == "test" and c["status"] == "fail" and c["failures"] for c in inventory.values()
    )
    assert {c["status"] for c in by_name["product_funnel"]["causes"]} == {"warn"}
    assert by_name["customers"]["causes"] == []


def test_green_run_exits_0(example_build, capsys):
    code, out, _ = run(capsys, *artifacts(example_build.green), "--format", "json")
    assert code == 0
    assert set(statuses(out).values()) == {"fresh"}
    code, out, _ = run(capsys, *artifacts(example_build.green), "--fail-on", "at_risk")
    assert code == 0
    assert "5 fresh" in out


def test_separate_run_test_and_freshness_results(example_build, capsys):
    split = example_build.failure_split
    code, out, _ = run(
        capsys,
        "--manifest", split / "manifest.json",
        "--run-results", split / "run_results_seed.json",
        "--run-results", split / "run_results_run.json",
        "--run-results", split / "run_results_test.json",
        "--sources", split / "sources.json",
        "--format", "json",
    )  # fmt: skip
    assert code == 1
    assert statuses(out) == FAILURE_STATUSES


def test_fail_on(example_build, capsys):
    failure = artifacts(example_build.failure)
    assert run(capsys, *failure, "--exposure", "product_funnel")[0] == 0  # at_risk < stale
    assert run(capsys, *failure, "--exposure", "product_funnel", "--fail-on", "at_risk")[0] == 1
    assert run(capsys, *failure, "--exposure", "product_funnel", "--fail-on", "at-risk")[0] == 1
    assert run(capsys, *failure, "--fail-on", "never")[0] == 0
    assert run(capsys, *failure, "--exposure", "customers", "--fail-on", "at_risk")[0] == 0
    # --select, the old name of --exposure, still filters
    assert run(capsys, *failure, "--select", "product_funnel", "--fail-on", "at_risk")[0] == 1
    assert run(capsys, *failure, "--select", "customers", "--fail-on", "at_risk")[0] == 0


def _email(e: dict) -> str:
    return (e["owner"]["email"] or "").lower()


# Expected sets are computed from the unfiltered report, so the exposures' metadata may evolve.
FILTERS = [
    (["--exposure", "orders_overview"], lambda e: e["name"] == "orders_overview"),
    (
        ["--exposure", "*_health", "--exposure", "customers"],
        lambda e: e["name"] in ("inventory_health", "customers"),
    ),
    (["--exposure", "exposure.greenery.product_*"], lambda e: e["name"] == "product_funnel"),
    (["--type", "analysis"], lambda e: e["type"] == "analysis"),
    (
        ["--type", "DASHBOARD", "--owner", "finance"],
        lambda e: e["type"] == "dashboard" and (e["owner"]["name"] or "").lower() == "finance",
    ),
    (
        ["--owner", "*@greenery.example.com", "--maturity", "medium"],
        lambda e: _email(e).endswith("@greenery.example.com") and e["maturity"] == "medium",
    ),
    (["--maturity", "high", "--maturity", "low"], lambda e: e["maturity"] in ("high", "low")),
    (["--owner", "OPS@greenery.example.com"], lambda e: _email(e) == "ops@greenery.example.com"),
    (["--owner", "nobody"], lambda e: False),
]


@pytest.mark.parametrize(("flags", "predicate"), FILTERS)
def test_filters(example_build, capsys, flags, predicate):
    _, full, _ = run(capsys, *artifacts(example_build.failure), "--format", "json")
    expected = {e["name"] for e in json.loads(full)["exposures"] if predicate(e)}
    if flags[0] == "--exposure" or "finance" in flags or "OPS@greenery.example.com" in flags:
        assert expected  # the filter is exercised on something
    code, out, err = run(capsys, *artifacts(example_build.failure), "--format", "json", *flags)
    assert set(statuses(out)) == expected
    assert code == (1 if any(FAILURE_STATUSES[n] == "stale" for n in expected) else 0)
    if not expected:
        assert "no exposure matches" in err


def test_markdown_has_mermaid(example_build, capsys):
    code, out, _ = run(capsys, *artifacts(example_build.failure), "--format", "markdown")
    assert code == 1
    assert out.count("```mermaid\nflowchart LR") == 4  # one per unhealthy dashboard
    assert "stg\\_promos" in out and "| 🟢 fresh | [Customers](" in out


def test_table_and_slack_formats(example_build, capsys):
    code, out, _ = run(capsys, *artifacts(example_build.failure))
    assert code == 1
    assert "3 stale, 1 at risk, 1 fresh" in out
    assert "Orders Overview" in out and "stg_promos" in out
    code, out, _ = run(capsys, *artifacts(example_build.failure), "--format", "slack")
    payload = json.loads(out)
    assert payload["blocks"][0]["text"]["text"] == "Dashboard health: 3 stale, 1 at risk"


def test_output_file_replaces_stdout(example_build, capsys, tmp_path):
    """--output means what it means in every command: the report goes to the file instead of stdout."""
    _, printed, _ = run(capsys, *artifacts(example_build.failure), "--format", "json")
    target = tmp_path / "report.json"
    target.write_text("old")
    code, out, _ = run(capsys, *artifacts(example_build.failure), "--format", "json", "--output", target)
    assert code == 1
    assert out == ""
    assert json.loads(target.read_text()) == json.loads(printed)
    code, out, _ = run(capsys, *artifacts(example_build.failure), "-o", tmp_path / "report.txt")
    assert out == ""
    assert "3 stale, 1 at risk, 1 fresh" in (tmp_path / "report.txt").read_text()


def _project_with_target(tmp_path: Path, source: Path, target_name: str = "target") -> Path:
    project = tmp_path / "proj"
    (project / target_name).mkdir(parents=True)
    (project / "dbt_project.yml").write_text("name: greenery\n")
    for name in ("manifest.json", "run_results.json", "sources.json"):
        shutil.copyfile(source / name, project / target_name / name)
    return project


def test_artifacts_found_from_project_dir_and_env(example_build, capsys, tmp_path, monkeypatch):
    project = _project_with_target(tmp_path, example_build.failure, "custom_target")
    code, out, _ = run(capsys, "--project-dir", project, "--target-path", "custom_target", "--format", "json")
    assert code == 1 and statuses(out) == FAILURE_STATUSES
    monkeypatch.setenv("DBT_PROJECT_DIR", str(project))
    monkeypatch.setenv("DBT_TARGET_PATH", "custom_target")
    code, out, _ = run(capsys, "--format", "json")
    assert code == 1 and statuses(out) == FAILURE_STATUSES
    # --manifest alone: run_results.json and sources.json next to it are used
    code, out, _ = run(capsys, "--manifest", project / "custom_target" / "manifest.json", "--format", "json")
    assert statuses(out) == FAILURE_STATUSES


def test_manifest_without_results_is_unknown(example_build, capsys, tmp_path):
    shutil.copyfile(example_build.failure / "manifest.json", tmp_path / "manifest.json")
    code, out, err = run(capsys, "--manifest", tmp_path / "manifest.json", "--format", "json")
    assert code == 0
    assert set(statuses(out).values()) == {"unknown"}
    assert err.startswith("dbtmeta: warning: no run_results.json") and err.count("\n") == 1


def test_strict_accepts_real_artifacts(example_build, capsys):
    code, out, _ = run(capsys, *artifacts(example_build.failure), "--strict", "--format", "json")
    assert code == 1 and statuses(out) == FAILURE_STATUSES


def test_untrusted_titles_are_escaped_end_to_end(example_build, capsys, tmp_path):
    manifest = json.loads((example_build.failure / "manifest.json").read_text())
    exposure = manifest["exposures"]["exposure.greenery.orders_overview"]
    exposure["label"] = "[bold red]x[/] :smile: <!channel> | `q`"
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    for name in ("run_results.json", "sources.json"):
        shutil.copyfile(example_build.failure / name, tmp_path / name)
    code, out, _ = run(capsys, "--manifest", tmp_path / "manifest.json")
    assert code == 1
    assert "[bold red]x[/]" in out and ":smile:" in out and "<!channel>" in out
    _, out, _ = run(capsys, "--manifest", tmp_path / "manifest.json", "--format", "slack")
    assert "<!channel>" not in out and "&lt;!channel&gt;" in out
    _, out, _ = run(capsys, "--manifest", tmp_path / "manifest.json", "--format", "markdown")
    assert "<!channel>" not in out and "\\| \\`q\\`" in out


# ---------------------------------------------------------------------------------------- bad inputs

CASES = json.loads((FIXTURES / "cases.json").read_text())


def _case_args(case: dict) -> list[str]:
    path = FIXTURES / case["file"]
    manifest = FIXTURES / (case["manifest"] or "manifest_ok.json")
    if case["as"] == "manifest":
        return ["--manifest", str(path)]
    option = "--run-results" if case["as"] == "run_results" else "--sources"
    return ["--manifest", str(manifest), option, str(path)]


def assert_one_line_error(capsys, args, *, expect: str | None = None, tmp_path: Path | None = None):
    """Exit 2, exactly one `dbtmeta: error:` line on stderr, nothing on stdout, files untouched."""
    extra: list[str] = []
    if tmp_path is not None:
        existing = tmp_path / "existing-report.json"
        existing.write_bytes(b"previous report\n")
        extra = ["--output", str(existing)]
    code, out, err = run(capsys, *args, *extra)
    assert code == 2, (args, out, err)
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("dbtmeta: error: "), err
    if expect is not None:
        assert expect.lower() in err.lower()
    if tmp_path is not None:
        assert existing.read_bytes() == b"previous report\n"
    return err


@pytest.mark.parametrize("case", CASES, ids=[f"{c['as']}:{c['file']}" for c in CASES])
def test_bad_artifact_fixtures(case, capsys, tmp_path):
    assert_one_line_error(capsys, _case_args(case), expect=case["expect"], tmp_path=tmp_path)


def _real_bad_inputs(build, tmp: Path) -> dict[str, tuple[list[str], str]]:
    """Bad inputs made from the real artifacts of the failure scenario."""
    failure = build.failure
    manifest_text = (failure / "manifest.json").read_text()
    results = json.loads((failure / "run_results.json").read_text())
    files: dict[str, str] = {
        "truncated_manifest.json": manifest_text[: len(manifest_text) // 2],
        "truncated_sources.json": (failure / "sources.json").read_text()[:300],
        "empty_run_results.json": "",
    }
    docs = dict(results, args={**results.get("args", {}), "which": "generate"})
    files["docs_run_results.json"] = json.dumps(docs)
    old = json.loads(json.dumps(results))
    old["metadata"]["dbt_schema_version"] = "https://schemas.getdbt.com/dbt/run-results/v2.json"
    files["old_run_results.json"] = json.dumps(old)
    other = json.loads(json.dumps(results))
    for result in other["results"]:
        result["unique_id"] = result["unique_id"].replace(".greenery.", ".jaffle_shop.")
    files["other_run_results.json"] = json.dumps(other)
    for name, text in files.items():
        (tmp / name).write_text(text)
    (tmp / "a_directory").mkdir()
    manifest = str(failure / "manifest.json")
    m = ["--manifest", manifest]
    # Unusable run results are an error only when nothing usable is left: no sources.json beside this one.
    (tmp / "bare").mkdir()
    shutil.copyfile(manifest, tmp / "bare" / "manifest.json")
    bare = ["--manifest", str(tmp / "bare" / "manifest.json")]

    def t(name: str) -> str:
        return str(tmp / name)

    return {
        "truncated manifest": (["--manifest", t("truncated_manifest.json")], "truncated"),
        "truncated sources": ([*m, "--sources", t("truncated_sources.json")], "truncated"),
        "empty run_results": ([*m, "--run-results", t("empty_run_results.json")], "empty"),
        "docs generate": ([*bare, "--run-results", t("docs_run_results.json")], "docs generate"),
        "old run_results": ([*m, "--run-results", t("old_run_results.json")], "v2"),
        "other project": ([*bare, "--run-results", t("other_run_results.json")], "another project"),
        "manifest as run_results": ([*m, "--run-results", manifest], "not run_results.json"),
        "run_results as manifest": (["--manifest", str(failure / "run_results.json")], "not manifest.json"),
        "missing manifest": (["--manifest", t("nope.json")], "does not exist"),
        "directory as manifest": (["--manifest", t("a_directory")], "directory"),
        "path through a file": ([*m, "--sources", manifest + "/sources.json"], "sources"),
        "missing project dir": (["--project-dir", t("no_such_project")], "not a directory"),
        "project without target": (["--project-dir", t("a_directory")], "no manifest.json"),
    }  # fmt: skip


REAL_CASES = [
    "truncated manifest", "truncated sources", "empty run_results", "docs generate", "old run_results",
    "other project", "manifest as run_results", "run_results as manifest", "missing manifest",
    "directory as manifest", "path through a file", "missing project dir", "project without target",
]  # fmt: skip


@pytest.mark.parametrize("name", REAL_CASES)
def test_bad_real_artifacts(example_build, capsys, tmp_path, name):
    args, expect = _real_bad_inputs(example_build, tmp_path)[name]
    assert_one_line_error(capsys, args, expect=expect, tmp_path=tmp_path)


HOOK = ["--slack-webhook", "https://hooks.example/x"]
FLAG_CASES = {
    "unknown format": (["--format", "xml"], "--format"),
    "bad fail-on": (["--fail-on", "warn"], "--fail-on"),
    "bad type": (["--type", "report"], "--type"),
    "bad maturity": (["--maturity", "extreme"], "--maturity"),
    "bad slack mode": ([*HOOK, "--slack-mode", "everyone"], "--slack-mode"),
    "bad repeat-after": ([*HOOK, "--repeat-after", "soon"], "--repeat-after"),
    "bad repeat-after alone": (["--repeat-after", "-3h"], "--repeat-after"),
    "webhook not http": (["--slack-webhook", "ftp://hooks.example/SECRETX"], "http(s) URL"),
    "webhook garbage": (["--slack-webhook", "SECRETX"], "http(s) URL"),
    "state file in missing dir": (
        [*HOOK, "--state-file", "/nonexistent-dir/state.json"],
        "does not exist",
    ),
    "select matches nothing": (["--exposure", "no_such_dashboard*"], "matches no exposure"),
    "empty select": (["--exposure", ""], "--exposure: an exposure filter needs a name or glob"),
    "output in missing dir": (["--output", "/nonexistent-dir/report.json"], "does not exist"),
    "bad timeout": (["--slack-timeout", "0"], "--slack-timeout"),
    "unknown option": (["--frobnicate"], "no such option"),
    "missing option value": (["--manifest"], "requires an argument"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(FLAG_CASES))
def test_bad_flags(example_build, capsys, tmp_path, name):
    args, expect = FLAG_CASES[name]
    err = assert_one_line_error(capsys, [*artifacts(example_build.failure), *args], expect=expect)
    assert "SECRETX" not in err


def test_state_file_without_webhook_is_a_warning(example_build, capsys):
    code, out, err = run(
        capsys, *artifacts(example_build.failure), "--state-file", "state.json", "--format", "json"
    )
    assert code == 1 and statuses(out) == FAILURE_STATUSES
    assert err.startswith("dbtmeta: warning: no Slack webhook") and err.count("\n") == 1
    assert not Path("state.json").exists()


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads any file")
def test_unreadable_manifest(example_build, capsys, tmp_path):
    manifest = tmp_path / "manifest.json"
    shutil.copyfile(example_build.failure / "manifest.json", manifest)
    manifest.chmod(0)
    assert_one_line_error(capsys, ["--manifest", str(manifest)], expect="permission denied")


def test_corrupt_state_file(example_build, capsys, tmp_path):
    state = tmp_path / "state.json"
    state.write_text("{not json")
    args = [
        *artifacts(example_build.failure),
        "--slack-webhook",
        "https://hooks.example/x",
        "--state-file",
        state,
    ]
    assert_one_line_error(capsys, args, expect="state file", tmp_path=tmp_path)
    assert state.read_text() == "{not json"


def test_real_process_exit_codes_and_streams(example_build):
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "DBTMETA_"))}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "dbtmeta",
            "stale-dashboards",
            *artifacts(example_build.failure),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 1 and proc.stderr == ""
    assert statuses(proc.stdout) == FAILURE_STATUSES
    proc = subprocess.run(
        [sys.executable, "-m", "dbtmeta", "stale-dashboards", "--manifest", str(FIXTURES / "empty.json")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


# ------------------------------------------------- results that say nothing about this manifest's data


def _build_extra_runs(green_duckdb: Path):
    """Real run_results of `dbt compile` and `dbt docs generate` (on the green database), and of a
    `dbt build` of the same project (same name, same node ids) into another database."""
    from conftest import _Chain, _run_chains, copy_project

    def build(out: Path, work: Path) -> None:
        docs_project = copy_project(work / "docs")
        shutil.copyfile(green_duckdb, docs_project / "greenery.duckdb")
        docs = _Chain(
            "docs",
            docs_project,
            [
                (["compile"], True, {"target/run_results.json": out / "compile/run_results.json"}),
                (["docs", "generate"], True, {"target/run_results.json": out / "docs/run_results.json"}),
            ],
        )
        elsewhere_project = copy_project(work / "elsewhere")
        elsewhere = _Chain(
            "elsewhere",
            elsewhere_project,
            [(["build"], True, {"target/run_results.json": out / "elsewhere/run_results.json"})],
            env={"GREENERY_DUCKDB_PATH": str(elsewhere_project / "elsewhere.duckdb")},
        )
        _run_chains([docs, elsewhere], work)

    return build


@pytest.fixture(scope="module")
def extra_runs(example_build, pytestconfig) -> Path:
    from conftest import _cached, _rebuild_requested

    return _cached(
        "extra_runs", _build_extra_runs(example_build.duckdb_path), _rebuild_requested(pytestconfig)
    )


def _target_dir(tmp_path: Path, build: Path, run_results: Path | None) -> Path:
    target = tmp_path / "project" / "target"
    target.mkdir(parents=True)
    shutil.copyfile(build / "manifest.json", target / "manifest.json")
    if run_results is not None:
        shutil.copyfile(run_results, target / "run_results.json")
    return target


@pytest.mark.parametrize("command", ["docs", "compile"])
def test_results_of_docs_generate_or_compile_beside_the_manifest_are_left_out(
    example_build, extra_runs, capsys, tmp_path, command
):
    written_by = {"docs": "dbt docs generate", "compile": "dbt compile"}[command]
    assert json.loads((extra_runs / command / "run_results.json").read_text())["args"]["which"] in {
        "generate",
        "compile",
    }
    target = _target_dir(tmp_path / "with", example_build.failure, extra_runs / command / "run_results.json")
    sources = example_build.failure / "sources.json"
    code, out, err = run(
        capsys, "--manifest", target / "manifest.json", "--sources", sources, "--format", "json"
    )
    # The same answer as with no run_results.json at all: sources only.
    bare = _target_dir(tmp_path / "bare", example_build.failure, None)
    bare_code, bare_out, bare_err = run(
        capsys, "--manifest", bare / "manifest.json", "--sources", sources, "--format", "json"
    )
    assert (code, statuses(out)) == (bare_code, statuses(bare_out))
    assert statuses(out)["inventory_health"] == "stale"  # the failed freshness of the failure scenario
    assert bare_err == ""
    assert err == (
        f"dbtmeta: warning: left out run results {str(target / 'run_results.json')!r}: was written by "
        f"`{written_by}` and says nothing about data health; use the run_results.json of "
        "`dbt build`/`run`/`test` (copy it before that)\n"
    )


def test_docs_generate_results_among_given_results_are_left_out(example_build, extra_runs, capsys):
    docs = extra_runs / "docs" / "run_results.json"
    code, out, err = run(capsys, *artifacts(example_build.failure), "--run-results", docs, "--format", "json")
    assert code == 1 and statuses(out) == FAILURE_STATUSES
    assert err.count("\n") == 1 and str(docs) in err and "`dbt docs generate`" in err
    assert err.startswith("dbtmeta: warning: left out run results")


def test_docs_generate_results_alone_are_an_error(example_build, extra_runs, capsys, tmp_path):
    target = _target_dir(tmp_path, example_build.failure, extra_runs / "docs" / "run_results.json")
    code, out, err = run(capsys, "--manifest", target / "manifest.json")
    assert code == 2 and out == ""
    assert err.startswith(f"dbtmeta: error: run results {str(target / 'run_results.json')!r}: was written by")
    assert err.count("\n") == 1


def test_results_of_the_same_project_built_elsewhere_are_left_out(example_build, extra_runs, capsys):
    elsewhere = extra_runs / "elsewhere" / "run_results.json"
    ids = {r["unique_id"] for r in json.loads(elsewhere.read_text())["results"]}
    manifest = json.loads((example_build.failure / "manifest.json").read_text())
    assert ids <= set(manifest["nodes"]) | set(manifest["exposures"])  # same name, same ids
    code, out, err = run(
        capsys, *artifacts(example_build.failure), "--run-results", elsewhere, "--format", "json"
    )
    assert code == 1 and statuses(out) == FAILURE_STATUSES  # not merged: it is the newest file
    assert err.startswith(f"dbtmeta: warning: left out run results {str(elsewhere)!r}: 20 of 20 relations")
    assert '\'"elsewhere"."' in err and "another project named 'greenery'" in err
    assert err.count("\n") == 1


def test_a_stale_results_file_among_several_is_left_out(example_build, capsys, tmp_path):
    # The results of a run of an older version of the project: its models have been renamed since.
    stale = json.loads((example_build.green / "run_results.json").read_text())
    for result in stale["results"]:
        result["unique_id"] += "_v0"
    (tmp_path / "stale.json").write_text(json.dumps(stale))
    code, out, err = run(
        capsys,
        *artifacts(example_build.failure),
        "--run-results",
        tmp_path / "stale.json",
        "--format",
        "json",
    )
    assert code == 1 and statuses(out) == FAILURE_STATUSES
    total = len(stale["results"])
    assert err.startswith(
        f"dbtmeta: warning: left out run results {str(tmp_path / 'stale.json')!r}: "
        f"{total} of {total} nodes are not in the manifest"
    )
    assert err.count("\n") == 1


def test_nothing_usable_left_is_an_error_naming_the_first_file(example_build, extra_runs, capsys, tmp_path):
    target = _target_dir(tmp_path, example_build.failure, None)
    docs = extra_runs / "docs" / "run_results.json"
    elsewhere = extra_runs / "elsewhere" / "run_results.json"
    code, out, err = run(
        capsys, "--manifest", target / "manifest.json", "--run-results", docs, "--run-results", elsewhere
    )
    assert code == 2 and out == ""
    assert err.startswith(f"dbtmeta: error: run results {str(docs)!r}: was written by `dbt docs generate`")
    assert err.rstrip().endswith("(and 1 other file(s) left out too)") and err.count("\n") == 1
