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

from fake_looker.dataset import CLIENT_ID, CLIENT_SECRET, FakeData, generated_dataset  # noqa: E402

from dbtmeta.looker.api import DEFAULT_CONCURRENCY, USER_BATCH, ApiSettings, crawl_with_stats  # noqa: E402


def budget(data: FakeData, page_size: int = 100) -> dict[str, int]:
    """The call budget, by endpoint, written from what the Looker instance holds.

    One login and one logout; one ``all_dashboards(fields=id)`` listing; the search pages that
    list the user-defined dashboards (pages of ``page_size``; without a total count the last page
    is the short, maybe empty, one that proves the end); one ``dashboard`` per LookML dashboard
    (search never returns those); per merged-results tile one ``merge_query`` and one ``query``
    per source query not already on a tile; one ``users`` call per 100 owners; one explore per
    distinct explore any tile, source query or dashboard filter uses; one ``connection`` per
    connection of those explores.
    """
    live = [d for d in data.dashboards.values() if not d.get("deleted")]
    user_defined = [d for d in live if "::" not in str(d["id"])]
    elements = [el for d in live for el in d.get("dashboard_elements") or ()]
    merge_ids = {str(el["merge_result_id"]) for el in elements if el.get("merge_result_id")}
    on_tiles = {
        str(q["id"])
        for el in elements
        for q in (
            el.get("query"),
            (el.get("look") or {}).get("query"),
            (el.get("result_maker") or {}).get("query"),
        )
        if q
    }
    sources = {str(s["query_id"]) for m in merge_ids for s in data.merge_queries[m]["source_queries"]}
    queries = [data.queries[q] for q in on_tiles | sources]
    explores = {(q["model"], q["view"]) for q in queries}
    explores |= {(f["model"], f["explore"]) for d in live for f in d.get("dashboard_filters") or ()}
    connections = {data.explores[e]["connection_name"] for e in explores if e in data.explores}
    owners = {str(d["user_id"]) for d in live if d.get("user_id")}
    return {
        "POST login": 1,
        "GET dashboards": 1,
        "GET dashboards/search": len(user_defined) // page_size + 1,
        "GET dashboards/{id}": len(live) - len(user_defined),
        "GET merge_queries/{id}": len(merge_ids),
        "GET queries/{id}": len(sources - on_tiles),
        "GET users": -(-len(owners) // USER_BATCH),
        "GET lookml_models/{id}/explores/{id}": len(explores),
        "GET connections/{id}": len(connections),
        "DELETE logout": 1,
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

    limits = budget(generated_dataset(args.dashboards, args.tiles, args.explores))
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
    print("calls by endpoint (made / budget):")
    for endpoint in sorted(set(limits) | set(rows[-1][4])):
        print(f"  {endpoint}: {rows[-1][4].get(endpoint, 0)} / {limits.get(endpoint, 0)}")
    ok_calls = all(r[2] <= allowed for r in rows) and all(
        made <= limits.get(endpoint, 0) for endpoint, made in rows[-1][4].items()
    )
    ok_speed = base / rows[-1][1] >= 6
    print(f"calls within budget: {ok_calls}; >= 6x faster: {ok_speed}")


if __name__ == "__main__":
    main()
