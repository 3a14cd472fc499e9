"""Benchmark `dbtmeta stale-dashboards --format json` against a plain json.load of the same files.

For each size (cached synthetic artifacts from gen_project.py), in the same run and interleaved:

- baseline: a fresh Python process that only ``json.load``s manifest.json, run_results.json and
  sources.json (and keeps them);
- dbtmeta: the whole CLI as a subprocess (``python -m dbtmeta stale-dashboards --format json ...``);
- naive (small size only by default): dbt-artifacts-parser's pydantic parse of the three files,
  a networkx graph, and one ``nx.ancestors()`` search per exposure (plus one per failing node to
  tell root causes from skips).

Wall time is the best of N runs (the machine is shared; the minimum is the least disturbed run),
peak memory is the child's max RSS from ``os.wait4``. Writes bench/results/latest.md and .json.

Usage: python bench/bench_health.py [--sizes small,large] [--repeat 3] [--naive-sizes small]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gen_project  # noqa: E402

RESULTS = HERE / "results"
FILES = ("manifest.json", "run_results.json", "sources.json")

BASELINE = """
import json, sys
loaded = []
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as handle:
        loaded.append(json.load(handle))
"""

NAIVE = r"""
import json, sys
import networkx as nx
from dbt_artifacts_parser.parser import parse_manifest, parse_run_results, parse_sources

manifest_path, run_results_path, sources_path, out_path = sys.argv[1:5]
with open(manifest_path) as f:
    manifest = parse_manifest(json.load(f))
with open(run_results_path) as f:
    run_results = parse_run_results(json.load(f))
with open(sources_path) as f:
    sources = parse_sources(json.load(f))

def value(x):
    return getattr(x, "value", x)

graph = nx.DiGraph()
for uid, parents in (manifest.parent_map or {}).items():
    graph.add_node(uid)
    for parent in parents:
        graph.add_edge(parent, uid)
status = {r.unique_id: str(value(r.status)).lower() for r in run_results.results}
fresh = {r.unique_id: str(value(r.status)).lower() for r in sources.results}
tests_on = {}
for uid, node in manifest.nodes.items():
    if str(value(node.resource_type)) != "test":
        continue
    attached = getattr(node, "attached_node", None)
    for target in [attached] if attached else list(getattr(node.depends_on, "nodes", None) or []):
        tests_on.setdefault(target, []).append(uid)
STALE, RISK = {"error", "fail", "runtime error"}, {"warn", "skipped", "partial success"}
def level(s):
    return 3 if s in STALE else 2 if s in RISK else 0
report = []
for uid, exposure in manifest.exposures.items():
    upstream = {a for a in nx.ancestors(graph, uid) if not a.startswith("test.")}
    failing = []
    for node in upstream:
        for checked in [node, *tests_on.get(node, [])]:
            s = status.get(checked) or fresh.get(checked)
            if level(s):
                failing.append((checked, s))
    causes = []
    for checked, s in failing:
        if s == "skipped":  # explained by an error-level failure further up?
            above = nx.ancestors(graph, checked) if checked in graph else set()
            if any(status.get(a) in STALE for a in above):
                continue
        causes.append({"unique_id": checked, "status": s})
    worst = max((level(c["status"]) for c in causes), default=0)
    ran = any(n in status or n in fresh for n in upstream)
    verdict = {3: "stale", 2: "at_risk"}.get(worst, "fresh" if ran else "unknown")
    report.append({"unique_id": uid, "status": verdict, "causes": causes})
with open(out_path, "w") as f:
    json.dump({"exposures": report}, f)
