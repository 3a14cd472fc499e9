"""The health history (dbtmeta.health.history): a corrupt file, concurrent writers, retention, and the
30-day summary the status page shows."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import subprocess
import sys
from pathlib import Path

import pytest

from dbtmeta.health.history import (
    RunRecord,
    read_history,
    record_run,
    summarize,
)

T0 = dt.datetime(2026, 11, 1, 5, 0, tzinfo=dt.timezone.utc)


def run(at: dt.datetime, **statuses: str) -> RunRecord:
    return RunRecord(at=at, exposures={f"exposure.shop.{n}": (n, s) for n, s in statuses.items()})


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_missing_file_starts_a_history(tmp_path: Path, capsys) -> None:
    path = tmp_path / "history.jsonl"
    kept = record_run(path, run(T0, orders="stale", customers="fresh"))
    assert [r.at for r in kept] == [T0]
    assert lines(path) == [
        {
            "version": 1,
            "at": "2026-11-01T05:00:00Z",
            "exposures": [
                {"unique_id": "exposure.shop.customers", "name": "customers", "status": "fresh"},
                {"unique_id": "exposure.shop.orders", "name": "orders", "status": "stale"},
            ],
        }
    ]
    assert capsys.readouterr().err == f"dbtmeta: starting a new history in {str(path)!r}\n"


def test_corrupt_lines_are_skipped_with_a_warning_and_the_run_is_still_recorded(
    tmp_path: Path, capsys
) -> None:
    path = tmp_path / "history.jsonl"
    good_1 = run(T0, orders="fresh").to_json()
    good_2 = run(T0 + dt.timedelta(days=1), orders="stale").to_json()
    path.write_bytes(
        b"\n".join(
            [
                good_1.encode(),
                b"{not json",
                b"\xff\xfe binary \x00",
                b'{"version": 1, "at": "yesterday", "exposures": []}',
                b'{"version": 1, "at": "2026-11-03T05:00:00Z", "exposures": [{"unique_id": "x", "name": "x",'
                b' "status": "purple"}]}',
                b"[1, 2]",
                good_2.encode(),
                b'{"version": 1, "at": "2026-11-04T05:00:00Z", "exposu',  # a half-written last line
            ]
        )
    )
    new = run(T0 + dt.timedelta(days=5), orders="fresh")
    kept = record_run(path, new)
    assert [r.at.day for r in kept] == [1, 2, 6]
    assert [line["exposures"][0]["status"] for line in lines(path)] == ["fresh", "stale", "fresh"]
    err = capsys.readouterr().err
    assert err == (
        f"dbtmeta: warning: history file {str(path)!r}: skipped 6 unreadable lines (line 2, 3, 4, 5, 6 ...); "
        "they are dropped when this run is recorded\n"
    )


def test_a_file_that_is_all_garbage_still_gets_the_run(tmp_path: Path, capsys) -> None:
    path = tmp_path / "history.jsonl"
    path.write_bytes(b"\x00" * 1000)
    kept = record_run(path, run(T0, orders="stale"))
    assert len(kept) == 1 and len(lines(path)) == 1
    assert "skipped 1 unreadable line (line 1)" in capsys.readouterr().err


def test_the_same_run_recorded_twice_is_merged_not_duplicated(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    record_run(path, run(T0, orders="stale"))
    record_run(path, run(T0, customers="fresh"))  # e.g. a second page for another owner
    [line] = lines(path)
    assert [e["name"] for e in line["exposures"]] == ["customers", "orders"]


def test_retention_drops_runs_older_than_the_days_kept_before_the_newest(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    path.write_text(
        "".join(run(T0 + dt.timedelta(days=n), orders="fresh").to_json() + "\n" for n in range(100))
    )
    newest = T0 + dt.timedelta(days=100)
    kept = record_run(path, run(newest, orders="stale"))
    assert len(kept) == 91  # days 10..100: 90 days before the newest run, and the newest
    assert kept[0].at == newest - dt.timedelta(days=90)
    kept = record_run(path, run(newest + dt.timedelta(hours=1), orders="stale"), retention_days=7)
    assert [r.at for r in kept] == [T0 + dt.timedelta(days=n) for n in range(94, 101)] + [
        newest + dt.timedelta(hours=1)
    ]
    assert len(lines(path)) == 8


def _writer(path: str, writer: int, runs: int, barrier) -> None:  # runs in a child process
    barrier.wait()
    for n in range(runs):
        at = T0 + dt.timedelta(minutes=writer * 1000 + n)
        record_run(path, run(at, **{f"w{writer}": "stale" if n % 2 else "fresh"}))


def test_concurrent_writers_lose_no_run(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    context = multiprocessing.get_context("fork")
    writers, runs = 6, 15
    barrier = context.Barrier(writers)
    processes = [context.Process(target=_writer, args=(str(path), w, runs, barrier)) for w in range(writers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
        assert process.exitcode == 0
    records = read_history(path)
    assert len(records) == writers * runs
    assert sorted((r.at - T0).total_seconds() / 60 for r in records) == sorted(
        float(w * 1000 + n) for w in range(writers) for n in range(runs)
    )
    assert not list(tmp_path.glob(".history.jsonl.*.tmp"))  # no temp file left behind


def test_summary_over_a_generated_month_with_known_incidents() -> None:
    records = []
    for n in range(40):  # one run a day at 05:00, 2026-11-01 .. 2026-12-10
        day = T0 + dt.timedelta(days=n)
        orders = "stale" if 20 <= n <= 22 else "fresh"  # 3-day incident, fresh again on day 23
        funnel = "at_risk" if n >= 37 else "fresh"  # ongoing since day 37
        records.append(run(day, orders=orders, funnel=funnel, customers="fresh"))
    # day 30: a morning failure fixed by a re-run at noon
    records.append(
        run(T0 + dt.timedelta(days=30, hours=7), orders="fresh", funnel="fresh", customers="fresh")
    )
    records[30] = run(T0 + dt.timedelta(days=30), orders="stale", funnel="fresh", customers="fresh")
    summary = summarize(records)
    assert summary.end == dt.date(2026, 12, 10)
    orders = summary.exposures["exposure.shop.orders"]
    assert len(orders.days) == 30 and orders.days[0][0] == dt.date(2026, 11, 11)
    cells = "".join({"fresh": "f", "stale": "s", "at_risk": "r", None: "."}[s] for _, s in orders.days)
    assert cells == "f" * 10 + "sss" + "f" * 7 + "s" + "f" * 9
    assert (orders.fresh_days, orders.days_with_runs) == (26, 30)
    assert orders.last_incident is not None
    assert orders.last_incident.start == T0 + dt.timedelta(days=30)
    assert orders.last_incident.end == T0 + dt.timedelta(days=30, hours=7)
    assert orders.last_incident.duration == dt.timedelta(hours=7)
    assert orders.recoveries == (T0 + dt.timedelta(days=23), T0 + dt.timedelta(days=30, hours=7))
    assert (orders.since, orders.since_exact) == (T0 + dt.timedelta(days=30, hours=7), True)
    funnel = summary.exposures["exposure.shop.funnel"]
    assert funnel.last_incident is not None and funnel.last_incident.end is None
    assert funnel.last_incident.worst == "at_risk"
    assert funnel.last_incident.duration == dt.timedelta(days=2)
    assert (funnel.since, funnel.since_exact) == (T0 + dt.timedelta(days=37), True)
    assert funnel.recoveries == ()
    assert funnel.strip_description() == "Last 30 days: 3 days at risk, 27 days fresh"
    customers = summary.exposures["exposure.shop.customers"]
    assert customers.last_incident is None
    assert (customers.since, customers.since_exact) == (T0, False)  # as old as the history


def test_days_without_runs_are_empty_cells() -> None:
    records = [run(T0, orders="fresh"), run(T0 + dt.timedelta(days=3), orders="unknown")]
    orders = summarize(records, window_days=5).exposures["exposure.shop.orders"]
    assert [s for _, s in orders.days] == [None, "fresh", None, None, "unknown"]
    assert (orders.fresh_days, orders.days_with_runs) == (1, 2)
    assert orders.strip_description() == "Last 5 days: 1 day unknown, 1 day fresh, 3 days no run"


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dbtmeta", "stale-dashboards", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _generated_at(artifacts: Path) -> str:
    """The newest generated_at of the run results and sources: the time of the run."""
    return max(
        json.loads((artifacts / name).read_text())["metadata"]["generated_at"]
        for name in ("run_results.json", "sources.json")
    )


def test_cli_records_every_run_and_checks_the_path_first(example_build, tmp_path: Path) -> None:
    failure = example_build.failure
    history = tmp_path / "state" / "history.jsonl"
    bad = _cli("--manifest", str(failure / "manifest.json"), "--history", str(history), cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr == (
        f"dbtmeta: error: --history: history file {str(history)!r}: directory "
        f"{str(history.parent)!r} does not exist; create it first\n"
    )
    history.parent.mkdir()
    for artifacts in (example_build.green, failure):
        proc = _cli("--manifest", str(artifacts / "manifest.json"), "--history", str(history), cwd=tmp_path)
        assert proc.returncode in (0, 1), proc.stderr
    by_time = {line["at"]: {e["name"]: e["status"] for e in line["exposures"]} for line in lines(history)}
    assert by_time == {
        _generated_at(example_build.green): {
            "customers": "fresh",
            "inventory_health": "fresh",
            "orders_overview": "fresh",
            "product_funnel": "fresh",
            "weekly_marketing_report": "fresh",
        },
        _generated_at(failure): {
            "customers": "fresh",
            "inventory_health": "stale",
            "orders_overview": "stale",
            "product_funnel": "at_risk",
            "weekly_marketing_report": "stale",
        },
    }
    assert list(by_time) == sorted(by_time)  # oldest first, whatever the order of recording
    zero = _cli(
        "--manifest",
        str(failure / "manifest.json"),
        "--history",
        str(history),
        "--history-days",
        "0",
        cwd=tmp_path,
    )
    assert zero.returncode == 2 and "--history-days" in zero.stderr


def test_history_path_from_the_config_file(example_build, tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    (tmp_path / "dbtmeta.yml").write_text("stale_dashboards:\n  history: state/h.jsonl\n  history_days: 30\n")
    work = tmp_path / "sub"
    work.mkdir()
    proc = _cli("--manifest", str(example_build.failure / "manifest.json"), cwd=work)
    assert proc.returncode == 1, proc.stderr
    assert len(lines(tmp_path / "state" / "h.jsonl")) == 1


@pytest.mark.parametrize("days", ["-1", "x"])
def test_bad_history_days_is_a_usage_error(days: str, tmp_path: Path) -> None:
    proc = _cli("--history", str(tmp_path / "h"), "--history-days", days, cwd=tmp_path)
    assert proc.returncode == 2
    assert "--history-days" in proc.stderr and "Traceback" not in proc.stderr


def test_the_page_of_an_older_run_shows_the_history_up_to_that_run(example_build, tmp_path: Path) -> None:
    from dbtmeta.health.history import parse_time

    green = example_build.green
    at = parse_time(_generated_at(green))
    assert at is not None
    history = tmp_path / "history.jsonl"
    history.write_text(
        run(at + dt.timedelta(days=1), orders_overview="stale").to_json().replace("shop", "greenery")
    )
    page = tmp_path / "page.html"
    proc = _cli(
        "--manifest", str(green / "manifest.json"), "--format", "html", "--output", str(page),
        "--history", str(history), cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert len(lines(history)) == 2  # recorded, before the newer run
    text = page.read_text()
    assert "Current incident" not in text and "Stale since" not in text
    assert text.count("Fresh since") == 5
