"""Benchmark ``dbtmeta sync-exposures --check`` on the generated LookML repository (gen_lookml.py).

Each repeat runs, interleaved, in fresh subprocesses:

- ``bare``: ``lkml.load`` of every ``.lkml`` file of both projects in one process (the floor any
  reader that parses everything has to pay);
- ``cold``: the whole CLI with an empty parse cache (``XDG_CACHE_HOME`` a new directory);
- ``warm``: the same command again, cache filled.

Times are wall-clock of the child; peak memory is the child's ``ru_maxrss`` (``os.wait4``: the
largest of the child and the workers it waited for). Reported: median and range, and the ratios
cold/bare and warm/bare of the medians. Results go to ``bench/results/lookml.{json,md}``.

Usage: python bench/bench_lookml.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gen_lookml  # noqa: E402

RESULTS = HERE / "results"
BARE = """
import sys
from pathlib import Path
import lkml
kept = []
for root in sys.argv[1:]:
    for path in sorted(Path(root).rglob("*.lkml")):
        kept.append(lkml.load(path.read_text(encoding="utf-8")))
print(len(kept))
"""


def _run(argv: list[str], cwd: Path, env: dict[str, str], ok: tuple[int, ...] = (0,)) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one child process (and the workers it waited for)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in ok:
            err.seek(0)
            sys.exit(f"{argv} exited {proc.returncode}:\n{err.read().decode()[-3000:]}")
    return seconds, usage.ru_maxrss / 1024


def _summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    out = gen_lookml.ensure()
    info = json.loads((out / "info.json").read_text(encoding="utf-8"))
    python = sys.executable
    dbtmeta = [python, "-m", "dbtmeta"]
    command = [
        *dbtmeta,
        "sync-exposures",
        "--lookml-dir",
        "main",
        "--lookml-import",
        "shared=shared",
        "--project-dir",
        "dbt",
        "--check",
    ]
    runs: dict[str, dict[str, list[float]]] = {
        k: {"seconds": [], "peak_mb": []} for k in ("bare", "cold", "warm")
    }
    for repeat in range(args.repeat):
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "XDG_CACHE_HOME": cache}
            env.pop("DBTMETA_NO_CACHE", None)
            measured = {
                "bare": _run([python, "-c", BARE, "main", "shared"], out, env),
                "cold": _run(command, out, env, ok=(0, 1)),
                "warm": _run(command, out, env, ok=(0, 1)),
            }
        for kind, (seconds, peak) in measured.items():
            runs[kind]["seconds"].append(seconds)
            runs[kind]["peak_mb"].append(peak)
        print(
            f"repeat {repeat + 1}: " + ", ".join(f"{k} {s:.2f}s {m:.0f}MB" for k, (s, m) in measured.items()),
            file=sys.stderr,
        )
    summary = {kind: {key: _summary(values) for key, values in run.items()} for kind, run in runs.items()}
    bare = summary["bare"]["seconds"]["median"]
    result = {
        "repository": info,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "repeat": args.repeat,
        "runs": runs,
        "summary": summary,
        "ratios": {
            "cold_vs_bare": summary["cold"]["seconds"]["median"] / bare,
            "warm_vs_bare": summary["warm"]["seconds"]["median"] / bare,
            "cold_peak_vs_bare": summary["cold"]["peak_mb"]["median"] / summary["bare"]["peak_mb"]["median"],
            "warm_peak_vs_bare": summary["warm"]["peak_mb"]["median"] / summary["bare"]["peak_mb"]["median"],
        },
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "lookml.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    lines = [
        f"LookML benchmark: {info['files']:,} files, {info['bytes'] / 1e6:.1f} MB; "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {args.repeat} repeats (median, range)",
        "",
        "| run | seconds | vs bare | peak RSS MB | vs bare |",
        "|---|---|---|---|---|",
    ]
    for kind in ("bare", "cold", "warm"):
        s, m = summary[kind]["seconds"], summary[kind]["peak_mb"]
        lines.append(
            f"| {kind} | {s['median']:.2f} ({s['min']:.2f}-{s['max']:.2f}) | "
            f"{s['median'] / bare:.3f}x | {m['median']:.0f} ({m['min']:.0f}-{m['max']:.0f}) | "
            f"{m['median'] / summary['bare']['peak_mb']['median']:.2f}x |"
        )
    (RESULTS / "lookml.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
