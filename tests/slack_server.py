"""A fake Slack incoming-webhook server on 127.0.0.1 that records posts and fails on demand."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Post:
    path: str
    headers: dict[str, str]
    body: bytes
    time: float

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Response:
    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)


class SlackServer:
    """``with SlackServer() as server: server.url("/hooks/a")``; scripted answers via ``respond``."""

    def __init__(self) -> None:
        self.posts: list[Post] = []
        self._script: list[Response] = []
        self.default = Response()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                import time

                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with server._lock:
                    server.posts.append(Post(self.path, dict(self.headers), body, time.monotonic()))
                    answer = server._script.pop(0) if server._script else server.default
                payload = answer.body.encode()
                self.send_response(answer.status)
                for key, value in answer.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def url(self, path: str = "/services/T000/B000/XXXXSECRET") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def respond(self, status: int, body: str = "", headers: dict[str, str] | None = None, times: int = 1):
        """Answer the next ``times`` posts with ``status`` (then the default 200 "ok")."""
        with self._lock:
            self._script.extend(Response(status, body, headers or {}) for _ in range(times))

    def always(self, status: int, body: str = "") -> None:
        self.default = Response(status, body)

    def __enter__(self) -> SlackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
