"""Start-up cost of the commands pre-commit and CI run, against `python -c pass` in the same run.

    python bench/bench_startup.py [--repeat 21] [--json] [--check]

Measures, as median wall time of --repeat runs (interleaved, so machine load hits all alike):
  python -c pass                           the floor: interpreter start-up
  dbtmeta --help                           target < 0.3 s
  dbtmeta check-exposures (example project) target < 1 s
  dbtmeta check-exposures FILE              what the pre-commit hook runs
  dbtmeta lineage fact_orders               (for reference: loads networkx)

The example project is copied to a temp dir and parsed once with `dbt parse` (not timed).
--check exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"dbtmeta --help": 0.3, "dbtmeta check-exposures": 1.0}


def _parsed_project(work: Path) -> Path:
    project = work / "example_project"
    shutil.copytree(
        ROOT / "example_project",
        project,
        ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", "*.duckdb", "*.duckdb.wal"),
    )
    dbt = shutil.which("dbt") or str(Path(sys.executable).parent / "dbt")
    subprocess.run(
        [dbt, "parse", "--project-dir", str(project), "--profiles-dir", str(project), "--quiet"],
        check=True,
        capture_output=True,
    )
    return project


def _time(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.decode()[:300]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    parser.add_argument("--check", action="store_true", help="Exit 1 when a target is missed.")
    args = parser.parse_args()

    py = sys.executable
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "DBTMETA_"))}
    with tempfile.TemporaryDirectory(prefix="dbtmeta-bench-") as tmp:
        project = _parsed_project(Path(tmp))
        exposures = project / "models/exposures/looker_exposures.yml"
        check = [py, "-m", "dbtmeta", "check-exposures", "--project-dir", str(project)]
        cases = {
            "python -c pass": [py, "-c", "pass"],
            "dbtmeta --help": [py, "-m", "dbtmeta", "--help"],
            "dbtmeta check-exposures": check,
            "dbtmeta check-exposures FILE": [*check, str(exposures)],
            "dbtmeta lineage fact_orders": [
                py, "-m", "dbtmeta", "lineage", "fact_orders", "--project-dir", str(project),
            ],
        }  # fmt: skip
        for cmd in cases.values():  # warm the OS file cache and .pyc files
            _time(cmd, project, env)
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.repeat):
            for name, cmd in cases.items():
                samples[name].append(_time(cmd, project, env))

    base = statistics.median(samples["python -c pass"])
    rows = []
    missed = []
    for name, values in samples.items():
        median = statistics.median(values)
        target = TARGETS.get(name)
        ok = target is None or median < target
        if not ok:
            missed.append(name)
        rows.append(
            {
                "case": name,
                "median_s": round(median, 4),
                "min_s": round(min(values), 4),
                "ratio_to_python": round(median / base, 2),
                "over_python_s": round(median - base, 4),
                "target_s": target,
                "ok": ok,
            }
        )
    if args.json:
        print(
            json.dumps({"repeat": args.repeat, "python": sys.version.split()[0], "results": rows}, indent=2)
        )
    else:
        print(f"median of {args.repeat} runs, Python {sys.version.split()[0]}")
        print(f"{'case':34} {'median':>9} {'min':>9} {'x python':>9} {'+python':>9}  target")
        for row in rows:
            target = f"< {row['target_s']} s {'ok' if row['ok'] else 'MISSED'}" if row["target_s"] else ""
            print(
                f"{row['case']:34} {row['median_s']:>8.3f}s {row['min_s']:>8.3f}s "
                f"{row['ratio_to_python']:>8.1f}x {row['over_python_s']:>8.3f}s  {target}"
            )
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
