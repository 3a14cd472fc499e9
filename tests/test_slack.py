"""Slack posting (against a local fake webhook), routing and the alert state machine."""

from __future__ import annotations

import json
import socket
from datetime import datetime, timedelta, timezone

import pytest
from slack_server import SlackServer
from test_renderers import make_cause as _cause
from test_renderers import make_exposure as _exposure

from dbtmeta import alert_state
from dbtmeta.alert_state import AlertState, Entry, parse_duration, plan_alerts, updated_state
from dbtmeta.errors import InputError, RemoteError, UsageError
from dbtmeta.health import Status
from dbtmeta.slack import post_json, route_exposures, validate_webhook_url

SECRET_PATH = "/services/T000/B000/XXXXSECRET"


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
