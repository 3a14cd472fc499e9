"""Reading input files: regular files only, never blocking, never without a size cap.

A FIFO given as ``--manifest`` would block the reader forever and ``/dev/zero`` would fill memory:
every artifact, config, state, snapshot, YAML and LookML file is read through :func:`read_bytes` /
:func:`read_text`, which look at the file with ``os.stat`` before opening it (opened non-blocking,
checked again on the open descriptor) and read at most a cap of bytes no real file of that kind
reaches. Lock files (the history's ``FILE.lock``) are opened by :func:`locked` with the same checks,
and waited for no longer than a deadline.

Must not: import from any package of dbtmeta (leaf: ``errors`` only), or interpret the contents.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import time
from collections.abc import Iterator

from dbtmeta.errors import InputError

# dbt artifacts of the largest projects are a few hundred MB; a Looker snapshot is smaller.
MAX_ARTIFACT_BYTES = 2 * 1024**3
MAX_SNAPSHOT_BYTES = 1024**3
# Configuration, state, exposure YAML, LookML and dbt_project.yml files.
MAX_TEXT_BYTES = 64 * 1024**2
# The health history: one line per run (a few hundred bytes per exposure), 90 days of hourly runs
# of a 1,000-exposure project stay under it.
MAX_HISTORY_BYTES = 256 * 1024**2
# How long to wait for a lock another dbtmeta holds (it holds it for one read and one write).
LOCK_TIMEOUT = 120.0

_CHUNK = 1024**2


def kind_of(mode: int) -> str:
    """What a file of this ``st_mode`` is, in words: ``"a FIFO (named pipe)"``, ``"a directory"``..."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _refuse(mode: int, what: str, path: str | os.PathLike[str]) -> None:
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        # Callers already say what to do about a directory (give the file inside it).
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    raise InputError(f"{what} {str(path)!r} is {kind_of(mode)}, not a regular file; give the path of a file")


def read_bytes(path: str | os.PathLike[str], what: str, limit: int = MAX_TEXT_BYTES) -> bytes:
    """The bytes of the regular file ``path`` (``what`` names it in messages: ``"manifest file"``).

    Raises ``InputError`` for a FIFO, device or socket and for a file over ``limit`` bytes,
    ``IsADirectoryError`` for a directory, and ``OSError`` (``FileNotFoundError``...) as ``open`` does.
    """
    _refuse(os.stat(path).st_mode, what, path)
    # O_NONBLOCK: if the path was swapped for a FIFO since the stat, open must not wait for a writer.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        info = os.fstat(fd)
        _refuse(info.st_mode, what, path)
        if info.st_size > limit:
            raise InputError(_too_big(path, what, limit))
        # One read of the whole file (its size is known): no chunks to join, no copy of a 200 MB
        # manifest. The loop after it only runs if the file grew since the fstat.
        first = os.read(fd, info.st_size + 1) if info.st_size else b""
        chunks: list[bytes] = [first]
        size = len(first)
        if size > limit:  # the file grew past the limit since the fstat
            raise InputError(_too_big(path, what, limit))
        while chunk := os.read(fd, _CHUNK):
            size += len(chunk)
            if size > limit:  # the file grew while we read it
                raise InputError(_too_big(path, what, limit))
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_text(
    path: str | os.PathLike[str],
    what: str,
    limit: int = MAX_TEXT_BYTES,
    *,
    errors: str = "strict",
    newline: str | None = None,
) -> str:
    """:func:`read_bytes` decoded as UTF-8 (``UnicodeDecodeError`` unless ``errors`` says otherwise).

    Line ends are translated to ``\\n`` as by ``open()`` in text mode, unless ``newline=""``.
    """
    text = read_bytes(path, what, limit).decode("utf-8", errors)
    if newline is None and "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def read_optional_text(
    path: str | os.PathLike[str], what: str, limit: int = MAX_TEXT_BYTES, *, hint: str = ""
) -> str | None:
    """The UTF-8 text of a file the caller may find missing: None when it does not exist.

    A directory is a ``UsageError``; anything else that stops the read is one ``InputError`` line,
    ending with ``hint`` (what to do) when one is given.
    """
    from dbtmeta.errors import UsageError

    try:
        return read_text(path, what, limit)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise UsageError(f"{what} {str(path)!r} is a directory; give a file path") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise InputError(
            f"cannot read {what} {str(path)!r}: {reason}" + (f"; {hint}" if hint else "")
        ) from None


def _too_big(path: str | os.PathLike[str], what: str, limit: int) -> str:
    return (
        f"{what} {str(path)!r} is larger than {limit // 1024**2:,} MiB, more than any such file can be; "
        "check the path"
    )


@contextlib.contextmanager
def locked(path: str | os.PathLike[str], what: str, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold an exclusive ``flock`` on the lock file ``path`` (created if missing) for the ``with`` block.

    The lock file must be a regular file: a FIFO or device is an ``InputError`` before it is
    opened (opening a FIFO to write waits for a reader forever). Waiting for another holder stops
    after ``timeout`` seconds with an ``InputError``. ``OSError`` as ``open`` raises it.
    """
    import fcntl

    with contextlib.suppress(FileNotFoundError):
        _refuse_lock(os.stat(path).st_mode, what, path)
    flags = os.O_RDONLY | os.O_CREAT | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags, 0o644)
    try:
        _refuse_lock(os.fstat(fd).st_mode, what, path)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise InputError(
                        f"{what} {str(path)!r} stayed locked for {timeout:g} s; another dbtmeta holds it "
                        "(is one stuck?): try again when it has finished"
                    ) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _refuse_lock(mode: int, what: str, path: str | os.PathLike[str]) -> None:
    if not stat.S_ISREG(mode):
        raise InputError(
            f"{what} {str(path)!r} is {kind_of(mode)}, not a regular file; remove it or give another path"
        )