"""


def measure(cmd: list[str], cwd: Path, stdout_path: Path | None = None) -> tuple[float, float, float]:
    """Run ``cmd``; return (wall seconds, peak RSS in MiB, CPU seconds) of that one child."""
    with tempfile.TemporaryFile() as err, open(stdout_path or os.devnull, "wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in (0, 1):
            err.seek(0)
            raise SystemExit(f"{cmd[:4]} failed ({proc.returncode}): {err.read().decode()[-2000:]}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def bench_size(size: str, repeat: int, naive: bool) -> dict:
    data = gen_project.ensure(size)
    files = [str(data / name) for name in FILES]
    info = json.loads((data / "info.json").read_text())
    megabytes = sum(os.path.getsize(f) for f in files) / 1e6
    RESULTS.mkdir(exist_ok=True)
    out_json = RESULTS / f"{size}.report.json"
    baseline_cmd = [sys.executable, "-c", BASELINE, *files]
    cli_cmd = [
        sys.executable,
        "-m",
        "dbtmeta",
        "stale-dashboards",
        "--format",
        "json",
        "--manifest",
        files[0],
        "--run-results",
        files[1],
        "--sources",
        files[2],
    ]
    # The same json.load with the cyclic GC off (as dbtmeta parses): to show what is left.
    nogc_cmd = [sys.executable, "-c", "import gc; gc.disable()\n" + BASELINE, *files]
    runs: dict[str, list[tuple[float, float, float]]] = {"baseline": [], "dbtmeta": [], "baseline_nogc": []}
    measure(baseline_cmd, data)  # warm the page cache
    for _ in range(repeat):  # interleaved, so all see the same machine load
        runs["baseline"].append(measure(baseline_cmd, data))
        runs["dbtmeta"].append(measure(cli_cmd, data, out_json))
        runs["baseline_nogc"].append(measure(nogc_cmd, data))
    report = json.loads(out_json.read_text())
    assert len(report["exposures"]) == info["exposures"], "the CLI did not report every exposure"
    row = {
        "size": size,
        "models": info["models"],
        "tests": info["tests"],
        "exposures": info["exposures"],
        "artifacts_mb": round(megabytes, 1),
        "statuses": info["statuses"],
        "unhealthy": sum(1 for e in report["exposures"] if e["status"] in ("stale", "at_risk")),
        "causes": sum(len(e["causes"]) for e in report["exposures"]),
    }
    for name, samples in runs.items():
        row[f"{name}_wall_s"] = round(min(w for w, _, _ in samples), 2)
        row[f"{name}_wall_median_s"] = round(statistics.median(w for w, _, _ in samples), 2)
        row[f"{name}_rss_mb"] = round(max(r for _, r, _ in samples), 1)
        row[f"{name}_cpu_s"] = round(min(c for _, _, c in samples), 2)
    if naive:
        wall, rss, _cpu = measure(
            [sys.executable, "-c", NAIVE, *files, str(RESULTS / f"{size}.naive.json")], data
        )
        row["naive_wall_s"], row["naive_rss_mb"] = round(wall, 2), round(rss, 1)
    return row


def table(rows: list[dict]) -> str:
    lines = [
        "| size (models/tests/exposures) | artifacts | baseline json.load | dbtmeta CLI | wall ratio "
        "| CPU ratio | baseline RSS | dbtmeta RSS | memory ratio | naive: pydantic + ancestors per exp. |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        naive = (
            f"{r['naive_wall_s']:.1f} s ({r['naive_wall_s'] / r['baseline_wall_s']:.1f}x), "
            f"{r['naive_rss_mb']:.0f} MiB ({r['naive_rss_mb'] / r['baseline_rss_mb']:.1f}x)"
            if "naive_wall_s" in r
            else "not run"
        )
        lines.append(
            f"| {r['size']} ({r['models']:,}/{r['tests']:,}/{r['exposures']:,}) | {r['artifacts_mb']:.0f} MB "
            f"| {r['baseline_wall_s']:.2f} s | {r['dbtmeta_wall_s']:.2f} s "
            f"| **{r['dbtmeta_wall_s'] / r['baseline_wall_s']:.2f}x** "
            f"| {r['dbtmeta_cpu_s'] / r['baseline_cpu_s']:.2f}x "
            f"| {r['baseline_rss_mb']:.0f} MiB | {r['dbtmeta_rss_mb']:.0f} MiB "
            f"| **{r['dbtmeta_rss_mb'] / r['baseline_rss_mb']:.2f}x** | {naive} |"
        )
    lines.append("")
    lines.append(
        "Against json.load with the cyclic GC switched off (dbtmeta pauses it while parsing): "
        + ", ".join(
            f"{r['size']} wall {r['dbtmeta_wall_s'] / r['baseline_nogc_wall_s']:.2f}x, "
            f"CPU {r['dbtmeta_cpu_s'] / r['baseline_nogc_cpu_s']:.2f}x, "
            f"memory {r['dbtmeta_rss_mb'] / r['baseline_nogc_rss_mb']:.2f}x"
            for r in rows
        )
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="small,large")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--naive-sizes", default="small", help="sizes to run the naive approach at ('' = none)"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    naive_sizes = {s for s in args.naive_sizes.split(",") if s}
    rows = []
    for size in args.sizes.split(","):
        row = bench_size(size, args.repeat, size in naive_sizes)
        print(json.dumps(row), file=sys.stderr)
        rows.append(row)
    text = table(rows)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.md").write_text(text + "\n", encoding="utf-8")
    (RESULTS / "latest.json").write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    print(f"\n(total {time.perf_counter() - started:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
