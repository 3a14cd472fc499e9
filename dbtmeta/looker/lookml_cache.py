"""Parse LookML text with lkml: a cache of results keyed by content, and parallel processes.

``LookmlParser.parse_many(texts)`` answers for each text ``Parsed(data, error, messages)``, what
``lkml.load`` gave (or the first line of its exception) and what lkml logged. Answers come from,
in order: this run's memory, the disk cache, then ``lkml.load``, in worker processes when many
files are missing. A cache entry's name is the sha256 of the text with this module's format, the
dbtmeta version and the lkml version: an edited file has another name, so an entry is never stale;
a corrupt or unreadable entry is ignored (parsed again and rewritten); entries are written
atomically (temporary file, then rename); the directory is safe to delete.

Must not: know about models, includes, constants or problems (``lookml.py`` says what they mean).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbtmeta.errors import InputError
from dbtmeta.files import read_bytes
from dbtmeta.text import loads_json

_FORMAT = 1
PARALLEL_MIN_FILES = 32  # fewer misses than this: starting worker processes costs more than it saves
CACHE_ENV_OFF = "DBTMETA_NO_CACHE"


@dataclass(frozen=True)
class Parsed:
    """What ``lkml.load`` gave for one text: ``data`` (None when it raised, then ``error``) and the
    warnings lkml logged."""

    data: Any
    error: str | None
    messages: tuple[str, ...] = ()


def default_cache_dir() -> Path | None:
    """``$XDG_CACHE_HOME/dbtmeta/lookml`` (default ``~/.cache``); None when ``DBTMETA_NO_CACHE``
    is set to anything but ``""``/``0``."""
    if os.environ.get(CACHE_ENV_OFF, "") not in ("", "0"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "dbtmeta" / "lookml"


def worker_count() -> int:
    """The CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@contextlib.contextmanager
def lkml_log() -> Iterator[list[str]]:
    """Collect what lkml logs (e.g. a top-level key declared twice) instead of letting it reach stderr."""
    messages: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                messages.append(record.getMessage())

    logger = logging.getLogger("lkml")
    handler = _Collect()
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def load_text(text: str) -> Parsed:
    """``lkml.load(text)``, its exceptions and log messages caught."""
    import lkml

    with lkml_log() as messages:
        try:
            data = lkml.load(text)
        except Exception as exc:  # lkml raises SyntaxError, KeyError, and others on odd input
            detail = (str(exc).splitlines()[0] if str(exc) else type(exc).__name__).strip('"')
            return Parsed(None, detail, tuple(messages))
    return Parsed(data, None, tuple(messages))


def _load_chunk(texts: list[str]) -> list[tuple[Any, str | None, tuple[str, ...]]]:
    """Worker side: plain tuples pickle faster than dataclasses."""
    out = []
    for text in texts:
        parsed = load_text(text)
        out.append((parsed.data, parsed.error, parsed.messages))
    return out


