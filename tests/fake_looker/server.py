"""The HTTP side of the fake Looker: routes, nested ``fields=`` filtering, auth, faults, call counts."""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .dataset import FakeData


@dataclass
class Fault:
    """Injected on requests whose ``"METHOD endpoint"`` contains ``match`` ("" = every request).

    ``status`` answers that HTTP status (with ``Retry-After`` when given); ``sleep`` delays the
    answer (past the client's timeout = a timeout); ``malformed`` answers truncated JSON.
    ``times`` is how many requests it hits (-1 = all).
    """

    match: str = ""
    status: int | None = None
    retry_after: str | None = None
    sleep: float = 0.0
    malformed: bool = False
    body: str | None = None  # the error body to answer with ``status``
    times: int = 1


def parse_fields(spec: str) -> dict[str, Any]:
    """``"id,folder(id,name)"`` -> ``{"id": None, "folder": {"id": None, "name": None}}``."""
    pos = 0

    def level() -> dict[str, Any]:
        nonlocal pos
        out: dict[str, Any] = {}
        name = ""
        while pos < len(spec):
            ch = spec[pos]
            pos += 1
            if ch == "(":
                out[name.strip()] = level()
                name = ""
            elif ch == ")":
                break
            elif ch == ",":
                if name.strip():
                    out[name.strip()] = None
                name = ""
            else:
                name += ch
        if name.strip():
            out[name.strip()] = None
        return out

    return level()


def apply_fields(value: Any, tree: dict[str, Any] | None) -> Any:
    """Keep the requested fields; one the object lacks is answered ``null``, as Looker does."""
    if tree is None:
        return value
    if isinstance(value, list):
        return [apply_fields(v, tree) for v in value]
    if isinstance(value, dict):
        return {k: apply_fields(value.get(k), sub) for k, sub in tree.items()}
    return value


@dataclass(frozen=True)
class Exchange:
    """One request and its answer, as sent on the wire (for the API contract tests)."""

    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    route: str | None  # the route template that answered (None: no route matched)
    status: int
    content_type: str
    body: bytes


