"""Post messages to Slack incoming webhooks, and decide which webhook/channel each dashboard goes to.

Only the standard library is used (urllib). The webhook URL is a secret: it never appears in an
error message or in output; errors say "the Slack webhook" plus the HTTP status.

Routing (``--slack-mode per-owner``), from each exposure's ``config.meta``:

- ``slack_webhook_env``: the name of an environment variable holding the webhook URL for this
  dashboard's team (the URL itself never belongs in the manifest);
- ``slack_channel``: a channel such as ``#marketing-data``, sent as the payload's ``channel`` (legacy
  webhooks honour it; app webhooks post to their own channel and ignore it).

Exposures with the same (webhook, channel) share one message; without a ``slack_channel`` they are
grouped by owner (email, else name) on their webhook. ``--slack-mode digest`` sends one message to
``--slack-webhook`` for everything.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from dbtmeta.errors import RemoteError, UsageError

DEFAULT_TIMEOUT = 10.0
DEFAULT_RETRIES = 2
MAX_RETRY_AFTER = 60.0
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
    return url


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _body_hint(body: bytes, url: str) -> str:
    text = body[:200].decode("utf-8", "replace")
    text = " ".join(text.split())
    text = text.replace(url, "<webhook>")
    text = "".join(ch for ch in text if ch.isprintable())[:80]
    return f" ({text})" if text else ""


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
    data = json.dumps(payload).encode("utf-8")
    attempts = retries + 1
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(
            url,
            data=data,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "dbtmeta"},
        )
        wait = backoff * (2 ** (attempt - 1))
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
                return attempt
        except urllib.error.HTTPError as exc:
            status = exc.code
            hint = _body_hint(exc.read() if exc.fp else b"", url)
            retryable = status == 429 or status >= 500
            if status == 429:
                after = _retry_after(exc.headers.get("Retry-After") if exc.headers else None)
                if after is not None:
                    wait = min(after, MAX_RETRY_AFTER)
            if not retryable or attempt == attempts:
                tries = f" after {attempt} attempts" if attempt > 1 else ""
                advice = (
                    "check that the webhook is still active and the channel exists"
                    if status < 500 and status != 429
                    else "Slack is failing or rate-limiting; rerun later"
                )
                raise RemoteError(
                    f"the Slack webhook answered HTTP {status}{hint}{tries}; {advice}"
                ) from None
        except http.client.HTTPException as exc:
            if attempt == attempts:
                raise RemoteError(
                    f"the Slack webhook gave an invalid HTTP answer ({type(exc).__name__}) after "
                    f"{attempt} attempts; is the URL really a Slack webhook (or a proxy in between)?"
                ) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            if attempt == attempts:
                reason = getattr(exc, "reason", exc)
                if isinstance(reason, TimeoutError) or "timed out" in str(reason):
                    why = f"no answer within {timeout:g}s"
                elif isinstance(reason, ConnectionRefusedError):
                    why = "connection refused"
                elif isinstance(reason, OSError) and reason.strerror:
                    why = reason.strerror.lower()
                else:
                    why = type(reason).__name__
                raise RemoteError(
                    f"could not reach the Slack webhook ({why}) after {attempt} attempts; "
                    "check the network and the webhook host"
                ) from None
        sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


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
