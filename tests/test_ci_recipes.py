"""The GitHub Actions recipes in docs/ci/: valid workflows, and their dbtmeta commands run for real
against the example project's artifacts."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

DOCS = Path(__file__).resolve().parents[1] / "docs" / "ci"
RECIPES = ["nightly.yml", "pull-request.yml"]


def _load(name: str) -> dict:
    data = yaml.safe_load((DOCS / name).read_text())
    assert isinstance(data, dict)
    return data


def dbtmeta_commands(workflow: dict, *, with_mkdir: bool = False) -> list[str]:
    """Every shell line of every `run:` step that starts with `dbtmeta` (continuations joined)."""
    commands = []
    starts = ("dbtmeta ", "mkdir -p ") if with_mkdir else ("dbtmeta ",)
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            script = step.get("run", "")
            for line in script.replace("\\\n", " ").splitlines():
                line = line.strip()
                if line.startswith(starts):
                    commands.append(line)
    return commands


@pytest.mark.parametrize("name", RECIPES)
def test_recipe_is_a_workflow(name: str) -> None:
    workflow = _load(name)
    assert workflow["name"]
    assert True in workflow or "on" in workflow  # PyYAML reads the `on:` key as True
    for job in workflow["jobs"].values():
        assert job["runs-on"]
        for step in job["steps"]:
            assert ("run" in step) != ("uses" in step), step
    assert dbtmeta_commands(workflow)


def test_recipes_cover_the_ci_story() -> None:
    nightly = " ".join(dbtmeta_commands(_load("nightly.yml")))
    pull_request = " ".join(dbtmeta_commands(_load("pull-request.yml")))
    assert "stale-dashboards" in nightly
    assert "dbtmeta impact --state" in pull_request and "--format markdown" in pull_request
    assert "sync-exposures --check" in pull_request
    assert "DBTMETA_SLACK_WEBHOOK" in (DOCS / "nightly.yml").read_text()


@pytest.fixture
def workspace(example_build, tmp_path: Path) -> Path:
    """The example project after a build, as the workflows' working directory, plus what the
    workflows expect next to it: a previous manifest (prod-state/) and a Looker snapshot."""
    from dbtmeta.looker.lookml import read_lookml
    from dbtmeta.looker.snapshot import save_snapshot

    project = tmp_path / "project"
    shutil.copytree(example_build.project_dir, project)
    manifest = json.loads((project / "target/manifest.json").read_text())
    # fact_orders' SQL changed since production (dbt compares the SQL, `raw_code`, and its checksum)
    fact_orders = manifest["nodes"]["model.greenery.fact_orders"]
    fact_orders["raw_code"] += "\n-- as it was in production\n"
    fact_orders["checksum"]["checksum"] = "changed-since-production"
    (project / "prod-state").mkdir()
    (project / "prod-state/manifest.json").write_text(json.dumps(manifest))
    save_snapshot(read_lookml(project / "looker"), project / "looker/snapshot.json")
    return project


@pytest.fixture
def slack():
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from slack_server import SlackServer

    with SlackServer() as server:
        yield server


@pytest.mark.parametrize("name", RECIPES)
def test_recipe_commands_run_on_the_example_project(name: str, workspace: Path, slack) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "DBTMETA_"))}
    env["DBTMETA_SLACK_WEBHOOK"] = slack.url()  # the secret the nightly workflow passes
    for line in dbtmeta_commands(_load(name), with_mkdir=True):
        args = shlex.split(line)
        if args[0] == "mkdir":
            (workspace / args[2]).mkdir(parents=True, exist_ok=True)
            continue
        proc = subprocess.run(
            [sys.executable, "-m", "dbtmeta", *args[1:]],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        output = proc.stdout + proc.stderr
        assert "Traceback" not in output, line
        assert proc.returncode == 0, f"{line}: {output}"
    if name == "pull-request.yml":
        comment = (workspace / "impact.md").read_text()
        assert "Orders Overview" in comment and "```mermaid" in comment
    else:
        assert (workspace / "stale-dashboards.md").read_text().strip()
        assert (workspace / ".dbtmeta-state/alerts.json").is_file()
        assert (workspace / "site/index.html").read_text().startswith("<!DOCTYPE html>")  # the status page
        assert len((workspace / ".dbtmeta-state/history.jsonl").read_text().splitlines()) == 1
