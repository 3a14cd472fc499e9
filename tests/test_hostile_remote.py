"""Hostile Looker and Slack servers on 127.0.0.1: nothing hangs, nothing leaks, nothing is followed.

Each test talks through the real looker-sdk (or urllib for Slack) to a server of tests/hostile_http.py
and checks exact exit codes, how long it took, and that no form of a secret reached stderr, stdout or
a file.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from cli_process import run_dbtmeta
from hostile_http import Handler, HostileServer, Request, elapsed, looker_answer

from dbtmeta import secrets
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
    return run_dbtmeta(args, env=env, cwd=cwd)


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


def test_looker_gzip_bomb_is_capped_after_decompression(monkeypatch: pytest.MonkeyPatch) -> None:
    """200 KB on the wire, 200 MiB once inflated: the cap counts inflated bytes."""
    import zlib

    from dbtmeta.looker import api_client

    monkeypatch.setattr(api_client, "MAX_RESPONSE_BYTES", 2 * 2**20)
    gzip = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    spaces = b" " * 2**20
    bomb = gzip.compress(b"[") + b"".join(gzip.compress(spaces) for _ in range(200)) + gzip.compress(b"]")
    bomb += gzip.flush()

    def inflate(request: Request, handler: Handler) -> None:
        handler.send(200, bomb, {"Content-Type": "application/json", "Content-Encoding": "gzip"})

    with HostileServer(looker_answer(inflate)) as server, pytest.raises(RemoteError) as info:
        crawl(looker_settings(server, timeout=30))
    assert str(info.value) == (
        f"Looker at {server.base_url} sent more than 2 MiB in answer to GET /api/4.0/dashboards; "
        "check that the base URL points at Looker"
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


def test_slack_trickling_headers_are_cut_at_the_total_deadline() -> None:
    def trickle(request: Request, handler: Handler) -> None:
        handler.trickle_headers(every=0.2, limit=100)

    with HostileServer(trickle) as server:
        started = time.monotonic()
        with pytest.raises(RemoteError, match=r"no answer within 1s\) after 2 attempts"):
            post_json(
                server.url("/services/T1/B1/slowheaders"), {"text": "x"}, timeout=1, retries=1, backoff=0.01
            )
        assert elapsed(started) < 4


def test_slack_endless_answer_is_a_remote_error() -> None:
    def endless(request: Request, handler: Handler) -> None:
        handler.endless(limit=16 * 2**20)

    with HostileServer(endless) as server, pytest.raises(RemoteError) as info:
        post_json(server.url("/services/T1/B1/endless"), {"text": "x"}, timeout=10, retries=0)
    assert str(info.value) == (
        "the Slack webhook gave an answer too large (BodyTooLarge) after 1 attempts; "
        "is the URL really a Slack webhook (or a proxy in between)?"
    )


# ------------------------------------------------------------------------------ redirects


@pytest.mark.parametrize("status", [302, 307, 308])
def test_looker_login_redirect_to_another_origin_is_not_followed(status: int) -> None:
    """A different port on 127.0.0.1 is another origin: it must never see the login form."""
    with HostileServer(lambda request, handler: handler.send_json(200, {"access_token": TOKEN})) as thief:

        def redirect(request: Request, handler: Handler) -> None:
            handler.send(status, b"", {"Location": thief.url("/api/4.0/login")})

        with HostileServer(redirect) as server:
            with pytest.raises(RemoteError) as info:
                crawl(looker_settings(server, retries=2))
            assert [r.path for r in server.requests] == ["/api/4.0/login"]  # not retried either
    assert thief.requests == []
    assert str(info.value) == (
        f"Looker at {server.base_url} answered POST /api/4.0/login with a redirect (HTTP {status}); "
        "dbtmeta follows no redirects, so credentials only go to the base URL: set the base URL to "
        "the https address Looker's API answers on"
    )


def test_looker_api_redirect_is_not_followed_with_the_token() -> None:
    with HostileServer(lambda request, handler: handler.send_json(200, [])) as thief:

        def redirect(request: Request, handler: Handler) -> None:
            handler.send(307, b"", {"Location": thief.url(request.path)})

        with (
            HostileServer(looker_answer(redirect)) as server,
            pytest.raises(RemoteError, match=r"\(HTTP 307\)"),
        ):
            crawl(looker_settings(server))
    assert thief.requests == []


# ------------------------------------------------------------------------------ secrets in messages


@pytest.mark.parametrize("status", [400, 401, 403, 404, 418, 422])
def test_refused_login_never_echoes_its_body(status: int) -> None:
    def refuse(request: Request, handler: Handler) -> None:
        # What a careless server does: echo the form it got, decoded and not.
        body = request.body.decode() + " " + json.dumps({"client_secret": SECRET}) + " " + SECRET
        handler.send(status, body.encode(), {"Content-Type": "text/plain"})

    with HostileServer(refuse) as server, pytest.raises(RemoteError) as info:
        crawl(looker_settings(server))
    assert str(info.value) == (
        f"Looker at {server.base_url} refused the API login (HTTP {status}): "
        "check LOOKERSDK_CLIENT_ID / LOOKERSDK_CLIENT_SECRET and the base URL"
    )


@pytest.mark.parametrize(
    "echo",
    [
        pytest.param(lambda s: s, id="exact"),
        pytest.param(lambda s: quote(s, safe=""), id="url-encoded"),
        pytest.param(
            lambda s: re.sub("%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(s, safe="")),
            id="url-encoded-lowercase-hex",
        ),
        pytest.param(quote_plus, id="form-encoded"),
        pytest.param(lambda s: json.dumps({"secret": s}), id="json-escaped"),
        pytest.param(lambda s: "\n\t".join(s.split()), id="whitespace-changed"),
        pytest.param(lambda s: "x" * 170 + s, id="cut-at-200"),
        pytest.param(lambda s: "x" * 60 + s, id="cut-at-80"),
        pytest.param(lambda s: s[:20] + "...", id="server-cut-copy"),
    ],
)
def test_error_bodies_never_carry_any_form_of_the_secret_or_token(echo) -> None:
    def echoing(request: Request, handler: Handler) -> None:
        text = f"bad request: {echo(SECRET)} token {echo(TOKEN)} {echo(request.headers['Authorization'])}"
        handler.send(400, text.encode(), {"Content-Type": "text/plain"})

    with HostileServer(looker_answer(echoing, TOKEN)) as server, pytest.raises(RemoteError) as info:
        crawl(looker_settings(server))
    message = str(info.value)
    assert message.startswith(f"Looker at {server.base_url} answered HTTP 400 to GET /api/4.0/dashboards: ")
    assert "***" in message
    assert leaked(message, SECRET) == [] and leaked(message, TOKEN) == []


def test_cli_output_and_snapshot_never_carry_the_secret(tmp_path: Path) -> None:
    def echoing(request: Request, handler: Handler) -> None:
        body = json.dumps({"message": f"no {SECRET} for {request.headers['Authorization']}"})
        handler.send(500, body.encode(), {"Content-Type": "application/json"})

    out = tmp_path / "out.json"
    out.write_text("previous\n")
    with HostileServer(looker_answer(echoing, TOKEN)) as server:
        result = run_cli(
            ["looker", "pull", "--output", str(out), "--retries", "0"], looker_env(server), tmp_path
        )
    assert result.returncode == 3
    assert result.stderr.startswith(
        f"dbtmeta: error: Looker at {server.base_url} failed GET /api/4.0/dashboards"
    )
    everything = result.stdout + result.stderr + out.read_text()
    assert leaked(everything, SECRET) == [] and leaked(everything, TOKEN) == []
    assert out.read_text() == "previous\n"


def test_cli_debug_traceback_never_carries_the_secret(tmp_path: Path) -> None:
    def echoing(request: Request, handler: Handler) -> None:
        body = f"no {quote(SECRET, safe='')} for {request.headers['Authorization']}"
        handler.send(400, body.encode(), {"Content-Type": "text/plain"})

    with HostileServer(looker_answer(echoing, TOKEN)) as server:
        result = run_cli(
            ["--debug", "looker", "pull", "--output", "out.json", "--retries", "0"],
            looker_env(server),
            tmp_path,
        )
    assert result.returncode == 3
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.splitlines()[-1].startswith(
        f"dbtmeta: error: Looker at {server.base_url} answered HTTP 400 to GET /api/4.0/dashboards: "
        "no *** for"
    )
    assert leaked(result.stderr, SECRET) == [] and leaked(result.stderr, TOKEN) == []


INI_SECRET = "Kf83jdQ0p%zz9s8Jq2LmW4"
ESCAPED = INI_SECRET.replace("%", "%%")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            f"client_secret = {INI_SECRET}\n[Looker]\n",
            "line 1 comes before any [section] header; start the file with [Looker]",
        ),
        (
            f"[Looker]\nbase_url = https://x.example.com\nclient_secret {INI_SECRET}\n",
            "line(s) 3 are not 'key = value' lines",
        ),
        (
            f"[Looker]\nbase_url = https://x.example.com\nclient_id = a\nclient_secret = {INI_SECRET}\n",
            "the value of 'client_secret' in [Looker] has a '%' that is not '%%' or '%(name)s'; "
            "write a literal % as %%",
        ),
        (
            f"[Looker]\nclient_secret = {ESCAPED}\nverify_ssl = {ESCAPED}\n",
            "verify_ssl must be true or false (looker.ini or LOOKERSDK_VERIFY_SSL)",
        ),
    ],
    ids=["no-section", "no-equals", "percent", "bad-verify-ssl"],
)
def test_looker_ini_errors_never_print_the_secret(tmp_path: Path, text: str, problem: str) -> None:
    (tmp_path / "looker.ini").write_text(text)
    result = run_cli(["looker", "pull", "--output", "out.json", "--looker-ini", "looker.ini"], {}, tmp_path)
    assert result.returncode == 2
    assert result.stderr == f"dbtmeta: error: cannot read Looker settings from 'looker.ini': {problem}\n"
    assert leaked(result.stderr, INI_SECRET, window=6) == []


# ------------------------------------------------------------------------------ Slack


WEBHOOK_PATH = "/services/T0HOSTILE/B0HOSTILE/abcdefSECRETpath123"


@pytest.mark.parametrize(
    "echo",
    [
        pytest.param(lambda p: p, id="exact"),
        pytest.param(lambda p: quote(p, safe=""), id="url-encoded"),
        pytest.param(lambda p: json.dumps(p), id="json-escaped"),
        pytest.param(lambda p: "y" * 70 + p, id="cut-at-80"),
        pytest.param(lambda p: p.replace("/", "\x1b/"), id="control-characters-inside"),
    ],
)
def test_slack_error_echoing_the_path_never_prints_it(echo) -> None:
    def echoing(request: Request, handler: Handler) -> None:
        handler.send(404, f"no_service {echo(request.path)}".encode(), {"Content-Type": "text/plain"})

    with HostileServer(echoing) as server, pytest.raises(RemoteError) as info:
        post_json(server.url(WEBHOOK_PATH), {"text": "x"}, retries=0)
    message = str(info.value)
    assert message.startswith("the Slack webhook answered HTTP 404 (no_service ")
    assert leaked(message, WEBHOOK_PATH) == []
    assert "SECRET" not in message and "T0HOSTILE" not in message


def test_slack_payload_never_carries_a_registered_secret() -> None:
    secrets.register(SECRET)
    secrets.register(TOKEN)
    with HostileServer(lambda request, handler: handler.send(200, b"ok")) as server:
        post_json(server.url(WEBHOOK_PATH), {"text": f"title {SECRET}", "blocks": [{"text": TOKEN + "x"}]})
    [request] = server.requests
    assert json.loads(request.body) == {"text": "title ***", "blocks": [{"text": "***x"}]}


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_slack_redirect_is_a_failure_and_not_followed(status: int) -> None:
    with HostileServer(lambda request, handler: handler.send(200, b"ok")) as elsewhere:

        def redirect(request: Request, handler: Handler) -> None:
            handler.send(status, b"", {"Location": elsewhere.url("/moved")})

        with HostileServer(redirect) as server, pytest.raises(RemoteError) as info:
            post_json(server.url(WEBHOOK_PATH), {"text": "x"}, retries=2, backoff=0.01)
        assert len(server.requests) == 1
    assert elsewhere.requests == []
    assert str(info.value) == (
        f"the Slack webhook answered with a redirect (HTTP {status}); nothing was posted "
        "(redirects are not followed): check the webhook URL"
    )


def test_cli_slack_302_exits_3_and_leaves_the_state_file(example_build, capsys, tmp_path: Path) -> None:
    from test_slack import _artifacts, _cli

    state = tmp_path / "state.json"
    answers = {"status": 200}
    with HostileServer(lambda request, handler: handler.send(200, b"ok")) as elsewhere:

        def webhook(request: Request, handler: Handler) -> None:
            if answers["status"] == 302:
                handler.send(302, b"", {"Location": elsewhere.url("/")})
            else:
                handler.send(200, b"ok")

        with HostileServer(webhook) as server:
            hook = ["--slack-webhook", server.url(WEBHOOK_PATH), "--state-file", state, "--repeat-after", "0"]
            code, _, err = _cli(capsys, *_artifacts(example_build.failure), *hook)
            assert code == 1 and len(server.requests) == 1
            before = state.read_bytes()
            answers["status"] = 302
            code, _, err = _cli(capsys, *_artifacts(example_build.failure), *hook)
    assert code == 3
    assert err == (
        "dbtmeta: error: the Slack webhook answered with a redirect (HTTP 302); nothing was posted "
        "(redirects are not followed): check the webhook URL\n"
    )
    assert elsewhere.requests == []
    assert state.read_bytes() == before
