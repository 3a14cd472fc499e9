"""Slack posting (against a local fake webhook), routing and the alert state machine."""

from __future__ import annotations

import json
import socket
from datetime import datetime, timedelta, timezone

import pytest
from slack_server import SlackServer
from test_renderers import make_cause as _cause
from test_renderers import make_exposure as _exposure

from dbtmeta.alerts import state as alert_state
from dbtmeta.alerts.slack import post_json, route_exposures, validate_webhook_url
from dbtmeta.alerts.state import AlertState, Entry, parse_duration, plan_alerts, updated_state
from dbtmeta.errors import InputError, RemoteError, UsageError
from dbtmeta.health.model import Status

SECRET_PATH = "/services/T000/B000/XXXXSECRET"


pytestmark = pytest.mark.usefixtures("isolated_env")


@pytest.fixture
def server():
    with SlackServer() as srv:
        yield srv


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ------------------------------------------------------------------------------------------ posting


def test_post_sends_json(server):
    attempts = post_json(server.url(), {"text": "hi", "blocks": []})
    assert attempts == 1
    [post] = server.posts
    assert post.path == SECRET_PATH
    assert post.headers["Content-Type"].startswith("application/json")
    assert post.json == {"text": "hi", "blocks": []}


def test_post_retries_server_errors_then_succeeds(server):
    server.respond(503, "service_unavailable")
    assert post_json(server.url(), {"text": "x"}, backoff=0.01) == 2
    assert len(server.posts) == 2


def test_post_honours_retry_after(server):
    server.respond(429, "rate_limited", {"Retry-After": "1"})
    slept: list[float] = []
    assert post_json(server.url(), {"text": "x"}, backoff=0.01, sleep=slept.append) == 2
    assert slept == [1.0]


def test_post_really_waits_retry_after(server):
    server.respond(429, "rate_limited", {"Retry-After": "1"})
    post_json(server.url(), {"text": "x"}, backoff=0.01)
    first, second = server.posts
    assert second.time - first.time >= 0.95


def test_post_gives_up_without_printing_the_url(server):
    server.always(500, "server_error")
    with pytest.raises(RemoteError) as info:
        post_json(server.url(), {"text": "x"}, retries=2, backoff=0.01)
    message = str(info.value)
    assert "HTTP 500" in message and "the Slack webhook" in message and "3 attempts" in message
    assert "XXXXSECRET" not in message and "127.0.0.1" not in message
    assert len(server.posts) == 3


def test_client_errors_are_not_retried(server):
    server.respond(404, "no_service")
    with pytest.raises(RemoteError, match=r"HTTP 404 \(no_service\)"):
        post_json(server.url(), {"text": "x"}, backoff=0.01)
    assert len(server.posts) == 1


def test_unreachable_webhook():
    url = f"http://127.0.0.1:{_free_port()}{SECRET_PATH}"
    with pytest.raises(RemoteError) as info:
        post_json(url, {"text": "x"}, retries=1, backoff=0.01)
    assert "connection refused" in str(info.value)
    assert "XXXXSECRET" not in str(info.value)


def test_timeout():
    with socket.socket() as sock:  # accepts connections (backlog) but never answers
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}{SECRET_PATH}"
        with pytest.raises(RemoteError, match=r"no answer within 0.3s"):
            post_json(url, {"text": "x"}, timeout=0.3, retries=0)