class LookmlParser:
    """Parses LookML texts once per content: memory, then ``cache_dir`` (None: no disk cache), then
    lkml in up to ``processes`` processes (None: the machine's CPUs; 1: this process only)."""

    def __init__(self, cache_dir: Path | None = None, processes: int | None = None) -> None:
        self.cache_dir = cache_dir
        self.processes = worker_count() if processes is None else max(1, processes)
        self._memory: dict[str, Parsed] = {}
        self._tag: bytes | None = None

    def parse(self, text: str) -> Parsed:
        """One text (see :meth:`parse_many`)."""
        return self.parse_many([text])[0]

    def parse_many(self, texts: Sequence[str]) -> list[Parsed]:
        """What lkml makes of each text, in order."""
        keys = [self._key(text) for text in texts]
        missing: dict[str, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key in self._memory or key in missing:
                continue
            cached = self._read(key)
            if cached is not None:
                self._memory[key] = cached
            else:
                missing[key] = text
        if missing:
            for key, parsed in zip(missing, self._load(list(missing.values())), strict=True):
                self._memory[key] = parsed
                self._write(key, parsed)
        return [self._memory[key] for key in keys]

    def _load(self, texts: list[str]) -> list[Parsed]:
        workers = min(self.processes, len(texts) // (PARALLEL_MIN_FILES // 2) or 1)
        if workers < 2 or len(texts) < PARALLEL_MIN_FILES:
            return [load_text(text) for text in texts]
        from concurrent.futures import ProcessPoolExecutor

        # Chunks of about equal size, several per worker so a big file does not leave one idle.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        chunks: list[list[int]] = [[] for _ in range(workers * 4)]
        sizes = [0] * len(chunks)
        for i in order:
            smallest = sizes.index(min(sizes))
            chunks[smallest].append(i)
            sizes[smallest] += len(texts[i])
        chunks = [c for c in chunks if c]
        from concurrent.futures.process import BrokenProcessPool

        results: list[Parsed | None] = [None] * len(texts)
        try:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                answers = pool.map(_load_chunk, [[texts[i] for i in chunk] for chunk in chunks])
                for chunk, answer in zip(chunks, answers, strict=True):
                    for i, (data, error, messages) in zip(chunk, answer, strict=True):
                        results[i] = Parsed(data, error, tuple(messages))
        except (OSError, NotImplementedError, BrokenProcessPool):  # no processes here: parse in this one
            pass
        return [r if r is not None else load_text(texts[i]) for i, r in enumerate(results)]

    def cached(self, kind: str, text: str, compute: Callable[[str], Any]) -> Any:
        """``compute(text)`` (e.g. a dashboard's YAML loaded), remembered on disk by content under
        ``kind``. What ``compute`` raises is raised (and not remembered); a result JSON would not
        give back equal (a date, a non-string key...) is not remembered either."""
        key = self._key(f"{kind}\0{text}")
        path = self._path(key)
        if path is not None:
            try:
                entry = loads_json(read_bytes(path, "LookML cache entry"))
            except (OSError, ValueError, InputError):  # missing, unreadable or corrupt: compute again
                entry = None
            if (
                isinstance(entry, dict)
                and entry.get("key") == key
                and entry.get("kind") == kind
                and "data" in entry
            ):
                return entry["data"]
        data = compute(text)
        if path is not None and _json_exact(data):
            self._store(path, key, {"key": key, "kind": kind, "data": data})
        return data

    # -- the disk cache ------------------------------------------------------------------------

    def _key(self, text: str) -> str:
        if self._tag is None:
            from importlib.metadata import PackageNotFoundError, version

            from dbtmeta import __version__

            try:
                lkml_version = version("lkml")
            except PackageNotFoundError:
                lkml_version = "unknown"
            self._tag = f"dbtmeta-lookml-cache {_FORMAT} {__version__} {lkml_version}\0".encode()
        return hashlib.sha256(self._tag + text.encode("utf-8", "surrogatepass")).hexdigest()

    def _path(self, key: str) -> Path | None:
        return None if self.cache_dir is None else self.cache_dir / key[:2] / f"{key}.json"

    def _read(self, key: str) -> Parsed | None:
        path = self._path(key)
        if path is None:
            return None
        try:
            entry = loads_json(read_bytes(path, "LookML cache entry"))
        except (OSError, ValueError, InputError):  # missing, unreadable, corrupt, a FIFO: parse again
            return None
        if not (
            isinstance(entry, dict)
            and entry.get("key") == key
            and (entry.get("error") is None or isinstance(entry["error"], str))
            and isinstance(entry.get("messages"), list)
            and all(isinstance(m, str) for m in entry["messages"])
        ):
            return None
        return Parsed(entry.get("data"), entry["error"], tuple(entry["messages"]))

    def _write(self, key: str, parsed: Parsed) -> None:
        path = self._path(key)
        if path is None:
            return
        entry = {"key": key, "data": parsed.data, "error": parsed.error, "messages": list(parsed.messages)}
        self._store(path, key, entry)

    @staticmethod
    def _store(path: Path, key: str, entry: dict[str, Any]) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Atomic (readers see no half entry) but not fsynced: a lost entry is parsed again.
            fd, tmp = tempfile.mkstemp(prefix=f".{key[:8]}.", suffix=".tmp", dir=path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(entry, handle, separators=(",", ":"))
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except (OSError, TypeError, ValueError):  # a read-only cache only costs time
            return


def _json_exact(data: Any) -> bool:
    """Whether JSON gives ``data`` back equal: str/int/finite float/bool/None, lists, str-keyed dicts."""
    stack = [data]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            if not all(type(k) is str for k in item):
                return False
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        elif kind is float:
            if item != item or item in (float("inf"), float("-inf")):
                return False
        elif kind not in (str, int, bool, type(None)):
            return False
    return True
