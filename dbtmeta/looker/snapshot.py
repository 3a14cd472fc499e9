"""Snapshots: crawled Looker content saved as JSON, so sync can run offline and reproducibly.

The file is ``LookerContent.to_dict()`` (no credentials are ever part of the content), written with
sorted keys and a trailing newline so that the same content gives the same bytes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from dbtmeta.atomic import write_atomic
from dbtmeta.errors import InputError, UsageError
from dbtmeta.looker.content import SNAPSHOT_FORMAT_VERSION, LookerContent


def dumps_snapshot(content: LookerContent) -> str:
    return json.dumps(content.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def save_snapshot(content: LookerContent, path: str | os.PathLike[str]) -> None:
    """Write ``content`` to ``path`` atomically (a reader sees the old file or the whole new one)."""
    try:
        write_atomic(path, dumps_snapshot(content))
    except OSError as exc:
        raise UsageError(f"cannot write snapshot {str(path)!r}: {exc.strerror or exc}") from None


def load_snapshot(path: str | os.PathLike[str]) -> LookerContent:
    """Read a snapshot written by ``save_snapshot``. Raises ``InputError`` (one line) if unusable."""
    target = Path(path)
    redo = "re-create it with 'dbtmeta looker pull --out FILE'"
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"Looker snapshot {str(target)!r} not found: {redo}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot read Looker snapshot {str(target)!r}: {type(exc).__name__}; {redo}"
        ) from None
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"Looker snapshot {str(target)!r} is not valid JSON (truncated?) at line {exc.lineno}: {redo}"
        ) from None
    if not isinstance(data, dict) or "format_version" not in data:
        raise InputError(f"{str(target)!r} is not a dbtmeta Looker snapshot: {redo}")
    version = data["format_version"]
    if version != SNAPSHOT_FORMAT_VERSION:
        raise InputError(
            f"Looker snapshot {str(target)!r} has format version {version!r}, this dbtmeta reads "
            f"version {SNAPSHOT_FORMAT_VERSION}: {redo}"
        )
    try:
        content = LookerContent.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(
            f"Looker snapshot {str(target)!r} is malformed ({type(exc).__name__}: {exc}): {redo}"
        ) from None
    if not content.source.startswith("snapshot:"):
        content.source = f"snapshot:{content.source}"
    return content
