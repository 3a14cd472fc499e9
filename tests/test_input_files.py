"""Inputs are regular files read with a cap; outputs go through symlinks and never onto devices
(docs/security.md). Every case runs the real CLI in a process with a timeout: a FIFO that blocked
the reader would fail the test instead of hanging it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cli_process import run_dbtmeta

from dbtmeta.alerts.state import AlertState, load_state, save_state
from dbtmeta.errors import InputError
from dbtmeta.files import read_bytes, read_text

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")


def _dbtmeta(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    # a blocked open() of a FIFO would otherwise hang forever
    return run_dbtmeta(args, cwd=cwd, drop=("DBT_", "DBTMETA_"), timeout=60)


def _one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("dbtmeta: error: "), proc.stderr
    return lines[0]


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.json"
    os.mkfifo(path)
    return path


def _artifacts(build: Any) -> list[str]:
    return [
        "--manifest",
        str(build.failure / "manifest.json"),
        "--run-results",
        str(build.failure / "run_results.json"),
    ]


def test_fifo_as_manifest_does_not_block(fifo: Path) -> None:
    line = _one_error_line(_dbtmeta("stale-dashboards", "--manifest", str(fifo)))
    assert line == (
        f"dbtmeta: error: manifest file {str(fifo)!r} is a FIFO (named pipe), not a regular file; "
        "give the path of a file"
    )


def test_fifo_as_sources_does_not_block(example_build: Any, fifo: Path) -> None:
    line = _one_error_line(_dbtmeta("stale-dashboards", *_artifacts(example_build), "--sources", str(fifo)))
    assert f"sources file {str(fifo)!r} is a FIFO (named pipe), not a regular file" in line


def test_fifo_as_state_file_does_not_block(fifo: Path) -> None:
    proc = _dbtmeta(
        "stale-dashboards",
        "--slack-webhook",
        "https://hooks.slack.com/services/T000/B000/XXXX",
        "--state-file",
        str(fifo),
    )
    line = _one_error_line(proc)
    assert line == (
        f"dbtmeta: error: --state-file {str(fifo)!r} is a FIFO (named pipe), not a regular file; "
        "give a file path"
    )
    with pytest.raises(InputError, match="is a FIFO"):
        load_state(fifo)


def test_fifo_as_config_does_not_block(fifo: Path, tmp_path: Path) -> None:
    config = tmp_path / "dbtmeta.yml"
    config.unlink(missing_ok=True)
    os.rename(fifo, config)
    line = _one_error_line(_dbtmeta("--config", str(config), "stale-dashboards"))
    assert f"config file {str(config)!r} is a FIFO (named pipe), not a regular file" in line


def test_dev_zero_is_refused_not_read() -> None:
    line = _one_error_line(_dbtmeta("stale-dashboards", "--manifest", "/dev/zero"))
    assert line == (
        "dbtmeta: error: manifest file '/dev/zero' is a character device, not a regular file; "
        "give the path of a file"
    )


def test_a_directory_as_manifest_is_one_line(tmp_path: Path) -> None:
    line = _one_error_line(_dbtmeta("stale-dashboards", "--manifest", str(tmp_path)))
    assert "is a directory" in line


def test_an_artifact_larger_than_any_real_one_is_refused_before_reading(tmp_path: Path) -> None:
    huge = tmp_path / "manifest.json"
    with open(huge, "wb") as handle:
        handle.truncate(3 * 1024**3)  # sparse: no disk used, but 3 GiB to read
    line = _one_error_line(_dbtmeta("stale-dashboards", "--manifest", str(huge)))
    assert line == (
        f"dbtmeta: error: manifest file {str(huge)!r} is larger than 2,048 MiB, more than any such "
        "file can be; check the path"
    )


def test_read_helpers_cap_and_translate(tmp_path: Path) -> None:
    path = tmp_path / "x.yml"
    path.write_bytes(b"a: 1\r\nb: 2\r\n")
    assert read_text(path, "YAML file") == "a: 1\nb: 2\n"
    assert read_text(path, "YAML file", newline="") == "a: 1\r\nb: 2\r\n"
    assert read_bytes(path, "YAML file", limit=12) == b"a: 1\r\nb: 2\r\n"
    with pytest.raises(InputError, match=r"^YAML file '.*x\.yml' is larger than"):
        read_bytes(path, "YAML file", limit=11)
    with pytest.raises(FileNotFoundError):
        read_bytes(tmp_path / "missing", "YAML file")


def test_output_through_a_symlink_writes_the_file_it_points_to(example_build: Any, tmp_path: Path) -> None:
    real = tmp_path / "reports" / "health.json"
    real.parent.mkdir()
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "health-link.json"
    link.symlink_to(real)
    proc = _dbtmeta("stale-dashboards", *_artifacts(example_build), "--format", "json", "--output", str(link))
    assert proc.returncode == 1, proc.stderr
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert json.loads(real.read_text(encoding="utf-8"))["schema_version"] == 1


@pytest.mark.parametrize(
    ("target", "kind"), [("device", "a character device"), ("fifo", "a FIFO (named pipe)")]
)
def test_output_onto_a_device_or_fifo_is_refused(
    example_build: Any, fifo: Path, tmp_path: Path, target: str, kind: str
) -> None:
    path = fifo
    if target == "device":
        # A link to /dev/null, never /dev/null itself: without the fix (as root) the link, not the
        # machine's /dev/null, is what gets replaced by a regular file.
        path = tmp_path / "report.txt"
        path.symlink_to("/dev/null")
    proc = _dbtmeta("stale-dashboards", *_artifacts(example_build), "--output", str(path))
    line = _one_error_line(proc)
    assert line == f"dbtmeta: error: --output {str(path)!r} is {kind}, not a regular file; give a file path"
    assert not Path("/dev/null").is_file()


def test_state_file_through_a_symlink_stays_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "state" / "alerts.json"
    real.parent.mkdir()
    link = tmp_path / "alerts.json"
    link.symlink_to(real)
    save_state(link, AlertState())
    assert link.is_symlink()
    assert json.loads(real.read_text(encoding="utf-8")) == {"exposures": {}, "version": 1}
    assert load_state(link).entries == {}
