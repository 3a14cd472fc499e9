"""The pre-commit hooks, run by the real `pre-commit try-repo` on a fresh git repository.

The repository holds a copy of the example project (parsed: target/manifest.json), a Looker
snapshot, the exposures generated from it, the production catalog.json (real `dbt docs generate`,
for check-fields over the example's LookML) and a dbtmeta.yml. pre-commit installs dbtmeta from this
checkout into its own virtualenv (from PyPI, pinned by constraints.txt), as it would for a user who
has never run dbtmeta: slow, so all hooks run in one try-repo call, once broken, once fixed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "example_project"
EXPOSURES = "example_project/models/exposures/manual_exposures.yml"
GENERATED = "example_project/models/exposures/looker_exposures.yml"
VIEW = "example_project/looker/views/fact_orders.view.lkml"
HOOKS = ("dbtmeta check-exposures", "dbtmeta sync-exposures --check", "dbtmeta check-fields")

pytestmark = pytest.mark.slow

BROKEN_EXPOSURE = """
  - name: churn_watch
    type: dashboard
    owner:
      name: Growth
      email: growth-at-greenery
    depends_on:
      - ref('deleted_model')
"""


def _git_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
        PRE_COMMIT_HOME=str(home / "pre-commit-home"),
        PIP_CONSTRAINT=str(ROOT / "constraints.txt"),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        NO_COLOR="1",
    )
    for key in ("DBT_PROJECT_DIR", "DBTMETA_CONFIG", "DBT_TARGET_PATH"):
        env.pop(key, None)
    return env


def _run(
    args: list[str], cwd: Path, env: dict[str, str], timeout: int = 900
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def user_repo(tmp_path_factory: pytest.TempPathFactory, column_build) -> tuple[Path, dict[str, str]]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout of dbtmeta")
    dbt_main = pytest.importorskip("dbt.cli.main")
    from dbtmeta.looker.lookml import read_lookml
    from dbtmeta.looker.snapshot import save_snapshot

    base = tmp_path_factory.mktemp("precommit")
    repo = base / "repo"
    env = _git_env(base)
    shutil.copytree(
        EXAMPLE,
        repo / "example_project",
        ignore=shutil.ignore_patterns(
            "target", "logs", "dbt_packages", "*.duckdb", "*.duckdb.wal", ".user.yml"
        ),
    )
    project = repo / "example_project"
    result = dbt_main.dbtRunner().invoke(
        ["parse", "--project-dir", str(project), "--profiles-dir", str(project), "--quiet"]
    )
    assert result.success, result.exception
    save_snapshot(read_lookml(project / "looker"), repo / "looker_snapshot.json")
    shutil.copyfile(column_build.prod / "catalog.json", repo / "catalog.json")
    (repo / "dbtmeta.yml").write_text(
        "project_dir: example_project\n"
        "sync_exposures:\n  snapshot: looker_snapshot.json\n"
        "check_fields:\n  lookml_dir: example_project/looker\n  catalog: catalog.json\n"
    )
    (repo / ".gitignore").write_text("example_project/target/\nexample_project/logs/\n")
    # Generate the exposures from the snapshot, as a user would before committing.
    proc = _run([sys.executable, "-m", "dbtmeta", "sync-exposures"], repo, env)
    assert proc.returncode == 0, proc.stderr
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "init"]):
        proc = _run(["git", *args], repo, env)
        assert proc.returncode == 0, proc.stderr
    return repo, env


def _try_repo(repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # No hook id: all hooks of .pre-commit-hooks.yaml run, sharing one installed environment.
    return _run([sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "--all-files"], repo, env)


def test_hooks_fail_on_broken_exposures_then_pass_when_fixed(user_repo: tuple[Path, dict[str, str]]) -> None:
    repo, env = user_repo
    manual = repo / EXPOSURES
    generated = repo / GENERATED
    good_manual, good_generated = manual.read_text(), generated.read_text()
    manual.write_text(good_manual.rstrip("\n") + "\n" + BROKEN_EXPOSURE)
    generated.write_text(good_generated.replace("label: Customers", "label: Customers (edited by hand)"))

    broken = _try_repo(repo, env)
    output = broken.stdout + broken.stderr
    assert broken.returncode == 1, output
    assert "Traceback" not in output
    ref_index = next(i for i, text in enumerate(BROKEN_EXPOSURE.split("\n")) if "deleted_model" in text)
    line = len(good_manual.rstrip("\n").split("\n")) + 1 + ref_index
    assert f"{EXPOSURES}:{line}: " in output
    assert "exposure 'churn_watch': depends on ref('deleted_model'), but no model, seed or snapshot" in output
    assert "owner email 'growth-at-greenery' is not a well-formed address" in output
    assert "looker_exposures.yml is out of date" in output

    manual.write_text(good_manual)
    generated.write_text(good_generated)
    fixed = _try_repo(repo, env)
    output = fixed.stdout + fixed.stderr
    assert fixed.returncode == 0, output
    assert _statuses(output) == dict.fromkeys(HOOKS, "Passed")


def _statuses(output: str) -> dict[str, str]:
    """Each hook's result line of pre-commit: name, dots, Passed/Failed/Skipped."""
    found = {}
    for line in output.splitlines():
        for hook in HOOKS:
            if line.startswith(hook + "."):
                found[hook] = line.rsplit(".", 1)[1].split("(")[0].strip()
    return found


def test_check_fields_hook_fails_on_a_field_reading_a_missing_column(
    user_repo: tuple[Path, dict[str, str]],
) -> None:
    repo, env = user_repo
    view = repo / VIEW
    good = view.read_text()
    assert good.count("sql: ${TABLE}.order_total ;;") == 1
    view.write_text(good.replace("sql: ${TABLE}.order_total ;;", "sql: ${TABLE}.order_amount ;;"))
    try:
        broken = _try_repo(repo, env)
    finally:
        view.write_text(good)
    output = broken.stdout + broken.stderr
    assert broken.returncode == 1, output
    assert "Traceback" not in output
    assert _statuses(output) == {
        "dbtmeta check-exposures": "Passed",
        "dbtmeta sync-exposures --check": "Passed",
        "dbtmeta check-fields": "Failed",
    }
    missing = (
        'reads "core"."fact_orders".order_amount: model.greenery.fact_orders has no column \'order_amount\''
    )
    where = f"{repo.resolve()}/{VIEW}"
    findings = [line for line in output.splitlines() if line.startswith(where)]
    assert findings == [
        f"{where}:36: fact_orders.order_total: {missing}",
        f"{where}:47: fact_orders.total_revenue: {missing}",
        f"{where}:53: fact_orders.average_order_value: {missing}",
    ]
    assert "75 field(s) checked: 3 read a missing column, 0 could not be checked" in output

    fixed = _try_repo(repo, env)
    output = fixed.stdout + fixed.stderr
    assert fixed.returncode == 0, output
    assert _statuses(output)["dbtmeta check-fields"] == "Passed"
