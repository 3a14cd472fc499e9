"""A looker-sdk client that retries, counts its calls and fails with one clear line.

looker-sdk turns every HTTP error into ``SDKError(body)`` and drops the status code and headers, so
retries cannot be decided above it. ``RetryingTransport`` replaces the SDK's requests transport: it
sees the status and ``Retry-After``, retries 429/5xx/timeouts/connection errors as
:mod:`dbtmeta.http` says (one deadline per attempt, a cap on the answer's size), logs in again once
when a token expires mid-crawl, and raises ``RemoteError`` when Looker cannot be reached or refuses.

Credentials go only to the configured base URL: no redirect is ever followed (a ``3xx`` is an
error), the bodies of refused logins are never shown, and the client secret and every access token
are registered with :mod:`dbtmeta.secrets`, so no message carries them.

looker_sdk and requests are imported inside functions: ``dbtmeta --help`` must stay fast.
"""

from __future__ import annotations

import collections.abc
import configparser
import json
import os
import re
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from dbtmeta import secrets
from dbtmeta.errors import InputError, RemoteError, UsageError
from dbtmeta.http import (
    Attempt,
    BodyTooLarge,
    DeadlineExceeded,
    RetryPolicy,
    read_capped,
    run_with_deadline,
)
from dbtmeta.text import MAX_JSON_DEPTH, json_depth_exceeds, loads_json

ENV_PREFIX = "LOOKERSDK"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RESPONSE_BYTES = 64 * 2**20  # one API answer; a page of 100 big dashboards is a few MiB
# An attempt may take up to an hour; 20 retries with backoff capped at 30 s wait ~10 minutes.
# (2.0 ** attempt, the backoff, overflows a float past ~1,000 retries.)
MIN_TIMEOUT, MAX_TIMEOUT = 0.1, 3600.0
MAX_RETRIES = 20


@dataclass(frozen=True)
class ApiSettings:
    """How to reach Looker. Anything left ``None`` comes from ``looker.ini`` / ``LOOKERSDK_*`` env."""

    looker_ini: str | None = None
    section: str | None = None
    base_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    verify_ssl: bool | None = None
    timeout: float | None = None
    retries: int = 4  # attempts after the first one
    backoff: float = 0.5  # first backoff in seconds, doubled each retry (plus jitter)
    max_backoff: float = 30.0
    max_response_bytes: int | None = None  # default: MAX_RESPONSE_BYTES

    @property
    def retry_policy(self) -> RetryPolicy:
        """How often and how long to retry a failed call, from these settings."""
        return RetryPolicy(self.retries, self.backoff, self.max_backoff)


@dataclass
class CallStats:
    """API calls made, by endpoint (a readable name) - for tests, the benchmark and the report."""

    calls: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    relogins: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, name: str) -> None:
        """Count one call of the endpoint ``name`` (thread-safe)."""
        with self._lock:
            self.calls[name] += 1

    def count_retry(self) -> None:
        """Count one retried attempt."""
        with self._lock:
            self.retries += 1

    def count_relogin(self) -> None:
        """Count one login repeated after an expired token."""
        with self._lock:
            self.relogins += 1

    @property
    def total(self) -> int:
        """All calls made, every endpoint together."""
        return sum(self.calls.values())


_COLLECTIONS = frozenset(
    {"dashboards", "looks", "queries", "merge_queries", "users", "lookml_models", "explores", "connections"}
)


_SEARCHES = frozenset({("search", "dashboards"), ("search", "looks")})


def _endpoint_name(method: str, path: str) -> str:
    """``GET /api/4.0/dashboards/12`` -> ``GET dashboards/{id}`` (ids replaced, for counting).

    A segment right after a collection is an id (an explore named ``users`` included), except
    ``dashboards/search`` and ``looks/search``.
    """
    rest = urlsplit(path).path.split("/api/", 1)[-1]
    parts = rest.split("/")[1:] if re.match(r"^\d+\.\d+$", rest.split("/")[0]) else rest.split("/")
    named = [
        "{id}" if i and parts[i - 1] in _COLLECTIONS and (part, parts[i - 1]) not in _SEARCHES else part
        for i, part in enumerate(parts)
    ]
    return f"{method} " + "/".join(named)


