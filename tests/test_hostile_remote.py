"""Hostile Looker and Slack servers on 127.0.0.1: nothing hangs, nothing leaks, nothing is followed.

Each test talks through the real looker-sdk (or urllib for Slack) to a server of tests/hostile_http.py
and checks exact exit codes, how long it took, and that no form of a secret reached stderr, stdout or
a file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from hostile_http import Handler, HostileServer, Request, elapsed, looker_answer

from dbtmeta.alerts.slack import post_json
from dbtmeta.errors import RemoteError
from dbtmeta.looker.api import ApiSettings, crawl

CLIENT_ID = "hostile-client-id"
# Characters that change under URL-encoding and JSON-escaping, and whitespace inside.
SECRET = 'Zq8/s3cr+Et"value\\with spaces&more=7Hk2pX9w'
TOKEN = "tok-3f9a1c7e5b2d4a6f8e0c1b3d5f7a9c2e"
FAST = {"backoff": 0.01, "max_backoff": 0.05}


def forms(secret: str) -> list[str]:
    """The forms a secret can take in a message."""
    return [
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        " ".join(secret.split()),
    ]


def leaked(text: str, secret: str, window: int = 8) -> list[str]:
    """Every piece of ``window`` characters of any form of ``secret`` found in ``text``."""
    found = []
    for form in forms(secret):
        for start in range(len(form) - window + 1):
            piece = form[start : start + window]
            if piece in text:
                found.append(piece)
    return found


def looker_settings(server: HostileServer, **kw: object) -> ApiSettings:
    values: dict[str, object] = {
        "base_url": server.base_url,
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "retries": 0,
        **FAST,
    }
    values.update(kw)
    return ApiSettings(**values)  # type: ignore[arg-type]


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("LOOKERSDK_", "DBTMETA_"))}
    full.update(env)
    return subprocess.run(
        [sys.executable, "-m", "dbtmeta", *args],
        env=full,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def looker_env(server: HostileServer, **extra: str) -> dict[str, str]:
    return {
        "LOOKERSDK_BASE_URL": server.base_url,
        "LOOKERSDK_CLIENT_ID": CLIENT_ID,
        "LOOKERSDK_CLIENT_SECRET": SECRET,
        **extra,
    }


# ------------------------------------------------------------------------------ hangs and memory


def test_looker_trickling_body_is_cut_at_the_total_deadline() -> None:
    def trickle(request: Request, handler: Handler) -> None:
        handler.trickle(every=0.2, limit=100)  # 20 s in all, each byte well within the timeout

    with HostileServer(looker_answer(trickle)) as server:
        started = time.monotonic()
        with pytest.raises(RemoteError, match=r"no answer within 1s \(after 1 attempts\)"):
            crawl(looker_settings(server, timeout=1))
        assert elapsed(started) < 4


def test_looker_trickling_headers_are_cut_at_the_total_deadline() -> None:
    def trickle(request: Request, handler: Handler) -> None:
        handler.trickle_headers(every=0.2, limit=100)

    with HostileServer(looker_answer(trickle)) as server:
        started = time.monotonic()
        with pytest.raises(RemoteError, match=r"no answer within 1s \(after 2 attempts\)"):
            crawl(looker_settings(server, timeout=1, retries=1))
        assert elapsed(started) < 5


def test_cli_looker_trickle_exits_3_within_the_timeout(tmp_path: Path) -> None:
    def trickle(request: Request, handler: Handler) -> None:
        handler.trickle(every=0.3, limit=100)

    with HostileServer(looker_answer(trickle)) as server:
        started = time.monotonic()
        result = run_cli(
            ["looker", "pull", "--output", "out.json", "--timeout", "2", "--retries", "0"],
            looker_env(server),
            tmp_path,
        )
        took = elapsed(started)
    assert result.returncode == 3, result.stderr
    assert result.stderr == (
        f"dbtmeta: error: Looker at {server.base_url} failed GET /api/4.0/dashboards: no answer within 2s "
        "(after 1 attempts); check that Looker is up and reachable\n"
    )
    assert took < 10  # python start-up + 2 s; the trickle alone would take 30 s
    assert not (tmp_path / "out.json").exists()


def test_looker_endless_body_is_a_remote_error(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from dbtmeta.cli import main
    from dbtmeta.looker import api_client

    monkeypatch.setattr(api_client, "MAX_RESPONSE_BYTES", 2 * 2**20)

    def endless(request: Request, handler: Handler) -> None:
        handler.endless(limit=64 * 2**20)

    with HostileServer(looker_answer(endless)) as server:
        for key, value in looker_env(server).items():
            monkeypatch.setenv(key, value)
        with pytest.raises(SystemExit) as info:
            main(["looker", "pull", "--output", "out.json", "--retries", "0", "--timeout", "30"])
    assert info.value.code == 3
    assert capsys.readouterr().err == (
        f"dbtmeta: error: Looker at {server.base_url} sent more than 2 MiB in answer to "
        "GET /api/4.0/dashboards; check that the base URL points at Looker\n"
    )


def test_slack_trickling_answer_is_cut_at_the_total_deadline() -> None:
    def trickle(request: Request, handler: Handler) -> None:
        handler.trickle(every=0.2, limit=100)

    with HostileServer(trickle) as server:
        started = time.monotonic()
        with pytest.raises(RemoteError) as info:
            post_json(server.url("/services/T1/B1/trickle"), {"text": "x"}, timeout=1, retries=0)
        assert elapsed(started) < 3
    assert str(info.value) == (
        "could not reach the Slack webhook (no answer within 1s) after 1 attempts; "
        "check the network and the webhook host"
    )


def test_slack_endless_answer_is_a_remote_error() -> None:
    def endless(request: Request, handler: Handler) -> None:
        handler.endless(limit=16 * 2**20)

    with HostileServer(endless) as server, pytest.raises(RemoteError) as info:
        post_json(server.url("/services/T1/B1/endless"), {"text": "x"}, timeout=10, retries=0)
    assert str(info.value) == (
        "the Slack webhook gave an answer too large (BodyTooLarge) after 1 attempts; "
        "is the URL really a Slack webhook (or a proxy in between)?"
    )
