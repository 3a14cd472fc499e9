"""Hostile files and values dbtmeta reads that are not dbt artifacts: history and its lock, the alert
state, Looker snapshots, times, numeric options and config values (issue 18).

Each test names the bound it checks (docs/security.md, "Bounds"); the commands run as a user runs
them, in a child process under memory and CPU limits, so a hang or a blow-up fails the test instead
of the machine.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import subprocess
import time
from pathlib import Path

import click
import pytest
from cli_process import run_limited

from dbtmeta.errors import InputError, UsageError
from dbtmeta.health.history import RunRecord, read_history, record_run, summarize

# The bound tests expect (dbtmeta.text.DEPTH; test_the_bounds_are_the_documented_ones).
DEPTH = 128

T0 = dt.datetime(2026, 11, 1, 5, 0, tzinfo=dt.timezone.utc)


def stale(example_build, *extra: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    green = example_build.green
    args = ["stale-dashboards", "--manifest", str(green / "manifest.json")]
    args += ["--run-results", str(green / "run_results.json"), *extra]
    return run_limited(args, cwd=cwd, timeout=timeout)


def history_line(at: str, uid: str = "exposure.greenery.customer_overview", status: str = "stale") -> str:
    item = {"unique_id": uid, "name": uid.rsplit(".", 1)[-1], "status": status}
    return json.dumps({"version": 1, "at": at, "exposures": [item]})


# ------------------------------------------------------------------------------ JSON: one depth bound


def test_the_bounds_are_the_documented_ones() -> None:
    from dbtmeta.health.history import MAX_RETENTION_DAYS
    from dbtmeta.text import MAX_JSON_DEPTH

    assert MAX_JSON_DEPTH == DEPTH and MAX_RETENTION_DAYS == 3650


def test_loads_json_refuses_past_the_depth_bound_and_counts_no_bracket_inside_a_string() -> None:
    from dbtmeta.text import JsonTooDeep, json_depth_exceeds, loads_json

    assert loads_json("[" * DEPTH + "]" * DEPTH) is not None
    with pytest.raises(JsonTooDeep, match=f"JSON nested deeper than {DEPTH} levels"):
        loads_json("[" * (DEPTH + 1) + "]" * (DEPTH + 1))
    text = json.dumps({"title": "[{" * 5000, "escaped": '\\"[[[' * 100, "list": [[["x"]]]})
    assert not json_depth_exceeds(text) and not json_depth_exceeds(text.encode())
    assert loads_json(text.encode())["list"] == [[["x"]]]
    assert json_depth_exceeds(b'{"a": ' * 200 + b"1" + b"}" * 200)


def test_loads_json_is_linear_on_200000_levels() -> None:
    from dbtmeta.text import JsonTooDeep, loads_json

    started = time.monotonic()
    for deep in ("[" * 200_000 + "]" * 200_000, '{"a":' * 200_000, "[" * 200_000):
        with pytest.raises(JsonTooDeep):
            loads_json(deep)
    assert time.monotonic() - started < 5  # a recursive parser would not get here at all


def test_loads_json_raises_only_value_errors() -> None:
    from dbtmeta.text import loads_json

    for text in ("", "{", "1" * 5000, "\ud800", b"\xff\xfe\x00"):
        with pytest.raises(ValueError):
            loads_json(text)


# ------------------------------------------------------------------------------ times: one parser


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-22T06:00:05Z", dt.datetime(2026, 11, 22, 6, 0, 5, tzinfo=dt.timezone.utc)),
        (
            "2026-11-22T06:00:05.123456789+02:00",
            dt.datetime(2026, 11, 22, 4, 0, 5, 123456, tzinfo=dt.timezone.utc),
        ),
        ("2026-11-22 06:00:05", dt.datetime(2026, 11, 22, 6, 0, 5, tzinfo=dt.timezone.utc)),
        ("1970-01-01T00:00:00Z", dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)),
    ],
)
def test_parse_timestamp_reads_what_dbt_and_dbtmeta_write(value: str, expected: dt.datetime) -> None:
    from dbtmeta.timestamps import parse_timestamp

    assert parse_timestamp(value) == expected


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("0001-01-01T00:00:00+05:00", "outside the years 1970 to 2999"),  # no UTC form: OverflowError
        ("9999-12-31T23:00:00-05:00", "outside the years 1970 to 2999"),
        ("0001-01-01T00:00:00Z", "outside the years 1970 to 2999"),
        ("9999-12-31T23:59:59Z", "outside the years 1970 to 2999"),
        ("1969-12-31T23:59:59Z", "outside the years 1970 to 2999"),
        ("2026-11-22T06:00:05+99:00", "is not an ISO-8601 time"),
        ("9" * 5000 + "-01-01", "is not an ISO-8601 time"),
        ("yesterday", "is not an ISO-8601 time"),
        (12, "is not an ISO-8601 time"),
        (None, "is not an ISO-8601 time"),
    ],
)
def test_parse_timestamp_refuses_what_dbtmeta_cannot_compute_with(value: object, problem: str) -> None:
    from dbtmeta.timestamps import BadTimestamp, parse_timestamp

    with pytest.raises(BadTimestamp, match=problem) as info:
        parse_timestamp(value)
    assert len(str(info.value)) < 120  # one short line, even for 5,000 digits


# ------------------------------------------------------------------------------ history records


@pytest.mark.parametrize(
    "at",
    ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00Z"],
    ids=["year-1-with-offset", "year-9999-with-offset", "year-1"],
)
def test_cli_skips_a_history_record_outside_the_calendar(example_build, tmp_path: Path, at: str) -> None:
    history = tmp_path / "history.jsonl"
    history.write_text(history_line(at) + "\n")
    result = stale(
        example_build, "--history", str(history), "--format", "html", "--output", "page.html", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        f"dbtmeta: warning: history file {str(history)!r}: skipped 1 unreadable line (line 1); "
        "they are dropped when this run is recorded\n"
    )
    [kept] = history.read_text().splitlines()  # this run only
    assert json.loads(kept)["at"] != at


def test_a_record_dated_in_the_future_does_not_push_this_run_out(tmp_path: Path, capsys) -> None:
    """Retention counts back from the newest record: a record of 2999 made it drop every real run."""
    path = tmp_path / "history.jsonl"
    path.write_text(history_line("2999-01-01T00:00:00Z") + "\n")
    now = dt.datetime(2026, 11, 20, 6, tzinfo=dt.timezone.utc)
    run = RunRecord(at=now, exposures={"exposure.shop.orders": ("orders", "stale")})
    kept = record_run(path, run, now=now)
    assert [record.at for record in kept] == [now]
    assert capsys.readouterr().err == (
        f"dbtmeta: warning: history file {str(path)!r}: dropped 1 record dated in the future "
        "(from 2999-01-01T00:00:00Z, after this run and the clock)\n"
    )
    summary = summarize(kept, end=now)
    assert summary.end == now.date()
    assert summary.exposures["exposure.shop.orders"].days[-1] == (now.date(), "stale")


def test_a_record_a_few_hours_ahead_is_kept(tmp_path: Path) -> None:
    """Clocks of two machines disagree by minutes or hours: that is no reason to drop a run."""
    path = tmp_path / "history.jsonl"
    now = dt.datetime(2026, 11, 20, 6, tzinfo=dt.timezone.utc)
    ahead = RunRecord(at=now + dt.timedelta(hours=5), exposures={"exposure.shop.orders": ("orders", "fresh")})
    record_run(path, ahead, now=now)
    kept = record_run(
        path, RunRecord(at=now, exposures={"exposure.shop.orders": ("orders", "stale")}), now=now
    )
    assert [record.at for record in kept] == [now, ahead.at]


def test_cli_page_shows_this_run_despite_a_record_in_the_future(example_build, tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    history.write_text(history_line("2999-01-01T00:00:00Z", status="fresh") + "\n")
    result = stale(
        example_build, "--history", str(history), "--format", "html", "--output", "page.html", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "dropped 1 record dated in the future (from 2999-01-01T00:00:00Z" in result.stderr
    lines = history.read_text().splitlines()
    assert len(lines) == 1 and not lines[0].startswith('{"version":1,"at":"2999')
    page = (tmp_path / "page.html").read_text()
    assert "2999" not in page


def test_a_history_line_nested_100000_deep_is_skipped(tmp_path: Path, capsys) -> None:
    path = tmp_path / "history.jsonl"
    deep = '{"version":1,"at":"2026-11-01T05:00:00Z","exposures":' + "[" * 100_000 + "]" * 100_000 + "}"
    path.write_text(history_line("2026-11-02T05:00:00Z") + "\n" + deep + "\n")
    records = read_history(path)
    assert [record.at for record in records] == [T0 + dt.timedelta(days=1)]
    assert "skipped 1 unreadable line (line 2)" in capsys.readouterr().err


def test_millions_of_blank_lines_cost_no_memory(example_build, tmp_path: Path) -> None:
    """100 MB of newlines, under the size cap: split into lines, a list of 100 million (800 MB)."""
    history = tmp_path / "history.jsonl"
    blank = 100 * 2**20
    with history.open("wb") as handle:
        handle.write(history_line("2026-11-02T05:00:00Z").encode() + b"\n")
        handle.write(b"\n" * blank)
        handle.write(b"   \n" * 1000 + history_line("not a time").encode() + b"\n")
    green = example_build.green
    args = ["stale-dashboards", "--manifest", str(green / "manifest.json")]
    args += ["--run-results", str(green / "run_results.json"), "--history", str(history)]
    result = run_limited(args, cwd=tmp_path, memory=2**30)
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        f"dbtmeta: warning: history file {str(history)!r}: skipped 1 unreadable line "
        f"(line {blank + 1002}); they are dropped when this run is recorded\n"
    )


def test_a_history_file_over_the_cap_is_refused_before_it_is_read(example_build, tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    with history.open("wb") as handle:
        handle.truncate(300 * 2**20)  # sparse: 300 MiB of NUL bytes without the disk space
    result = stale(example_build, "--history", str(history), cwd=tmp_path, timeout=30)
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        f"dbtmeta: error: history file {str(history)!r} is larger than 256 MiB, more than any such "
        "file can be; check the path\n"
    )
    assert history.stat().st_size == 300 * 2**20


@pytest.mark.parametrize("which", ["history", "lock"])
def test_a_fifo_as_history_or_its_lock_is_refused_at_once(example_build, tmp_path: Path, which: str) -> None:
    history = tmp_path / "history.jsonl"
    if which == "history":
        os.mkfifo(history)
        expected = (
            f"dbtmeta: error: --history: history file {str(history)!r} is a FIFO (named pipe), "
            "not a regular file; give a file path\n"
        )
    else:
        history.write_text("")
        os.mkfifo(tmp_path / "history.jsonl.lock")
        expected = (
            f"dbtmeta: error: history lock file '{history}.lock' is a FIFO (named pipe), not a regular "
            "file; remove it or give another path\n"
        )
    result = stale(example_build, "--history", str(history), cwd=tmp_path, timeout=30)
    assert (result.returncode, result.stderr) == (2, expected)
    assert not (tmp_path / "out.json").exists()


def test_a_lock_held_too_long_is_one_clear_error(tmp_path: Path) -> None:
    from dbtmeta.files import locked

    lock = tmp_path / "history.jsonl.lock"
    lock.write_text("")
    with lock.open("a") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)
        started = time.monotonic()
        with pytest.raises(InputError) as info, locked(lock, "history lock file", timeout=0.3):
            pass
        assert time.monotonic() - started < 3
    assert str(info.value) == (
        f"history lock file {str(lock)!r} stayed locked for 0.3 s; another dbtmeta holds it "
        "(is one stuck?): try again when it has finished"
    )
    with locked(lock, "history lock file", timeout=0.3):  # released: taken at once
        pass


# ------------------------------------------------------------------------------ alert state, snapshot


def test_a_state_file_nested_100000_deep_is_one_clear_error(example_build, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text('{"version": 1, "exposures": {"x": ' + "[" * 100_000 + "]" * 100_000 + "}}")
    before = state.read_bytes()
    hook = ["--slack-webhook", "https://hooks.slack.com/services/T0/B0/x", "--state-file", str(state)]
    result = stale(example_build, *hook, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        f"dbtmeta: error: state file {str(state)!r} is not an alert state (JSON nested deeper than "
        f"{DEPTH} levels); delete it to start over (alerts will repeat once)\n"
    )
    assert state.read_bytes() == before


@pytest.mark.parametrize("alerted_at", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00", "1e400"])
def test_a_state_time_outside_the_calendar_counts_as_never_announced(tmp_path: Path, alerted_at: str) -> None:
    from dbtmeta.alerts.state import load_state

    state = tmp_path / "state.json"
    entry = {"status": "stale", "alerted_at": alerted_at, "causes": []}
    state.write_text(json.dumps({"version": 1, "exposures": {"exposure.shop.orders": entry}}))
    assert load_state(state).entries["exposure.shop.orders"].alerted_at is None


def test_a_snapshot_nested_too_deep_is_one_clear_error(example_build, tmp_path: Path) -> None:
    snapshot = tmp_path / "looker.json"
    snapshot.write_text('{"format_version": 2, "dashboards": ' + "[" * 100_000 + "]" * 100_000 + "}")
    result = run_limited(
        [
            "sync-exposures",
            "--project-dir",
            str(example_build.project_dir),
            "--snapshot",
            str(snapshot),
            "--check",
        ],
        cwd=tmp_path,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        f"dbtmeta: error: Looker snapshot {str(snapshot)!r} is not usable (JSON nested deeper than "
        f"{DEPTH} levels): re-create it with 'dbtmeta looker pull --output FILE'\n"
    )


# ------------------------------------------------------------------------------ numeric options


def _commands() -> list[tuple[str, click.Command]]:
    """Every command and subcommand, with the group's own options as ``dbtmeta``."""
    from dbtmeta.cli import cli as group

    found: list[tuple[str, click.Command]] = [("dbtmeta", group)]
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        subs = command.commands.items() if isinstance(command, click.Group) else [("", command)]
        found += [(f"{name} {sub}".strip(), c) for sub, c in subs]
    return found


