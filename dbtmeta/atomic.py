"""Write files so that readers see either the old bytes or the complete new ones, never a mix.

An output path that is a symlink is written through: the regular file it points to is replaced and
the link stays. A device, FIFO, socket or directory is refused (``UsageError``, exit 2): replacing
``/dev/null`` with a regular file or writing into a FIFO is never what was meant.

Must not: import a package of dbtmeta (leaf: ``errors`` and ``files`` only), or write the target
in place: bytes go to a temporary file in the target's directory, then ``os.replace``.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from dbtmeta.errors import UsageError
from dbtmeta.files import kind_of


def output_target(path: str | os.PathLike[str], what: str = "output file") -> Path:
    """The file that writing ``path`` replaces: symlinks followed; ``UsageError`` if it is not a
    regular file (a device, FIFO, socket or directory). A path that does not exist yet is fine."""
    target = Path(os.path.realpath(path))
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return target
    if not stat.S_ISREG(mode):
        raise UsageError(f"{what} {str(path)!r} is {kind_of(mode)}, not a regular file; give a file path")
    return target


def write_atomic(path: str | os.PathLike[str], data: str | bytes, *, what: str = "output file") -> None:
    """Replace ``path`` with ``data`` atomically (temp file in the same directory + os.replace).

    Through a symlink the file it points to is replaced; a non-regular target is refused (see
    :func:`output_target`).
    """
    target = output_target(path, what)
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.chmod(tmp, os.stat(target).st_mode & 0o777)
        except FileNotFoundError:
            os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
