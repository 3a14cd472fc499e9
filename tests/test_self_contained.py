"""A fresh clone tests green with nothing beside it: no test, fixture, benchmark or CI script reads a
path outside the repository (the Looker API spec is vendored under tests/fake_looker/spec/)."""

from __future__ import annotations

import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# ../shared, a parent of the repository root, or this workplace's absolute folders
OUTSIDE = re.compile(r"\.\./shared|parents\[\d\]\s*\.parent|REPO_ROOT\.parent|[\"']/work/")


def _scanned() -> list[Path]:
    files = [*REPO.joinpath("tests").rglob("*.py"), *REPO.joinpath("bench").rglob("*.py")]
    files += [*REPO.joinpath("scripts").glob("*"), REPO / ".ci" / "run"]
    return sorted(f for f in files if f.is_file() and ".artifacts-cache" not in f.parts)


def test_nothing_reads_outside_the_repository() -> None:
    offending = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in _scanned()
        if path.name != "test_self_contained.py"
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert offending == []


def test_the_scan_catches_a_path_outside() -> None:
    assert OUTSIDE.search('SPEC = REPO_ROOT.parent / "shared" / "looker-api"')
    assert OUTSIDE.search("read ../shared/looker-api/Looker.4.0.oas.json")
    assert not OUTSIDE.search('SPEC = Path(__file__).parent / "spec" / "Looker.4.0.oas.json"')


def test_the_spec_is_vendored_with_its_licence() -> None:
    spec_dir = REPO / "tests" / "fake_looker" / "spec"
    spec = json.loads((spec_dir / "Looker.4.0.oas.json").read_text(encoding="utf-8"))
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["version"].startswith("4.0")
    assert "MIT" in (spec_dir / "LICENSE").read_text(encoding="utf-8")
    assert "sdk-codegen" in (spec_dir / "README.md").read_text(encoding="utf-8")