def test_every_numeric_option_has_a_documented_range() -> None:
    numeric = []
    for name, command in _commands():
        for param in command.params:
            if isinstance(param.type, click.types.IntParamType | click.types.FloatParamType):
                numeric.append(f"{name} {param.opts[0]}")
                assert isinstance(param.type, click.IntRange | click.FloatRange), (name, param.opts)
                assert param.type.min is not None and param.type.max is not None, (name, param.opts)
                help_text = param.get_help_record(click.Context(command))
                assert help_text is not None and f"x<={param.type.max:g}" in help_text[1].replace(",", "")
    assert {"stale-dashboards --history-days", "looker pull --timeout", "lineage --depth"} <= set(numeric)


def test_option_bounds_agree_with_the_library() -> None:
    from dbtmeta.alerts.state import MAX_REPEAT_AFTER
    from dbtmeta.commands import looker as looker_command
    from dbtmeta.health.history import MAX_RETENTION_DAYS
    from dbtmeta.looker import api_client

    assert looker_command.MAX_TIMEOUT == api_client.MAX_TIMEOUT
    assert looker_command.MAX_RETRIES == api_client.MAX_RETRIES
    assert MAX_RETENTION_DAYS == 3650 == MAX_REPEAT_AFTER.days


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--history-days", "800000"],
            "Invalid value for '--history-days': 800000 is not in the range 1<=x<=3650.",
        ),
        (["--history-days", "9" * 5000], "Invalid value for '--history-days':"),
        (
            ["--slack-timeout", "1e400"],
            "Invalid value for '--slack-timeout': inf is not in the range 0.1<=x<=300.",
        ),
        (
            [
                "--repeat-after",
                "9" * 400 + "d",
                "--slack-webhook",
                "https://hooks.slack.com/services/T0/B0/x",
            ],
            "--repeat-after '" + "9" * 400 + "d' is longer than 3,650 days; give at most 3650d",
        ),
    ],
    ids=["history-days", "history-days-5000-digits", "slack-timeout-inf", "repeat-after"],
)
def test_cli_numeric_values_past_their_range_exit_2(
    example_build, tmp_path: Path, args, message: str
) -> None:
    result = stale(example_build, "--history", str(tmp_path / "h.jsonl"), *args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"dbtmeta: error: {message}")
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "h.jsonl").exists()


