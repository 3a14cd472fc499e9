"""--project-dir / --target-path / --manifest: one declaration, one rule, every command."""

from __future__ import annotations

import importlib
import json
import shutil
from pathlib import Path

import click
import pytest

from dbtmeta.cli import COMMANDS, main
from dbtmeta.dbt.artifacts import find_artifacts, find_project_dir, load_project_manifest
from dbtmeta.errors import InputError

EXAMPLE = Path(__file__).resolve().parents[1] / "example_project"
MANIFEST_COMMANDS = ["lineage", "impact", "check-exposures", "sync-exposures", "stale-dashboards"]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DBT_PROJECT_DIR", "DBT_TARGET_PATH", "DBTMETA_CONFIG", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)


def _params(command_name: str) -> dict[str, click.Parameter]:
    command = importlib.import_module(COMMANDS[command_name][0]).command
    return {p.name: p for p in command.params if p.name}


def _describe(param: click.Parameter) -> dict[str, object]:
    kind = param.type
    return {
        "opts": param.opts,
        "type": type(kind).__name__,
        "file_okay": getattr(kind, "file_okay", None),
        "dir_okay": getattr(kind, "dir_okay", None),
        "envvar": param.envvar,
        "metavar": param.metavar,
        "help": getattr(param, "help", None),
    }


def test_every_manifest_command_declares_the_same_project_options() -> None:
    seen = {
        name: {key: _describe(_params(name)[key]) for key in ("project_dir", "target_path", "manifest_path")}
        for name in MANIFEST_COMMANDS
    }
    first = seen["lineage"]
    assert first["project_dir"]["envvar"] == "DBT_PROJECT_DIR"
    assert (first["project_dir"]["type"], first["project_dir"]["file_okay"]) == ("Path", False)
    assert first["target_path"]["envvar"] == "DBT_TARGET_PATH"
    assert first["manifest_path"]["opts"] == ["--manifest"]
    assert (first["manifest_path"]["type"], first["manifest_path"]["dir_okay"]) == ("Path", False)
    for name, described in seen.items():
        assert described == first, name


# ---------------------------------------------------------------------------- library: one rule


def _tiny_project(root: Path, target: str = "target") -> Path:
    (root / target).mkdir(parents=True)
    (root / "dbt_project.yml").write_text("name: greenery\n")
    return root


def test_find_project_dir_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    here = _tiny_project(tmp_path / "here")
    (here / "models").mkdir()
    there = _tiny_project(tmp_path / "there")
    monkeypatch.chdir(here / "models")
    assert find_project_dir() == here  # nearest dbt_project.yml upwards
    # an explicit manifest in <project>/<target>/ names its project
    assert find_project_dir(manifest_path=there / "target" / "manifest.json") == there
    # ... unless its parent's parent is no dbt project
    assert find_project_dir(manifest_path=tmp_path / "manifest.json") == here
    monkeypatch.setenv("DBT_PROJECT_DIR", str(there))
    assert find_project_dir() == there
    assert find_project_dir(here) == here
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DBT_PROJECT_DIR")
    assert find_project_dir() == tmp_path  # no project anywhere: cwd
    with pytest.raises(InputError, match=r"'.*nope' is not a directory; pass --project-dir"):
        find_project_dir(tmp_path / "nope")


def test_find_artifacts_with_an_explicit_manifest_takes_its_neighbours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, example_build
) -> None:
    project = _tiny_project(tmp_path / "project")
    saved = tmp_path / "prod-artifacts"
    shutil.copytree(example_build.green, saved)
    (saved / "sources.json").unlink()
    monkeypatch.chdir(project)
    paths = find_artifacts(manifest_path=saved / "manifest.json", target_path="ignored")
    assert paths.project_dir == project
    assert (paths.target_dir, paths.manifest) == (saved, saved / "manifest.json")
    assert (paths.run_results, paths.sources) == (saved / "run_results.json", None)
    # a missing explicit manifest is reported when it is loaded, by load_manifest
    assert find_artifacts(manifest_path=tmp_path / "nope.json").manifest == tmp_path / "nope.json"
    with pytest.raises(InputError, match="does not exist"):
        load_project_manifest(manifest_path=tmp_path / "nope.json")
    manifest, found = load_project_manifest(None, None, saved / "manifest.json")
    assert (manifest.project_name, found) == ("greenery", project)