def test_garbage_answer_is_a_remote_error():
    import threading

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(4)

        def answer_garbage():
            for _ in range(2):
                conn, _ = sock.accept()
                with conn:
                    conn.recv(65536)
                    conn.sendall(b"NOT HTTP AT ALL\r\n\r\n")

        thread = threading.Thread(target=answer_garbage, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{sock.getsockname()[1]}{SECRET_PATH}"
        with pytest.raises(RemoteError, match="the Slack webhook gave an invalid HTTP answer") as info:
            post_json(url, {"text": "x"}, retries=1, backoff=0.01, timeout=2)
        thread.join(timeout=5)
    assert "XXXXSECRET" not in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.slack.com/services/XXXXSECRET",
        "hooks.slack.com/services/XXXXSECRET",
        "https:///services/XXXXSECRET",
        "javascript:alert(XXXXSECRET)",
        "https://hooks.slack.com/services/XXXXSECRET\n",
        "",
    ],
)
def test_webhook_url_validation_never_echoes_the_url(url):
    with pytest.raises(UsageError) as info:
        validate_webhook_url(url)
    assert "XXXXSECRET" not in str(info.value)


# ------------------------------------------------------------------------------------------ routing


def _routed():
    return [
        _exposure("a", Status.STALE, owner=("Ann", "ann@x.io"), meta={"slack_channel": "#sales"}),
        _exposure("b", Status.STALE, owner=("Bob", "bob@x.io"), meta={"slack_channel": "#sales"}),
        _exposure("c", Status.AT_RISK, owner=("Cy", "cy@x.io")),
        _exposure("d", Status.STALE, owner=("Cy", "cy@x.io")),
        _exposure("e", Status.STALE, owner=("Di", None), meta={"slack_webhook_env": "TEAM_E_HOOK"}),
        _exposure("f", Status.STALE, owner=("Fa", None), meta={"slack_webhook_env": "UNSET_HOOK"}),
    ]


def test_digest_is_one_route():
    [route] = route_exposures(_routed(), default_webhook="https://hooks/default", mode="digest")
    assert len(route.exposures) == 6 and route.channel is None


def test_per_owner_routes_by_channel_then_owner_and_webhook_env():
    warnings: list[str] = []
    routes = route_exposures(
        _routed(),
        default_webhook="https://hooks/default",
        mode="per-owner",
        environ={"TEAM_E_HOOK": "https://hooks/team-e"},
        warn=warnings.append,
    )
    summary = sorted(
        (r.webhook, r.channel or "", r.owner or "", tuple(e.name for e in r.exposures)) for r in routes
    )
    assert summary == [
        ("https://hooks/default", "", "Fa", ("f",)),
        ("https://hooks/default", "", "cy@x.io", ("c", "d")),
        ("https://hooks/default", "#sales", "", ("a", "b")),
        ("https://hooks/team-e", "", "Di", ("e",)),
    ]
    assert len(warnings) == 1 and "UNSET_HOOK" in warnings[0]
    assert all("https://hooks" not in w for w in warnings)


# ------------------------------------------------------------------------------------------- state


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("24h", 86400),
        ("30m", 1800),
        ("1d12h", 129600),
        ("45s", 45),
        ("2w", 1209600),
        ("0", 0),
        ("1.5h", 5400),
    ],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "24", "h", "-1h", "1y", "tomorrow", "24h garbage"])
def test_parse_duration_rejects(text):
    with pytest.raises(UsageError, match="--repeat-after"):
        parse_duration(text)


NOW = datetime(2026, 11, 22, 6, 0, tzinfo=timezone.utc)
STG = "model.shop.stg_promos"


def _stale(name="orders", cause=STG):
    return _exposure(name, Status.STALE, [_cause(cause, "error", path=(cause, f"exposure.shop.{name}"))])


def test_first_run_alerts_every_unhealthy_dashboard():
    plan = plan_alerts(
        [_stale(), _exposure("ok", Status.FRESH)], AlertState(), now=NOW, repeat_after=timedelta(hours=24)
    )
    assert [e.name for e in plan.alerts] == ["orders"] and not plan.recovered


def test_repeat_suppressed_within_window_and_repeated_after():
    state = updated_state(AlertState(), [_stale()], announced={"exposure.shop.orders"}, now=NOW)
    assert state.entries["exposure.shop.orders"].alerted_at == NOW
    soon = plan_alerts([_stale()], state, now=NOW + timedelta(hours=23), repeat_after=timedelta(hours=24))
    assert not soon.alerts and [e.name for e in soon.suppressed] == ["orders"]
    later = plan_alerts([_stale()], state, now=NOW + timedelta(hours=24), repeat_after=timedelta(hours=24))
    assert [e.name for e in later.alerts] == ["orders"]


