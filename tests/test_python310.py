"""dbtmeta on Python 3.10, the oldest version pyproject.toml allows: install and the CI code paths.

A real Python 3.10 interpreter (when the machine has one; the test says why it skips otherwise) gets a
fresh virtualenv with dbtmeta and its pinned dependencies (tomli included: 3.10 has no tomllib). It
then runs what CI runs: `--help`, `stale-dashboards` with its options from `[tool.dbtmeta]` in
pyproject.toml, and `check-exposures`, on the example project's real artifacts.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENVS = Path(__file__).resolve().parent / ".venvs"

pytestmark = pytest.mark.slow


def _python310() -> str:
    """A Python 3.10 that runs: on PATH, else one that pyenv installed (its shim may not select it)."""
    candidates = [
        shutil.which("python3.10"),
        *map(str, sorted(Path.home().glob(".pyenv/versions/3.10*/bin/python3.10"))),
    ]
    for exe in candidates:
        if exe is None:
            continue
        probe = subprocess.run(
            [exe, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True
        )
        if probe.returncode == 0 and probe.stdout.strip() == "(3, 10)":
            return exe
    pytest.skip("no working Python 3.10 on this machine (PATH or ~/.pyenv/versions)")


@pytest.fixture(scope="module")
def py310() -> Path:
    """The venv's bin directory, built once per version of pyproject.toml + constraints.txt."""
    exe = _python310()
    key = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + (ROOT / "constraints.txt").read_bytes())
    venv = VENVS / f"py310-{key.hexdigest()[:16]}"
    bin_dir = venv / "bin"
    if not (bin_dir / "dbtmeta").exists():
        for old in VENVS.glob("py310-*"):  # venvs of older pyproject/constraints versions
            shutil.rmtree(old, ignore_errors=True)
        subprocess.run([exe, "-m", "venv", str(venv)], check=True)
        install = subprocess.run(
            [str(bin_dir / "pip"), "install", "-q", "-c", str(ROOT / "constraints.txt"), str(ROOT)],
            capture_output=True,
            text=True,
        )
        if install.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            pytest.fail(f"pip install on Python 3.10 failed: {install.stderr[-2000:]}")
    return bin_dir


def _run(bin_dir: Path, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(cwd), "LC_ALL": "C.UTF-8"}
    return subprocess.run([str(bin_dir / "dbtmeta"), *args], cwd=cwd, env=env, capture_output=True, text=True)


def test_help_and_version_on_310(py310: Path, tmp_path: Path) -> None:
    result = _run(py310, ["--help"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "stale-dashboards" in result.stdout
    version = subprocess.run(
        [str(py310 / "python"), "-c", "import sys, tomli; print(sys.version_info[:2])"],
        capture_output=True,
        text=True,
    )
    assert version.stdout.strip() == "(3, 10)", version.stderr


def test_pyproject_config_is_read_on_310(py310: Path, example_build, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """[tool.dbtmeta] decides the format and the filter: without tomli it would be skipped with a warning."""
    project = tmp_path / "repo"
    (project / ".git").mkdir(parents=True)  # the config search stops at the repository root
    target = example_build.failure
    (project / "pyproject.toml").write_text(
        "[tool.dbtmeta]\n"
        f'manifest = "{target / "manifest.json"}"\n'
        "[tool.dbtmeta.stale-dashboards]\n"
        'format = "json"\n'
        'exposure = ["product_funnel"]\n'
        'fail_on = "at_risk"\n'
    )
    result = _run(py310, ["stale-dashboards", "--run-results", str(target / "run_results.json")], project)
    assert "warning" not in result.stderr, result.stderr
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert [(e["name"], e["status"]) for e in report["exposures"]] == [("product_funnel", "at_risk")]


def test_check_exposures_on_310(py310: Path, example_build, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = _run(py310, ["check-exposures", "--project-dir", str(example_build.project_dir)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().endswith("exposure(s) OK")
