"""The generated exposures fit the user's dbt: tags/meta at the top level for dbt < 1.10 (which
reads only those), under ``config:`` from 1.10 on; both forms read back.

The end-to-end test runs a real dbt-core 1.8 installed into a cached venv
(tests/.artifacts-cache/venv-dbt18-*, pinned by tests/constraints-dbt18.txt) next to the
project's own dbt (1.11).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import CACHE_ROOT, dbt_env, dbt_executable

from dbtmeta.cli import main
from dbtmeta.exposures.resolve import DashboardResolution, NodeRef
from dbtmeta.exposures.sync import project_tags_meta_under_config
from dbtmeta.exposures.yaml_file import (
    HEADER,
    HEADER_TOP_LEVEL_META,
    ExposureSettings,
    build_entry,
    read_existing,
    render,
    tags_meta_under_config,
)
from dbtmeta.looker.content import Dashboard

CONSTRAINTS = Path(__file__).with_name("constraints-dbt18.txt")
GENERATED = Path("models") / "exposures" / "looker_exposures.yml"


@pytest.mark.parametrize(
    ("dbt_version", "require", "under_config"),
    [
        ("1.8.10", None, False),
        ("1.9.4", ">=1.10.0", False),  # the dbt that parsed the project decides
        ("1.10.0", None, True),
        ("1.11.16", "<1.9.0", True),
        ("2.0.0-beta.1", None, True),
        (None, ">=1.8.0,<2.0.0", False),  # the oldest dbt allowed reads only the top level
        (None, [">=1.10.0", "<2.0.0"], True),
        (None, "1.9.8", False),
        (None, "<1.10.0", False),  # every dbt allowed predates 1.10
        (None, ">1.9.0", False),  # 1.9.1 is allowed
        (None, None, True),  # nothing known: the current form
        ("", "nonsense", True),
    ],
)
def test_form_follows_the_projects_dbt(dbt_version: str | None, require: object, under_config: bool) -> None:
    assert tags_meta_under_config(dbt_version, require) is under_config


def _entry(in_config: bool) -> dict[str, object]:
    dashboard = Dashboard("7", "dashboard", "Sales {{ x }}", folder="Fin")
    resolution = DashboardResolution(dashboard, [NodeRef("model.shop.a", "model", "shop", "a")])
    return build_entry(resolution, "sales", ExposureSettings("shop", tags_meta_in_config=in_config))


def test_entry_writes_tags_and_meta_where_the_dbt_reads_them(tmp_path: Path) -> None:
    tags = ["looker", "looker_dashboard"]
    meta = {"looker_id": "7", "looker_type": "dashboard", "folder": "Fin"}
    old = _entry(False)
    assert list(old) == ["name", "label", "type", "maturity", "owner", "depends_on", "tags", "meta"]
    assert (old["tags"], old["meta"]) == (tags, meta)
    new = _entry(True)
    assert list(new)[-1] == "config" and new["config"] == {"tags": tags, "meta": meta}
    # Both forms read back: the name given to each Looker item is kept across a dbt upgrade.
    for entry, header in ((old, HEADER_TOP_LEVEL_META), (new, HEADER)):
        path = tmp_path / "x.yml"
        path.write_text(render([entry]), encoding="utf-8")
        assert path.read_text(encoding="utf-8").startswith(header)  # names where looker_id is
        assert read_existing(str(path)).names == {"dashboard:7": "sales"}
    assert "# meta.looker_id." in HEADER_TOP_LEVEL_META and "# config.meta.looker_id." in HEADER


def test_project_form_from_manifest_or_require_dbt_version(tmp_path: Path) -> None:
    class Manifest:
        def __init__(self, metadata: dict[str, object]) -> None:
            self.metadata = metadata

    (tmp_path / "dbt_project.yml").write_text("name: p\nrequire-dbt-version: ['>=1.7.0', '<1.12.0']\n")
    assert project_tags_meta_under_config(Manifest({"dbt_version": "1.11.2"}), tmp_path) is True
    assert project_tags_meta_under_config(Manifest({}), tmp_path) is False
    (tmp_path / "dbt_project.yml").write_text("name: p\n")
    assert project_tags_meta_under_config(Manifest({}), tmp_path) is True
    (tmp_path / "dbt_project.yml").write_text("name: [\n")  # dbt reports that; the default form here
    assert project_tags_meta_under_config(Manifest({}), tmp_path) is True


# -- real dbt 1.8 and the project's dbt -------------------------------------------------------------


@pytest.fixture(scope="session")
def dbt18() -> Path:
    """``dbt`` of dbt-core 1.8 in a venv cached under tests/.artifacts-cache (pip from PyPI)."""
    key = hashlib.sha256(CONSTRAINTS.read_bytes() + sys.version.encode()).hexdigest()[:12]
    venv = CACHE_ROOT / f"venv-dbt18-{key}"
    done = venv / ".installed"
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    with open(CACHE_ROOT / "venv-dbt18.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(venv, ignore_errors=True)
            steps = [
                [sys.executable, "-m", "venv", str(venv)],
                [
                    str(venv / "bin" / "pip"),
                    "install",
                    "-q",
                    "-c",
                    str(CONSTRAINTS),
                    "dbt-core",
                    "dbt-duckdb",
                ],
            ]
            for step in steps:
                result = subprocess.run(step, capture_output=True, text=True, timeout=900)
                if result.returncode != 0:
                    errors = [
                        line for line in result.stderr.splitlines() if line.strip() and "ignored" not in line
                    ]
                    shutil.rmtree(venv, ignore_errors=True)
                    pytest.skip(
                        "cannot install dbt-core 1.8 (tests/constraints-dbt18.txt) into a venv: "
                        + (errors[-1] if errors else f"exit {result.returncode}")
                    )
            done.write_text("ok\n")
    return venv / "bin" / "dbt"


LOOKML = {
    "shop.model.lkml": 'connection: "shop"\ninclude: "*.view.lkml"\ninclude: "*.dashboard.lookml"\n'
    "explore: orders {\n  join: customers {\n    sql_on: ${orders.customer_id} = ${customers.id} ;;\n"
    "    relationship: many_to_one\n  }\n}\n",
    "orders.view.lkml": "view: orders {\n  sql_table_name: main.orders ;;\n"
    "  dimension: customer_id {}\n  measure: count { type: count }\n}\n",
    "customers.view.lkml": "view: customers {\n  sql_table_name: main.customers ;;\n"
    "  dimension: id {}\n  dimension: state {}\n}\n",
    "overview.dashboard.lookml": "- dashboard: overview\n  title: \"Overview {{ 'jinja' }}\"\n"
    '  description: "Owner: {% raw %} team"\n  elements:\n'
    "  - name: by_state\n    model: shop\n    explore: orders\n    fields: [customers.state, orders.count]\n",
}


def _project(root: Path) -> tuple[Path, Path]:
    project = root / "shop"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text('name: shop\nversion: "1.0"\nprofile: shop\nconfig-version: 2\n')
    (project / "profiles.yml").write_text(
        "shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: {root / 'shop.duckdb'}\n"
    )
    (project / "models" / "orders.sql").write_text("select 1 as id, 1 as customer_id\n")
    (project / "models" / "customers.sql").write_text("select 1 as id, 'CA' as state\n")
    lookml = root / "lookml"
    lookml.mkdir()
    for name, text in LOOKML.items():
        (lookml / name).write_text(text)
    return project, lookml


def _dbt(dbt: Path | str, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(dbt), *args, "--project-dir", str(project), "--profiles-dir", str(project)],
        cwd=project,
        env=dbt_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _sync(project: Path, lookml: Path) -> int:
    try:
        main(["sync-exposures", "--lookml-dir", str(lookml), "--project-dir", str(project)])
    except SystemExit as exc:
        return int(exc.code or 0)
    raise AssertionError("main() did not exit")


def _manifest_exposure(project: Path) -> dict[str, object]:
    manifest = json.loads((project / "target" / "manifest.json").read_text(encoding="utf-8"))
    return manifest["metadata"]["dbt_version"], manifest["exposures"]["exposure.shop.overview_jinja"]


@pytest.mark.slow
def test_dbt_18_and_the_projects_dbt_each_read_tags_and_meta(
    dbt18: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project, lookml = _project(tmp_path)
    tags = ["looker", "looker_dashboard"]
    meta = {"looker_id": "shop::overview", "looker_type": "lookml_dashboard"}

    # dbt 1.8 parsed the project: the file carries tags/meta at the top level.
    _dbt(dbt18, project, "parse", "--quiet")
    assert _sync(project, lookml) == 0
    written = yaml.safe_load((project / GENERATED).read_text(encoding="utf-8"))["exposures"]
    assert [(e["name"], e["tags"], e["meta"], "config" in e) for e in written] == [
        ("overview_jinja", tags, meta, False)
    ]
    _dbt(dbt18, project, "parse", "--quiet")
    version, exposure = _manifest_exposure(project)
    assert version == "1.8.10"
    assert (exposure["tags"], exposure["meta"]) == (tags, meta)
    assert (
        exposure["label"] == "Overview {{ 'jinja' }}" and exposure["description"] == "Owner: {% raw %} team"
    )
    assert sorted(exposure["depends_on"]["nodes"]) == ["model.shop.customers", "model.shop.orders"]
    listed = _dbt(dbt18, project, "ls", "-s", "tag:looker", "--resource-type", "exposure", "--quiet")
    assert listed.stdout.split() == ["exposure:shop.overview_jinja"]
    # Read back in that form: a second run leaves the file as it is.
    before = (project / GENERATED).read_bytes()
    capsys.readouterr()
    assert _sync(project, lookml) == 0
    assert "unchanged" in capsys.readouterr().out and (project / GENERATED).read_bytes() == before

    # The project moves to the project's own dbt (1.11): the same exposure, now under config:.
    (project / GENERATED).write_text(
        before.decode().replace("name: overview_jinja", "name: overview_kept_name"), encoding="utf-8"
    )
    _dbt(dbt_executable(), project, "parse", "--quiet")
    assert _sync(project, lookml) == 0
    written = yaml.safe_load((project / GENERATED).read_text(encoding="utf-8"))["exposures"]
    assert [(e["name"], e["config"], "tags" in e, "meta" in e) for e in written] == [
        ("overview_kept_name", {"tags": tags, "meta": meta}, False, False)
    ]
    _dbt(dbt_executable(), project, "parse", "--quiet")
    manifest = json.loads((project / "target" / "manifest.json").read_text(encoding="utf-8"))
    exposure = manifest["exposures"]["exposure.shop.overview_kept_name"]
    assert manifest["metadata"]["dbt_version"].startswith("1.11.")
    assert (exposure["tags"], exposure["meta"]) == (tags, meta)
    assert os.path.exists(project / GENERATED)
