"""The one HTTP policy of every remote call: Looker (looker-sdk's requests session) and Slack (urllib).

- **A total deadline per attempt**: connecting, the headers and the whole body must arrive within
  ``timeout`` seconds; a server that trickles its answer one byte at a time is cut off at the
  deadline (:func:`run_with_deadline`), not after each read's own timeout.
- **A cap on the answer's size** (:func:`read_capped`): an endless body is an error, not a
  ``MemoryError``.
- **Retries** with exponential backoff and jitter, or the server's ``Retry-After``
  (:func:`parse_retry_after`), never longer than :data:`MAX_RETRY_AFTER`.
- **No redirects**: callers turn every ``3xx`` into a failure, so credentials (a login form, a token,
  a webhook's path) only ever go to the address the user configured.

Must not: decide anything about a service's statuses or messages (its callers do), or import
anything of dbtmeta.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Generic, TypeVar

MAX_RETRY_AFTER = 60.0  # seconds: a longer Retry-After is shortened to this
CHUNK = 64 * 1024

T = TypeVar("T")


class DeadlineExceeded(Exception):
    """The attempt did not finish (connect, headers and body) within its deadline."""


class BodyTooLarge(Exception):
    """The answer's body is larger than the cap."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {describe_size(limit)}")
        self.limit = limit


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait between attempts."""

    retries: int = 2  # attempts after the first one
    backoff: float = 0.5  # first wait in seconds, doubled each retry (plus jitter)
    max_backoff: float = 30.0

    def wait(self, attempt: int, retry_after: str | None = None, *, jitter: bool = True) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (0-based).

        The server's ``Retry-After`` wins when it parses (capped at ``MAX_RETRY_AFTER``); otherwise
        exponential backoff, with jitter so concurrent callers do not retry in lockstep.
        """
        after = parse_retry_after(retry_after)
        if after is not None:
            return min(after, MAX_RETRY_AFTER)
        wait = min(self.max_backoff, self.backoff * 2.0**attempt)
        return wait * (0.5 + random.random() / 2) if jitter else wait


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date; None if absent or invalid."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - (time.time() if now is None else now)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    if seconds != seconds:  # NaN
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER)


def describe_size(size: int) -> str:
    """``33554432`` -> ``32 MiB``."""
    for unit, factor in (("MiB", 2**20), ("KiB", 2**10)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} bytes"


class Attempt:
    """One attempt run under a deadline: the worker registers what closes it, and checks the flag."""

    def __init__(self) -> None:
        self.cancelled = threading.Event()
        self._closers: list[Callable[[], object]] = []
        self._lock = threading.Lock()

    def on_cancel(self, close: Callable[[], object]) -> None:
        """Call ``close`` (e.g. a response's ``close``) when the deadline passes."""
        with self._lock:
            if not self.cancelled.is_set():
                self._closers.append(close)
                return
        _quietly(close)

    def cancel(self) -> None:
        """Mark the attempt cancelled and close what it registered, without waiting for that.

        Closing a response waits for a read in progress to return (a lock of the buffered
        reader), so the closing happens in a thread of its own and the caller goes on at once.
        """
        with self._lock:
            self.cancelled.set()
            closers, self._closers = self._closers, []
        if closers:
            threading.Thread(
                target=_close_all, args=(closers,), name="dbtmeta-http-close", daemon=True
            ).start()

    def check(self) -> None:
        """Raise ``DeadlineExceeded`` once the deadline has passed (the worker stops reading)."""
        if self.cancelled.is_set():
            raise DeadlineExceeded()


def _close_all(closers: list[Callable[[], object]]) -> None:
    for close in closers:
        _quietly(close)


def _quietly(close: Callable[[], object]) -> None:
    # Closing a half-read socket from another thread may fail: it is closed either way.
    with contextlib.suppress(Exception):
        close()


class _Outcome(Generic[T]):
    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: T | None = None
        self.error: BaseException | None = None


def run_with_deadline(work: Callable[[Attempt], T], timeout: float) -> T:
    """Run ``work(attempt)`` and return its result, or raise ``DeadlineExceeded`` after ``timeout`` s.

    The HTTP libraries bound each socket operation, not the whole exchange; so the work runs in a
    daemon thread and the caller waits on it with the total deadline. At the deadline the attempt is
    cancelled: what the work registered with ``on_cancel`` is closed and its reads stop at the next
    chunk (read chunks with ``read1``: it returns what has arrived); the thread is not waited for (a
    socket stuck in the headers ends at its own timeout, or with the process).
    """
    attempt = Attempt()
    outcome: _Outcome[T] = _Outcome()

    def run() -> None:
        try:
            outcome.value = work(attempt)
        except BaseException as exc:  # handed to the caller, which re-raises it
            outcome.error = exc
        finally:
            outcome.done.set()

    threading.Thread(target=run, name="dbtmeta-http", daemon=True).start()
    if not outcome.done.wait(timeout):
        attempt.cancel()
        raise DeadlineExceeded()
    if outcome.error is not None:
        raise outcome.error
    return outcome.value  # type: ignore[return-value]


def read_capped(chunks: Iterable[bytes], *, limit: int, attempt: Attempt) -> bytes:
    """Join ``chunks`` (a body being read) up to ``limit`` bytes; stop at the attempt's deadline."""
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        attempt.check()
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        parts.append(chunk)
    attempt.check()
    return b"".join(parts)
