"""check-exposures on a parsed copy of the example project: every problem with file and line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dbtmeta.cli import main
from dbtmeta.dbt.artifacts import load_manifest
from dbtmeta.exposures.check import check_exposures, parse_reference

EXAMPLE = Path(__file__).resolve().parents[1] / "example_project"

BROKEN = """\
exposures:
  - name: broken_report
    type: dashboard
    owner:
      name: Someone
      email: not-an-email
    depends_on:
      - ref('fact_orderz')
      - source('greenery', 'nope')
      - ref('disabled_model')
      - ref(fact_orders)
      - env_var('HOME')
  - name: Bad Name
    type: spreadsheet
    maturity: huge
    owner: {email: ok@greenery.example.com}
    depends_on: ["{{ ref('dim_users') }}"]
  - name: customers
    type: dashboard
    depends_on: [ref('dim_users')]
"""


def _copy(dest: Path) -> Path:
    shutil.copytree(
        EXAMPLE,
        dest,
        ignore=shutil.ignore_patterns(
            "target", "logs", "dbt_packages", "*.duckdb", "*.duckdb.wal", ".user.yml"
        ),
    )
    return dest


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A parsed copy of the example project with one disabled model."""
    runner_module = pytest.importorskip("dbt.cli.main")
    project = _copy(tmp_path_factory.mktemp("check") / "example_project")
    (project / "models/marts/core/disabled_model.sql").write_text(
        "{{ config(enabled=false) }}\nselect 1 as x\n"
    )
    result = runner_module.dbtRunner().invoke(
        ["parse", "--project-dir", str(project), "--profiles-dir", str(project), "--quiet"]
    )
    assert result.success, result.exception
    return project


@pytest.fixture
def project(parsed: Path, tmp_path: Path) -> Path:
    """A fresh copy of the parsed project per test (tests edit files)."""
    return _copy_with_target(parsed, tmp_path / "example_project")


def _copy_with_target(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("logs"))
    return dest


def test_example_project_is_clean(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["check-exposures", "--project-dir", str(project)])
    assert exit_info.value.code == 0, capsys.readouterr()
    assert "5 exposure(s) OK" in capsys.readouterr().err


def test_every_problem_has_file_and_line(project: Path) -> None:
    path = project / "models/exposures/broken.yml"
    path.write_text(BROKEN)
    manifest = load_manifest(project / "target/manifest.json")
    result = check_exposures(manifest, [str(path)], project_dir=project)
    found = {(p.line, p.exposure, p.code) for p in result.problems}
    assert found == {
        (6, "broken_report", "owner-email"),
        (8, "broken_report", "missing-node"),
        (9, "broken_report", "missing-node"),
        (10, "broken_report", "disabled-node"),
        (11, "broken_report", "depends-on-syntax"),
        (12, "broken_report", "depends-on-syntax"),
        (13, "Bad Name", "name-invalid"),
        (14, "Bad Name", "type-invalid"),
        (15, "Bad Name", "maturity-invalid"),
        (18, "customers", "name-duplicate"),
        (18, "customers", "owner-missing"),
    }
    assert all(p.file == str(path) for p in result.problems)
    by_line = {p.line: p.message for p in result.problems}
    assert "did you mean fact_orders" in by_line[8]
    assert "looker_exposures.yml" in next(p.message for p in result.problems if p.code == "name-duplicate")


def test_cli_text_and_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = project / "models/exposures/broken.yml"
    path.write_text(BROKEN)
    with pytest.raises(SystemExit) as exit_info:
        main(["check-exposures", "--project-dir", str(project), str(path)])
    assert exit_info.value.code == 1
    out, err = capsys.readouterr()
    assert f"{path}:8: exposure 'broken_report': depends on ref('fact_orderz')" in out
    assert "11 problem(s)" in err and "Traceback" not in out + err
    with pytest.raises(SystemExit) as exit_info:
        main(["check-exposures", "--format", "json", "--project-dir", str(project)])
    assert exit_info.value.code == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False and data["checked_exposures"] == 8
    assert {p["line"] for p in data["problems"]} >= {6, 8, 18}