# ------------------------------------------------------------------------ CLI: every command alike


@pytest.fixture(scope="module")
def ci_project(tmp_path_factory: pytest.TempPathFactory, example_build) -> Path:
    """The example project with its artifacts in ci_target/ (none in target/) and a Looker snapshot."""
    from dbtmeta.looker.lookml import read_lookml
    from dbtmeta.looker.snapshot import save_snapshot

    project = tmp_path_factory.mktemp("options") / "example_project"
    shutil.copytree(
        EXAMPLE,
        project,
        ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", "*.duckdb*", ".user.yml"),
    )
    shutil.copytree(example_build.green, project / "ci_target")
    save_snapshot(read_lookml(project / "looker"), project / "looker_snapshot.json")
    return project


def _run(capsys: pytest.CaptureFixture[str], args: list[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out, err = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 0), out, err


def _command_args(name: str, project: Path) -> list[str]:
    snapshot = str(project / "looker_snapshot.json")
    return {
        "lineage": ["lineage", "fact_orders", "--format", "json"],
        "impact": ["impact", "--select", "fact_orders", "--format", "json"],
        "check-exposures": ["check-exposures", "--format", "json"],
        "sync-exposures": ["sync-exposures", "--snapshot", snapshot, "--check"],
        "stale-dashboards": ["stale-dashboards", "--format", "json"],
    }[name]


@pytest.mark.parametrize("name", MANIFEST_COMMANDS)
def test_every_command_honours_target_path_and_its_env(
    name: str, ci_project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ci_project.parent)
    args = [*_command_args(name, ci_project), "--project-dir", str(ci_project)]
    code, _, err = _run(capsys, args)
    assert code == 2 and "no manifest.json in" in err and "ci_target" not in err, err
    code, out, err = _run(capsys, [*args, "--target-path", "ci_target"])
    assert code == 0, err
    with_flag = out
    monkeypatch.setenv("DBT_TARGET_PATH", "ci_target")  # relative to the project, like dbt
    code, out, err = _run(capsys, args)
    assert code == 0, err
    if name != "stale-dashboards":  # its JSON holds the time of the report
        assert out == with_flag


@pytest.mark.parametrize("name", MANIFEST_COMMANDS)
def test_every_command_finds_the_project_of_an_explicit_manifest(
    name: str, ci_project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ci_project.parent)  # no dbt_project.yml here or above
    manifest = str(ci_project / "ci_target" / "manifest.json")
    code, out, err = _run(capsys, [*_command_args(name, ci_project), "--manifest", manifest])
    assert code == 0, err
    if name == "check-exposures":  # the exposures YAML was read from the manifest's project
        assert json.loads(out)["checked_exposures"] == 5


def test_check_exposures_passes_target_path_on_to_its_sync_check(
    ci_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshot = str(ci_project / "looker_snapshot.json")
    args = ["check-exposures", "--project-dir", str(ci_project), "--target-path", "ci_target"]
    code, _, err = _run(capsys, [*args, "--sync-snapshot", snapshot])
    assert code == 0, err


@pytest.mark.parametrize("name", MANIFEST_COMMANDS)
def test_a_project_dir_that_is_a_file_is_a_usage_error(
    name: str, ci_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [*_command_args(name, ci_project), "--project-dir", str(ci_project / "dbt_project.yml")]
    code, out, err = _run(capsys, args)
    assert code == 2 and out == ""
    assert err.startswith("dbtmeta: error: ") and "--project-dir" in err and len(err.splitlines()) == 1