def test_config_file_values_are_bounded_the_same_way(example_build, tmp_path: Path) -> None:
    (tmp_path / "dbtmeta.yml").write_text("stale_dashboards:\n  history_days: 800000\n")
    result = stale(example_build, "--history", "h.jsonl", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        f"dbtmeta: error: {tmp_path.resolve() / 'dbtmeta.yml'}: stale_dashboards.history_days: "
        "800000 is not in the range 1<=x<=3650.\n"
    )
    assert not (tmp_path / "h.jsonl").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--timeout", "1e30"], "Invalid value for '--timeout': 1e+30 is not in the range 0.1<=x<=3600."),
        (["--retries", "100000"], "Invalid value for '--retries': 100000 is not in the range 0<=x<=20."),
    ],
)
def test_looker_numeric_options_are_bounded(tmp_path: Path, args: list[str], message: str) -> None:
    result = run_limited(["looker", "pull", "--output", "out.json", *args], cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"dbtmeta: error: {message}")


def test_a_looker_ini_timeout_past_the_bound_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "looker.ini").write_text(
        "[Looker]\nbase_url = http://127.0.0.1:9\nclient_id = a\nclient_secret = b\ntimeout = 100000000000\n"
    )
    result = run_limited(
        ["looker", "pull", "--output", "out.json", "--looker-ini", "looker.ini"], cwd=tmp_path
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        "dbtmeta: error: Looker timeout 1e+11 is out of range: give 0.1 to 3600 seconds "
        "(--timeout, looker.ini or LOOKERSDK_TIMEOUT)\n"
    )


def test_record_run_bounds_retention_for_library_callers(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="history retention must be 1 to 3,650 days, not 800,000"):
        record_run(tmp_path / "h.jsonl", RunRecord(at=T0, exposures={}), retention_days=800_000)
