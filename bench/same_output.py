"""Check that a speed-up changed no result: the column benchmark's three runs (and the example
project's), byte for byte, from this checkout against the code of another git revision.

For each input, each of ``table`` (``stale-dashboards --format json``), ``tiles`` (the same with
``--lookml-dir``) and ``fields`` (``check-fields --format json``) runs as a whole CLI process with
the revision's ``dbtmeta`` (``git archive REV dbtmeta``, first on ``PYTHONPATH``) and with this
checkout's, each with a cold LookML cache, then warm, then with the cache off
(``DBTMETA_NO_CACHE``): stdout, stderr and the exit code must all equal the revision's cold run.

Inputs: bench_columns.py's generated project at ``--size`` (generated if missing; check-fields
also against its catalog with one column in five removed, for findings), and the example
project's failure run (tests/.artifacts-cache, built by the test suite; skipped when absent) with
example_project/looker.

Usage: python bench/same_output.py [--against REV] [--size small]
Exit 0 when everything is identical, 1 (with the first differences) otherwise.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import bench_columns  # noqa: E402
import gen_project  # noqa: E402

Output = tuple[int, str, str]


def _inputs(size: str, scratch: Path) -> dict[str, dict[str, list[str]]]:
    """name -> {run: CLI args} for the bench project and, when built, the example project
    (``scratch``: a directory for the catalog missing columns)."""
    found: dict[str, dict[str, list[str]]] = {}
    out = bench_columns.ensure(size)
    found[f"bench-{size}"] = _runs(out / "target", out / "target" / "catalog.json", out / "lookml")
    # The generated fields all read columns that exist: check-fields again against a catalog
    # missing one column in five, for findings to compare.
    catalog = json.loads((out / "target" / "catalog.json").read_text(encoding="utf-8"))
    for node in catalog["nodes"].values():
        node["columns"] = {k: v for i, (k, v) in enumerate(node["columns"].items()) if i % 5 != 4}
    missing = scratch / "catalog.json"
    missing.write_text(json.dumps(catalog), encoding="utf-8")
    fields = _runs(out / "target", missing, out / "lookml")["fields"]
    found[f"bench-{size}-missing-columns"] = {"fields": fields}
    cache = REPO / "tests" / ".artifacts-cache"
    failures = sorted(cache.glob("*/example/failure/manifest.json"), key=lambda p: p.stat().st_mtime)
    catalogs = sorted(cache.glob("*/columns/pr/catalog.json"), key=lambda p: p.stat().st_mtime)
    if failures and catalogs:
        target = failures[-1].parent
        found["example"] = _runs(target, catalogs[-1], REPO / "example_project" / "looker")
    return found


def _runs(target: Path, catalog: Path, lookml: Path) -> dict[str, list[str]]:
    manifest = ["--manifest", str(target / "manifest.json")]
    health = ["stale-dashboards", *manifest, "--run-results", str(target / "run_results.json")]
    health += ["--sources", str(target / "sources.json"), "--format", "json"]
    fields = ["check-fields", *manifest, "--catalog", str(catalog), "--lookml-dir", str(lookml)]
    return {
        "table": health,
        "tiles": [*health, "--lookml-dir", str(lookml)],
        "fields": [*fields, "--format", "json"],
    }


def _run(code_dir: Path, args: list[str], cache_home: str, no_cache: bool) -> Output:
    env = {**os.environ, "PYTHONPATH": str(code_dir), "XDG_CACHE_HOME": cache_home, "NO_COLOR": "1"}
    for key in ("DBTMETA_CONFIG", "DBT_PROJECT_DIR", "DBT_TARGET_PATH", "DBTMETA_NO_CACHE"):
        env.pop(key, None)
    if no_cache:
        env["DBTMETA_NO_CACHE"] = "1"
    # cwd elsewhere: `python -m` puts the working directory first on sys.path.
    proc = subprocess.run(
        [sys.executable, "-m", "dbtmeta", *args],
        env=env,
        cwd=tempfile.gettempdir(),
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


def _variants(code_dir: Path, args: list[str]) -> dict[str, Output]:
    with tempfile.TemporaryDirectory() as cache_home:
        return {
            "cold": _run(code_dir, args, cache_home, False),
            "warm": _run(code_dir, args, cache_home, False),
            "no cache": _run(code_dir, args, cache_home, True),
        }


def _diff(expected: Output, got: Output) -> str:
    if expected[0] != got[0]:
        return f"exit code {got[0]}, expected {expected[0]}"
    for label, want, have in (("stdout", expected[1], got[1]), ("stderr", expected[2], got[2])):
        if want != have:
            lines = difflib.unified_diff(want.splitlines(), have.splitlines(), "expected", "got", lineterm="")
            return f"{label} differs:\n" + "\n".join(list(lines)[:40])
    return ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="HEAD", help="git revision whose results are expected")
    parser.add_argument("--size", choices=sorted(gen_project.SIZES), default="small")
    options = parser.parse_args()
    archive = subprocess.run(
        ["git", "archive", options.against, "dbtmeta"], cwd=REPO, capture_output=True, check=True
    ).stdout
    failed = 0
    with tempfile.TemporaryDirectory() as base:
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(base, filter="data")
        for name, runs in _inputs(options.size, Path(base)).items():
            for run, args in runs.items():
                expected = _variants(Path(base), args)
                got = _variants(REPO, args)
                for variant, output in [*expected.items(), *got.items()]:
                    problem = _diff(expected["cold"], output)
                    owner = "this checkout" if any(output is g for g in got.values()) else options.against
                    if problem:
                        failed += 1
                        print(f"DIFFERENT {name} {run} ({owner}, {variant}): {problem}")
                size = len(expected["cold"][1])
                print(f"{name:12} {run:6} exit {expected['cold'][0]}, {size:,} bytes of stdout: checked")
    print("identical" if not failed else f"{failed} difference(s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
