"""Exit codes: internal bugs (70), --debug keeps the code, Ctrl-C (130), and odd values that must be
one-line input errors (2), never the internal-error handler."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from slack_server import SlackServer

from dbtmeta.cli import main
from dbtmeta.errors import EXIT_INTERNAL, EXIT_INTERRUPTED

pytestmark = pytest.mark.usefixtures("isolated_env")

INTERNAL_LINE = (
    "dbtmeta: error: internal error (ZeroDivisionError: an internal slip): this is a bug in dbtmeta"
)


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 0), out, err


def _a_bug(*_args: object, **_kwargs: object) -> None:
    raise ZeroDivisionError("an internal slip")


def _interrupt(*_args: object, **_kwargs: object) -> None:
    raise KeyboardInterrupt


def one_line_error(err: str) -> str:
    assert err.count("\n") == 1 and err.startswith("dbtmeta: error: "), err
    assert "Traceback" not in err
    return err


# ------------------------------------------------------------------------------ codes of their own


def test_an_internal_bug_exits_70_and_asks_for_a_report(example_build, capsys, monkeypatch):
    # A bug anywhere below the CLI (here: the health computation) is not the user's input error.
    monkeypatch.setattr("dbtmeta.health.compute.compute_health", _a_bug)
    code, out, err = run(capsys, "stale-dashboards", "--manifest", example_build.green / "manifest.json")
    assert (code, out) == (EXIT_INTERNAL, "") and EXIT_INTERNAL == 70
    assert one_line_error(err).startswith(INTERNAL_LINE)
    assert err.rstrip().endswith("please report it, with the traceback that --debug prints")


def test_debug_prints_the_traceback_and_keeps_the_exit_code(example_build, capsys, monkeypatch, tmp_path):
    code, out, err = run(capsys, "--debug", "stale-dashboards", "--manifest", tmp_path / "nope.json")
    assert (code, out) == (2, "")
    assert err.startswith("Traceback (most recent call last):")
    assert (
        err.splitlines()[-1]
        == f"dbtmeta: error: manifest file {str(tmp_path / 'nope.json')!r} does not exist; check the path"
    )
    monkeypatch.setenv("DBTMETA_DEBUG", "1")
    monkeypatch.setattr("dbtmeta.health.compute.compute_health", _a_bug)
    code, out, err = run(capsys, "stale-dashboards", "--manifest", example_build.green / "manifest.json")
    assert (code, out) == (70, "")
    assert (
        err.startswith("Traceback (most recent call last):") and "ZeroDivisionError: an internal slip" in err
    )
    assert err.splitlines()[-1].startswith(INTERNAL_LINE)


def test_debug_keeps_the_findings_exit_code(example_build, capsys):
    code, _out, err = run(
        capsys, "--debug", "stale-dashboards", "--manifest", example_build.failure / "manifest.json"
    )
    assert code == 1 and "Traceback" not in err


def test_ctrl_c_exits_130(example_build, capsys, monkeypatch):
    monkeypatch.setattr("dbtmeta.health.compute.compute_health", _interrupt)
    code, out, err = run(capsys, "stale-dashboards", "--manifest", example_build.green / "manifest.json")
    # click ends the ^C line first
    assert (code, out, err) == (
        EXIT_INTERRUPTED,
        "",
        "\ndbtmeta: error: interrupted\n",
    ) and EXIT_INTERRUPTED == 130


def test_exit_codes_are_documented_in_help_and_readme(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for line in ("70  internal error: a bug in dbtmeta (please report it)", "130  interrupted (Ctrl-C)"):
        assert line in out
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "| 70 | internal error" in readme and "| 130 | interrupted (Ctrl-C) |" in readme


# ------------------------------------------------------------------------ odd values: exit 2, one line


def test_a_4300_digit_number_in_an_artifact(example_build, capsys, tmp_path):
    text = (example_build.green / "run_results.json").read_text()
    assert '"execution_time": ' in text
    (tmp_path / "rr.json").write_text(
        text.replace('"execution_time": ', '"execution_time": ' + "9" * 4400 + ', "x": ', 1)
    )
    manifest = example_build.green / "manifest.json"
    code, out, err = run(
        capsys, "stale-dashboards", "--manifest", manifest, "--run-results", tmp_path / "rr.json"
    )
    assert (code, out) == (2, "")
    assert one_line_error(err).startswith(
        f"dbtmeta: error: run results file {str(tmp_path / 'rr.json')!r} holds a number too long "
        "to be a dbt artifact value"
    )


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("pyproject.toml", "[tool.dbtmeta.lineage]\ndepth = 1e400\n"),
        ("dbtmeta.yml", "lineage:\n  depth: .nan\n"),
    ],
)
def test_an_infinite_or_nan_depth_in_config(example_build, capsys, tmp_path, name, text):
    (tmp_path / name).write_text(text)
    code, out, err = run(
        capsys,
        "--config",
        tmp_path / name,
        "lineage",
        "fact_orders",
        "--manifest",
        example_build.green / "manifest.json",
    )
    assert (code, out) == (2, "")
    assert one_line_error(err).startswith(f"dbtmeta: error: {tmp_path / name}: lineage.depth: ")
    assert "is not a valid integer range" in err


def test_an_exposure_name_that_is_a_list(example_build, capsys, tmp_path):
    data = json.loads((example_build.green / "manifest.json").read_text())
    data["exposures"]["exposure.greenery.customers"]["name"] = ["customers", "again"]
    (tmp_path / "manifest.json").write_text(json.dumps(data))
    for command in (["check-exposures"], ["stale-dashboards"], ["lineage", "fact_orders"]):
        code, out, err = run(capsys, *command, "--manifest", tmp_path / "manifest.json")
        assert (code, out) == (2, "")
        assert one_line_error(err) == (
            f"dbtmeta: error: manifest {str(tmp_path / 'manifest.json')!r}: "
            "exposures['exposure.greenery.customers'].name is a list, not a string; "
            "the file is damaged, re-run `dbt parse`\n"
        )


def _writable(directory: Path) -> bool:
    try:
        (directory / ".probe").touch()
    except OSError:
        return False
    (directory / ".probe").unlink()
    return True


def _read_only_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "read-only"
    directory.mkdir()
    directory.chmod(0o555)
    if _writable(directory):  # root writes anywhere, but not into sysfs
        directory = Path("/sys/fs")
        if not directory.is_dir() or _writable(directory):
            pytest.skip("no directory this user cannot write to")
    return directory


def test_sync_output_in_a_read_only_directory(example_build, capsys, tmp_path):
    directory = _read_only_dir(tmp_path)
    project = example_build.project_dir
    output = directory / "exposures.yml"
    code, out, err = run(
        capsys,
        "sync-exposures",
        "--lookml-dir",
        project / "looker",
        "--project-dir",
        project,
        "--output",
        output,
    )
    assert (code, out) == (2, "")
    assert one_line_error(err).startswith(f"dbtmeta: error: cannot write {str(output)!r}: ")
    assert not output.exists()


def test_snapshot_in_a_read_only_directory(example_build, tmp_path):
    from dbtmeta.errors import UsageError
    from dbtmeta.looker.lookml import read_lookml
    from dbtmeta.looker.snapshot import save_snapshot

    output = _read_only_dir(tmp_path) / "looker.json"
    with pytest.raises(UsageError, match=rf"^cannot write snapshot {str(output)!r}: "):
        save_snapshot(read_lookml(example_build.project_dir / "looker"), output)
    assert not output.exists()


@pytest.mark.parametrize(
    "command",
    [["stale-dashboards"], ["lineage", "fact_orders"], ["impact", "--select", "fact_orders"]],
    ids=lambda c: c[0],
)
def test_stdout_on_a_full_disk(example_build, command):
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    manifest = example_build.failure / "manifest.json"
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "dbtmeta", *command, "--manifest", str(manifest)],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "COLUMNS": "100"},
        )
    assert proc.returncode == 2
    assert proc.stderr == (
        "dbtmeta: error: cannot write the result to stdout: No space left on device; "
        "redirect it to a file or pass --output\n"
    )


# --------------------------------------------------------------- an alert state file dated year 9999


def _state(tmp_path: Path, alerted_at: str) -> Path:
    path = tmp_path / "state.json"
    entry = {"status": "stale", "alerted_at": alerted_at, "causes": ["model.greenery.stg_promos"]}
    path.write_text(json.dumps({"version": 1, "exposures": {"exposure.greenery.orders_overview": entry}}))
    return path


@pytest.mark.parametrize("alerted_at", ["9999-12-31T23:59:59-05:00", "9999-12-31T23:59:59Z"])
def test_a_state_file_dated_year_9999_alerts_once_then_suppresses(
    example_build, capsys, tmp_path, alerted_at
):
    state = _state(tmp_path, alerted_at)
    failure = example_build.failure
    args = [
        "stale-dashboards", "--manifest", failure / "manifest.json",
        "--run-results", failure / "run_results.json", "--sources", failure / "sources.json",
    ]  # fmt: skip
    with SlackServer() as server:
        hook = ["--slack-webhook", server.url(), "--state-file", state]
        code, _, err = run(capsys, *args, *hook)
        assert code == 1 and "Traceback" not in err and "internal error" not in err
        assert len(server.posts) == 1  # the entry of the year 9999 is no past alert: announced
        saved = json.loads(state.read_text())["exposures"]["exposure.greenery.orders_overview"]
        assert saved["alerted_at"].startswith("20") and saved["alerted_at"].endswith("Z")
        code, _, err = run(capsys, *args, *hook)
        assert code == 1 and len(server.posts) == 1  # and not posted again on the next run
        assert "4 suppressed" in err