class FakeLooker:
    """``with FakeLooker(data) as looker: looker.base_url`` - a Looker API on 127.0.0.1."""

    def __init__(self, data: FakeData, *, latency: float = 0.0, cache: bool = False) -> None:
        self.data = data
        self.latency = latency
        # cache=True: answer repeated GETs from a cache (the benchmark: static data, and the fake
        # server's own JSON encoding should not be what is measured)
        self.cache: dict[str, tuple[int, bytes, str]] | None = {} if cache else None
        self.faults: list[Fault] = []
        self.calls: Counter[str] = Counter()
        self.requests: list[str] = []  # "METHOD /path?query" of every request
        self.exchanges: list[Exchange] = []  # every request with its answer
        self.token_ttl_calls: int | None = None  # tokens expire after this many authenticated calls
        self.tokens: dict[str, int] = {}  # token -> calls left (None ttl: large)
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def inject(self, *faults: Fault) -> None:
        with self.lock:
            self.faults.extend(faults)

    def reset_counts(self) -> None:
        with self.lock:
            self.calls.clear()
            self.requests.clear()
            self.exchanges.clear()

    def env(self) -> dict[str, str]:
        """``LOOKERSDK_*`` variables pointing the SDK at this server."""
        return {
            "LOOKERSDK_BASE_URL": self.base_url,
            "LOOKERSDK_CLIENT_ID": self.data.client_id,
            "LOOKERSDK_CLIENT_SECRET": self.data.client_secret,
            "LOOKERSDK_VERIFY_SSL": "false",
        }

    def __enter__(self) -> FakeLooker:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- request handling (called from handler threads) ----------------------------------------

    def take_fault(self, label: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times != 0 and fault.match in label:
                    if fault.times > 0:
                        fault.times -= 1
                    return fault
        return None

    def authorised(self, header: str | None) -> bool:
        if not header or " " not in header:
            return False
        token = header.split(" ", 1)[1]
        with self.lock:
            left = self.tokens.get(token)
            if left is None or left == 0:
                return False
            self.tokens[token] = left - 1
            return True

    def login(self, form: dict[str, list[str]]) -> str | None:
        if form.get("client_id") != [self.data.client_id] or form.get("client_secret") != [
            self.data.client_secret
        ]:
            return None
        token = secrets.token_hex(8)
        with self.lock:
            self.tokens[token] = self.token_ttl_calls if self.token_ttl_calls is not None else 10**9
        return token


NOT_FOUND = {"message": "Not found", "documentation_url": "https://docs.looker.com/"}  # Looker's 404 body

# The routes the fake serves: (method, path template as in Looker's OpenAPI spec under /api/4.0,
# name). Logout is /api/logout, unversioned: that is where looker-sdk sends it.
ROUTES: list[tuple[str, str, str]] = [
    ("POST", "/api/4.0/login", "login"),
    ("DELETE", "/api/logout", "logout"),
    ("GET", "/api/4.0/dashboards/search", "dashboards/search"),
    ("GET", "/api/4.0/dashboards", "dashboards"),
    ("GET", "/api/4.0/dashboards/{dashboard_id}", "dashboard"),
    ("GET", "/api/4.0/looks/search", "looks/search"),
    ("GET", "/api/4.0/queries/{query_id}/run/{result_format}", "run_sql"),
    ("GET", "/api/4.0/queries/{query_id}", "query"),
    ("GET", "/api/4.0/merge_queries/{merge_query_id}", "merge_query"),
    ("GET", "/api/4.0/users", "users"),
    ("GET", "/api/4.0/lookml_models/{lookml_model_name}/explores/{explore_name}", "explore"),
    ("GET", "/api/4.0/connections/{connection_name}", "connection"),
]


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{[a-z_]+\}", template)
    return re.compile("^" + "([^/]+)".join(re.escape(p) for p in parts) + "$")


_ROUTES: list[tuple[str, re.Pattern[str], str, str]] = [
    (verb, _template_regex(template), name, template) for verb, template, name in ROUTES
]


def _handler(looker: FakeLooker) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        route: str | None = None  # the template of the route answering the current request
        disable_nagle_algorithm = True  # else delayed ACKs add ~40 ms to every keep-alive answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

        def _send(self, status: int, body: bytes, ctype: str = "application/json", **headers: str) -> None:
            split = urlsplit(self.path)
            exchange = Exchange(
                self.command, split.path, parse_qs(split.query), self.route, status, ctype, body
            )
            with looker.lock:
                looker.exchanges.append(exchange)
            try:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for key, value in headers.items():
                    self.send_header(key.replace("_", "-"), value)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                self.close_connection = True

        def _json(self, status: int, value: Any) -> None:
            self._send(status, json.dumps(value).encode())

        def _handle(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            split = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(split.query).items()}
            name, found = "unknown", None
            self.route = None
            for verb, pattern, route, template in _ROUTES:
                match = pattern.match(split.path) if verb == method else None
                if match:
                    name, found, self.route = route, match, template
                    break
            with looker.lock:
                looker.calls[name] += 1
                looker.requests.append(f"{method} {self.path}")
            if looker.latency:
                time.sleep(looker.latency)
            fault = looker.take_fault(f"{method} {name}")
            if fault is not None:
                if fault.sleep:
                    time.sleep(fault.sleep)
                if fault.status:
                    extra = {"Retry_After": fault.retry_after} if fault.retry_after else {}
                    message = (
                        fault.body or json.dumps({"message": f"injected HTTP {fault.status}"})
                    ).encode()
                    self._send(fault.status, message, **extra)
                    return
                if fault.malformed:
                    self._send(200, b'{"id": "1", "title": ')
                    return
            if found is None:
                self._json(404, NOT_FOUND)
                return
            params = [unquote(p) for p in found.groups()]
            if name == "login":
                token = looker.login(parse_qs(body.decode()))
                if token is None:
                    self._json(404, NOT_FOUND)
                else:
                    self._json(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})
                return
            if not looker.authorised(self.headers.get("Authorization")):
                self._json(401, {"message": "Requires authentication.", "documentation_url": "x"})
                return
            if name == "logout":
                self._send(204, b"")
                return
            if name == "run_sql" and params[1] != "sql":
                self._json(404, NOT_FOUND)  # the fake generates SQL only
                return
            cached = looker.cache.get(self.path) if looker.cache is not None else None
            if cached is None:
                status, value = _answer(looker.data, name, params, query)
                if name == "run_sql" and status == 200:
                    cached = (200, value.encode(), "text/plain")
                else:
                    if status == 200 and "fields" in query:
                        value = apply_fields(value, parse_fields(query["fields"]))
                    cached = (status, json.dumps(value).encode(), "application/json")
                if looker.cache is not None and method == "GET":
                    looker.cache[self.path] = cached
            self._send(*cached)

    return Handler


