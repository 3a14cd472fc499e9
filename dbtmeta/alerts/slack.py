"""Post messages to Slack incoming webhooks, and decide which webhook/channel each dashboard goes to.

Only the standard library is used (urllib), under :mod:`dbtmeta.http`'s policy: one deadline per
attempt (connect, headers and body), a capped answer, ``Retry-After`` honoured up to its cap, and no
redirect followed (a ``3xx`` is a failure: the message was not posted). The webhook URL is a secret:
its path is registered with :mod:`dbtmeta.secrets` and never appears in an error message or in
output, even when Slack (or whatever answers) echoes it; errors say "the Slack webhook" plus the
HTTP status.

Routing (``--slack-mode per-owner``), from each exposure's ``config.meta``:

- ``slack_webhook_env``: the name of an environment variable holding the webhook URL for this
  dashboard's team (the URL itself never belongs in the manifest);
- ``slack_channel``: a channel such as ``#marketing-data``, sent as the payload's ``channel`` (legacy
  webhooks honour it; app webhooks post to their own channel and ignore it).

Exposures with the same (webhook, channel) share one message; without a ``slack_channel`` they are
grouped by owner (email, else name) on their webhook. ``--slack-mode digest`` sends one message to
``--slack-webhook`` for everything.

Must not: render messages (:mod:`dbtmeta.render.slack` does), follow a redirect, or show the webhook
URL or its path in any message.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dbtmeta import secrets
from dbtmeta.errors import RemoteError, UsageError
from dbtmeta.http import Attempt, BodyTooLarge, DeadlineExceeded, RetryPolicy, read_capped, run_with_deadline

DEFAULT_TIMEOUT = 10.0
DEFAULT_RETRIES = 2
MAX_ANSWER_BYTES = 64 * 1024  # Slack answers "ok" or a short error code
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def validate_webhook_url(url: str, *, what: str = "the Slack webhook URL") -> str:
    """Return ``url`` if it is an absolute http(s) URL; never echo it back in the error."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(ch.isspace() or ord(ch) < 32 for ch in url)
    ):
        raise UsageError(
            f"{what} is not an http(s) URL; pass the incoming-webhook URL Slack gave you "
            "(https://hooks.slack.com/services/...)"
        )
    secrets.register_url(url)
    return url


def _body_hint(body: bytes) -> str:
    """A short, printable, scrubbed excerpt of an error answer (the webhook path never shows)."""
    text = body.decode("utf-8", "replace")
    text = "".join(" " if ch.isspace() else ch for ch in text if ch.isprintable() or ch.isspace())
    text = secrets.one_line(text, 80)
    return f" ({text})" if text else ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Follow no redirect: urllib then raises the ``3xx`` as an ``HTTPError``."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class _Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes


def _exchange(request: urllib.request.Request, timeout: float) -> _Answer:
    """One POST under the total deadline, its answer (any status) read up to the cap."""
    opener = urllib.request.build_opener(_NoRedirect)

    def work(attempt: Attempt) -> _Answer:
        try:
            response = opener.open(request, timeout=timeout)
        except urllib.error.HTTPError as exc:
            response = exc
        attempt.on_cancel(response.close)
        with response:
            read = getattr(response, "read1", response.read) if response.fp else lambda _n: b""
            chunks = iter(lambda: read(16 * 1024), b"")
            body = read_capped(chunks, limit=MAX_ANSWER_BYTES, attempt=attempt)
            return _Answer(response.status or 0, response.headers or {}, body)

    return run_with_deadline(work, timeout)