def test_ref_to_model_deleted_since_parse(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The manifest still has fact_orders, but its file is gone: dbt parse would now fail.
    (project / "models/marts/core/fact_orders.sql").unlink()
    exposures = project / "models/exposures/looker_exposures.yml"
    with pytest.raises(SystemExit) as exit_info:
        main(["check-exposures", "--project-dir", str(project), str(exposures)])
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    assert "exposure 'orders_overview': depends on ref('fact_orders'), whose file" in out
    assert "[deleted-node]" in out


def _as_written_on_windows(project: Path) -> None:
    """Rewrite the manifest's file paths the way dbt on Windows writes them (backslashes)."""
    path = project / "target" / "manifest.json"
    data = json.loads(path.read_text())
    changed = 0
    for group in ("nodes", "sources", "exposures", "macros"):
        for node in data[group].values():
            for key in ("original_file_path", "path", "patch_path"):
                if isinstance(node.get(key), str) and "/" in node[key]:
                    package, sep, rest = node[key].rpartition("://")
                    node[key] = package + sep + rest.replace("/", "\\")
                    changed += 1
    assert changed > 100
    path.write_text(json.dumps(data))


def test_manifest_written_on_windows_is_clean(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _as_written_on_windows(project)
    with pytest.raises(SystemExit) as exit_info:
        main(["check-exposures", "--project-dir", str(project)])
    out, err = capsys.readouterr()
    assert (exit_info.value.code, out) == (0, "")
    assert "5 exposure(s) OK" in err
    # The deleted file of a model is still seen as deleted.
    (project / "models/marts/core/fact_orders.sql").unlink()
    exposures = project / "models/exposures/looker_exposures.yml"
    with pytest.raises(SystemExit) as exit_info:
        main(["check-exposures", "--project-dir", str(project), str(exposures)])
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    assert (
        "depends on ref('fact_orders'), whose file models/marts/core/fact_orders.sql no longer exists" in out
    )
    assert "duplicate" not in out


def test_files_without_exposures_need_no_manifest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "other.yml"
    other.write_text("models:\n  - name: x\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["check-exposures", "--manifest", str(tmp_path / "missing.json"), str(other), "README.md"])
    assert exit_info.value.code == 0


def test_missing_manifest_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "dbt_project.yml").write_text("name: x\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["check-exposures", "--project-dir", str(tmp_path)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "dbt parse" in err


def test_invalid_yaml_is_a_problem_with_line(project: Path) -> None:
    path = project / "models/exposures/bad.yml"
    path.write_text("exposures:\n  - name: x\n    type: [unclosed\n")
    manifest = load_manifest(project / "target/manifest.json")
    result = check_exposures(manifest, [str(path)], project_dir=project)
    assert [(p.code, p.line) for p in result.problems] == [("yaml", 4)]


def test_parse_flag_runs_dbt_parse(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "models/exposures/broken.yml").write_text(BROKEN)
    with pytest.raises(SystemExit) as exit_info:
        main(["check-exposures", "--parse", "--project-dir", str(project)])
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    # dbt parse itself fails on the broken file; the YAML checks still report each problem.
    (dbt_line,) = [line for line in out.splitlines() if line.endswith("[dbt-parse]")]
    assert "`dbt parse` failed: Compilation Error" in dbt_line
    assert "fact_orderz" in out and "[owner-email]" in out
    assert "Encountered an error" not in out  # dbt's own log stays off our stdout


def test_parse_flag_writes_the_target_path_it_reads(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A new exposure only a fresh parse knows about: found only if dbt wrote where we read.
    (project / "models/exposures/extra.yml").write_text(
        "version: 2\nexposures:\n  - name: extra_dashboard\n    type: dashboard\n"
        "    owner: {name: Ops, email: ops@example.com}\n    depends_on: [ref('fact_orders')]\n"
    )
    with pytest.raises(SystemExit) as exit_info:
        main(["check-exposures", "--parse", "--project-dir", str(project), "--target-path", "other-target"])
    assert exit_info.value.code == 0, capsys.readouterr()
    manifest = load_manifest(project / "other-target/manifest.json")
    assert "exposure.greenery.extra_dashboard" in manifest.exposures


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("ref('a')", ("ref", ("a",), None)),
        ('ref("pkg", "a")', ("ref", ("pkg", "a"), None)),
        ("ref('a', v=2)", ("ref", ("a",), "2")),
        ("ref('a', package='p')", ("ref", ("p", "a"), None)),
        ("{{ source('s', 't') }}", ("source", ("s", "t"), None)),
        ("metric('m')", ("metric", ("m",), None)),
    ],
)
def test_parse_reference(entry: str, expected: tuple) -> None:
    ref = parse_reference(entry)
    assert (ref.kind, ref.args, ref.version) == expected


@pytest.mark.parametrize(
    "entry",
    ["ref(a)", "source('s')", "__import__('os').system('x')", "ref('a') + ref('b')", "ref('a', x=1)", "{{"],
)
def test_parse_reference_refuses(entry: str) -> None:
    with pytest.raises(ValueError):
        parse_reference(entry)


def test_sync_snapshot_checks_generated_file(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dbtmeta.looker.lookml import read_lookml
    from dbtmeta.looker.snapshot import save_snapshot

    monkeypatch.delenv("DBTMETA_CONFIG", raising=False)
    snapshot = project / "looker_snapshot.json"
    save_snapshot(read_lookml(project / "looker"), snapshot)
    base = ["--project-dir", str(project)]
    with pytest.raises(SystemExit) as exit_info:
        main(["sync-exposures", "--snapshot", str(snapshot), *base])  # generate, as a user would
    assert exit_info.value.code == 0
    capsys.readouterr()
    check = ["check-exposures", "--sync-snapshot", str(snapshot), *base]
    with pytest.raises(SystemExit) as exit_info:
        main(check)
    assert exit_info.value.code == 0, capsys.readouterr()
    capsys.readouterr()
    generated = project / "models/exposures/looker_exposures.yml"
    generated.write_text(generated.read_text().replace("label: Customers", "label: Customers!"))
    with pytest.raises(SystemExit) as exit_info:
        main([*check, "--format", "json"])
    assert exit_info.value.code == 1
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert [p["code"] for p in problems] == ["out-of-sync"]
    assert "looker_exposures.yml is out of date" in problems[0]["message"]


# ---------------------------------------------------------------------------------- start-up cost

HEAVY = {"looker_sdk", "dbt", "dbt_artifacts_parser", "sqlglot", "networkx", "pydantic", "lkml"}
PROBE = """
import sys
from dbtmeta.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
loaded = sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[0].split(",")))
print("HEAVY=" + ",".join(loaded), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["lineage", "--help"],
        ["impact", "--help"],
        ["check-exposures", "--help"],
        ["check-exposures", "--project-dir", "{project}"],
        ["check-exposures", "--project-dir", "{project}", "{project}/models/exposures/manual_exposures.yml"],
    ],
)
def test_no_heavy_imports(args: list[str], parsed: Path) -> None:
    import subprocess
    import sys

    argv = [arg.format(project=parsed) for arg in args]
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.replace("sys.argv[0]", repr(",".join(sorted(HEAVY)))), *argv],
        capture_output=True,
        text=True,
        timeout=120,
    )
    line = [text for text in proc.stderr.splitlines() if text.startswith("HEAVY=")]
    assert line == ["HEAVY="], proc.stderr