class _Resolved:
    """Concrete settings for the SDK (duck-types ``looker_sdk.rtl.api_settings.PApiSettings``)."""

    def __init__(self, settings: ApiSettings) -> None:
        from looker_sdk.rtl import api_settings as sdk_settings
        from looker_sdk.sdk import constants

        ini = settings.looker_ini
        if ini is not None and not os.path.isfile(ini):
            raise InputError(f"Looker config file {ini!r} not found: fix --looker-ini or create it")
        try:
            base = sdk_settings.ApiSettings(
                filename=ini or "looker.ini",
                section=settings.section,
                sdk_version=constants.sdk_version,
                env_prefix=ENV_PREFIX,
            )
            data: dict[str, Any] = dict(base.read_config())
        except Exception as exc:  # configparser errors, bad verify_ssl/timeout values
            where = f"cannot read Looker settings from {ini or 'looker.ini'!r}"
            raise InputError(f"{where}: {_settings_problem(exc, settings.section)}") from None
        secrets.register(str(data.get("client_secret") or ""))
        secrets.register(settings.client_secret)
        explicit = {
            "base_url": settings.base_url,
            "client_id": settings.client_id,
            "client_secret": settings.client_secret,
        }
        data.update({k: v for k, v in explicit.items() if v})
        self._data = data
        self.base_url = str(data.get("base_url") or "").rstrip("/")
        if not self.base_url:
            raise UsageError(
                "no Looker base URL: pass --base-url, set LOOKERSDK_BASE_URL, or give a looker.ini"
            )
        parts = urlsplit(self.base_url)
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path not in {"", "/"}:
            raise UsageError(
                f"Looker base URL {self.base_url!r} must look like https://host[:port] (no path)"
            )
        if not (data.get("client_id") and data.get("client_secret")):
            raise UsageError(
                "no Looker API credentials: set LOOKERSDK_CLIENT_ID and LOOKERSDK_CLIENT_SECRET "
                "(or client_id/client_secret in looker.ini)"
            )
        self.verify_ssl = settings.verify_ssl if settings.verify_ssl is not None else base.verify_ssl
        if settings.timeout is not None:
            self.timeout = float(settings.timeout)
        else:
            self.timeout = float(data.get("timeout") or base.timeout)
        if not MIN_TIMEOUT <= self.timeout <= MAX_TIMEOUT:  # NaN too
            raise InputError(
                f"Looker timeout {self.timeout:g} is out of range: give {MIN_TIMEOUT:g} to {MAX_TIMEOUT:g} "
                "seconds (--timeout, looker.ini or LOOKERSDK_TIMEOUT)"
            )
        if not 0 <= settings.retries <= MAX_RETRIES:
            raise InputError(f"Looker retries {settings.retries} is out of range: give 0 to {MAX_RETRIES}")
        self.headers = {"Content-Type": "application/json"}
        self.agent_tag = f"{base.agent_tag} dbtmeta"
        self.client_secret = str(data["client_secret"])

    def read_config(self) -> dict[str, Any]:
        return dict(self._data)

    def is_configured(self) -> None:
        pass


def _settings_problem(exc: BaseException, section: str | None) -> str:
    """What is wrong with looker.ini / LOOKERSDK_*, never quoting a value (it may be the secret).

    configparser's own messages quote the offending line or value, which may hold the secret.
    """
    if isinstance(exc, configparser.MissingSectionHeaderError):
        return f"line {exc.lineno} comes before any [section] header; start the file with [Looker]"
    if isinstance(exc, configparser.ParsingError):
        lines = ", ".join(str(number) for number, _ in exc.errors)
        return f"line(s) {lines} are not 'key = value' lines"
    if isinstance(exc, configparser.InterpolationError):
        return (
            f"the value of {exc.option!r} in [{exc.section}] has a '%' that is not '%%' or '%(name)s'; "
            "write a literal % as %%"
        )
    if isinstance(exc, (configparser.DuplicateSectionError, configparser.DuplicateOptionError)):
        return f"a section or key appears twice (line {exc.lineno}); keep one"
    if isinstance(exc, configparser.NoSectionError):
        return f"no section [{section}]; fix --looker-section or the file"
    if isinstance(exc, IndexError):
        return "the file has no [section]; start it with [Looker]"
    if isinstance(exc, TypeError):
        return "verify_ssl must be true or false (looker.ini or LOOKERSDK_VERIFY_SSL)"
    if isinstance(exc, ValueError) and not isinstance(exc, UnicodeError):
        return "timeout must be a whole number of seconds (looker.ini or LOOKERSDK_TIMEOUT)"
    if isinstance(exc, UnicodeError):
        return "the file is not UTF-8 text"
    return f"{type(exc).__name__}; check the file's syntax (key = value lines under a [section])"