def post_json(
    url: str,
    payload: dict[str, Any],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    backoff: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """POST ``payload`` as JSON; retry on 429 (honouring Retry-After), 5xx and network errors.

    Returns the number of attempts made. Raises ``RemoteError`` (exit 3) with a message that names
    "the Slack webhook", never its URL.
    """
    secrets.register_url(url)
    # Scrubbed like every message that leaves the process; *** keeps the JSON valid.
    data = secrets.scrub(json.dumps(payload)).encode("utf-8")
    policy = RetryPolicy(retries, backoff)
    attempts = retries + 1
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(
            url,
            data=data,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "dbtmeta"},
        )
        retry_after = None
        try:
            answer = _exchange(request, timeout)
        except (http.client.HTTPException, BodyTooLarge) as exc:
            why = "an answer too large" if isinstance(exc, BodyTooLarge) else "an invalid HTTP answer"
            if attempt == attempts:
                raise RemoteError(
                    f"the Slack webhook gave {why} ({type(exc).__name__}) after "
                    f"{attempt} attempts; is the URL really a Slack webhook (or a proxy in between)?"
                ) from None
        except (DeadlineExceeded, urllib.error.URLError, OSError, ValueError) as exc:
            if attempt == attempts:
                raise RemoteError(
                    f"could not reach the Slack webhook ({_network_reason(exc, timeout)}) after "
                    f"{attempt} attempts; check the network and the webhook host"
                ) from None
        else:
            if 200 <= answer.status < 300:
                return attempt
            _check_status(answer, attempt, attempts)
            retry_after = answer.headers.get("Retry-After") if answer.status == 429 else None
        sleep(policy.wait(attempt - 1, retry_after, jitter=False))
    raise AssertionError("unreachable")  # pragma: no cover


def _check_status(answer: _Answer, attempt: int, attempts: int) -> None:
    """Raise ``RemoteError`` unless ``answer`` is worth another attempt (429, 5xx) and one is left."""
    status = answer.status
    hint = _body_hint(answer.body)
    if 300 <= status < 400:
        raise RemoteError(
            f"the Slack webhook answered with a redirect (HTTP {status}); nothing was posted "
            "(redirects are not followed): check the webhook URL"
        )
    retryable = status == 429 or status >= 500
    if not retryable or attempt == attempts:
        tries = f" after {attempt} attempts" if attempt > 1 else ""
        advice = (
            "check that the webhook is still active and the channel exists"
            if status < 500 and status != 429
            else "Slack is failing or rate-limiting; rerun later"
        )
        raise RemoteError(f"the Slack webhook answered HTTP {status}{hint}{tries}; {advice}")


def _network_reason(exc: BaseException, timeout: float) -> str:
    reason = getattr(exc, "reason", exc)
    if isinstance(exc, DeadlineExceeded) or isinstance(reason, TimeoutError) or "timed out" in str(reason):
        return f"no answer within {timeout:g}s"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror.lower()
    return type(reason).__name__


# --- routing -------------------------------------------------------------------------------------


@dataclass
class Route:
    """One Slack message destination and the dashboards it is about."""

    webhook: str = field(repr=False)
    channel: str | None = None
    owner: str | None = None  # set when grouped by owner
    exposures: list[Any] = field(default_factory=list)

    @property
    def audience(self) -> str:
        """Who the message is for, for its title: ``for #channel``, ``for owner``, or nothing."""
        if self.channel:
            return f"for {self.channel}"
        if self.owner:
            return f"for {self.owner}"
        return ""


def _meta_str(meta: Any, key: str) -> str | None:
    if not isinstance(meta, dict):
        return None
    value = meta.get(key)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def route_exposures(
    exposures: Iterable[Any],
    *,
    default_webhook: str,
    mode: str,
    environ: dict[str, str] | None = None,
    warn: Callable[[str], None] = lambda _msg: None,
) -> list[Route]:
    """Group exposures into messages. ``mode`` is ``digest`` or ``per-owner``."""
    items = list(exposures)
    if mode == "digest":
        return [Route(default_webhook, exposures=items)] if items else []
    env = os.environ if environ is None else environ
    routes: dict[tuple[str, str | None, str | None], Route] = {}
    for exposure in items:
        meta = getattr(exposure, "meta", None) or {}
        webhook = default_webhook
        env_name = _meta_str(meta, "slack_webhook_env")
        if env_name:
            value = env.get(env_name, "") if _ENV_NAME.match(env_name) else ""
            if not value:
                warn(
                    f"exposure {exposure.name}: meta.slack_webhook_env names {env_name!r}, which is not "
                    "set; using the default Slack webhook"
                )
            else:
                try:
                    webhook = validate_webhook_url(value, what=f"the Slack webhook in ${env_name}")
                except UsageError as exc:
                    warn(f"exposure {exposure.name}: {exc}; using the default Slack webhook")
        channel = _meta_str(meta, "slack_channel")
        owner = None
        if channel is None:
            owner = getattr(exposure, "owner_email", None) or getattr(exposure, "owner_name", None)
        key = (webhook, channel, owner)
        if key not in routes:
            routes[key] = Route(webhook, channel=channel, owner=owner)
        routes[key].exposures.append(exposure)
    return list(routes.values())
