"""Crawl benchmark: N dashboards x T tiles over E explores, fixed latency per request.

Runs the fake Looker (tests/fake_looker) in its own process with ``--latency`` seconds slept per
request, then crawls it with the real looker-sdk at concurrency 1 and at the default concurrency,
in the same run. Reports API calls made (by endpoint), the call budget, and wall times.

    python bench/bench_crawl.py [--dashboards 1000 --tiles 5 --explores 100 --latency 0.05]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fake_looker.dataset import CLIENT_ID, CLIENT_SECRET, generated_dataset  # noqa: E402

from dbtmeta.looker.api import DEFAULT_CONCURRENCY, ApiSettings, crawl_with_stats  # noqa: E402


def budget(dashboards: int, tiles: int, explores: int, page_size: int = 100) -> dict[str, int]:
    """The call budget: pages + distinct explores + LookML dashboards + merged queries + user batches."""
    data = generated_dataset(dashboards, tiles, explores)
    user_defined = sum(1 for d in data.dashboards if "::" not in d)
    used = {(q["model"], q["view"]) for q in data.queries.values()}
    return {
        "pages": user_defined // page_size + 1,  # the last page is the short (maybe empty) one
        "explores": len(used),
        "lookml_dashboards": sum(1 for d in data.dashboards if "::" in d),
        "merged_queries": len(data.merge_queries)
        + sum(len(m["source_queries"]) for m in data.merge_queries.values()),
        "user_batches": -(-len({d["user_id"] for d in data.dashboards.values() if d["user_id"]}) // 100),
        "fixed": 4,  # login, all_dashboards(fields=id), one connection, logout
    }


def run(base_url: str, concurrency: int) -> tuple[float, int, dict[str, int], int]:
    settings = ApiSettings(base_url=base_url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    started = time.perf_counter()
    content, stats = crawl_with_stats(settings, concurrency=concurrency)
    elapsed = time.perf_counter() - started
    return elapsed, stats.total, dict(stats.calls), len(content.dashboards)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dashboards", type=int, default=1000)
    parser.add_argument("--tiles", type=int, default=5)
    parser.add_argument("--explores", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    parser.add_argument("--repeat", type=int, default=3, help="runs per concurrency; the median is shown")
    args = parser.parse_args()

    import looker_sdk  # noqa: F401 - imported before timing: both runs pay the same (zero) import cost

    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fake_looker",
            "--generate",
            f"{args.dashboards},{args.tiles},{args.explores}",
            "--latency",
            str(args.latency),
            "--cache",
        ],
        cwd=ROOT / "tests",
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None and server.stdin is not None
        base_url = server.stdout.readline().strip()
        run(base_url, args.concurrency)  # warm-up (untimed): both timed runs see the same warm server cache
        rows = []
        for concurrency in (1, args.concurrency):
            runs = sorted((run(base_url, concurrency) for _ in range(args.repeat)), key=lambda r: r[0])
            elapsed, calls, by_endpoint, found = runs[len(runs) // 2]
            times = ", ".join(f"{r[0]:.2f}" for r in runs)
            rows.append((concurrency, elapsed, calls, found, by_endpoint, times))
        server.stdin.close()
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()

    limits = budget(args.dashboards, args.tiles, args.explores)
    allowed = sum(limits.values())
    print(
        f"{args.dashboards} dashboards x {args.tiles} tiles over {args.explores} explores, "
        f"{args.latency * 1000:g} ms latency per request"
    )
    print(f"call budget {allowed} = " + " + ".join(f"{k} {v}" for k, v in limits.items()))
    print()
    print(
        f"| concurrency | wall time (s), median of {args.repeat} | all runs (s) | API calls | dashboards "
        "| speed-up vs 1 |"
    )
    print("|---|---|---|---|---|---|")
    base = rows[0][1]
    for concurrency, elapsed, calls, found, _, times in rows:
        print(f"| {concurrency} | {elapsed:.2f} | {times} | {calls} | {found} | {base / elapsed:.1f}x |")
    print()
    print("calls by endpoint: " + ", ".join(f"{k} {v}" for k, v in sorted(rows[-1][4].items())))
    ok_calls = all(r[2] <= allowed for r in rows)
    ok_speed = base / rows[-1][1] >= 6
    print(f"calls within budget: {ok_calls}; >= 6x faster: {ok_speed}")


if __name__ == "__main__":
    main()
