"""One rule for which Looker content a command reads (the command line beats the config file, which
beats the environment; a config value never switches a command's mode; config paths are relative to
the config file), and snapshots that keep everything the LookML gave: each case here disagreed
between commands before."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import ExampleBuild

from dbtmeta.cli import main
from dbtmeta.looker.content import LookerContent
from dbtmeta.looker.lookml import read_lookml
from dbtmeta.looker.snapshot import load_snapshot, save_snapshot

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_LOOKML = REPO / "example_project" / "looker"
CORPUS = REPO / "tests" / "fixtures" / "lookml_corpus"
# every LookML project among the fixtures (no_model is the one that has none, on purpose)
LOOKML_FIXTURES = sorted(
    p
    for root in ("lookml", "lookml_corpus")
    for p in (REPO / "tests" / "fixtures" / root).iterdir()
    if p.is_dir() and any(p.rglob("*.model.lkml"))
)


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


@pytest.mark.parametrize("fixture", [*LOOKML_FIXTURES, EXAMPLE_LOOKML], ids=lambda p: p.name)
def test_a_snapshot_gives_back_every_lookml_fixture(fixture: Path, tmp_path: Path) -> None:
    content = read_lookml(fixture, fields=True)
    save_snapshot(content, tmp_path / "s.json")
    back = load_snapshot(tmp_path / "s.json")
    assert back.lookml_views == content.lookml_views  # native derived tables included
    assert back.lookml_joins == content.lookml_joins
    assert back.explores == content.explores
    assert sorted(back.dashboards, key=lambda d: d.id) == sorted(content.dashboards, key=lambda d: d.id)
    assert back.source == f"snapshot:{content.source}"
    assert {**back.to_dict(), "source": content.source} == content.to_dict()


def test_the_native_fixture_has_native_tables_to_lose() -> None:
    content = read_lookml(REPO / "tests" / "fixtures" / "lookml" / "native", fields=True)
    assert any(view.native is not None for view in content.lookml_views.values())


def test_a_malformed_snapshot_names_the_bad_value(tmp_path: Path) -> None:
    data = LookerContent(source="lookml").to_dict()
    data["lookml_views"] = [{"model": 1, "name": "v"}]
    (tmp_path / "s.json").write_text(json.dumps(data), encoding="utf-8")
    from dbtmeta.errors import InputError

    with pytest.raises(
        InputError, match=r"malformed .*lookml_views: Expected `str`, got `int` - at `\$\[0\]\.model`"
    ):
        load_snapshot(tmp_path / "s.json")


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in ("DBTMETA_CONFIG", "LOOKERSDK_BASE_URL", "LOOKERSDK_CLIENT_ID", "LOOKERSDK_CLIENT_SECRET"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "conf").mkdir()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    return tmp_path / "conf"


def _config(config_dir: Path, data: dict[str, object]) -> Path:
    path = config_dir / "dbtmeta.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_config_looker_ini_does_not_join_a_snapshot_on_the_command_line(
    example_build: ExampleBuild, config_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (config_dir / "looker.ini").write_text("[Looker]\nbase_url=https://looker.invalid\n", encoding="utf-8")
    config = _config(config_dir, {"looker_ini": "looker.ini"})
    snapshot = tmp_path / "s.json"
    save_snapshot(read_lookml(EXAMPLE_LOOKML, fields=True), snapshot)
    project = ["--project-dir", str(example_build.project_dir)]
    code, _, err = _run(
        ["--config", str(config), "sync-exposures", "--snapshot", str(snapshot), *project,
         "--output", str(tmp_path / "out.yml")],
        capsys,
    )  # fmt: skip
    assert (code, "only one source" in err) == (0, False), err
    code, out, err = _run(
        [
            "--config",
            str(config),
            "lineage",
            "fact_orders.order_total",
            "--snapshot",
            str(snapshot),
            *project,
        ],
        capsys,
    )
    assert (code, "only one source" in err) == (0, False), err
    assert "orders_overview" in out.lower() or "Orders" in out


def test_config_lookml_dir_does_not_switch_lineage_to_columns(
    example_build: ExampleBuild, config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for key, value in (("lookml_dir", str(EXAMPLE_LOOKML)), ("snapshot", "s.json")):
        config = _config(config_dir, {key: value})
        args = ["--config", str(config), "lineage", "fact_orders", "--format", "json"]
        code, out, err = _run([*args, "--project-dir", str(example_build.project_dir)], capsys)
        assert code == 0, (key, err)
        assert json.loads(out)["node"]["name"] == "fact_orders"


def test_top_level_lookml_import_is_relative_to_the_config_file(
    example_build: ExampleBuild, config_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(CORPUS / "block_config" / "config", config_dir / "lookml_config")
    config = _config(
        config_dir,
        {
            "lookml_dir": str(CORPUS / "block_config" / "block"),
            "lookml_import": ["block-greenery-config=lookml_config"],
        },
    )
    project = ["--project-dir", str(example_build.project_dir)]
    results = {}
    for command in (["sync-exposures", "--output", str(tmp_path / "out.yml")], ["check-fields"]):
        code, _, err = _run(["--config", str(config), *command, *project], capsys)
        results[command[0]] = (code in (0, 1), "lookml_config" in err, "not given" in err)
    assert results == {"sync-exposures": (True, False, False), "check-fields": (True, False, False)}
