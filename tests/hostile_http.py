"""Hostile HTTP servers on 127.0.0.1 for the security tests: trickling, endless, redirecting, echoing.

``HostileServer(answer)`` calls ``answer(request, handler)`` for every request, in a thread of its
own; ``answer`` writes the raw answer through the helpers below. Every loop is bounded (a count and
the server's ``stopping`` flag) and the server stops when its ``with`` block ends, so no test can
leave a thread writing forever.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Answer = Callable[[Request, "Handler"], None]


class Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(self.command, self.path, dict(self.headers), self.rfile.read(length))
        owner = self.server.owner
        with owner.lock:
            owner.requests.append(request)
        # The client giving up is what most tests want.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, TimeoutError):
            owner.answer(request, self)
        self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # --- answers ----------------------------------------------------------------------------------

    def send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        """A complete, ordinary answer."""
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, status: int, data: Any) -> None:
        self.send(status, json.dumps(data).encode(), {"Content-Type": "application/json"})

    def trickle(self, status: int = 200, *, every: float = 0.2, limit: int = 300) -> None:
        """Headers at once, then one byte of body every ``every`` seconds (``limit`` bytes at most)."""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(limit))
        self.end_headers()
        self.wfile.flush()
        for _ in range(limit):
            if self.server.owner.stopping.wait(every):
                return
            self.wfile.write(b" ")
            self.wfile.flush()

    def trickle_headers(self, *, every: float = 0.2, limit: int = 300) -> None:
        """The status line and then one header byte every ``every`` seconds: the headers never end."""
        self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        for _ in range(limit):
            if self.server.owner.stopping.wait(every):
                return
            self.wfile.write(b"a")
            self.wfile.flush()

    def endless(self, *, chunk: int = 64 * 1024, limit: int = 64 * 2**20) -> None:
        """A 200 without Content-Length whose body goes on (``limit`` bytes at most)."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.end_headers()
        block = b"[" + b"0," * (chunk // 2 - 1) + b"0"
        sent = 0
        while sent < limit and not self.server.owner.stopping.is_set():
            self.wfile.write(block)
            sent += len(block)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: HostileServer


class HostileServer:
    """``with HostileServer(answer) as server: server.url("/api/4.0/login")``."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def looker_answer(rest: Answer, token: str = "tok-3f9a1c7e5b2d4a6f8e0c1b3d5f7a9c2e") -> Answer:
    """A Looker that accepts any login (answering ``token``) and lets ``rest`` answer everything else."""

    def answer(request: Request, handler: Handler) -> None:
        if request.path.endswith("/login"):
            handler.send_json(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})
        elif request.path.endswith("/logout"):
            handler.send(204)
        else:
            rest(request, handler)

    return answer


def elapsed(since: float) -> float:
    return time.monotonic() - since
