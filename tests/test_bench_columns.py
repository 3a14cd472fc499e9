"""Smoke test of bench/bench_columns.py's generator at gen_project's tiny size: the LookML it writes
resolves to the generated models, every field finds its columns in the generated catalog, and every
dashboard is narrowed to its tiles."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from dbtmeta.cli import main

REPO = Path(__file__).resolve().parents[1]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def test_generated_lookml_matches_the_generated_project(tmp_path, capsys, monkeypatch) -> None:
    for name in ("DBTMETA_CONFIG", "DBT_PROJECT_DIR", "DBT_TARGET_PATH"):
        monkeypatch.delenv(name, raising=False)
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import bench_columns
    finally:
        sys.path.pop(0)
    info = bench_columns.generate("tiny", tmp_path / "out")
    capsys.readouterr()  # the generator's own progress lines (printed when nothing is cached yet)
    assert info["dashboards"] == 40
    target, lookml = tmp_path / "out" / "target", str(tmp_path / "out" / "lookml")
    manifest = ["--manifest", str(target / "manifest.json")]

    check = ["check-fields", *manifest, "--catalog", str(target / "catalog.json"), "--lookml-dir", lookml]
    code, out, err = run([*check, "--format", "json"], capsys)
    found = json.loads(out)
    assert (code, err, found["errors"], found["unchecked"]) == (0, "", [], [])

    health = ["stale-dashboards", *manifest, "--run-results", str(target / "run_results.json")]
    health += ["--sources", str(target / "sources.json"), "--format", "json", "--lookml-dir", lookml]
    code, out, err = run(health, capsys)
    assert err == ""
    exposures = json.loads(out)["exposures"]
    assert len(exposures) == 40
    with_tiles = [e for e in exposures if e.get("tiles")]
    assert len(with_tiles) == info["dashboards"] - info["without_tiles"]