def _one_line(exc: BaseException | str, limit: int = 200) -> str:
    """One line of at most ``limit`` characters, scrubbed of secrets before it is cut."""
    return secrets.one_line(exc, limit)


class LookerClient:
    """The SDK plus the retrying transport, call stats and a ``call`` that maps errors."""

    def __init__(self, settings: ApiSettings, *, pool_size: int = 10) -> None:
        import looker_sdk
        import requests
        from looker_sdk.rtl import auth_session, serialize

        resolved = _Resolved(settings)
        self.settings = settings
        self.base_url = resolved.base_url
        self.stats = CallStats()
        session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=max(pool_size, 1))
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        self.relogin_lock = threading.Lock()
        self.aborted = threading.Event()
        self.transport = RetryingTransport(resolved, session, self)
        # Both duck-type looker-sdk's protocols (PApiSettings, Transport): typed Any for the SDK.
        sdk_settings: Any = resolved
        sdk_transport: Any = self.transport
        self.auth = auth_session.AuthSession(sdk_settings, sdk_transport, serialize.deserialize40, "4.0")
        self.sdk = looker_sdk.methods40.Looker40SDK(
            self.auth, _deserializer(), serialize.serialize40, sdk_transport, "4.0"
        )

    def abort(self) -> None:
        """Make every call still in flight give up at its next attempt (the crawl already failed)."""
        self.aborted.set()

    def scrub(self, text: str) -> str:
        """``text`` without the client secret or an access token, in any form."""
        return secrets.scrub(text)

    def relogin(self) -> None:
        """Replace the session's token with a new one (public looker-sdk API only).

        A second ``AuthSession`` logs in; its token is then handed to the session every call uses,
        so other threads never see "no token" and start logins of their own.
        """
        from looker_sdk.rtl import auth_session, serialize

        sdk_settings: Any = self.transport.settings
        sdk_transport: Any = self.transport
        fresh = auth_session.AuthSession(sdk_settings, sdk_transport, serialize.deserialize40, "4.0")
        fresh.authenticate({})
        self.auth.token = fresh.token

    def call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run one SDK method; every failure becomes a one-line ``RemoteError``."""
        from looker_sdk import error as sdk_error
        from looker_sdk.rtl import serialize

        try:
            return fn(*args, **kwargs)
        except RemoteError:
            raise
        except sdk_error.SDKError as exc:
            raise RemoteError(
                self.scrub(f"Looker at {self.base_url} refused {what}: {_one_line(exc)}")
            ) from None
        except (serialize.DeserializeError, ValueError, TypeError, KeyError) as exc:
            raise RemoteError(
                self.scrub(
                    f"Looker at {self.base_url} returned a malformed response to {what} "
                    f"({type(exc).__name__}: {_one_line(exc, 120)}); check the URL points at Looker"
                )
            ) from None
        except Exception as exc:
            if type(exc).__name__ in {"ClassValidationError", "BaseValidationError", "ExceptionGroup"}:
                raise RemoteError(
                    f"Looker at {self.base_url} returned a response to {what} that does not match "
                    "the API 4.0 schema; check the Looker version supports API 4.0"
                ) from None
            raise

    def logout(self) -> None:
        """End the API session; a failure here is ignored (the crawl is already done)."""
        try:
            if self.auth.is_authenticated:
                self.auth.logout()
        except Exception:  # logging out is a courtesy: never fail a finished crawl on it
            pass


STRICT_ENV = "DBTMETA_STRICT_API"  # "1": reading a field the answer lacks raises (the test suite)


class ApiObject:
    """A JSON object from the API, read by attribute like the looker-sdk model it stands for.

    The parsed dict *is* the instance ``__dict__`` (attribute reads at C speed). Each model has
    its own subclass (``_model``, ``_fields``: the SDK model's attribute names), so reading a name
    the model does not have raises ``AttributeError``, as the SDK's own models do: a field renamed
    on either side is an error, never a silent ``None``. A model field missing from the answer
    (not asked for in ``fields=``) reads as None, or raises when ``DBTMETA_STRICT_API=1``.
    JSON keys that are Python keywords read with a trailing ``_`` (``from`` -> ``from_``).
    """

    _model = "object"
    _fields: frozenset[str] = frozenset()
    _strict = False

    def __init__(self, data: dict[str, Any]) -> None:
        self.__dict__ = data

    def __getattr__(self, name: str) -> Any:  # only called for attributes the JSON lacks
        if name.startswith("__"):
            raise AttributeError(name)
        if name not in self._fields:
            raise AttributeError(f"Looker API model {self._model} has no attribute {name!r}")
        if self._strict:
            raise AttributeError(f"Looker's {self._model} answer has no {name!r}: ask for it in fields=")
        return None

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.__dict__!r})"


@dataclass(frozen=True)
class _ModelView:
    cls: type[ApiObject]
    json_fields: frozenset[str]  # the JSON keys of the model
    nested: dict[str, Any]  # JSON key -> the SDK model class of the object(s) under it
    renames: tuple[tuple[str, str], ...]  # (JSON key, attribute): keywords


_VIEWS: dict[tuple[type, bool], _ModelView] = {}
_VIEWS_LOCK = threading.Lock()


def _model_in(hint: Any) -> Any:
    """The SDK model class in ``Optional[Model]`` / ``Optional[Sequence[Model]]``, else None."""
    import typing

    from looker_sdk.rtl.model import Model

    if isinstance(hint, type):
        return hint if issubclass(hint, Model) else None
    origin = typing.get_origin(hint)
    if origin is typing.Union:
        found = [m for m in (_model_in(a) for a in typing.get_args(hint)) if m is not None]
        return found[0] if len(found) == 1 else None
    if origin in {list, collections.abc.Sequence, collections.abc.MutableSequence}:
        args = typing.get_args(hint)
        return _model_in(args[0]) if args else None
    return None


def _view(model: type, strict: bool) -> _ModelView:
    view = _VIEWS.get((model, strict))
    if view is not None:
        return view
    import keyword
    import sys
    import typing

    hints = typing.get_type_hints(model, vars(sys.modules[model.__module__]))
    renames = tuple((a[:-1], a) for a in hints if a.endswith("_") and keyword.iskeyword(a[:-1]))
    json_name = dict((a, j) for j, a in renames)
    nested = {json_name.get(a, a): m for a, h in hints.items() if (m := _model_in(h)) is not None}
    cls = type(
        f"Api{model.__name__}",
        (ApiObject,),
        {"_model": model.__name__, "_fields": frozenset(hints), "_strict": strict},
    )
    view = _ModelView(cls, frozenset(json_name.get(a, a) for a in hints), nested, renames)
    with _VIEWS_LOCK:
        return _VIEWS.setdefault((model, strict), view)


def _build(value: Any, model: type, strict: bool) -> Any:
    """Parsed JSON -> ``ApiObject``s of ``model`` (in place; keys the model lacks are dropped)."""
    if isinstance(value, list):
        return [_build(v, model, strict) for v in value]
    if not isinstance(value, dict):
        return value  # not an object where one is due: the reader reports it
    view = _view(model, strict)
    for key in value.keys() - view.json_fields:
        del value[key]  # as looker-sdk's models do: an unknown key is no attribute
    for key in view.nested.keys() & value.keys():
        if value[key] is not None:
            value[key] = _build(value[key], view.nested[key], strict)
    for key, attr in view.renames:
        if key in value:
            value[attr] = value.pop(key)
    obj = view.cls.__new__(view.cls)
    obj.__dict__ = value
    return obj


def _deserializer() -> Any:
    """Parse answers into ``ApiObject``s typed by the SDK's models, instead of cattrs models.

    The SDK's ``deserialize40`` re-registers a cattrs hook factory on every call, which discards
    cattrs' generated code each time: ~20-70 ms of CPU per call, and ~1.5 s for 1,000 dashboards,
    which no thread pool can overlap (GIL). ``json.loads`` + a walk that only tags each object
    with its model costs a few ms in all. The SDK's methods, auth session and transport are used
    unchanged; the model of each answer is the SDK method's own return type. JSON nested deeper
    than ``dbtmeta.text.MAX_JSON_DEPTH`` is refused before it is parsed (``DeserializeError``).
    """
    import typing

    from looker_sdk.rtl import serialize

    strict = os.environ.get(STRICT_ENV) == "1"

    def run(*, data: str, structure: Any) -> Any:
        try:
            parsed = loads_json(data)
        except ValueError as exc:  # not JSON, nested too deep, a 5,000-digit number
            raise serialize.DeserializeError(f"Bad json: {exc}") from None
        wants_list = typing.get_origin(structure) in {collections.abc.Sequence, list}
        model = _model_in(structure)
        if wants_list != isinstance(parsed, list) or model is None:
            raise serialize.DeserializeError(f"Bad data: expected {'a list' if wants_list else 'an object'}")
        items = parsed if isinstance(parsed, list) else [parsed]
        if not all(isinstance(item, dict) for item in items):
            raise serialize.DeserializeError(f"Bad data: expected {model.__name__} objects")
        return _build(parsed, model, strict)

    return run


@dataclass
class _Answer:
    """One HTTP answer, its body read in full (within the deadline and the size cap)."""

    status: int
    headers: Mapping[str, str]
    content: bytes


class _Retry(Exception):
    """This attempt failed in a way worth another one."""

    def __init__(self, failure: str, retry_after: str | None = None) -> None:
        super().__init__(failure)
        self.failure = failure
        self.retry_after = retry_after


class RetryingTransport:
    """looker-sdk's transport (``looker_sdk.rtl.transport.Transport``), with dbtmeta's HTTP policy.

    Each call: at most ``retries + 1`` attempts, each within one total deadline (``timeout``:
    connect, headers and body) and with the body capped at ``max_response_bytes``; 429/5xx,
    timeouts and connection errors are retried (``Retry-After`` honoured, see ``dbtmeta.http``);
    a 401 on a token that expired mid-crawl logs in again once; no redirect is followed. Login
    answers register their access token as a secret.
    """

    def __init__(self, settings: _Resolved, session: Any, client: LookerClient) -> None:
        from looker_sdk.rtl.transport import LOOKER_API_ID

        self.settings = settings
        self.session = session
        self.client = client
        session.headers.update({LOOKER_API_ID: settings.agent_tag, **settings.headers})
        session.verify = settings.verify_ssl

    def request(
        self,
        method: Any,
        path: str,
        query_params: Any = None,
        body: bytes | None = None,
        authenticator: Any = None,
        transport_options: Any = None,
    ) -> Any:
        """Send one API call for looker-sdk; return its ``transport.Response`` or raise ``RemoteError``."""
        client = self.client
        name = _endpoint_name(method.name, path)
        shown = f"{method.name} {unquote(urlsplit(path).path)}"
        is_login = name.endswith("login")
        fresh = False  # the token sent was just issued to this very call
        auth_retries = attempt = 0
        while True:
            if client.aborted.is_set():
                raise RemoteError(f"call to {shown} abandoned: the Looker crawl already failed")
            headers: dict[str, str] = dict(authenticator(transport_options or {})) if authenticator else {}
            if transport_options and transport_options.get("headers"):
                headers.update(transport_options["headers"])
            client.stats.add(name)
            try:
                answer = self._send(method.name, path, query_params, body, headers, shown)
                if answer.status == 401 and not is_login and authenticator and not fresh and auth_retries < 5:
                    # Expired token: log in again once (other threads that used the same token
                    # retry with the new one), unless this call's own fresh token is refused.
                    auth_retries += 1
                    fresh = self._relogin(headers)
                    continue
                return self._judge(answer, shown, is_login)
            except _Retry as retry:
                if attempt >= client.settings.retries:
                    raise RemoteError(
                        f"Looker at {client.base_url} failed {shown}: {retry.failure} "
                        f"(after {attempt + 1} attempts); check that Looker is up and reachable"
                    ) from None
                wait = client.settings.retry_policy.wait(attempt, retry.retry_after)
            attempt += 1
            client.stats.count_retry()
            if client.aborted.wait(wait):
                raise RemoteError(f"call to {shown} abandoned: the Looker crawl already failed")

    def _send(
        self, method: str, path: str, params: Any, body: bytes | None, headers: dict[str, str], shown: str
    ) -> _Answer:
        """One attempt under the deadline; ``_Retry`` on timeouts and connection errors."""
        import requests
        import urllib3
        from looker_sdk.rtl.requests_transport import NullAuth

        timeout = self.settings.timeout
        limit = self.client.settings.max_response_bytes or MAX_RESPONSE_BYTES

        def work(attempt: Attempt) -> _Answer:
            resp = self.session.request(
                method,
                path,
                auth=NullAuth(),
                params=params,
                data=body,
                headers=headers,
                timeout=timeout,
                allow_redirects=False,
                stream=True,
            )
            attempt.on_cancel(resp.close)
            try:
                chunks = iter(lambda: resp.raw.read1(64 * 1024, decode_content=True), b"")
                content = read_capped(chunks, limit=limit, attempt=attempt)
            finally:
                resp.close()
            return _Answer(resp.status_code, resp.headers, content)

        try:
            return run_with_deadline(work, timeout)
        except (DeadlineExceeded, requests.Timeout, urllib3.exceptions.TimeoutError):
            raise _Retry(f"no answer within {timeout:g}s") from None
        except BodyTooLarge as exc:
            raise RemoteError(
                f"Looker at {self.client.base_url} sent {exc} in answer to {shown}; "
                "check that the base URL points at Looker"
            ) from None
        except requests.ConnectionError as exc:
            raise _Retry(f"cannot connect ({_connect_reason(exc)})") from None
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            raise _Retry(f"broken answer ({type(exc).__name__})") from None

    def _judge(self, answer: _Answer, shown: str, is_login: bool) -> Any:
        """The SDK's ``Response`` for a success; ``_Retry`` or ``RemoteError`` for the rest."""
        from looker_sdk.rtl import transport as sdk_transport
        from requests.structures import CaseInsensitiveDict
        from requests.utils import get_encoding_from_headers

        status, base_url = answer.status, self.client.base_url
        if 200 <= status < 300:
            if is_login:  # looker-sdk parses the login answer itself: bound it first
                if json_depth_exceeds(answer.content):
                    raise RemoteError(
                        f"Looker at {base_url} answered {shown} with JSON nested deeper than "
                        f"{MAX_JSON_DEPTH} levels; check that the base URL points at Looker"
                    )
                _register_token(answer.content)
            ret = sdk_transport.Response(
                True, answer.content, sdk_transport.response_mode(answer.headers.get("content-type"))
            )
            encoding = get_encoding_from_headers(CaseInsensitiveDict(answer.headers))
            if encoding:
                ret.encoding = encoding
            return ret
        if 300 <= status < 400:
            raise RemoteError(
                f"Looker at {base_url} answered {shown} with a redirect (HTTP {status}); dbtmeta "
                "follows no redirects, so credentials only go to the base URL: set the base URL to "
                "the https address Looker's API answers on"
            )
        if status in RETRY_STATUSES:
            raise _Retry(f"HTTP {status}", answer.headers.get("Retry-After"))
        if is_login:  # the body of a refused login is never shown: it may echo the credentials
            raise RemoteError(
                f"Looker at {base_url} refused the API login (HTTP {status}): "
                "check LOOKERSDK_CLIENT_ID / LOOKERSDK_CLIENT_SECRET and the base URL"
            )
        if status in {401, 403}:
            raise LookerHTTPError(
                status,
                f"Looker at {base_url} refused {shown} (HTTP {status}): the API user "
                "lacks permission or its session was revoked",
            )
        text = answer.content.decode("utf-8", "replace")
        raise LookerHTTPError(
            status,
            _one_line(f"Looker at {base_url} answered HTTP {status} to {shown}: {_one_line(text)}", 400),
        )

    def _relogin(self, used: dict[str, str]) -> bool:
        """Log in again if ``used`` still holds the current token; True if this call did."""
        client = self.client
        with client.relogin_lock:
            current = client.auth.token.access_token
            if not current or not used.get("Authorization", "").endswith(f" {current}"):
                return False  # another thread already logged in again: just retry
            client.stats.count_relogin()
            client.relogin()
            return True


def _register_token(content: bytes) -> None:
    """Register the access token of a login answer as a secret (before anything can print it)."""
    try:
        token = json.loads(content).get("access_token")
    except (ValueError, AttributeError):
        return
    if isinstance(token, str):
        secrets.register(token)


class LookerHTTPError(RemoteError):
    """A non-retryable HTTP error (404...): callers may skip the one object it concerns."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _connect_reason(exc: BaseException) -> str:
    text = str(exc)
    for marker in (
        "Connection refused",
        "Name or service not known",
        "nodename nor servname",
        "No route to host",
        "Network is unreachable",
        "CERTIFICATE_VERIFY_FAILED",
        "Temporary failure in name resolution",
        "Connection reset",
    ):
        if marker in text:
            return marker
    return type(exc).__name__