def test_new_cause_or_new_status_is_announced_again():
    state = updated_state(AlertState(), [_stale()], announced={"exposure.shop.orders"}, now=NOW)
    other = plan_alerts(
        [_stale(cause="model.shop.stg_users")], state, now=NOW, repeat_after=timedelta(days=1)
    )
    assert [e.name for e in other.alerts] == ["orders"]
    at_risk = _exposure("orders", Status.AT_RISK, [_cause(STG, "skipped", path=(STG,))])
    assert plan_alerts([at_risk], state, now=NOW, repeat_after=timedelta(days=1)).alerts


def test_recovery_is_announced_once_and_unknown_keeps_the_entry():
    state = updated_state(AlertState(), [_stale()], announced={"exposure.shop.orders"}, now=NOW)
    unknown = _exposure("orders", Status.UNKNOWN)
    plan = plan_alerts([unknown], state, now=NOW, repeat_after=timedelta(days=1))
    assert plan.empty
    state = updated_state(state, [unknown], announced=set(), now=NOW)
    assert state.entries["exposure.shop.orders"].status == "stale"
    fresh = _exposure("orders", Status.FRESH)
    plan = plan_alerts([fresh], state, now=NOW, repeat_after=timedelta(days=1))
    assert [e.name for e in plan.recovered] == ["orders"]
    # Not posted: kept, so it is announced next time.
    assert (
        updated_state(state, [fresh], announced=set(), now=NOW).entries["exposure.shop.orders"].status
        == "stale"
    )
    state = updated_state(state, [fresh], announced={"exposure.shop.orders"}, now=NOW)
    assert plan_alerts([fresh], state, now=NOW, repeat_after=timedelta(days=1)).empty


def test_state_file_round_trip_and_bad_files(tmp_path):
    path = tmp_path / "state.json"
    assert alert_state.load_state(path).entries == {}
    state = AlertState({"exposure.shop.orders": Entry("stale", NOW, (STG,))})
    alert_state.save_state(path, state)
    assert alert_state.load_state(path).entries == state.entries
    assert json.loads(path.read_text())["version"] == 1
    for bad in ("{", "[]", '{"version": 99, "exposures": {}}', '{"exposures": 3}'):
        path.write_text(bad)
        with pytest.raises(InputError, match="state file"):
            alert_state.load_state(path)
    with pytest.raises(UsageError, match="does not exist"):
        alert_state.check_state_path(tmp_path / "missing" / "state.json")
    with pytest.raises(UsageError, match="is a directory"):
        alert_state.check_state_path(tmp_path)


# ------------------------------------------------------------------------------- CLI against a server


