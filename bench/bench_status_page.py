"""Benchmark the status page (``stale-dashboards --format html``) for the large generated project.

4,000 dashboards (``gen_project.py --size large``) with a generated 30-day history (one run a day,
seeded random incidents), then:

- the CLI run that appends the run to the history and writes the page (wall time, file size, gzip);
- headless Chromium (Debian's ``chromium`` driven by Playwright, a fresh page each time): time to
  first contentful paint, DOMContentLoaded and load from navigation start, and how long one search
  (typing a word) and one status filter take to re-filter the 4,000 dashboards, measured in the page.

Best of N runs (the machine is shared). Writes bench/results/status_page_<history>.{md,json}.

Usage: python bench/bench_status_page.py [--size large] [--repeat 3] [--history clustered|noisy|none]
                                         [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gen_project  # noqa: E402

RESULTS = HERE / "results"
TIMINGS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const paint = performance.getEntriesByName('first-contentful-paint')[0];
  return {fcp: paint ? paint.startTime : null, dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
          items: document.querySelectorAll('#dashboards > li').length};
}"""
FILTER = """([name, value]) => {
  const form = document.getElementById('filters');
  const field = form.elements[name];
  const started = performance.now();
  field.value = value;
  field.dispatchEvent(new Event('input', {bubbles: true}));
  const shown = document.getElementById('shown').textContent;
  return {ms: performance.now() - started, shown};
}"""


def make_history(artifacts: Path, out: Path, model: str = "clustered", days: int = 29, seed: int = 7) -> int:
    """One record a day for ``days`` days before the run; returns the number of lines.

    ``clustered``: each day two incidents, each making a block of 1-4% of the dashboards (neighbours
    by name, as dashboards of one domain share models) stale (70%) or at risk for 1-3 days; about
    90% of dashboard-days are fresh. ``noisy``: every dashboard independently stale on 8% and at risk
    on 7% of the days (a worst case for the strips: many short runs).
    """
    manifest = json.loads((artifacts / "manifest.json").read_text())
    run = json.loads((artifacts / "run_results.json").read_text())["metadata"]["generated_at"]
    end = dt.datetime.fromisoformat(run[:19]).replace(tzinfo=dt.timezone.utc)
    exposures = sorted(manifest["exposures"].items())
    count = len(exposures)
    rng = random.Random(seed)
    # day index (0 = oldest) -> dashboard index -> status
    bad: dict[int, dict[int, str]] = {}
    if model == "clustered":
        for day in range(days):
            for _ in range(2):
                size = rng.randint(count // 100, count * 4 // 100)
                start = rng.randrange(count)
                status = "stale" if rng.random() < 0.7 else "at_risk"
                for offset in range(rng.randint(1, 3)):
                    hit = bad.setdefault(day + offset, {})
                    for index in range(start, start + size):
                        hit[index % count] = status
    lines = []
    for day in range(days):
        at = (end - dt.timedelta(days=days - day)).strftime("%Y-%m-%dT%H:%M:%SZ")
        items = []
        for index, (uid, node) in enumerate(exposures):
            if model == "clustered":
                status = bad.get(day, {}).get(index, "fresh")
            else:
                roll = rng.random()
                status = "stale" if roll < 0.08 else "at_risk" if roll < 0.15 else "fresh"
            items.append({"unique_id": uid, "name": node["name"], "status": status})
        lines.append(json.dumps({"version": 1, "at": at, "exposures": items}, separators=(",", ":")))
    out.write_text("\n".join(lines) + "\n")
    return len(lines)


def write_page(artifacts: Path, history: Path, page: Path) -> float:
    started = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "dbtmeta",
            "stale-dashboards",
            "--manifest",
            str(artifacts / "manifest.json"),
            "--run-results",
            str(artifacts / "run_results.json"),
            "--sources",
            str(artifacts / "sources.json"),
            "--format",
            "html",
            "--output",
            str(page),
            "--history",
            str(history),
        ],
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"dbtmeta failed ({proc.returncode}): {proc.stderr}")
    return elapsed


def measure_browser(page_path: Path, chromium: str, repeat: int) -> list[dict]:
    from playwright.sync_api import sync_playwright

    runs = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        for _ in range(repeat):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
            page.goto(page_path.as_uri(), wait_until="load")
            timings = page.evaluate(TIMINGS)
            timings["search"] = page.evaluate(FILTER, ["q", "dashboard 1234"])
            page.evaluate(FILTER, ["q", ""])
            timings["status_filter"] = page.evaluate(FILTER, ["status", "at_risk"])
            timings["console_errors"] = errors
            runs.append(timings)
            context.close()
        browser.close()
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(gen_project.SIZES), default="large")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--history", choices=("clustered", "noisy", "none"), default="clustered")
    args = parser.parse_args()

    artifacts = gen_project.ensure(args.size)
    with tempfile.TemporaryDirectory(prefix="dbtmeta-bench-page-") as tmp:
        work = Path(tmp)
        history = work / "history.jsonl"
        if args.history == "none":
            history.write_text("")
        else:
            make_history(artifacts, history, args.history)
        history_bytes = history.stat().st_size
        write_times = []
        page = work / "status.html"
        for _ in range(args.repeat):
            fresh = work / "history-run.jsonl"
            shutil.copyfile(history, fresh)
            write_times.append(write_page(artifacts, fresh, page))
        data = page.read_bytes()
        browser_runs = measure_browser(page, args.chromium, args.repeat)

    best = min(browser_runs, key=lambda r: r["fcp"] or 1e9)
    result = {
        "size": args.size,
        "history_model": args.history,
        "dashboards": best["items"],
        "page_bytes": len(data),
        "page_gzip_bytes": len(gzip.compress(data, 6)),
        "history_bytes_30_runs": history_bytes,
        "write_seconds_best": min(write_times),
        "fcp_ms_best": min(r["fcp"] for r in browser_runs),
        "dcl_ms_best": min(r["dcl"] for r in browser_runs),
        "load_ms_best": min(r["load"] for r in browser_runs),
        "search_ms_best": min(r["search"]["ms"] for r in browser_runs),
        "status_filter_ms_best": min(r["status_filter"]["ms"] for r in browser_runs),
        "search_shown": best["search"]["shown"],
        "status_filter_shown": best["status_filter"]["shown"],
        "console_errors": sorted({e for r in browser_runs for e in r["console_errors"]}),
        "runs": browser_runs,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"status_page_{args.history}.json").write_text(json.dumps(result, indent=2))
    table = (
        "| dashboards | page | gzip | history (30 runs) | write page (CLI) | first paint | DOMContentLoaded "
        "| load | search | status filter |\n|---|---|---|---|---|---|---|---|---|---|\n"
        f"| {result['dashboards']:,} | {len(data) / 1e6:.2f} MB | {result['page_gzip_bytes'] / 1e6:.2f} MB "
        f"| {history_bytes / 1e6:.1f} MB | {result['write_seconds_best']:.1f} s "
        f"| {result['fcp_ms_best']:.0f} ms | {result['dcl_ms_best']:.0f} ms "
        f"| {result['load_ms_best']:.0f} ms "
        f"| {result['search_ms_best']:.0f} ms | {result['status_filter_ms_best']:.0f} ms |\n"
    )
    (RESULTS / f"status_page_{args.history}.md").write_text(table)
    print(table)
    print(f"search: {result['search_shown']}; status filter: {result['status_filter_shown']}")
    if result["console_errors"]:
        print(f"console errors: {result['console_errors']}")


if __name__ == "__main__":
    main()
