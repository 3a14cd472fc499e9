"""The scrubber (dbtmeta.secrets) and the shared HTTP policy (dbtmeta.http), unit by unit."""

from __future__ import annotations

import json
import time
from email.utils import formatdate
from urllib.parse import quote, quote_plus

import pytest
from hostile_http import Handler, HostileServer, Request, elapsed, looker_answer

from dbtmeta import console, http, secrets
from dbtmeta.alerts.slack import post_json
from dbtmeta.errors import RemoteError, UsageError
from dbtmeta.looker.api import ApiSettings, crawl

SECRET = 'pW9"sec/ret+val ue\\Qz81'


@pytest.fixture(autouse=True)
def registered():
    secrets.register(SECRET)
    yield
    secrets.forget_all()


@pytest.mark.parametrize(
    "form",
    [
        SECRET,
        quote(SECRET, safe=""),
        quote(SECRET, safe="/"),
        quote_plus(SECRET),
        quote(SECRET, safe="").replace("%2F", "%2f").replace("%5C", "%5c"),
        json.dumps(SECRET)[1:-1],
        repr(SECRET)[1:-1],
    ],
)
def test_every_form_is_scrubbed(form: str) -> None:
    assert secrets.scrub(f"before {form} after") == "before *** after"


def test_whitespace_collapsed_copy_is_scrubbed_in_one_line() -> None:
    spread = SECRET.replace(" ", "\n\t  ")
    assert secrets.one_line(f"a {spread} b") == "a *** b"


def test_cut_copies_are_scrubbed() -> None:
    assert secrets.scrub(f"echo {SECRET[:12]}... end") == "echo ***... end"  # a cut copy inside
    assert secrets.scrub(f"ends with {SECRET[:5]}") == "ends with ***"  # a cut at the very end
    assert secrets.scrub("pW9 is not enough") == "pW9 is not enough"  # 3 characters: not a copy


def test_one_line_scrubs_before_it_cuts() -> None:
    for pad in range(170, 200):
        line = secrets.one_line("x" * pad + SECRET, 200)
        assert SECRET[:4] not in line, pad
        assert len(line) <= 200


def test_short_values_are_not_secrets() -> None:
    secrets.register("abc")
    assert secrets.scrub("abc abcd") == "abc abcd"


def test_a_webhook_url_registers_its_path_and_tokens_not_its_host() -> None:
    path = "/services/T024BE7LD/B0123456789/Xy7pQ2wErT9uIoAsdFghJkLz"
    secrets.register_url("https://hooks.slack.com" + path)
    assert secrets.scrub("https://hooks.slack.com" + path) == "https://hooks.slack.com***"
    assert secrets.scrub(quote(path, safe="")) == "***"
    assert secrets.scrub(path[:40] + "...") == "/services/***/***/***..."  # a cut copy
    assert secrets.scrub(path[:30]) == "/services/***/***"
    assert secrets.scrub("posting to hooks.slack.com") == "posting to hooks.slack.com"
    # Other paths that start alike are left alone.
    assert (
        secrets.scrub("models/services/orders.yml: /services/x") == "models/services/orders.yml: /services/x"
    )


def test_every_stderr_line_and_error_is_scrubbed(capsys: pytest.CaptureFixture[str]) -> None:
    console.error(f"e {SECRET}")
    console.warn(f"w {quote(SECRET, safe='')}")
    console.info(f"i {json.dumps(SECRET)}")
    assert capsys.readouterr().err == 'dbtmeta: error: e ***\ndbtmeta: warning: w ***\ndbtmeta: i "***"\n'
    assert str(UsageError(f"bad {SECRET}")) == "bad ***"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("5", 5.0),
        (" 2.5 ", 2.5),
        ("3600", http.MAX_RETRY_AFTER),
        ("-3", 0.0),
        ("nan", None),
        ("soon", None),
        ("", None),
        (None, None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # in the past
    ],
)
def test_retry_after(value: str | None, seconds: float | None) -> None:
    assert http.parse_retry_after(value) == seconds


def test_retry_after_as_a_date() -> None:
    now = time.time()
    assert http.parse_retry_after(formatdate(now + 30, usegmt=True), now=now) == pytest.approx(30, abs=1)
    assert http.parse_retry_after(formatdate(now + 10**6, usegmt=True), now=now) == http.MAX_RETRY_AFTER


def test_backoff_doubles_up_to_its_cap() -> None:
    policy = http.RetryPolicy(retries=5, backoff=0.5, max_backoff=3.0)
    assert [policy.wait(n, jitter=False) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert policy.wait(0, "7") == 7.0
    assert policy.wait(0, "100000") == http.MAX_RETRY_AFTER


def test_looker_and_slack_share_one_retry_after_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    """A huge Retry-After is cut to the one cap by both clients (here lowered to 0.3 s)."""
    monkeypatch.setattr(http, "MAX_RETRY_AFTER", 0.3)
    answered: list[str] = []

    def limited_once(request: Request, handler: Handler) -> None:
        if request.path not in answered:
            answered.append(request.path)
            handler.send(429, b"slow down", {"Retry-After": "86400"})
        elif request.path.startswith("/services/"):
            handler.send(200, b"ok")
        else:
            handler.send_json(200, [])

    with HostileServer(looker_answer(limited_once)) as server:
        started = time.monotonic()
        content = crawl(
            ApiSettings(base_url=server.base_url, client_id="id-1", client_secret="secret-1", retries=1)
        )
        assert content.dashboards == [] and elapsed(started) < 3
        started = time.monotonic()
        assert post_json(server.url("/services/T/B/cap"), {"text": "x"}, retries=1) == 2
        assert 0.29 < elapsed(started) < 3


def test_deadline_covers_the_whole_exchange() -> None:
    def slow(attempt: http.Attempt) -> str:
        for _ in range(50):
            time.sleep(0.1)
            attempt.check()
        return "done"

    started = time.monotonic()
    with pytest.raises(http.DeadlineExceeded):
        http.run_with_deadline(slow, 0.5)
    assert elapsed(started) < 1.0
    assert http.run_with_deadline(lambda attempt: "fast", 1.0) == "fast"
    with pytest.raises(RemoteError, match="boom"):
        http.run_with_deadline(lambda attempt: (_ for _ in ()).throw(RemoteError("boom")), 1.0)


def test_body_cap() -> None:
    attempt = http.Attempt()
    assert http.read_capped([b"ab", b"cd"], limit=4, attempt=attempt) == b"abcd"
    with pytest.raises(http.BodyTooLarge, match="more than 4 bytes"):
        http.read_capped([b"ab", b"cde"], limit=4, attempt=attempt)