def _cli(capsys, *args):
    from dbtmeta.cli import main

    with pytest.raises(SystemExit) as info:
        main(["stale-dashboards", *map(str, args)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert "XXXXSECRET" not in out + err  # the webhook URL is never printed
    return info.value.code, out, err


def _artifacts(directory):
    return [
        "--manifest", directory / "manifest.json",
        "--run-results", directory / "run_results.json",
        "--sources", directory / "sources.json",
    ]  # fmt: skip


def _section_texts(payload) -> str:
    return "\n".join(b["text"]["text"] for b in payload["blocks"] if b["type"] == "section")


def test_cli_posts_a_digest(example_build, server, capsys):
    code, out, err = _cli(
        capsys, *_artifacts(example_build.failure), "--format", "json", "--slack-webhook", server.url()
    )
    assert code == 1
    assert json.loads(out)["summary"]["stale"] == 3  # stdout: only the report
    assert err.startswith("dbtmeta: posted 1 Slack message")
    [post] = server.posts
    payload = post.json
    assert payload["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Dashboard health: 3 stale, 1 at risk", "emoji": True},
    }
    sections = _section_texts(payload)
    for label in ("Orders Overview", "Inventory Health", "Weekly marketing report", "Product Funnel"):
        assert label in sections
    assert "Customers" not in sections
    assert "`stg_promos` *error*" in sections
    assert "<https://looker.example.com/dashboards/greenery::orders_overview|Orders Overview>" in sections


def test_cli_webhook_from_env_and_per_owner_messages(example_build, server, capsys, monkeypatch):
    monkeypatch.setenv("DBTMETA_SLACK_WEBHOOK", server.url())
    code, _, err = _cli(capsys, *_artifacts(example_build.failure), "--slack-mode", "per-owner")
    assert code == 1
    assert "posted 4 Slack messages" in err
    by_owner = {}
    for post in server.posts:
        context = post.json["blocks"][-1]["elements"][0]["text"]
        by_owner[context.rsplit(" for ", 1)[1]] = _section_texts(post.json)
    assert set(by_owner) == {
        "finance@greenery.example.com",
        "ops@greenery.example.com",
        "marketing-analytics@greenery.example.com",
        "product-analytics@greenery.example.com",
    }
    assert "Orders Overview" in by_owner["finance@greenery.example.com"]
    assert "Inventory Health" not in by_owner["finance@greenery.example.com"]


def test_cli_routes_by_meta_channel_and_webhook_env(example_build, server, capsys, tmp_path, monkeypatch):
    manifest = json.loads((example_build.failure / "manifest.json").read_text())
    exposures = manifest["exposures"]
    for name in ("orders_overview", "weekly_marketing_report"):
        exposures[f"exposure.greenery.{name}"]["config"].setdefault("meta", {})["slack_channel"] = "#money"
    exposures["exposure.greenery.inventory_health"]["config"].setdefault("meta", {})["slack_webhook_env"] = (
        "OPS_HOOK"
    )
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    monkeypatch.setenv("OPS_HOOK", server.url("/hooks/ops"))
    args = [
        "--manifest",
        tmp_path / "manifest.json",
        "--run-results",
        example_build.failure / "run_results.json",
    ]
    code, _, err = _cli(capsys, *args, "--slack-webhook", server.url(), "--slack-mode", "per-owner")
    assert code == 1 and "posted 3 Slack messages" in err
    posts = {(p.path, p.json.get("channel")): _section_texts(p.json) for p in server.posts}
    assert set(posts) == {("/hooks/ops", None), (SECRET_PATH, "#money"), (SECRET_PATH, None)}
    assert "Inventory Health" in posts[("/hooks/ops", None)]
    assert "Orders Overview" in posts[(SECRET_PATH, "#money")]
    assert "Weekly marketing report" in posts[(SECRET_PATH, "#money")]


def test_cli_failing_webhook_exits_3_after_printing_the_report(example_build, server, capsys, tmp_path):
    server.always(500, "server_error")
    state = tmp_path / "state.json"
    code, out, err = _cli(
        capsys, *_artifacts(example_build.failure), "--format", "json",
        "--slack-webhook", server.url(), "--state-file", state,
    )  # fmt: skip
    assert code == 3
    assert json.loads(out)["summary"]["total"] == 5  # the report is printed first
    assert err.splitlines() == [
        "dbtmeta: error: the Slack webhook answered HTTP 500 (server_error) after 3 attempts; "
        "Slack is failing or rate-limiting; rerun later"
    ]
    assert len(server.posts) == 3
    assert not state.exists()  # written only after a successful post


def test_cli_honours_retry_after(example_build, server, capsys):
    server.respond(429, "rate_limited", {"Retry-After": "1"})
    code, _, err = _cli(capsys, *_artifacts(example_build.failure), "--slack-webhook", server.url())
    assert code == 1 and "posted 1 Slack message" in err
    first, second = server.posts
    assert second.time - first.time >= 0.95
    assert first.body == second.body


def test_cli_unreachable_webhook(example_build, capsys):
    url = f"http://127.0.0.1:{_free_port()}{SECRET_PATH}"
    code, out, err = _cli(capsys, *_artifacts(example_build.failure), "--slack-webhook", url)
    assert code == 3
    assert "3 stale, 1 at risk, 1 fresh" in out
    assert len(err.splitlines()) == 1
    assert err.startswith("dbtmeta: error: could not reach the Slack webhook (connection refused)")


def test_cli_suppresses_repeats_and_announces_recovery(example_build, server, capsys, tmp_path):
    state = tmp_path / "state.json"
    hook = ["--slack-webhook", server.url(), "--state-file", state]
    code, _, err = _cli(capsys, *_artifacts(example_build.failure), *hook)
    assert code == 1 and len(server.posts) == 1
    saved = json.loads(state.read_text())["exposures"]
    assert saved["exposure.greenery.orders_overview"]["status"] == "stale"
    assert saved["exposure.greenery.orders_overview"]["causes"] == ["model.greenery.stg_promos"]
    assert saved["exposure.greenery.customers"]["status"] == "fresh"

    # Same failures again within 24h: nothing posted.
    code, _, err = _cli(capsys, *_artifacts(example_build.failure), *hook)
    assert code == 1 and len(server.posts) == 1
    assert "posted 0 Slack messages" in err and "4 suppressed" in err

    # --repeat-after 0: announced again.
    _cli(capsys, *_artifacts(example_build.failure), *hook, "--repeat-after", "0")
    assert len(server.posts) == 2

    # Green run: one message announcing the four recoveries, then silence.
    code, _, err = _cli(capsys, *_artifacts(example_build.green), *hook)
    assert code == 0 and len(server.posts) == 3
    recovery = server.posts[-1].json
    assert recovery["blocks"][0]["text"]["text"] == "Dashboard health: 4 recovered"
    text = _section_texts(recovery)
    assert text.startswith(":white_check_mark: Recovered:")
    for label in ("Orders Overview", "Inventory Health", "Weekly marketing report", "Product Funnel"):
        assert label in text
    assert set(e["status"] for e in json.loads(state.read_text())["exposures"].values()) == {"fresh"}
    _cli(capsys, *_artifacts(example_build.green), *hook)
    assert len(server.posts) == 3


def test_cli_nothing_to_announce_posts_nothing(example_build, server, capsys):
    code, _, err = _cli(capsys, *_artifacts(example_build.green), "--slack-webhook", server.url())
    assert code == 0 and server.posts == [] and "posted 0 Slack messages" in err


def test_cli_partial_failure_keeps_failed_alerts_for_next_run(example_build, server, capsys, tmp_path):
    state = tmp_path / "state.json"
    hook = ["--slack-webhook", server.url(), "--state-file", state, "--slack-mode", "per-owner"]
    server.respond(404, "channel_not_found")  # the first message fails (not retried), 3 others go out
    code, out, err = _cli(capsys, *_artifacts(example_build.failure), *hook)
    assert code == 3 and "3 stale" in out
    assert err.splitlines() == [
        "dbtmeta: error: the Slack webhook answered HTTP 404 (channel_not_found); check that the webhook "
        "is still active and the channel exists (1 of 4 Slack messages failed)"
    ]
    failed = _section_texts(server.posts[0].json)
    saved = json.loads(state.read_text())["exposures"]
    assert sum(1 for e in saved.values() if e["alerted_at"]) == 3
    # Next run: only the dashboard whose message failed is announced.
    code, _, err = _cli(capsys, *_artifacts(example_build.failure), *hook)
    assert code == 1 and "posted 1 Slack message" in err and "3 suppressed" in err
    assert _section_texts(server.posts[-1].json) == failed
