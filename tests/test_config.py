"""Config file: discovery, precedence CLI > env > config, validation with one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dbtmeta.cli import main
from dbtmeta.config import find_config, read_config

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_graph import tiny_manifest


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git root with two dbt 'projects' (a/ and b/), each with a manifest, and a sub directory."""
    for var in ("DBT_PROJECT_DIR", "DBTMETA_CONFIG", "DBT_TARGET_PATH"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / ".git").mkdir()
    for name, model in (("a", "model_a"), ("b", "model_b")):
        target = tmp_path / name / "target"
        target.mkdir(parents=True)
        (tmp_path / name / "dbt_project.yml").write_text(f"name: {name}\n")
        data = tiny_manifest()
        data["nodes"]["model.shop.stg_orders"]["name"] = model
        (target / "manifest.json").write_text(json.dumps(data))
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "sub" / "deeper")
    return tmp_path


def _lineage_root(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(["lineage", "model.shop.stg_orders", "--format", "json", *args])
    out, err = capsys.readouterr()
    assert exit_info.value.code == 0, err
    return json.loads(out)["node"]["name"]


def test_config_found_walking_up_and_paths_relative_to_it(repo: Path, capsys) -> None:
    (repo / "dbtmeta.yml").write_text("project_dir: a\n")
    assert find_config() == repo / "dbtmeta.yml"
    assert _lineage_root(capsys) == "model_a"


def test_precedence_cli_over_env_over_config(repo: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "dbtmeta.yml").write_text("project_dir: a\n")
    monkeypatch.setenv("DBT_PROJECT_DIR", str(repo / "b"))
    assert _lineage_root(capsys) == "model_b"
    assert _lineage_root(capsys, "--project-dir", str(repo / "a")) == "model_a"


def test_command_section_beats_shared_key(repo: Path, capsys) -> None:
    (repo / "dbtmeta.yml").write_text("project_dir: a\nlineage:\n  project_dir: b\n  direction: upstream\n")
    with pytest.raises(SystemExit):
        main(["lineage", "model.shop.stg_orders", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert data["node"]["name"] == "model_b" and data["direction"] == "upstream"


def test_dot_file_and_pyproject(repo: Path, capsys) -> None:
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.dbtmeta]\nproject_dir = "b"\n')
    assert _lineage_root(capsys) == "model_b"
    (repo / ".dbtmeta.yml").write_text("project_dir: a\n")  # dbtmeta files come before pyproject.toml
    assert _lineage_root(capsys) == "model_a"


def test_pyproject_without_tool_table_is_skipped(repo: Path) -> None:
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert find_config() is None


def test_search_stops_at_git_root(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    (repo.parent / "dbtmeta.yml").write_text("project_dir: nowhere\n")
    try:
        assert find_config() is None
    finally:
        (repo.parent / "dbtmeta.yml").unlink()


def test_explicit_config_option_and_env(repo: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    conf = repo / "conf" / "custom.yml"
    conf.parent.mkdir()
    conf.write_text("project_dir: ../b\n")
    with pytest.raises(SystemExit):
        main(["--config", str(conf), "lineage", "model.shop.stg_orders", "--format", "json"])
    assert json.loads(capsys.readouterr().out)["node"]["name"] == "model_b"
    monkeypatch.setenv("DBTMETA_CONFIG", str(conf))
    assert _lineage_root(capsys) == "model_b"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("project_dirr: a\n", "unknown key 'project_dirr'; did you mean 'project_dir'?"),
        ("lineage:\n  dept: 2\n", "lineage: unknown option 'dept'; did you mean 'depth'?"),
        ("lineage:\n  depth: many\n", "lineage.depth: 'many' is not a valid integer"),
        ("lineage:\n  depth: 0\n", "lineage.depth:"),
        ("lineage:\n  format: jsn\n", "lineage.format: 'jsn' is not one of"),
        ("lineage: 3\n", "section 'lineage' must be a mapping"),
        ("lineage:\n  direction: sideways\n", "lineage.direction: 'sideways' is not one of"),
        ("impact:\n  select: [a, [b]]\n", "impact.select: expected a single value"),
        ("check_exposures:\n  parse: 'yes'\n", "check_exposures.parse: expected true or false"),
        ("looker:\n  pull:\n    concurrency: x\n", "looker.pull.concurrency: 'x' is not a valid integer"),
        ("- a\n- b\n", "must hold a mapping"),
        ("lineage: {depth: 1\n", "line 2"),
    ],
)
def test_invalid_config_is_one_line(repo: Path, capsys, text: str, expected: str) -> None:
    (repo / "dbtmeta.yml").write_text(text)
    command = next((c for c in ("impact", "check_exposures", "looker") if text.startswith(c)), "lineage")
    args = {
        "lineage": ["lineage", "model.shop.stg_orders"],
        "impact": ["impact", "-s", "model.shop.stg_orders"],
        "check_exposures": ["check-exposures"],
        "looker": ["looker", "pull", "--out", "x.json"],
    }[command]
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--project-dir", str(repo / "a")] if command != "looker" else args)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.startswith(f"dbtmeta: error: {repo / 'dbtmeta.yml'}") and err.count("\n") == 1, err
    assert expected in err


def test_sections_of_other_commands_are_not_validated_now(repo: Path, capsys) -> None:
    # Keys of stale_dashboards are checked when stale-dashboards runs, not on every command.
    (repo / "dbtmeta.yml").write_text("project_dir: a\nimpact:\n  not_an_option: 1\n")
    assert _lineage_root(capsys) == "model_a"
    with pytest.raises(SystemExit) as exit_info:
        main(["impact", "-s", "model.shop.stg_orders"])
    assert exit_info.value.code == 2
    assert "unknown option 'not_an_option'" in capsys.readouterr().err


def test_shared_key_of_another_command_is_accepted(repo: Path, capsys) -> None:
    # fail_on_maturity is an option of impact only; at the top level it must not break lineage.
    (repo / "dbtmeta.yml").write_text("project_dir: a\nfail_on_maturity: high\n")
    assert _lineage_root(capsys) == "model_a"


def test_multiple_values_and_flags(repo: Path, capsys) -> None:
    (repo / "dbtmeta.yml").write_text(
        "project_dir: a\nimpact:\n  select: [model.shop.stg_orders]\n"
        "  fail_on_maturity: high\n  format: json\n"
    )
    with pytest.raises(SystemExit) as exit_info:
        main(["impact"])
    assert exit_info.value.code == 1  # finance is a high maturity dashboard
    data = json.loads(capsys.readouterr().out)
    assert [item["name"] for item in data["affected_exposures"]] == ["finance"]


def test_read_config_pyproject_table(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(
        '[tool.dbtmeta]\nmanifest = "t/manifest.json"\n[tool.dbtmeta.stale_dashboards]\nfail_on = "stale"\n'
    )
    assert read_config(path) == {"manifest": "t/manifest.json", "stale_dashboards": {"fail_on": "stale"}}


def test_help_works_with_a_broken_config(repo: Path) -> None:
    (repo / "dbtmeta.yml").write_text("not valid: [\n")
    proc = subprocess.run([sys.executable, "-m", "dbtmeta", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "lineage" in proc.stdout


def test_plain_string_path_options_are_relative_to_the_config(repo: Path) -> None:
    # stale-dashboards declares --project-dir / --manifest without click.Path: still paths.
    import click

    from dbtmeta.cli import cli
    from dbtmeta.config import build_default_map

    (repo / "dbtmeta.yml").write_text(
        "project_dir: a\nstale_dashboards:\n  manifest: a/target/manifest.json\n"
    )
    ctx = click.Context(cli)
    defaults = build_default_map(
        read_config(repo / "dbtmeta.yml"), repo / "dbtmeta.yml", cli, ctx, "stale-dashboards"
    )["stale-dashboards"]
    assert defaults["project_dir"] == str(repo / "a")
    assert defaults["manifest_path"] == str(repo / "a/target/manifest.json")
