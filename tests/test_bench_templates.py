"""bench/templates.json is what bench/make_templates.py makes from a real dbt build (it cannot drift)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
try:
    import make_templates
finally:
    sys.path.pop(0)


@pytest.mark.slow
def test_committed_templates_match_a_fresh_dbt_build(tmp_path: Path) -> None:
    """Regenerate with the installed dbt: same keys, unique ids, fields and (stable) values."""
    output = tmp_path / "templates.json"
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "make_templates.py"), "--output", str(output)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    fresh = json.loads(output.read_text(encoding="utf-8"))
    committed = json.loads((REPO / "bench" / "templates.json").read_text(encoding="utf-8"))

    assert sorted(committed) == sorted(fresh)
    blocks = ["manifest_metadata", "run_results_args", "run_results_metadata", "sources_metadata"]
    assert sorted(committed) == sorted([*make_templates.SAMPLES, *blocks])
    for key in fresh:
        assert committed[key].get("unique_id") == fresh[key].get("unique_id"), key
        assert sorted(committed[key]) == sorted(fresh[key]), key
        stable = sorted(set(fresh[key]) - make_templates.VARYING_FIELDS)
        assert {f: committed[key][f] for f in stable} == {f: fresh[key][f] for f in stable}, key
    assert {key: fresh[key].get("unique_id") for key in make_templates.SAMPLES} == {
        key: unique_id for key, (_, unique_id) in make_templates.SAMPLES.items()
    }
    # No machine-specific path: the temporary project directory is replaced.
    assert str(tmp_path) not in output.read_text(encoding="utf-8")
    assert fresh["run_results_args"]["project_dir"] == make_templates.PLACEHOLDER_DIR