def _page(items: list[Any], query: dict[str, str]) -> list[Any]:
    offset = int(query.get("offset", 0))
    limit = int(query["limit"]) if "limit" in query else len(items)
    return items[offset : offset + limit]


def _id_key(d: dict[str, Any]) -> tuple[int, str]:
    return (int(d["id"]), "") if str(d["id"]).isdigit() else (1 << 60, str(d["id"]))


def _search(items: dict[str, Any], query: dict[str, str]) -> list[Any]:
    """By id, filtered on ``deleted=true|false`` when the query has it."""
    deleted = query.get("deleted")
    return [
        item
        for item in sorted(items.values(), key=_id_key)
        if deleted is None or str(bool(item.get("deleted"))).lower() == deleted
    ]


DASHBOARD_BASE = frozenset(
    [
        "can",
        "content_favorite_id",
        "content_metadata_id",
        "description",
        "hidden",
        "id",
        "model",
        "query_timezone",
        "readonly",
        "refresh_interval",
        "refresh_interval_to_i",
        "folder",
        "title",
        "user_id",
        "slug",
        "preferred_viewer",
        "certification_metadata",
    ]
)  # the properties of Looker's DashboardBase schema


def _answer(data: FakeData, name: str, params: list[str], query: dict[str, str]) -> tuple[int, Any]:
    missing = (404, NOT_FOUND)
    by_id = {
        "dashboard": data.dashboards,
        "query": data.queries,
        "merge_query": data.merge_queries,
        "connection": data.connections,
    }
    if name in by_id:
        found = by_id[name].get(params[0])
        return (200, found) if found else missing
    if name == "dashboards":  # all_dashboards answers DashboardBase: no elements, no counts
        return 200, [
            {k: v for k, v in d.items() if k in DASHBOARD_BASE}
            for d in sorted(data.dashboards.values(), key=_id_key)
            if not d.get("deleted")
        ]
    if name == "dashboards/search":
        rows = [d for d in _search(data.dashboards, query) if "::" not in str(d["id"])]
        return 200, _page(rows, query)
    if name == "looks/search":
        return 200, _page(_search(data.looks, query), query)
    if name == "run_sql":
        found = data.sql.get(params[0])
        return (200, found) if found is not None else missing
    if name == "users":
        ids = query.get("ids", "").split(",")
        return 200, [data.users[i] for i in ids if i in data.users]
    if name == "explore":
        found = data.explores.get((params[0], params[1]))
        if found and not data.see_lookml:
            found = _without_lookml(found)
        return (200, found) if found else missing
    return missing


def _without_lookml(explore: dict[str, Any]) -> dict[str, Any]:
    """An explore as a user without the see_lookml permission gets it: no SQL, no IDE links."""
    fields = {
        kind: [{**f, "sql": None, "sql_case": None, "lookml_link": None} for f in items]
        for kind, items in explore["fields"].items()
    }
    joins = [{**j, "sql_on": None} for j in explore["joins"]]
    return {**explore, "can_see_lookml": False, "lookml_link": None, "fields": fields, "joins": joins}
